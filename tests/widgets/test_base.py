"""The widget contract, for every lesson widget: one model call and one redraw per control
change, errors shown (never raised) and recovered from, and a display bundle with a PNG."""

from __future__ import annotations

import base64
import importlib
import inspect
import io
import pkgutil

import ipywidgets as widgets
import numpy as np
import pytest
import torch
from ipympl_page import FakePage
from IPython.core.formatters import DisplayFormatter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imread

import convlessons.widgets
from convlessons.models import SmallCNN
from convlessons.widgets._base import FigurePanel, LessonWidget, _stacked
from convlessons.widgets._controls import KernelPicker

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _feature_maps():
    _ = torch.manual_seed(0)
    return convlessons.widgets.FeatureMapViewer(SmallCNN().eval(), np.zeros((28, 28)))


# How to build each widget small, and the model functions (module, name) its view calls.
WIDGETS = {
    "ChannelExplorer": (lambda: convlessons.widgets.ChannelExplorer(),
                        [("channels", "channel_conv")]),
    "ConvCostExplorer": (lambda: convlessons.widgets.ConvCostExplorer(in_channels=8,
                                                                      out_channels=16),
                         [("cost", "conv_cost")]),
    "ConvExplorer": (lambda: convlessons.widgets.ConvExplorer(), [("explorer", "explore")]),
    "FeatureMapViewer": (_feature_maps, [("feature_maps", "capture_activations")]),
    "Im2colViewer": (lambda: convlessons.widgets.Im2colViewer(), [("im2col", "im2col_product")]),
    "KernelPlayground": (lambda: convlessons.widgets.KernelPlayground(size=32),
                         [("playground", "filter_photo"), ("playground", "sobel_gradients")]),
    "PoolingExplorer": (lambda: importlib.import_module("convlessons.widgets.pooling")
                        .PoolingExplorer(),
                        [("pooling", "pooling")]),
    "ReceptiveFieldExplorer": (lambda: convlessons.widgets.ReceptiveFieldExplorer(
        "3 × conv3×3", input_size=16), [("receptive_field", "effective_receptive_field")]),
    "TransposedConvExplorer": (lambda: convlessons.widgets.TransposedConvExplorer(),
                               [("transposed", "transposed_conv")]),
}

CHANGES_ONLY_REDRAW = {"FeatureMapViewer"}
"""Widgets whose model runs once up front (a forward pass); a control change only redraws."""


def test_every_widget_is_covered():
    found = set()
    for module_info in pkgutil.iter_modules(convlessons.widgets.__path__):
        module = importlib.import_module(f"convlessons.widgets.{module_info.name}")
        found |= {name for name, value in vars(module).items() if inspect.isclass(value)
                  and issubclass(value, LessonWidget) and value is not LessonWidget}
    assert found == set(WIDGETS)


class Counter:
    """Counts the calls of the patched model functions and of every panel's redraw."""

    def __init__(self, widget: LessonWidget, monkeypatch: pytest.MonkeyPatch, models) -> None:
        self.model_calls = self.redraws = 0
        for module_name, function_name in models:
            module = importlib.import_module(f"convlessons.widgets.{module_name}")
            monkeypatch.setattr(module, function_name, self._counted(getattr(module,
                                                                             function_name)))
        for panel in widget.figure_panels:
            monkeypatch.setattr(panel, "redraw", self._redraw)

    def _counted(self, function):
        def counted(*args, **kwargs):
            self.model_calls += 1
            return function(*args, **kwargs)

        return counted

    def _redraw(self) -> None:
        self.redraws += 1

    def reset(self) -> None:
        self.model_calls = self.redraws = 0


def _controls(widget: widgets.Widget):
    """Every enabled control a learner can change, depth first (text boxes excepted)."""
    for child in getattr(widget, "children", ()):
        if isinstance(child, KernelPicker):
            yield child.preset
        elif isinstance(child, widgets.Box):
            yield from _controls(child)
        elif isinstance(child, widgets.ValueWidget) and not isinstance(
                child, widgets.HTML | widgets.Label | widgets.Text | widgets.Textarea):
            if not getattr(child, "disabled", False):
                yield child


def _change(control: widgets.Widget) -> bool:
    """Move ``control`` to another valid value; ``False`` if it has only one."""
    if hasattr(control, "index") and hasattr(control, "options"):
        if len(control.options) < 2:
            return False
        control.index = (control.index or 0) + 1 if (control.index or 0) + 1 < len(
            control.options) else 0
    elif isinstance(control, widgets.Checkbox):
        control.value = not control.value
    else:
        if control.min == control.max:
            return False
        step = getattr(control, "step", 1) or 1
        control.value = control.value + step if control.value + step <= control.max else \
            control.min
    return True


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_one_model_call_and_one_redraw_per_control_change(name, monkeypatch):
    factory, models = WIDGETS[name]
    widget = factory()
    counter = Counter(widget, monkeypatch, models)
    changed = 0
    for control in list(_controls(widget)):
        counter.reset()
        if not _change(control):
            continue
        changed += 1
        label = f"{name}.{control.description or type(control).__name__}"
        assert counter.model_calls <= (0 if name in CHANGES_ONLY_REDRAW else 1), label
        assert counter.redraws == 1, label
    assert changed >= 2
    counter.reset()
    widget.refresh()
    assert counter.model_calls == (0 if name in CHANGES_ONLY_REDRAW else 1)
    assert counter.redraws == 1


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_an_attached_page_gets_one_frame_per_control_change_showing_the_setting(
        name, monkeypatch):
    widget = WIDGETS[name][0]()
    pages = [FakePage(panel.canvas, monkeypatch) for panel in widget.figure_panels]
    for page in pages:
        page.connect()
    for control in list(_controls(widget)):
        sent = [len(page.frames) for page in pages]
        if not _change(control):
            continue
        label = f"{name}.{control.description or type(control).__name__}"
        assert [len(page.frames) for page in pages] == [n + 1 for n in sent], label
        for page in pages:
            page.settle()  # acknowledged: nothing more to send
        assert [len(page.frames) for page in pages] == [n + 1 for n in sent], label
    for panel, page in zip(widget.figure_panels, pages, strict=True):
        FigureCanvasAgg.draw(panel.canvas)  # a fresh rendering of the last setting
        assert np.array_equal(page.picture, np.asarray(panel.canvas.buffer_rgba()))


