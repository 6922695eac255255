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
"""

from __future__ import annotations

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
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from playwright.sync_api import Browser, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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


# --------------------------------------------------------------------------- explorer widget

# A cheap fingerprint of everything drawn on the figure's canvases (FNV-1a over the pixels).
_CANVAS_HASH_JS = """
(figure) => {
  let hash = 2166136261;
  for (const canvas of figure.querySelectorAll('canvas')) {
    if (!canvas.width || !canvas.height) continue;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const words = new Uint32Array(data.buffer);
    for (let i = 0; i < words.length; i++) hash = Math.imul(hash ^ words[i], 16777619) >>> 0;
  }
  return hash;
}
"""

_MARK_KEYDOWN_JS = """
(handle) => {
  window.__convlessonsKeyTime = null;
  handle.addEventListener('keydown', () => { window.__convlessonsKeyTime = performance.now(); },
                          {capture: true, once: true});
}
"""

# Resolves (and records the time) once the canvases' fingerprint differs from `before`.
_CANVAS_CHANGED_JS = (
    "([figure, before]) => { const h = ("
    + _CANVAS_HASH_JS
    + ")(figure); if (h !== before) { window.__convlessonsDrawTime = performance.now(); "
    "return true; } return false; }"
)


@dataclass
class Explorer:
    """Locators for the first ConvExplorer on a page (CSS hooks set by the widget itself)."""

    root: Locator
    figure: Locator
    formula: Locator
    position: Locator

    @classmethod
    def first_on(cls, page: Page) -> Explorer:
        """The first ``.convlessons-explorer``, waiting for its figure to be drawn."""
        root = page.locator(".convlessons-explorer").first
        root.scroll_into_view_if_needed()
        explorer = cls(
            root=root,
            figure=root.locator(".convlessons-figure").first,
            formula=root.locator(".convlessons-formula").first,
            position=root.locator(".convlessons-position").first,
        )
        explorer.figure.locator("canvas").first.wait_for()
        return explorer

    def slider_handle(self, label: str) -> Locator:
        """The keyboard-focusable handle of the first slider whose label reads ``label``."""
        label_re = re.compile(rf"^\s*{re.escape(label)}\s*:?\s*$", re.IGNORECASE)
        slider = self.root.locator(
            ".widget-slider", has=self.root.page.locator(".widget-label", has_text=label_re)
        ).first
        return slider.locator(".noUi-handle").first

    def figure_hash(self) -> int:
        """Fingerprint of the figure's pixels."""
        return self.figure.evaluate(_CANVAS_HASH_JS)

    def wait_for_figure_change(self, before: int) -> None:
        """Wait until the figure's fingerprint differs from ``before`` (Playwright timeout)."""
        self.root.page.wait_for_function(
            _CANVAS_CHANGED_JS,
            arg=[self.figure.element_handle(), before],
            timeout=UPDATE_TIMEOUT_MS,
            polling=5,
        )

    def press_and_wait_for_figure(self, handle: Locator, key: str) -> float:
        """Press ``key`` on a slider handle; return ms from the keydown to the redrawn figure."""
        before = self.figure_hash()
        handle.evaluate(_MARK_KEYDOWN_JS)
        handle.press(key)
        self.wait_for_figure_change(before)
        return self.root.page.evaluate(
            "() => window.__convlessonsDrawTime - window.__convlessonsKeyTime"
        )

    def click_output_cell(self) -> str:
        """Click points of the figure (right to left) until the position text changes.

        Returns the new position text. The explorer draws the output grid somewhere in the
        figure; scanning finds it without knowing the layout.
        """
        page = self.root.page
        text_before = self.position.inner_text()
        box = self.figure.locator("canvas").first.bounding_box()
        assert box is not None, "figure canvas is not visible"
        for fx in (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1):
            for fy in (0.5, 0.35, 0.65, 0.2, 0.8):
                page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                try:
                    page.wait_for_function(
                        "([node, before]) => node.innerText !== before",
                        arg=[self.position.element_handle(), text_before],
                        timeout=600,
                        polling=20,
                    )
                except PlaywrightTimeout:
                    continue
                return self.position.inner_text()
        raise AssertionError(f"no click on the figure changed the position text {text_before!r}")


def arrow_keys(handle: Locator) -> tuple[str, str]:
    """(away, back): the arrow that moves a slider handle off its current end, then the other."""
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    return ("ArrowLeft", "ArrowRight") if at_max else ("ArrowRight", "ArrowLeft")


def stride_latency_ms(explorer: Explorer, presses: int = 10) -> list[float]:
    """Key press → redrawn figure, for ``presses`` alternating arrow keys on the stride slider."""
    handle = explorer.slider_handle("stride")
    handle.focus()
    keys = arrow_keys(handle)
    return [explorer.press_and_wait_for_figure(handle, keys[i % 2]) for i in range(presses)]


def summarize_ms(samples: list[float]) -> str:
    """``median x ms (min y, max z, n=k)``."""
    return (
        f"median {median(samples):.0f} ms (min {min(samples):.0f}, "
        f"max {max(samples):.0f}, n={len(samples)})"
    )
