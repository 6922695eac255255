"""TransposedConvExplorer: the model against torch, the view through its controls (headless)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convlessons.arithmetic import conv_transpose_output_size
from convlessons.widgets.transposed import (
    TransposedConvExplorer,
    example_arrays,
    transposed_conv,
)


def torch_transposed(x, w, stride, padding, output_padding):
    return F.conv_transpose2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None],
                              stride=stride, padding=padding,
                              output_padding=output_padding)[0, 0].numpy()


@st.composite
def cases(draw):
    n, k = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    stride, padding = draw(st.integers(1, 3)), draw(st.integers(0, 3))
    output_padding = draw(st.integers(0, stride - 1))
    assume((n - 1) * stride - 2 * padding + k + output_padding >= 1)
    values = st.floats(-3, 3)
    x = np.reshape(draw(st.lists(values, min_size=n * n, max_size=n * n)), (n, n))
    w = np.reshape(draw(st.lists(values, min_size=k * k, max_size=k * k)), (k, k))
    return x, w, stride, padding, output_padding


@settings(max_examples=60)
@given(cases())
def test_output_and_both_views_equal_torch(case):
    x, w, stride, padding, output_padding = case
    result = transposed_conv(x, w, stride, padding, output_padding)
    expected = torch_transposed(x, w, stride, padding, output_padding)
    np.testing.assert_allclose(result.output, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.zero_insertion_output(), expected, atol=1e-12)
    size = result.output.shape[0]
    final = result.partial_sum(result.positions - 1)[padding : padding + size,
                                                     padding : padding + size]
    np.testing.assert_allclose(final, expected, atol=1e-12)
    counts = torch_transposed(np.ones_like(x), np.ones_like(w), stride, padding, output_padding)
    np.testing.assert_array_equal(result.overlap_counts(), counts)
    assert np.abs(final).max(initial=0) <= result.partial_sum_bound() + 1e-12


@settings(max_examples=30)
@given(cases(), st.data())
def test_each_step_adds_one_scaled_kernel_in_its_region(case, data):
    x, w, stride, padding, output_padding = case
    result = transposed_conv(x, w, stride, padding, output_padding)
    position = data.draw(st.integers(0, result.positions - 1))
    before = result.partial_sum(position - 1) if position else 0.0
    step = result.partial_sum(position) - before
    y, x_ = result.input_cell(position)
    top, left = result.scatter_region(position)
    k = w.shape[0]
    rows = slice(top + padding, top + padding + k)  # canvas = output shifted by padding
    cols = slice(left + padding, left + padding + k)
    np.testing.assert_allclose(step[rows, cols], x[y, x_] * w, atol=1e-12)
    step[rows, cols] = 0
    np.testing.assert_allclose(step, 0, atol=1e-12)


@pytest.mark.parametrize("n", [2, 3, 4, 6])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_interior_is_uniform_exactly_when_stride_divides_kernel(n, k, stride):
    result = transposed_conv(*example_arrays(n, k, "ones"), stride)
    interior = result.interior_counts()
    text = result.checkerboard_text()
    if interior.shape[0] < stride:  # not even one period of the stride pattern
        assert "too small" in text
        return
    uniform = interior.min() == interior.max()
    assert uniform == (k % stride == 0)  # Odena et al. 2016
    assert ("uniform" in text) == uniform and ("checkerboard" in text) != uniform
    np.testing.assert_array_equal(result.output, result.overlap_counts())  # all-ones case


def test_worked_example_texts():
    result = transposed_conv(np.ones((3, 3)), np.ones((3, 3)), stride=2, padding=1,
                             output_padding=1)
    assert result.size_text() == ("H_out = (n − 1)·s − 2p + k + output_padding = "
                                  "(3 − 1)·2 − 2·1 + 3 + 1 = <b>6</b>")
    assert conv_transpose_output_size(3, 3, 2, 1, 1) == 6
    assert result.zero_inserted().shape == (8, 8)
    assert "pad k − 1 − p = 1 (top/left) and k − 1 − p + output_padding = 2" in (
        result.zero_insertion_text())
    assert result.scatter_text(0) == ("step 1 of 9: input[0, 0] = 1 adds 1 × kernel to output "
                                      "rows -1…1, columns -1…1 (only 0…5 is kept: the rest is "
                                      "cropped)")
    assert "between 1 and 4 scatters" in result.checkerboard_text()
    assert result.pytorch_call() == (
        "F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)")
    cropped = transposed_conv(np.ones((4, 4)), np.ones((2, 2)), stride=1, padding=2)
    assert cropped.zero_inserted().shape == (2, 2)  # k − 1 − p = −1: the padding crops


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"output_padding": 2}, ValueError, r"output_padding must be < max\(stride, dilation\)"),
        ({"padding": 4}, ValueError, "padding 4 is too large"),
        ({"input": np.ones((2, 3))}, ValueError, "input must be square"),
        ({"kernel": np.ones(3)}, ValueError, "kernel"),
        ({"stride": 0}, ValueError, "stride"),
        ({"padding": -1}, ValueError, "padding"),
        ({"output_padding": 0.5}, TypeError, "output_padding"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, error, name):
    arguments = {"input": np.ones((2, 2)), "kernel": np.ones((3, 3)), "stride": 2} | kwargs
    with pytest.raises(error, match=name):
        transposed_conv(**arguments)


def test_bad_position_and_example_arguments_name_the_parameter():
    result = transposed_conv(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"position must be in 0…3"):
        result.input_cell(4)
    with pytest.raises(ValueError, match="position"):
        result.partial_sum(-1)
    with pytest.raises(ValueError, match="values must be one of"):
        example_arrays(2, 2, "zeros")
    for name in ("input_size", "kernel_size", "seed"):
        arguments = {"input_size": 2, "kernel_size": 2} | {name: 0 if name != "seed" else -1}
        with pytest.raises(ValueError, match=name):
            example_arrays(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"input_size": 5}, "input_size must be an int in 2…4"), ({"kernel_size": 1}, "kernel_size"),
     ({"stride": 4}, "stride must be an int in 1…3"), ({"padding": -1}, "padding"),
     ({"output_padding": 3}, "output_padding must be an int in 0…2"),
     ({"values": "zeros"}, "values must be one of"), ({"view": "gather"}, "view must be one of")],
)
def test_bad_constructor_arguments_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TransposedConvExplorer(**kwargs)


def _artist_counts(explorer: TransposedConvExplorer) -> list[int]:
    fig = explorer.figure_panel.figure
    return [len(fig.axes)] + [len(ax.images) + len(ax.patches) + len(ax.texts)
                              + len(ax.collections) for ax in fig.axes]


@pytest.fixture(scope="module")
def explorer():
    return TransposedConvExplorer()


def test_view_follows_its_controls(explorer):
    before = _artist_counts(explorer)
    for n, k, s, p, op in [(2, 4, 2, 1, 1), (4, 2, 3, 0, 2), (3, 3, 1, 2, 0), (4, 4, 3, 1, 0)]:
        explorer.output_padding.value = 0
        explorer.input_size.value, explorer.kernel_size.value = n, k
        explorer.stride.value, explorer.padding.value = s, p
        explorer.output_padding.value = op
        x, w = example_arrays(n, k)
        np.testing.assert_allclose(explorer.output, torch_transposed(x, w, s, p, op), atol=1e-12)
        assert explorer.problem == "" and explorer.position.max == n * n - 1
        assert f"<code>F.conv_transpose2d(x, w, stride={s}, padding={p}, " in (
            explorer.size_html.value)
        explorer.view.value = "zero insertion"
        np.testing.assert_array_equal(explorer.zero_grid.values, explorer.result.zero_inserted())
        explorer.view.value = "scatter"
        explorer.figure_panel.render()
    assert _artist_counts(explorer) == before


def test_position_highlights_cell_and_region(explorer):
    explorer.output_padding.value = 0
    explorer.input_size.value, explorer.kernel_size.value = 3, 3
    explorer.stride.value, explorer.padding.value = 2, 1
    explorer.position.value = 5  # input (1, 2) writes output rows 1…3, columns 3…5
    assert explorer.input_box.get_bbox().bounds == (1.5, 0.5, 1, 1)
    assert explorer.output_box.get_bbox().bounds == (2.5, 0.5, 3, 3)
    assert explorer.scatter_box.get_bbox().bounds == (2.5, 0.5, 3, 3)
    assert explorer.crop_box.get_bbox().bounds == (-0.5, -0.5, 5, 5)
    np.testing.assert_array_equal(explorer.scatter_grid.values, explorer.result.partial_sum(5))
    assert explorer.step_html.value.startswith("step 6 of 9: input[1, 2]")
    explorer.view.value = "zero insertion"
    assert not explorer.scatter_axes.get_visible() and explorer.zero_axes.get_visible()
    assert explorer.zero_box.get_bbox().bounds == (4.5, 2.5, 1, 1)  # row 1·2 + 1, column 2·2 + 1
    np.testing.assert_array_equal(explorer.kernel_grid.values, explorer.result.kernel[::-1, ::-1])
    explorer.view.value = "scatter"
    explorer.input_size.value = 2
    assert explorer.position.value == explorer.position.max == 3


def test_ones_show_the_checkerboard(explorer):
    explorer.values.value = "ones"
    explorer.input_size.value, explorer.kernel_size.value, explorer.stride.value = 4, 3, 2
    explorer.padding.value = 0
    np.testing.assert_array_equal(explorer.output, explorer.counts_grid.values)
    assert "checkerboard" in explorer.checkerboard_html.value
    explorer.kernel_size.value = 4
    assert "uniform" in explorer.checkerboard_html.value
    explorer.values.value = "random"


def test_impossible_settings_show_the_message(explorer):
    explorer.stride.value, explorer.output_padding.value = 1, 1
    assert explorer.output is None
    assert explorer.problem == "output_padding must be < max(stride, dilation) = 1, got 1"
    assert explorer.problem_text.get_text().replace("\n", " ") == explorer.problem
    assert not explorer.output_grid.image.get_visible()
    assert explorer.problem in explorer.size_html.value
    explorer.output_padding.value = 0
    explorer.input_size.value, explorer.kernel_size.value, explorer.padding.value = 2, 2, 2
    assert explorer.output is None and "padding 2 is too large" in explorer.problem
    explorer.padding.value = 0
    assert explorer.problem == "" and explorer.output_grid.image.get_visible()
