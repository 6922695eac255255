"""The page-side stepper of the ConvExplorer, headless: what Python sends and keeps in step.

The page itself (buttons, overlay, clicks) is driven in ``tests/test_browser.py``.
"""

import importlib.resources
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from convlessons.widgets._stepper import HighlightStepper, StepText
from convlessons.widgets.explorer import ConvExplorer

ROOT = Path(__file__).resolve().parents[2]


def pixel_box(axes, x0, y0, x1, y1):
    """``[x, y, w, h]`` from the top-left of the figure, straight from matplotlib: the
    rectangle a fresh Agg rendering draws for data box ``(x0, y0)–(x1, y1)``."""
    axes.figure.canvas.draw()  # fixes the box of the equal-aspect axes as a rendering does
    (left, bottom), (right, top) = np.sort(
        axes.transData.transform([(x0, y0), (x1, y1)]), axis=0)
    return [left, axes.figure.bbox.height - top, right - left, top - bottom]


def test_the_steps_sent_outline_what_matplotlib_draws_for_each_position():
    explorer = ConvExplorer(kernel="sobel_x", stride=2, padding=1, dilation=2)
    steps = explorer.position.steps
    assert len(steps) == explorer.output.size == 9
    assert explorer.position.figure_size == list(explorer.figure_panel.figure.bbox.size)
    step = steps[5]  # output (1, 2): window rows 1–5, cols 3–7, taps every 2nd pixel
    outlines = np.array(step["outlines"])
    assert list(outlines[:, 0]) == [0] + [1] * 9 + [2]  # window, 9 taps, output cell
    window = pixel_box(explorer.input_axes, 2.5, 0.5, 7.5, 5.5)
    np.testing.assert_allclose(outlines[0, 1:], window, atol=0.01)
    tap = pixel_box(explorer.input_axes, 3 - 0.32, 1 - 0.32, 3 + 0.32, 1 + 0.32)
    np.testing.assert_allclose(outlines[1, 1:], tap, atol=0.01)
    cell = pixel_box(explorer.output_axes, 1.5, 0.5, 2.5, 1.5)
    np.testing.assert_allclose(outlines[-1, 1:], cell, atol=0.01)
    np.testing.assert_allclose(step["target"], cell, atol=0.01)
    assert step["texts"]["position"].startswith("output (1, 2) ← window at rows 1–5")


def test_the_styles_are_those_of_the_pictures_highlight():
    explorer = ConvExplorer()
    window, tap, cell = explorer.position.styles
    assert window == {"color": "#e69f00", "width": 2.5} and cell == window  # points
    assert tap == {"color": "#e69f00", "width": 1.5}
    assert explorer.position.pixels_per_point == 80 / 72


def sent_states(widget, monkeypatch) -> list[dict]:
    """The states ``widget`` sends to the page from now on (one entry per message)."""
    sent = []
    monkeypatch.setattr(widget, "_send", lambda message, buffers=None: sent.append(
        message["state"]))
    return sent


def test_the_page_setting_the_position_updates_python_and_code_setting_it_reaches_the_page(
        monkeypatch):
    explorer = ConvExplorer(size=9)
    stepper = explorer.position
    stepper.set_state({"value": 7})  # what a message from the page does
    assert explorer.position.value == 7
    assert explorer.position_label.value == stepper.steps[7]["texts"]["position"]
    assert explorer.position_label.value.startswith("output (1, 0)")
    assert explorer.sum_html.value == stepper.steps[7]["texts"]["sum"]
    sent = sent_states(stepper, monkeypatch)
    explorer.position.value = 12  # code moves the page's highlight
    assert sent == [{"value": 12}]


def test_a_settings_change_resends_every_position_in_one_message(monkeypatch):
    explorer = ConvExplorer(size=9)
    explorer.position.value = 40
    states = sent_states(explorer.position, monkeypatch)
    explorer.stride.value = 2  # 4 × 4 outputs: the position is clamped to 15
    assert len(states) == 1
    assert states[0]["max"] == 15 and states[0]["value"] == 15 and len(states[0]["steps"]) == 16


def test_a_zoom_resends_the_boxes():
    explorer = ConvExplorer()
    before = explorer.position.steps[0]["outlines"][0]
    explorer.input_axes.set_xlim(-0.5, 3.5)  # what the toolbar's zoom does
    explorer.input_axes.set_ylim(3.5, -0.5)
    after = explorer.position.steps[0]["outlines"][0]
    assert after[3] > before[3]  # the window box is wider on the screen


def test_no_output_hides_the_overlay_and_the_next_valid_setting_brings_it_back():
    explorer = ConvExplorer(kernel="gaussian_blur_5x5", size=5)
    explorer.dilation.value = 3
    assert explorer.position.steps == [] and explorer.position.value == 0
    assert explorer.position.idle_texts["position"] == "no output for these settings"
    explorer.dilation.value = 1
    assert len(explorer.position.steps) == 1 and explorer.position.idle_texts == {}


def test_a_step_renders_nothing_and_asks_for_no_redraw(monkeypatch):
    explorer = ConvExplorer()
    calls = {"redraw": 0, "draw": 0}
    panel = explorer.figure_panel
    monkeypatch.setattr(panel, "redraw", lambda: calls.__setitem__("redraw", calls["redraw"] + 1))
    draw = panel.canvas.draw
    monkeypatch.setattr(panel.canvas, "draw",
                        lambda: (calls.__setitem__("draw", calls["draw"] + 1), draw())[1])
    for position in range(explorer.output.size):
        explorer.position.set_state({"value": position})
    explorer.select_output_cell(3, 3)
    assert calls == {"redraw": 0, "draw": 0}
    assert not panel.figure.stale or panel.figure.stale_callback is None
    explorer.stride.value = 2
    assert calls["redraw"] == 1


def test_the_page_finds_its_figure_by_a_class_made_for_it():
    explorer = ConvExplorer()
    figure_class = explorer.position.figure_class
    assert figure_class in explorer.figure_panel.widget._dom_classes
    assert figure_class != ConvExplorer().position.figure_class


def test_step_text_follows_its_stepper():
    from ipywidgets import Button

    stepper = HighlightStepper(Button(), styles=[{"color": "#000000", "width": 1.0}])
    text = StepText(stepper, "sum")
    stepper.set_steps([{"outlines": [], "target": [0, 0, 1, 1], "texts": {"sum": f"<b>{i}</b>"}}
                       for i in range(3)], Figure(figsize=(1, 1), dpi=10))
    stepper.value = 2
    assert text.value == "<b>2</b>"
    stepper.clear({"sum": "none"})
    assert stepper.value == 0 and text.value == "none"


def test_the_page_code_ships_with_the_package():
    widgets = importlib.resources.files("convlessons.widgets")
    for name in ("_stepper.js", "_step_text.js", "_stepper.css"):
        assert widgets.joinpath(name).is_file(), name
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["convlessons.widgets"]
    for path in Path(str(widgets)).iterdir():
        if path.suffix in (".js", ".css"):
            assert any(fnmatch(path.name, pattern) for pattern in patterns), path.name
    for widget in (HighlightStepper, StepText):
        assert str(widget._esm).strip().endswith("export default { render };")


def test_play_speed_is_one_the_page_offers():
    from ipywidgets import Button

    assert HighlightStepper(Button(), styles=[], speed=25).interval_ms == 40
    with pytest.raises(ValueError, match="speed must be one of"):
        HighlightStepper(Button(), styles=[], speed=3)
