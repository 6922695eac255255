"""ChannelExplorer through its controls (headless): output vs torch, stepping, the sum text."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.backend_bases import MouseEvent

import convlessons.widgets
from convlessons.widgets.channels import RANGES, ChannelExplorer


def torch_output(explorer: ChannelExplorer, stride: int, padding: int) -> np.ndarray:
    """The contract: F.conv2d(input[None], weight, bias, stride, padding)[0]."""
    return F.conv2d(torch.from_numpy(explorer.input)[None], torch.from_numpy(explorer.weight),
                    torch.from_numpy(explorer.bias), stride=stride, padding=padding)[0].numpy()


def shown_value(explorer: ChannelExplorer) -> float:
    """The number at the end of the written-out sum."""
    return float(re.search(r"= (-?[\d.]+)</b></code>$", explorer.sum_html.value)[1])


@pytest.mark.parametrize(("in_channels", "out_channels"),
                         list(itertools.product(range(1, 4), range(1, 4))))
def test_every_stride_and_padding_matches_torch(in_channels, out_channels):
    explorer = ChannelExplorer(in_channels, out_channels, size=5, kernel_size=3)
    assert explorer.input.shape == (in_channels, 5, 5)
    assert explorer.weight.shape == (out_channels, in_channels, 3, 3)
    assert explorer.bias.shape == (out_channels,)
    for stride, padding in itertools.product(range(1, 4), range(3)):
        explorer.stride.value, explorer.padding.value = stride, padding
        expected = torch_output(explorer, stride, padding)
        assert explorer.problem == ""
        np.testing.assert_array_equal(explorer.output, expected)
        assert explorer.position.max == expected.size - 1
        assert shown_value(explorer) == expected.flat[explorer.position.value]


def test_default_is_the_contract():
    explorer = convlessons.widgets.ChannelExplorer()
    assert explorer.stride.value == 2 and explorer.padding.value == 1
    assert explorer.output.shape == (2, 3, 3)
    np.testing.assert_array_equal(explorer.output, torch_output(explorer, 2, 1))
    assert "convlessons-channels" in explorer._dom_classes


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 1), (3, 2)])
def test_stepping_visits_every_output_value_with_its_sum(stride, padding):
    explorer = ChannelExplorer(3, 2, size=5, kernel_size=3, stride=stride, padding=padding)
    output = explorer.output
    for position in range(output.size):
        assert explorer.position.value == position
        o, i, j = np.unravel_index(position, output.shape)
        assert explorer.position_label.value.startswith(f"filter {o}, output ({i}, {j})")
        assert shown_value(explorer) == output[o, i, j]
        sums = explorer.result.channel_sums(o, i, j)
        for c, title in enumerate(explorer.kernel_titles[o]):
            assert title.text == f"K[{o}, {c}] → {sums[c]:g}"
        assert explorer.kernel_titles[1 - o][0].text == f"K[{1 - o}, 0]"
        assert [box.get_visible() for box in explorer.output_boxes] == [f == o for f in range(2)]
        assert explorer.output_boxes[o].get_xy() == (j - 0.5, i - 0.5)
        rows, cols = explorer.result.window(i, j)
        for box in explorer.window_boxes:  # the window, in every input channel
            assert box.get_visible() and box.get_xy() == (cols[0] - 0.5, rows[0] - 0.5)
            assert box.get_width() == box.get_height() == 3
        explorer.next.click()
    assert explorer.position.value == output.size - 1  # stays at the last value
    explorer.previous.click()
    assert explorer.position.value == output.size - 2
    explorer.position.value = 0
    explorer.previous.click()
    assert explorer.position.value == 0


def test_click_on_an_output_cell_selects_it():
    explorer = ChannelExplorer()
    canvas = explorer.figure_panel.canvas
    explorer.figure_panel.render()

    def click(axes, col, row):
        x, y = axes.transData.transform((col, row))
        event = MouseEvent("button_press_event", canvas, x, y, button=1)
        canvas.callbacks.process("button_press_event", event)

    click(explorer.output_axes[1], 2, 1)
    assert explorer.position.value == 9 + 1 * 3 + 2
    assert explorer.position_label.value.startswith("filter 1, output (1, 2)")
    click(explorer.input_axes[0], 0, 0)  # clicks elsewhere do nothing
    assert explorer.position.value == 14
    explorer.select_output_cell(0, 2, 0)
    assert explorer.position.value == 6


def test_slider_change_keeps_the_position_inside_the_output():
    explorer = ChannelExplorer(stride=1, padding=2)  # 2 × 7 × 7 outputs
    explorer.position.value = 97
    explorer.stride.value = 3  # 2 × 3 × 3
    assert explorer.position.value == 17 and explorer.position.max == 17
    assert shown_value(explorer) == explorer.output[1, 2, 2]


def test_impossible_setting_shows_the_problem_and_recovers():
    explorer = ChannelExplorer(in_channels=2, out_channels=1, size=2, kernel_size=4, padding=0)
    assert explorer.output is None and explorer.result is None
    assert "kernel_size 4 is larger than the padded input" in explorer.problem
    assert "⚠" in explorer.sum_html.value and explorer.position_label.value.startswith("no output")
    assert not explorer.output_grids[0].image.get_visible()
    assert explorer.output_titles[0].text == "no output"
    assert explorer.note.text.replace("\n", " ").startswith("kernel_size 4 is larger")
    explorer.next.click()  # stepping without an output does nothing
    explorer.padding.value = 1
    assert explorer.problem == ""
    np.testing.assert_array_equal(explorer.output, torch_output(explorer, 2, 1))
    assert explorer.output_grids[0].image.get_visible()


def test_inputs_are_drawn_bright_for_large_values():
    explorer = ChannelExplorer()
    image = explorer.input_grids[0].image
    assert image.get_cmap().name == "gray" and image.get_clim() == (0, 2)
    colours = image.to_rgba(np.array([0.0, 1.0, 2.0]))
    assert colours[0, 0] < colours[1, 0] < colours[2, 0]  # 0 black, 2 white


@pytest.mark.parametrize("name", list(RANGES))
def test_constructor_refuses_out_of_range_values(name):
    low, high = RANGES[name]
    for value in (low - 1, high + 1):
        with pytest.raises(ValueError, match=f"{name} must be an int in {low}…{high}"):
            ChannelExplorer(**{name: value})
    with pytest.raises(TypeError, match=name):
        ChannelExplorer(**{name: 1.5})


def test_constructor_refuses_a_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        ChannelExplorer(seed=-1)
