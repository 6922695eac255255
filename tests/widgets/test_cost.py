"""ConvCostExplorer: the view through its controls (the counts: tests/test_costs.py)."""

from __future__ import annotations

import numpy as np
import pytest

from convlessons.costs import connectivity, conv_cost, valid_groups
from convlessons.widgets import cost as cost_widget
from convlessons.widgets.cost import ConvCostExplorer


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"in_channels": 5}, r"in_channels must be one of \(1, 2, 3"),
     ({"out_channels": True}, "out_channels must be one of"),
     ({"kernel_size": 9}, "kernel_size must be an int in 1…7"),
     ({"size": 50}, "size must be one of"),
     ({"groups": 3}, "groups must divide"), ({"separable": "no"}, "separable")],
)
def test_bad_constructor_arguments_name_the_parameter(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ConvCostExplorer(**kwargs)


def _artist_counts(explorer: ConvCostExplorer) -> list[int]:
    fig = explorer.figure_panel.figure
    return [len(fig.axes)] + [len(ax.images) + len(ax.patches) + len(ax.texts)
                              for ax in fig.axes]


@pytest.fixture(scope="module")
def explorer():
    return ConvCostExplorer()


def test_default_is_the_standard_64_to_128_layer(explorer):
    assert explorer.output["params"] == 128 * 64 * 9
    assert explorer.output["macs"] == 128 * 64 * 9 * 56 * 56
    assert "nn.Conv2d(64, 128, 3, groups=1" in explorer.text.value
    assert "C_out·(C_in/g)·k² = 128·(64/1)·3²" in explorer.text.value


def test_groups_slider_offers_exactly_the_valid_values(explorer):
    before = _artist_counts(explorer)
    explorer.groups.value = 8
    explorer.in_channels.value = 16  # 16 → 128: 8 still valid, kept
    assert list(explorer.groups.options) == valid_groups(16, 128) == [1, 2, 4, 8, 16]
    assert explorer.groups.value == 8
    assert explorer.output["macs_per_pixel"] == 128 * 2 * 9
    explorer.in_channels.value = 3  # 3 → 128: only 1
    assert list(explorer.groups.options) == [1] and explorer.groups.value == 1
    explorer.in_channels.value, explorer.out_channels.value = 64, 64
    explorer.groups.value = 64
    assert "<b>depthwise</b>" in explorer.text.value
    assert explorer.output["macs_ratio"] == pytest.approx(1 / 64)
    assert explorer.bars[1].get_width() == pytest.approx(1 / 64)
    np.testing.assert_array_equal(explorer.maps[0].get_array(), connectivity(64, 64, 64))
    explorer.figure_panel.render()
    assert _artist_counts(explorer) == before


def test_separable_shows_two_steps(explorer):
    explorer.in_channels.value, explorer.out_channels.value = 64, 128
    explorer.kernel_size.value = 3
    explorer.separable.value = True
    assert explorer.groups.disabled
    assert explorer.output["macs_ratio"] == pytest.approx(1 / 128 + 1 / 9)
    assert explorer.second_axes.get_visible()
    assert explorer.maps[1].get_array().shape == (128, 64)
    assert "1/C_out + 1/k² = 1/128 + 1/3²" in explorer.text.value
    explorer.separable.value = False
    assert not explorer.second_axes.get_visible() and not explorer.groups.disabled


def test_size_and_bias_change_the_totals(explorer):
    explorer.separable.value = False
    explorer.in_channels.value, explorer.out_channels.value, explorer.groups.value = 8, 8, 1
    explorer.kernel_size.value, explorer.size.value = 1, 7
    assert explorer.output["macs"] == 64 * 49
    explorer.bias.value = True
    assert explorer.output["params"] == 64 + 8
    assert "+ C_out = 8·(8/1)·1² + 8" in explorer.text.value
    explorer.bias.value = False


def test_impossible_setting_shows_the_message(monkeypatch):
    explorer = ConvCostExplorer(in_channels=4, out_channels=8)
    monkeypatch.setattr(cost_widget, "conv_cost", lambda *args: conv_cost(4, 8, 3, groups=3))
    explorer.kernel_size.value = 5
    assert explorer.output is None
    assert explorer.problem.startswith("groups must divide gcd(in_channels, out_channels) = 4")
    assert explorer.problem_text.get_text().replace("\n", " ") == explorer.problem
    assert not explorer.bars[1].get_visible()
    monkeypatch.undo()
    explorer.kernel_size.value = 3
    assert explorer.problem == "" and explorer.bars[1].get_visible()
    assert explorer.problem_text.get_text() == ""
