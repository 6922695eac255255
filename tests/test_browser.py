"""The course as a person sees it: JupyterLab in Debian's chromium, driven by Playwright.

One JupyterLab server and one browser serve the whole module (see ``devtools.browser``); each
notebook gets its own page. Every ``notebooks/*.ipynb`` is run with Run → Run All Cells and must
show no error output and no broken widget; a screenshot of each is saved under
``test-artifacts/screenshots/``. The ConvExplorer in ``03_parameters.ipynb`` is driven
with the keyboard and the mouse: a slider redraws the figure (through the kernel), a step
or a click on an output cell redraws the highlight in the page and Python's position
follows; the key-press → redrawn-figure and click → redrawn-highlight latencies are
reported (timestamps taken in the page, ``devtools.browser.time_to_draw``).
"""

from __future__ import annotations

import json
import re
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import jsonschema
import pytest
from playwright.sync_api import Browser, expect

from devtools.browser import (
    ARTIFACTS,
    EXPLORER_NOTEBOOK,
    NOTEBOOK_DIR,
    OVERRIDES,
    SCREENSHOTS,
    DelayingProxy,
    ExecutedNotebook,
    Explorer,
    LabServer,
    arrow_keys,
    chromium,
    close_notebook,
    execute_notebook,
    file_digest,
    kernel_print,
    notebook_paths,
    running_lab,
    step_latency,
    stride_latency,
    summarize_ms,
    time_to_draw,
)

COURSE_SETTINGS = json.loads(OVERRIDES.read_text(encoding="utf-8"))
CHANNELS_NOTEBOOK = "02_why_convolution.ipynb"
WELCOME_NOTEBOOK = "00_welcome.ipynb"
# their pages are reused by the widget tests below
KEPT_OPEN = (EXPLORER_NOTEBOOK, CHANNELS_NOTEBOOK, WELCOME_NOTEBOOK)
LATENCY_REPORT = ARTIFACTS / "browser-latency.txt"


@pytest.fixture(scope="module")
def lab() -> Iterator[LabServer]:
    with running_lab() as server:
        yield server
    assert server.process.returncode is not None, "JupyterLab is still running"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def executed(lab: LabServer, browser: Browser) -> Iterator[dict[str, ExecutedNotebook]]:
    """Notebooks already run in this module, by file name (the explorer test reuses its page)."""
    pages: dict[str, ExecutedNotebook] = {}
    yield pages
    for notebook in pages.values():
        close_notebook(notebook.page)


def run_once(
    executed: dict[str, ExecutedNotebook], lab: LabServer, browser: Browser, notebook: Path
) -> ExecutedNotebook:
    """Run a notebook in the browser unless this module already did."""
    if notebook.name not in executed:
        executed[notebook.name] = execute_notebook(browser, lab, notebook)
    return executed[notebook.name]


# --------------------------------------------------------------------------- course settings


@pytest.mark.parametrize(
    ("plugin", "key"),
    [(plugin, key) for plugin, values in COURSE_SETTINGS.items() for key in values],
)
def test_course_setting_is_valid_and_effective(lab: LabServer, plugin: str, key: str) -> None:
    """Each key of jupyter/overrides.json exists in the installed schema, is valid, and is used.

    The server answers with the plugin's schema, whose defaults JupyterLab has replaced by the
    overrides it found; the (temporary, empty) user settings then leave them in effect.
    """
    served = lab.get_json(f"lab/api/settings/{quote(plugin)}")
    properties = served["schema"].get("properties", {})
    assert key in properties, f"{plugin} has no setting {key!r}; it has {sorted(properties)}"
    value = COURSE_SETTINGS[plugin][key]
    schema = {**properties[key], "definitions": served["schema"].get("definitions", {})}
    jsonschema.validate(value, schema)
    assert properties[key].get("default") == value, f"{plugin}:{key} not in effect on the server"
    assert key not in served["settings"], f"user settings override {plugin}:{key}"


# --------------------------------------------------------------------------- every notebook


