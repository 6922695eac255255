"""Im2colViewer: the model against torch, the view through its controls (headless)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backend_bases import MouseEvent

from convlessons.reference import conv2d
from convlessons.widgets import im2col as im2col_widget
from convlessons.widgets.im2col import Im2colViewer, example_arrays, im2col_product


@st.composite
def conv_cases(draw):
    channels = draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 2))
    height = draw(st.integers(max(1, k - 2 * padding), 8))
    width = draw(st.integers(max(1, k - 2 * padding), 8))
    x = draw(st.lists(st.floats(-3, 3), min_size=channels * height * width,
                      max_size=channels * height * width))
    w = draw(st.lists(st.floats(-3, 3), min_size=channels * k * k, max_size=channels * k * k))
    return (np.reshape(x, (channels, height, width)), np.reshape(w, (channels, k, k)),
            stride, padding)


@settings(max_examples=60)
@given(conv_cases())
def test_product_equals_torch_conv2d(case):
    x, w, stride, padding = case
    result = im2col_product(x, w, stride, padding)
    expected = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w)[None],
                        stride=stride, padding=padding)[0, 0].numpy()
    np.testing.assert_allclose(result.output, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.output, conv2d(x, w[None], stride=stride,
                                                     padding=padding)[0], atol=1e-12)
    assert result.columns.shape == (w.size, expected.size)
    assert result.memory_factor == result.columns.size / x.size


@settings(max_examples=30)
@given(conv_cases(), st.data())
def test_column_is_the_window_at_its_position(case, data):
    x, w, stride, padding = case
    result = im2col_product(x, w, stride, padding)
    position = data.draw(st.integers(0, result.positions - 1))
    top, left = result.window(position)
    k, p = result.kernel_size, padding
    window = result.padded_input[:, top + p : top + p + k, left + p : left + p + k]
    np.testing.assert_array_equal(result.columns[:, position], window.ravel())
    oy, ox = result.output_cell(position)
    assert result.output[oy, ox] == pytest.approx(float(np.sum(window * w)), abs=1e-9)


@pytest.mark.parametrize("stride", [1, 2])
def test_memory_factor_is_k2_over_s2_for_same_padding(stride):
    x, w = example_arrays(64, 1, 3)
    result = im2col_product(x, w, stride, padding=1)
    assert result.memory_factor == pytest.approx(9 / stride**2)
    assert "k²/s² = 3²/" in result.shapes_text()


def test_worked_example_texts():
    x = np.arange(9, dtype=float).reshape(1, 3, 3)
    w = np.array([[[1.0, 0.0], [0.0, -1.0]]])
    result = im2col_product(x, w)
    assert "(1 × 4) @ <b>columns</b> (4 × 4)" in result.shapes_text()
    assert result.sum_text(3) == (
        "output[1, 1] = W_row · columns[:, 3] = (1)(4) + (0)(5) + (0)(7) + (-1)(8) = <b>-4</b>"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"input": np.zeros((3, 3))}, ValueError, "input"),
        ({"weight": np.zeros((2, 2, 2))}, ValueError, "weight"),
        ({"weight": np.zeros((1, 2, 3))}, ValueError, "weight"),
        ({"stride": 0}, ValueError, "stride"),
        ({"stride": 1.5}, TypeError, "stride"),
        ({"padding": -1}, ValueError, "padding"),
        ({"weight": np.zeros((1, 5, 5))}, ValueError, "kernel_size"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, error, name):
    arguments = {"input": np.zeros((1, 3, 3)), "weight": np.zeros((1, 2, 2))} | kwargs
    with pytest.raises(error, match=name):
        im2col_product(**arguments)


def test_bad_position_and_example_sizes_name_the_parameter():
    result = im2col_product(np.zeros((1, 3, 3)), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match=r"position must be in 0…3"):
        result.window(4)
    with pytest.raises(ValueError, match="position"):
        result.output_cell(-1)
    for name in ("size", "channels", "kernel_size", "seed"):
        arguments = {"size": 4, "channels": 1, "kernel_size": 2} | {name: -1}
        with pytest.raises(ValueError, match=name):
            example_arrays(**arguments)


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