@pytest.mark.parametrize("name", ["Im2colViewer", "TransposedConvExplorer", "ConvExplorer"])
def test_a_size_change_that_clamps_the_position_computes_the_model_once(name, monkeypatch):
    factory, models = WIDGETS[name]
    widget = factory()
    widget.position.value = widget.position.max
    counter = Counter(widget, monkeypatch, models)
    size = widget.input_size if name == "TransposedConvExplorer" else widget.size
    size.value = size.min
    assert widget.position.value == widget.position.max  # clamped, and shown
    assert (counter.model_calls, counter.redraws) == (1, 1)


def test_feature_maps_run_the_model_once_per_new_image(monkeypatch):
    factory, models = WIDGETS["FeatureMapViewer"]
    widget = factory()
    counter = Counter(widget, monkeypatch, models)
    widget.set_input(np.ones((28, 28)))
    assert (counter.model_calls, counter.redraws) == (1, 1)


@pytest.mark.parametrize("name", sorted(set(WIDGETS) - CHANGES_ONLY_REDRAW))
def test_any_model_error_is_shown_and_the_next_setting_recovers(name, monkeypatch):
    factory, models = WIDGETS[name]
    widget = factory()

    def broken(*args, **kwargs):
        raise RuntimeError("the model broke")

    for module_name, function_name in models:
        module = importlib.import_module(f"convlessons.widgets.{module_name}")
        working = getattr(module, function_name)
        monkeypatch.setattr(module, function_name, broken)
    widget.refresh()  # never raises
    assert widget.output is None and widget.problem == "RuntimeError: the model broke"
    widget.figure_panel.render()
    monkeypatch.undo()
    assert getattr(module, function_name) is working
    widget.refresh()
    assert widget.problem == "" and widget.output is not None
    widget.figure_panel.render()


def test_a_view_that_cannot_show_its_problem_still_keeps_the_message(monkeypatch):
    widget = WIDGETS["Im2colViewer"][0]()

    def cannot_show(message):
        raise KeyError("no room")

    monkeypatch.setattr(widget, "_show_problem", cannot_show)
    monkeypatch.setattr(widget, "_update", lambda: 1 / 0)
    widget.refresh()
    assert widget.output is None
    assert widget.problem.startswith("ZeroDivisionError: division by zero (not shown: KeyError")


def test_the_re_entry_guard_is_released_after_an_error():
    widget = WIDGETS["Im2colViewer"][0]()
    with pytest.raises(ZeroDivisionError), widget._quietly():
        assert widget._silenced
        _ = 1 / 0
    assert not widget._silenced
    widget.stride.value = 2  # the controls answer again
    assert widget.output.shape == (2, 2)


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_the_display_bundle_holds_the_live_view_and_a_picture(name):
    widget = WIDGETS[name][0]()
    bundle = widget._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == widget.model_id and "text/plain" in bundle
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    picture = imread(io.BytesIO(png))
    figure = widget.figure_panel.figure
    width, height = (figure.get_size_inches() * figure.dpi).round().astype(int)
    assert picture.shape[:2] == (height, width)
    assert picture[..., :3].std() > 0.01  # something is drawn
    assert widget.figure_panel.canvas._data_url == (
        "data:image/png;base64," + bundle["image/png"])
    data, _metadata = DisplayFormatter().format(widget)  # what display() publishes
    assert {WIDGET_VIEW, "image/png", "text/plain"} <= set(data)


def test_the_picture_follows_the_current_setting():
    widget = WIDGETS["ConvExplorer"][0]()
    before = widget._repr_mimebundle_()["image/png"]
    widget.padding.value = 2
    assert widget._repr_mimebundle_()["image/png"] != before


def test_several_figures_are_stacked_in_one_picture():
    panels = [FigurePanel((2, 1), dpi=50), FigurePanel((3, 2), dpi=50)]
    picture = imread(io.BytesIO(_stacked([panel.png() for panel in panels])))
    assert picture.shape[:2] == (50 + 100, 150)


def _largest_receptive_field():
    explorer = convlessons.widgets.ReceptiveFieldExplorer(input_size=64)
    explorer.weights.value = "random"
    for _ in range(8 - explorer.n_layers):
        explorer.add_layer.click()
    assert explorer.n_layers == 8
    return explorer


@pytest.mark.parametrize("name, factory, models", [
    ("KernelPlayground", lambda: convlessons.widgets.KernelPlayground(size=512),
     WIDGETS["KernelPlayground"][1]),
    ("ReceptiveFieldExplorer", _largest_receptive_field, WIDGETS["ReceptiveFieldExplorer"][1]),
], ids=["KernelPlayground-512-rgb", "ReceptiveFieldExplorer-8-layers-random"])
def test_one_redraw_per_change_at_the_largest_settings(name, factory, models, monkeypatch):
    widget = factory()
    if name == "KernelPlayground":
        widget.color.value = True
        widget.kernel.preset.value = "gaussian_blur_5x5"
    counter = Counter(widget, monkeypatch, models)
    for control in list(_controls(widget))[:8]:
        counter.reset()
        if _change(control):
            assert (counter.model_calls, counter.redraws) in ((1, 1), (0, 1)), control