@pytest.mark.parametrize(
    "notebook",
    notebook_paths() or [pytest.param(None, id="no-notebooks")],
    ids=lambda path: path.name if path else "no-notebooks",
)
def test_notebook_runs_without_errors(
    lab: LabServer,
    browser: Browser,
    executed: dict[str, ExecutedNotebook],
    notebook: Path | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert notebook is not None, f"no notebooks/*.ipynb in {NOTEBOOK_DIR}"
    digest = file_digest(notebook)
    result = run_once(executed, lab, browser, notebook)
    with capsys.disabled():
        print(f"\n  screenshot: {result.screenshot}  (folder {SCREENSHOTS})")
    if notebook.name not in KEPT_OPEN:
        close_notebook(executed.pop(notebook.name).page)
    assert not result.problems, f"{notebook.name} shows errors:\n" + "\n".join(result.problems)
    assert file_digest(notebook) == digest, f"running {notebook.name} modified the file"


# --------------------------------------------------------------------------- latency proxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True  # closing the server never waits for a connection still open
    block_on_close = False


def test_delaying_proxy_adds_its_latency_to_every_round_trip_and_keeps_the_bytes() -> None:
    """What bench_browser's latency rows rely on (Chrome's emulation leaves WebSockets alone)."""
    with _EchoServer(("127.0.0.1", 0), _Echo) as echo:
        threading.Thread(target=echo.serve_forever, daemon=True).start()
        target = LabServer(url=f"http://127.0.0.1:{echo.server_address[1]}", root_dir=Path(),
                           process=None, log_path=Path())
        with DelayingProxy(target) as proxy:
            host, port = proxy.url.removeprefix("http://").split(":")
            with socket.create_connection((host, int(port)), timeout=30) as connection:

                def round_trip(payload: bytes) -> tuple[float, bytes]:
                    start = time.perf_counter()
                    connection.sendall(payload)
                    received = b""
                    while len(received) < len(payload):
                        chunk = connection.recv(65536)
                        assert chunk, "the proxy closed the connection"
                        received += chunk
                    return (time.perf_counter() - start) * 1000, received

                plain, _ = round_trip(b"x")
                with proxy.latency(200):
                    delayed, _ = round_trip(b"x")
                    payload = bytes(range(256)) * 4096  # 1 MiB, many chunks
                    _, echoed = round_trip(payload)
        echo.shutdown()
    assert plain < 150 and delayed >= 200, (plain, delayed)
    assert echoed == payload


# --------------------------------------------------------------------------- the explorer


@pytest.fixture(scope="module")
def explorer(lab: LabServer, browser: Browser, executed: dict[str, ExecutedNotebook]) -> Explorer:
    notebook = NOTEBOOK_DIR / EXPLORER_NOTEBOOK
    assert notebook.exists(), f"{notebook} does not exist yet"
    result = run_once(executed, lab, browser, notebook)
    assert not result.problems, "\n".join(result.problems)
    return Explorer.first_on(result.page)


def python_position(explorer: Explorer) -> tuple[int, str]:
    """The first explorer's position and position text, as the kernel has them."""
    printed = kernel_print(explorer.page, "import html\nprint(explorer.position.value)\n"
                                          "print(html.unescape(explorer.position_label.value))")
    value, text = printed.rstrip("\n").split("\n", 1)
    return int(value), text


def test_stride_slider_redraws_figure_and_formula(explorer: Explorer) -> None:
    handle = explorer.slider_handle("stride")
    value, formula = handle.get_attribute("aria-valuenow"), explorer.formula.inner_text()
    handle.focus()
    try:
        explorer.press_and_time_figure(handle, arrow_keys(handle)[0])
    except TimeoutError:
        pytest.fail("moving the stride slider with the keyboard did not redraw the figure")
    expect(handle).not_to_have_attribute("aria-valuenow", value)
    expect(explorer.formula).not_to_have_text(formula)


def test_next_moves_the_highlight_in_the_page_and_python_follows(explorer: Explorer) -> None:
    kernel_print(explorer.page, "explorer.position.value = 0")  # code moves the page's too
    expect(explorer.stepper.locator(".convlessons-counter")).to_have_text(re.compile(r"^1 / "))
    text = explorer.position.inner_text()
    try:
        explorer.click_and_time_overlay(explorer.button("next"))
    except TimeoutError:
        pytest.fail("next ▶ did not redraw the highlight")
    expect(explorer.position).not_to_have_text(text)
    expect(explorer.stepper.locator(".convlessons-counter")).to_have_text(re.compile(r"^2 / "))
    assert python_position(explorer) == (1, explorer.position.inner_text())


def test_click_on_output_cell_moves_highlight_and_python_follows(explorer: Explorer) -> None:
    position = explorer.position.inner_text()
    try:
        time_to_draw(explorer.page, explorer.overlay.element_handle(), explorer.click_output_cell)
    except TimeoutError:
        pytest.fail("a click on the figure did not redraw the highlight")
    new_position = explorer.position.inner_text()
    assert new_position != position
    row, col = map(int, re.match(r"output \((\d+), (\d+)\)", new_position).groups())
    cols = int(kernel_print(explorer.page, "print(explorer.output.shape[1])"))
    assert python_position(explorer) == (row * cols + col, new_position)


def test_latencies_are_reported(explorer: Explorer, capsys: pytest.CaptureFixture[str]) -> None:
    slider = stride_latency(explorer, presses=10)
    steps = step_latency(explorer, clicks=10)
    lines = [f"stride key press -> redrawn figure: {summarize_ms([t.draw_ms for t in slider])}",
             f"step click -> redrawn highlight: {summarize_ms([t.draw_ms for t in steps])}"]
    LATENCY_REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with capsys.disabled():
        print("".join(f"\n  {line}" for line in lines) + f"  (written to {LATENCY_REPORT})")
    assert len(slider) == len(steps) == 10


def test_widget_levels_show_only_what_was_introduced(
    explorer: Explorer, lab: LabServer, browser: Browser, executed: dict[str, ExecutedNotebook]
) -> None:
    """00's explorer shows the window and the sum only; 03's adds stride and the size formula."""
    result = run_once(executed, lab, browser, NOTEBOOK_DIR / WELCOME_NOTEBOOK)
    assert not result.problems, "\n".join(result.problems)
    welcome = Explorer.first_on(result.page)
    expect(welcome.position).to_be_visible()
    expect(welcome.slider_handle("stride")).to_be_hidden()
    expect(welcome.formula).to_be_hidden()
    expect(explorer.slider_handle("stride")).to_be_visible()
    expect(explorer.formula).to_be_visible()
    close_notebook(executed.pop(WELCOME_NOTEBOOK).page)


# --------------------------------------------------------------------------- the channel explorer


def test_channel_explorer_renders_and_steps(
    lab: LabServer, browser: Browser, executed: dict[str, ExecutedNotebook]
) -> None:
    """02's ChannelExplorer shows its figure and its step buttons; next ▶ moves the step."""
    result = run_once(executed, lab, browser, NOTEBOOK_DIR / CHANNELS_NOTEBOOK)
    assert not result.problems, "\n".join(result.problems)
    root = result.page.locator(".convlessons-channels").first
    root.scroll_into_view_if_needed()
    figure = root.locator(".convlessons-channels-figure").first
    canvas = figure.locator(".jupyter-matplotlib-canvas-div > canvas").first
    canvas.wait_for()
    position, written = (root.locator(".convlessons-position").first,
                         root.locator(".convlessons-sum").first)
    next_button = root.locator(".convlessons-next").first
    expect(figure).to_be_visible()
    expect(next_button).to_be_visible()
    shown, sum_shown = position.inner_text(), written.inner_text()
    try:
        time_to_draw(result.page, canvas.element_handle(), next_button.click)
    except TimeoutError:
        pytest.fail("next ▶ did not redraw the ChannelExplorer's figure")
    expect(position).not_to_have_text(shown)
    expect(written).not_to_have_text(sum_shown)
    close_notebook(executed.pop(CHANNELS_NOTEBOOK).page)
