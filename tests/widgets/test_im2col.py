"""Im2colViewer through its controls, headless (the model: tests/reference/test_im2col.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.backend_bases import MouseEvent

from convlessons.reference.im2col import example_arrays
from convlessons.widgets import im2col as im2col_widget
from convlessons.widgets.im2col import Im2colViewer


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"size": 7}, "size must be an int in 4…6"), ({"channels": 0}, "channels"),
     ({"kernel_size": 4}, "kernel_size must be an int in 2…3"), ({"stride": 0}, "stride"),
     ({"padding": 3}, "padding must be an int in 0…2"), ({"seed": -1}, "seed")],
)
def test_bad_constructor_arguments_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Im2colViewer(**kwargs)


def _artist_counts(viewer: Im2colViewer) -> list[int]:
    fig = viewer.figure_panel.figure
    return [len(fig.axes)] + [len(ax.images) + len(ax.patches) + len(ax.texts)
                              + len(ax.collections) for ax in fig.axes]


@pytest.fixture(scope="module")
def viewer():
    return Im2colViewer()


def test_view_follows_its_controls(viewer):
    before = _artist_counts(viewer)
    settings_seen = [(6, 2, 2, 1, 2), (4, 1, 3, 2, 0), (5, 2, 3, 3, 1), (6, 1, 2, 2, 1)]
    for size, channels, k, stride, padding in settings_seen:
        viewer.size.value, viewer.channels.value = size, channels
        viewer.kernel_size.value, viewer.stride.value = k, stride
        viewer.padding.value = padding
        x, w = example_arrays(size, channels, k)
        expected = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w)[None],
                            stride=stride, padding=padding)[0, 0].numpy()
        np.testing.assert_allclose(viewer.output, expected, atol=1e-12)
        assert viewer.problem == ""
        assert viewer.position.max == expected.size - 1
        assert viewer.input_axes[1].get_visible() == (channels == 2)
        assert f"= <b>output</b> (1 × {expected.size})" in viewer.shapes_html.value
        viewer.figure_panel.render()
    assert _artist_counts(viewer) == before


def test_position_moves_every_highlight(viewer):
    viewer.size.value, viewer.channels.value, viewer.kernel_size.value = 5, 2, 3
    viewer.stride.value, viewer.padding.value = 2, 1  # 3 × 3 output
    viewer.position.value = 5  # output row 1, column 2
    assert viewer.output_box.get_bbox().bounds == (1.5, 0.5, 1, 1)
    for box in viewer.window_boxes:  # window top-left (1*2 - 1, 2*2 - 1) = (1, 3)
        assert box.get_bbox().bounds == (2.5, 0.5, 3, 3)
    assert viewer.column_box.get_bbox().bounds == (4.5, -0.5, 1, 18)
    assert viewer.product_box.get_bbox().bounds == (4.5, -0.5, 1, 1)
    assert viewer.border_boxes[0].get_visible()
    assert viewer.sum_html.value.startswith("output[1, 2] = W_row · columns[:, 5]")
    np.testing.assert_array_equal(viewer.columns_grid.values, viewer.result.columns)


def test_shrinking_the_output_clamps_position(viewer):
    viewer.stride.value, viewer.padding.value, viewer.size.value = 1, 2, 6
    viewer.position.value = viewer.position.max
    viewer.stride.value = 3
    assert viewer.position.value == viewer.position.max == viewer.output.size - 1
    oy, ox = viewer.result.output_cell(viewer.position.value)
    assert viewer.output_box.get_bbox().bounds == (ox - 0.5, oy - 0.5, 1, 1)


def test_clicking_the_output_selects_the_window(viewer):
    viewer.size.value, viewer.stride.value, viewer.padding.value = 5, 1, 0  # 3 × 3 output
    canvas = viewer.figure_panel.canvas
    viewer.figure_panel.render()
    x, y = viewer.output_axes.transData.transform((2, 1))
    canvas.callbacks.process("button_press_event",
                             MouseEvent("button_press_event", canvas, x, y, button=1))
    assert viewer.position.value == 5


def test_impossible_setting_shows_the_message(monkeypatch):
    viewer = Im2colViewer()
    monkeypatch.setattr(im2col_widget, "example_arrays",
                        lambda *args: (np.zeros((1, 1, 1)), np.zeros((1, 3, 3))))
    viewer.stride.value = 2
    assert viewer.output is None
    assert "kernel_size" in viewer.problem
    assert viewer.problem_text.get_text().replace("\n", " ") == viewer.problem
    assert not viewer.output_grid.image.get_visible()
    monkeypatch.undo()
    viewer.stride.value = 1
    assert viewer.problem == "" and viewer.output_grid.image.get_visible()
