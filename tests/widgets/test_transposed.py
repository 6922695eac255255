"""TransposedConvExplorer through its controls, headless.

The model, transposed_conv, is tested in tests/reference/test_transposed.py.
"""

from __future__ import annotations

import html

import numpy as np
import pytest
from oracles import torch_transposed

from convlessons.reference.transposed import example_arrays
from convlessons.widgets.transposed import TransposedConvExplorer


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
    assert html.escape(explorer.problem) in explorer.size_html.value
    explorer.output_padding.value = 0
    explorer.input_size.value, explorer.kernel_size.value, explorer.padding.value = 2, 2, 2
    assert explorer.output is None and "padding 2 is too large" in explorer.problem
    explorer.padding.value = 0
    assert explorer.problem == "" and explorer.output_grid.image.get_visible()
