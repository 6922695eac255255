"""Drive the course in a real browser: a JupyterLab server, Debian's chromium, and notebook pages.

Shared by ``tests/test_browser.py`` and ``benchmarks/bench_browser.py``
(``from devtools.browser import ...``).

The server is hermetic: no token, no password, 127.0.0.1 only, and every Jupyter directory that
could hold a person's own configuration (config, runtime, user settings, workspaces, IPython
profile) is a temporary directory. The course's settings are made effective by pointing
``LabApp.app_settings_dir`` at a temporary directory that holds a copy of the repository's
``jupyter/overrides.json`` -- the same file ``postBuild`` and the Makefile copy to
``<sys.prefix>/share/jupyter/lab/settings/overrides.json``. Lab extensions (ipywidgets, ipympl)
and kernel specs are still found under ``sys.prefix``. Two test-only user settings are added:
autosave off (running a notebook in the test must never write to the repository), and
``windowingMode: "none"`` with ``scrollPastEnd: false`` (every cell attached to the page, so
widgets in later cells render, and a screenshot as tall as the notebook shows all of it).

Timing (:func:`time_to_draw`): every notebook page gets an init script that timestamps, in the
page, the input event and the next draw on a chosen canvas (ipympl's figure, the explorer's
highlight overlay) -- nothing polls the page, so measuring does not slow what is measured.
Latency (:class:`DelayingProxy`): a TCP proxy that delays everything between the page and the
server, WebSocket frames included, which Chrome's own network emulation
(:func:`emulated_latency`) does not delay.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median, quantiles

from playwright.sync_api import Browser, ElementHandle, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from convlessons.server import CONNECTION_CLASS

REPO_ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = REPO_ROOT / "jupyter" / "overrides.json"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
ARTIFACTS = REPO_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
EXPLORER_NOTEBOOK = "03_parameters.ipynb"  # its first explorer shows every control

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 1000}
MAX_SCREENSHOT_HEIGHT = 16000  # chromium cannot capture taller pages in one image

TEST_USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "scrollPastEnd": False},
}

SERVER_START_TIMEOUT_S = 60.0
RUN_ALL_TIMEOUT_MS = 180_000
WIDGETS_TIMEOUT_MS = 30_000
UPDATE_TIMEOUT_MS = 10_000


def notebook_paths() -> list[Path]:
    """The course notebooks, ``notebooks/*.ipynb``, sorted by name."""
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (to prove a test left a notebook untouched)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- JupyterLab server


@dataclass
class LabServer:
    """A running JupyterLab: its base URL, root directory, process and log file."""

    url: str
    root_dir: Path
    process: subprocess.Popen
    log_path: Path

    def get_json(self, path: str) -> dict:
        """GET ``<url>/<path>`` and decode the JSON answer."""
        with urllib.request.urlopen(f"{self.url}/{path.lstrip('/')}", timeout=10) as response:
            return json.load(response)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_settings(app_settings: Path, user_settings: Path) -> None:
    app_settings.mkdir(parents=True)
    shutil.copy(OVERRIDES, app_settings / "overrides.json")
    for plugin, values in TEST_USER_SETTINGS.items():
        target = user_settings / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values), encoding="utf-8")


def _wait_until_ready(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with code {process.returncode}; log:\n{log_path.read_text()}"
            )
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"JupyterLab did not answer /api/status in {SERVER_START_TIMEOUT_S} s")


def _stop(server: LabServer) -> None:
    """Shut the server down through its API (which also shuts down its kernels), then make sure."""
    request = urllib.request.Request(f"{server.url}/api/shutdown", method="POST", data=b"")
    try:
        urllib.request.urlopen(request, timeout=10).close()
        server.process.wait(timeout=30)
    except (urllib.error.URLError, ConnectionError, TimeoutError, subprocess.TimeoutExpired):
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def running_lab(root_dir: Path = REPO_ROOT, log_dir: Path = ARTIFACTS) -> Iterator[LabServer]:
    """Start JupyterLab on a free port of 127.0.0.1 with the course settings; stop it on exit.

    Parameters
    ----------
    root_dir
        The directory the server serves (the repository root for the course).
    log_dir
        Where ``jupyter-server.log`` is written.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "jupyter-server.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="convlessons-lab-") as tmp:
        tmp_path = Path(tmp)
        _write_settings(tmp_path / "app-settings", tmp_path / "user-settings")
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
            "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "user-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
            "IPYTHONDIR": str(tmp_path / "ipython"),
        }
        command = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--PasswordIdentityProvider.hashed_password=",
            "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={root_dir}",
            f"--LabApp.app_settings_dir={tmp_path / 'app-settings'}",
            f"--LabApp.user_settings_dir={tmp_path / 'user-settings'}",
            f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.extension_manager=readonly",
            "--ServerApp.allow_root=True",
            f"--ServerApp.kernel_websocket_connection_class={CONNECTION_CLASS}",
        ]  # fmt: skip
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        server = LabServer(url=url, root_dir=root_dir, process=process, log_path=log_path)
        try:
            _wait_until_ready(url, process, log_path)
            yield server
        finally:
            _stop(server)


# --------------------------------------------------------------------------- browser


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, through Playwright (never a downloaded browser)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------- notebook pages

# True once "Run All" has finished: kernel idle, no cell queued or running, and every non-empty
# code cell has an execution count -- or a cell failed (JupyterLab then stops the run).
_RUN_FINISHED_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  let failed = false, missing = false;
  for (const cell of panel.content.widgets) {
    const model = cell.model;
    if (model.type !== 'code') continue;
    if (model.executionState === 'running') return false;
    if (model.sharedModel.getSource().trim() && model.executionCount === null) missing = true;
    for (let i = 0; i < model.outputs.length; i++) {
      if (model.outputs.get(i).type === 'error') failed = true;
    }
  }
  return failed || !missing;
}
"""

# Everything a person would see as broken: error outputs (from the notebook model, exact),
# stderr output showing a traceback, and widgets that failed to render.
_PROBLEMS_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const problems = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    for (const output of cell.model.outputs.toJSON()) {
      if (output.output_type === 'error') {
        problems.push(`cell ${index}: ${output.ename}: ${output.evalue}`);
      }
    }
  });
  const stderr = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
  for (const node of panel.node.querySelectorAll(stderr)) {
    if (node.textContent.includes('Traceback')) {
      problems.push('traceback on stderr: ' + node.textContent.slice(0, 300));
    }
  }
  for (const node of panel.node.querySelectorAll('.jp-OutputArea-output')) {
    if (node.textContent.includes('Error displaying widget')) {
      problems.push('widget: ' + node.textContent.slice(0, 200));
    }
  }
  return problems;
}
"""

_WIDGETS_RENDERED_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const outputs = panel.node.querySelectorAll('.jp-OutputArea-output');
  return [...outputs].every(node => !node.textContent.includes('Loading widget'));
}
"""

_NOTEBOOK_HEIGHT_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const notebook = panel.content.node;
  const scroller = notebook.querySelector('.jp-WindowedPanel-outer') || notebook;
  scroller.scrollTop = 0;
  return scroller.scrollHeight + (window.innerHeight - scroller.clientHeight);
}
"""

_SHUTDOWN_KERNEL_JS = "() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()"


@dataclass
class ExecutedNotebook:
    """A notebook page after Run All: the page, what looked broken, and its screenshot."""

    name: str
    page: Page
    problems: list[str]
    screenshot: Path


def open_notebook(browser: Browser, server: LabServer, relpath: str) -> Page:
    """Open ``/lab/tree/<relpath>?reset`` in a new page and wait for an idle kernel."""
    page = browser.new_page(viewport=VIEWPORT)
    page.add_init_script(_DRAW_PROBE_JS)
    page.goto(f"{server.url}/lab/tree/{relpath}?reset")
    page.wait_for_function("() => window.jupyterapp?.shell?.currentWidget?.content?.widgets")
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status"
        " === 'idle'"
    )
    return page


def run_all_cells(page: Page) -> None:
    """Run menu → Run All Cells, then wait until the run has finished (or a cell failed)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    page.wait_for_function(_RUN_FINISHED_JS, timeout=RUN_ALL_TIMEOUT_MS, polling=100)


def find_problems(page: Page) -> list[str]:
    """Wait for widgets to finish rendering, then list error outputs and broken widgets."""
    problems: list[str] = []
    try:
        page.wait_for_function(_WIDGETS_RENDERED_JS, timeout=WIDGETS_TIMEOUT_MS, polling=100)
    except PlaywrightTimeout:
        problems.append(f"widgets still 'Loading widget...' after {WIDGETS_TIMEOUT_MS} ms")
    return problems + page.evaluate(_PROBLEMS_JS)


def screenshot_notebook(page: Page, path: Path) -> Path:
    """Save the whole notebook (viewport stretched to its height, capped) as a PNG."""
    height = min(int(page.evaluate(_NOTEBOOK_HEIGHT_JS)), MAX_SCREENSHOT_HEIGHT)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})
    page.wait_for_timeout(500)  # let lumino lay out and widgets redraw at the new size
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)
    return path


def execute_notebook(browser: Browser, server: LabServer, notebook: Path) -> ExecutedNotebook:
    """Open a notebook, run all cells, collect problems and save a screenshot."""
    relpath = notebook.relative_to(server.root_dir).as_posix()
    page = open_notebook(browser, server, relpath)
    run_all_cells(page)
    problems = find_problems(page)
    shot = screenshot_notebook(page, SCREENSHOTS / f"{notebook.stem}.png")
    return ExecutedNotebook(name=notebook.name, page=page, problems=problems, screenshot=shot)


def close_notebook(page: Page) -> None:
    """Shut the notebook's kernel down and close its page (unsaved; autosave is off)."""
    page.evaluate(_SHUTDOWN_KERNEL_JS)
    page.close()


# --------------------------------------------------------------------------- timing in the page

# Installed in every notebook page before it loads. Timestamps, taken in the page and never by
# polling it: `arm(canvas)`, then the first keydown or click gives `event` (its timeStamp), and
# the first draw on that canvas after it (drawImage / putImageData: ipympl's figure; strokeRect:
# the stepper's overlay) gives `drawn`, and the animation frame that shows it `frame`.
# `record(canvas)` keeps the time of every draw on a canvas (one per burst), for play's rate.
_DRAW_PROBE_JS = """
(() => {
  const probe = { waiter: null, recording: null };
  window.__convlessonsProbe = probe;
  probe.arm = (canvas) => {
    const waiter = { canvas, event: null, drawn: null };
    waiter.done = new Promise((resolve) => { waiter.resolve = resolve; });
    probe.waiter = waiter;
  };
  probe.wait = (ms) => Promise.race([
    probe.waiter.done, new Promise((resolve) => setTimeout(() => resolve(null), ms))]);
  probe.record = (canvas) => { probe.recording = { canvas, times: [] }; };
  for (const type of ["keydown", "click"]) {
    window.addEventListener(type, (event) => {
      const waiter = probe.waiter;
      if (waiter && waiter.event === null) waiter.event = event.timeStamp;
    }, { capture: true });
  }
  const context = CanvasRenderingContext2D.prototype;
  for (const name of ["drawImage", "putImageData", "strokeRect"]) {
    const original = context[name];
    context[name] = function (...args) {
      const now = performance.now();
      const waiter = probe.waiter;
      if (waiter?.event != null && waiter.drawn === null && this.canvas === waiter.canvas) {
        waiter.drawn = now;
        requestAnimationFrame(() => waiter.resolve(
          { event: waiter.event, drawn: waiter.drawn, frame: performance.now() }));
      }
      const recording = probe.recording;
      if (recording && this.canvas === recording.canvas
          && !(now - recording.times.at(-1) < 1)) recording.times.push(now);
      return original.apply(this, args);
    };
  }
})();
"""

# Sets the fastest play speed, presses play and resolves, when play stops at the last position,
# with the times of the overlay's draws meanwhile.
_PLAY_JS = """
async ([stepper, overlay]) => {
  const speed = stepper.querySelector(".convlessons-speed");
  const fastest = [...speed.options].map((option) => Number(option.value)).sort((a, b) => a - b)[0];
  speed.value = String(fastest);
  speed.dispatchEvent(new Event("change"));
  const previous = stepper.querySelector(".convlessons-previous");
  while (!previous.disabled) previous.click(); // from the first position
  const play = stepper.querySelector(".convlessons-play");
  window.__convlessonsProbe.record(overlay);
  const stopped = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (play.textContent.includes("play")) { observer.disconnect(); resolve(); }
    });
    observer.observe(play, { childList: true, characterData: true, subtree: true });
  });
  play.click();
  await stopped;
  return { times: window.__convlessonsProbe.recording.times, interval: fastest };
}
"""

# Runs `code` in the notebook's kernel; resolves with what it printed (stdout) and the ms from
# the request to the reply.
_KERNEL_PRINT_JS = """
async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const start = performance.now();
  const future = kernel.requestExecute({ code, silent: false, store_history: false });
  let printed = "";
  future.onIOPub = (message) => {
    if (message.header.msg_type === "stream") printed += message.content.text;
  };
  await future.done;
  return { printed, ms: performance.now() - start };
}
"""


@dataclass
class Timing:
    """Milliseconds from an input event to the first draw on a canvas, and to its frame."""

    draw_ms: float
    frame_ms: float


def time_to_draw(page: Page, canvas: ElementHandle, act: Callable[[], None],
                 timeout_ms: float = UPDATE_TIMEOUT_MS) -> Timing:
    """Arm the page's probe on ``canvas``, run ``act`` (a key press, a click), time it.

    Raises
    ------
    TimeoutError
        If ``canvas`` is not drawn on within ``timeout_ms`` of the event.
    """
    page.evaluate("(canvas) => window.__convlessonsProbe.arm(canvas)", canvas)
    act()
    times = page.evaluate("(ms) => window.__convlessonsProbe.wait(ms)", timeout_ms)
    if times is None:
        raise TimeoutError(f"no draw on the canvas within {timeout_ms:.0f} ms of the event")
    return Timing(draw_ms=times["drawn"] - times["event"], frame_ms=times["frame"] - times["event"])


def kernel_print(page: Page, code: str) -> str:
    """Run ``code`` in the page's notebook kernel; what it printed."""
    return page.evaluate(_KERNEL_PRINT_JS, code)["printed"]


def kernel_round_trip_ms(page: Page, runs: int = 5) -> list[float]:
    """Ms from an execute request (``pass``) to its reply, timed in the page: the network's
    round trip plus the kernel's fixed cost."""
    return [page.evaluate(_KERNEL_PRINT_JS, "pass")["ms"] for _ in range(runs)]


@contextmanager
def emulated_latency(page: Page, latency_ms: float) -> Iterator[None]:
    """Chrome DevTools' network emulation on ``page``: ``latency_ms`` added, no bandwidth cap.

    ``Network.emulateNetworkConditions`` through a CDP session; restored on exit. It delays
    HTTP requests but **not WebSocket frames** (Debian's chromium 150: a kernel round trip
    through the notebook's WebSocket takes as long with ``latency=100`` as without, even
    with the socket opened under the emulation), so it leaves every kernel message alone;
    :class:`DelayingProxy` delays those.
    """
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    conditions = {"offline": False, "downloadThroughput": -1, "uploadThroughput": -1}
    session.send("Network.emulateNetworkConditions", {**conditions, "latency": latency_ms})
    try:
        yield
    finally:
        session.send("Network.emulateNetworkConditions", {**conditions, "latency": 0})
        session.detach()


class DelayingProxy:
    """A TCP proxy in front of the Jupyter server that delays every chunk, both ways.

    A page opened through :attr:`url` reaches the server (HTTP and the kernel's WebSocket)
    through it; with ``latency_ms`` set, each chunk is delivered ``latency_ms / 2`` after it
    arrived, in each direction, in order -- a round trip takes ``latency_ms`` longer, as on
    a network with that round-trip time (and, unlike Chrome's emulation, for WebSocket
    frames too). Chunks are pipelined: the delay adds latency, not a bandwidth limit.
    Runs an asyncio loop in a daemon thread; use it as a context manager.
    """

    def __init__(self, server: LabServer) -> None:
        self.target_port = int(server.url.rsplit(":", 1)[1])
        self.latency_ms = 0.0
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._writers: set[asyncio.StreamWriter] = set()  # both ends of every connection

    def __enter__(self) -> DelayingProxy:
        self._thread.start()
        listener = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connect, "127.0.0.1", 0), self._loop).result(timeout=10)
        self._listener = listener
        self.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
        return self

    def __exit__(self, *_exc: object) -> None:
        async def stop() -> None:
            self._listener.close()
            for writer in self._writers:  # both peers see the connection end
                writer.close()
            for task in asyncio.all_tasks() - {asyncio.current_task()}:
                task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    @contextmanager
    def latency(self, latency_ms: float) -> Iterator[None]:
        """Within the block, add ``latency_ms`` to every round trip."""
        self.latency_ms = latency_ms
        try:
            yield
        finally:
            self.latency_ms = 0.0

    async def _connect(self, client_reader: asyncio.StreamReader,
                       client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1",
                                                                     self.target_port)
        self._writers |= {client_writer, server_writer}
        await asyncio.gather(self._pipe(client_reader, server_writer),
                             self._pipe(server_reader, client_writer),
                             return_exceptions=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy ``reader`` to ``writer``, each chunk held until it is due."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver() -> None:
            while (item := await queue.get()) is not None:
                due, chunk = item
                await asyncio.sleep(max(0.0, due - loop.time()))
                writer.write(chunk)
                await writer.drain()
            writer.close()

        delivering = asyncio.ensure_future(deliver())
        try:
            while chunk := await reader.read(65536):
                queue.put_nowait((loop.time() + self.latency_ms / 2000, chunk))
        finally:
            queue.put_nowait(None)
            await delivering


# --------------------------------------------------------------------------- explorer widget


@dataclass
class Explorer:
    """Locators for the first ConvExplorer on a page (CSS hooks set by the widget itself)."""

    root: Locator
    figure: Locator
    formula: Locator
    position: Locator
    stepper: Locator

    @classmethod
    def first_on(cls, page: Page) -> Explorer:
        """The first ``.convlessons-explorer``, waiting for its figure and its overlay."""
        root = page.locator(".convlessons-explorer").first
        root.scroll_into_view_if_needed()
        explorer = cls(
            root=root,
            figure=root.locator(".convlessons-figure").first,
            formula=root.locator(".convlessons-formula").first,
            position=root.locator(".convlessons-position").first,
            stepper=root.locator(".convlessons-stepper").first,
        )
        explorer.canvas.wait_for()
        explorer.overlay.wait_for(state="attached")
        return explorer

    @property
    def page(self) -> Page:
        return self.root.page

    @property
    def canvas(self) -> Locator:
        """ipympl's canvas of the figure (the first of its container; the overlay is the last)."""
        return self.figure.locator(".jupyter-matplotlib-canvas-div > canvas").first

    @property
    def overlay(self) -> Locator:
        """The stepper's canvas over the figure, where the highlight is drawn."""
        return self.figure.locator(".convlessons-stepper-overlay").first

    def button(self, name: str) -> Locator:
        """The stepper's ``previous``, ``play`` or ``next`` button."""
        return self.stepper.locator(f".convlessons-{name}")

    def slider_handle(self, label: str) -> Locator:
        """The keyboard-focusable handle of the first slider whose label reads ``label``."""
        label_re = re.compile(rf"^\s*{re.escape(label)}\s*:?\s*$", re.IGNORECASE)
        slider = self.root.locator(
            ".widget-slider", has=self.page.locator(".widget-label", has_text=label_re)
        ).first
        return slider.locator(".noUi-handle").first

    def press_and_time_figure(self, handle: Locator, key: str) -> Timing:
        """Press ``key`` on a slider handle: keydown → ipympl's next draw of the figure."""
        return time_to_draw(self.page, self.canvas.element_handle(), lambda: handle.press(key))

    def click_and_time_overlay(self, button: Locator) -> Timing:
        """Click a stepper button: click → the overlay's next draw."""
        return time_to_draw(self.page, self.overlay.element_handle(), button.click)

    def play_steps_per_second(self) -> tuple[float, int]:
        """Play from the start at the fastest speed: (steps per second drawn, steps)."""
        played = self.page.evaluate(
            _PLAY_JS, [self.stepper.element_handle(), self.overlay.element_handle()])
        times = played["times"]
        return (len(times) - 1) / (times[-1] - times[0]) * 1000, len(times) - 1

    def click_output_cell(self) -> str:
        """Click points of the figure (right to left) until the position text changes.

        Returns the new position text. The explorer draws the output grid somewhere in the
        figure; scanning finds it without knowing the layout.
        """
        page = self.page
        text_before = self.position.inner_text()
        box = self.canvas.bounding_box()
        assert box is not None, "figure canvas is not visible"
        for fx in (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1):
            for fy in (0.5, 0.35, 0.65, 0.2, 0.8):
                page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                if self.position.inner_text() != text_before:  # the page answers at once
                    return self.position.inner_text()
        raise AssertionError(f"no click on the figure changed the position text {text_before!r}")


def arrow_keys(handle: Locator) -> tuple[str, str]:
    """(away, back): the arrow that moves a slider handle off its current end, then the other."""
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    return ("ArrowLeft", "ArrowRight") if at_max else ("ArrowRight", "ArrowLeft")


SETTLE_MS = 300
"""Pause between timed presses, so that no frame of the previous one is still on its way."""


def stride_latency(explorer: Explorer, presses: int = 10) -> list[Timing]:
    """Key press → redrawn figure, for ``presses`` alternating arrow keys on the stride slider."""
    handle = explorer.slider_handle("stride")
    handle.focus()
    keys = arrow_keys(handle)
    timings = []
    for i in range(presses):
        timings.append(explorer.press_and_time_figure(handle, keys[i % 2]))
        explorer.page.wait_for_timeout(SETTLE_MS)
    return timings


def step_latency(explorer: Explorer, clicks: int = 10) -> list[Timing]:
    """Click on next ▶ / ◀ previous (alternating) → the overlay's redraw."""
    timings = []
    for i in range(clicks):
        timings.append(explorer.click_and_time_overlay(
            explorer.button("previous" if i % 2 else "next")))
        explorer.page.wait_for_timeout(SETTLE_MS // 3)
    return timings


def summarize_ms(samples: list[float]) -> str:
    """``median x ms, p95 y ms (min z, max w, n=k)``."""
    p95 = quantiles(samples, n=20, method="inclusive")[-1] if len(samples) > 1 else samples[0]
    return (
        f"median {median(samples):.1f} ms, p95 {p95:.1f} ms (min {min(samples):.1f}, "
        f"max {max(samples):.1f}, n={len(samples)})"
    )
