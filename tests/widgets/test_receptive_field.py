"""ReceptiveFieldExplorer through its controls (the model: tests/test_receptive_fields.py)."""

import numpy as np
import pytest

from convlessons.receptive_fields import PRESETS, Layer, effective_receptive_field
from convlessons.widgets.receptive_field import ReceptiveFieldExplorer


@pytest.fixture(scope="module")
def explorer():
    return ReceptiveFieldExplorer()


def artist_counts(widget):
    figure = widget.figure_panel.figure
    return (
        len(figure.axes),
        sum(len(a.images) + len(a.lines) + len(a.patches) + len(a.texts) for a in figure.axes),
        len(figure.texts),
    )


def test_default_view_shows_vgg_block(explorer):
    assert explorer.problem == ""
    assert explorer.layers == PRESETS["VGG block"]
    np.testing.assert_array_equal(
        explorer.output, effective_receptive_field(PRESETS["VGG block"], 32)
    )
    assert explorer.region_outline.get_bbox().bounds == (7.5, 7.5, 16, 16)
    assert explorer.erf_outline.get_visible()
    assert "<td>16</td><td>4</td>" in explorer.info.value
    assert "RF 16 px" in explorer.profile_title.get_text()


def test_controls_update_in_place(explorer):
    before = artist_counts(explorer)
    explorer.layer.value = 1
    assert explorer.region_outline.get_bbox().bounds == (13.5, 13.5, 3, 3)  # unit 14 of 30
    np.testing.assert_array_equal(
        explorer.output, effective_receptive_field(PRESETS["VGG block"][:1], 32)
    )
    explorer.input_size.value = 20
    assert explorer.erf_image.get_array().shape == (20, 20)
    explorer.weights.value = "random"
    np.testing.assert_array_equal(
        explorer.output, effective_receptive_field(PRESETS["VGG block"][:1], 20, "random")
    )
    explorer.preset.value = "dilated stack"
    assert explorer.layer.value == explorer.layer.max == 3
    assert explorer.region_outline.get_bbox().bounds[2] == 15
    explorer.figure_panel.render()
    assert artist_counts(explorer) == before


def test_editing_a_row_clears_the_preset_and_recomputes():
    explorer = ReceptiveFieldExplorer(preset="3 × conv3×3")
    explorer.rows[2].kernel_size.value = 5
    assert explorer.preset.value is None
    assert explorer.layers[2] == Layer("conv", 5)
    assert explorer.region_outline.get_bbox().bounds[2] == 3 + 2 + 4


def test_impossible_stack_shows_message_not_exception():
    explorer = ReceptiveFieldExplorer(input_size=8)
    assert explorer.output is None
    assert "layer 4 (conv 3×3) has no output" in explorer.problem
    assert "kernel_size" in explorer.problem
    assert explorer.problem_text.get_visible()
    assert explorer.problem_text.get_text().split() == explorer.problem.split()  # wrapped
    assert not explorer.erf_image.get_visible()
    assert "—" in explorer.info.value  # the table still explains the sizes
    explorer.input_size.value = 16
    assert explorer.problem == "" and explorer.output is not None
    assert not explorer.problem_text.get_visible() and explorer.erf_image.get_visible()


def test_add_and_remove_layers_down_to_none():
    explorer = ReceptiveFieldExplorer(preset="3 × conv3×3")
    explorer.add_layer.click()
    assert len(explorer.layers) == 4 and explorer.layer.value == 4
    for _ in range(4):
        explorer.remove_layer.click()
    assert explorer.layers == () and explorer.remove_layer.disabled
    assert explorer.output is None and "no layers" in explorer.problem
    explorer.add_layer.click()
    assert explorer.problem == "" and explorer.layers == (Layer("conv", 3),)
