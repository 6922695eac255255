"""ConvCostExplorer: counts against hand formulas and torch, the view through its controls."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from convlessons.widgets import cost as cost_widget
from convlessons.widgets.cost import (
    CHANNEL_CHOICES,
    ConvCostExplorer,
    build_layers,
    connectivity,
    conv_cost,
    layer_kind,
    valid_groups,
)

channels = st.sampled_from(CHANNEL_CHOICES)


@given(channels, channels)
def test_valid_groups_are_exactly_what_torch_accepts(c_in, c_out):
    offered = valid_groups(c_in, c_out)
    accepted = []
    for g in range(1, max(c_in, c_out) + 1):
        try:
            torch.nn.Conv2d(c_in, c_out, 1, groups=g, device="meta")
        except ValueError:
            continue
        accepted.append(g)
    assert offered == accepted
    assert offered[0] == 1
    assert (offered[-1] == c_in) == (c_out % c_in == 0)  # depthwise offered iff K = m·C


@settings(max_examples=40)
@given(channels, channels, st.integers(1, 7), st.booleans(), st.booleans(),
       st.sampled_from([7, 14, 56]), st.data())
def test_counts_match_hand_formulas(c_in, c_out, k, separable, bias, size, data):
    g = 1 if separable else data.draw(st.sampled_from(valid_groups(c_in, c_out)))
    result = conv_cost(c_in, c_out, k, g, separable, size, bias)
    if separable:
        per_pixel = c_in * k * k + c_out * c_in
        params = per_pixel + (c_in + c_out) * bias
    else:
        per_pixel = c_out * (c_in // g) * k * k
        params = per_pixel + c_out * bias
    standard = c_out * c_in * k * k
    assert result.macs_per_pixel == per_pixel
    assert result.params == params
    assert result.macs == per_pixel * size * size
    assert result.standard_params == standard + c_out * bias
    assert result.standard_macs == standard * size * size
    assert result.macs_ratio == pytest.approx(per_pixel / standard)
    if not separable:
        assert result.macs_ratio == pytest.approx(1 / g)


@pytest.mark.parametrize(("c_in", "c_out", "k", "g", "separable"),
                         [(4, 8, 3, 1, False), (4, 8, 3, 2, False), (4, 8, 5, 4, False),
                          (4, 8, 3, 1, True), (3, 16, 2, 1, True)])
def test_macs_match_torch_flop_counter(c_in, c_out, k, g, separable):
    layers = build_layers(c_in, c_out, k, g, separable, device="cpu")
    with FlopCounterMode(display=False) as counter:
        torch.nn.Sequential(*layers)(torch.zeros(1, c_in, 14, 14))
    result = conv_cost(c_in, c_out, k, g, separable, size=14)
    assert counter.get_total_flops() == 2 * result.macs  # one multiply-add = 2 FLOPs
    assert result.params == sum(p.numel() for p in torch.nn.Sequential(*layers).parameters())


def test_separable_64_to_128_saves_one_over_k_plus_one_over_k2():
    result = conv_cost(64, 128, 3, separable=True)
    assert result.params_ratio == pytest.approx(1 / 128 + 1 / 9)
    assert result.macs_ratio == pytest.approx(1 / 128 + 1 / 9)
    assert result.as_dict()["macs"] == (64 * 9 + 128 * 64) * 56 * 56


def test_connectivity_blocks():
    matrix = connectivity(4, 8, 2)
    assert matrix.shape == (8, 4)
    np.testing.assert_array_equal(matrix > 0, np.kron(np.eye(2), np.ones((4, 2))) > 0)
    assert set(np.unique(connectivity(8, 8, 8))) == {0, *range(1, 9)}
    assert connectivity(3, 5, 1).min() == 1
    for g in valid_groups(16, 32):  # each output channel sees C/g inputs
        assert ((connectivity(16, 32, g) > 0).sum(axis=1) == 16 // g).all()


def test_layer_kind():
    assert [layer_kind(8, g) for g in (1, 2, 8)] == ["standard", "grouped", "depthwise"]
    assert layer_kind(8, 1, separable=True) == "separable"


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"in_channels": 0}, ValueError, "in_channels"),
        ({"out_channels": 2.0}, TypeError, "out_channels"),
        ({"kernel_size": 0}, ValueError, "kernel_size"),
        ({"groups": 3}, ValueError, r"groups must divide gcd\(in_channels, out_channels\) = 4"),
        ({"groups": 0}, ValueError, "groups"),
        ({"groups": 2, "separable": True}, ValueError, "groups must be 1 when separable"),
        ({"separable": 1}, TypeError, "separable"),
        ({"size": 0}, ValueError, "size"),
        ({"bias": "yes"}, TypeError, "bias"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, error, name):
    with pytest.raises(error, match=name):
        conv_cost(**({"in_channels": 4, "out_channels": 8, "kernel_size": 3} | kwargs))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"in_channels": 5}, r"in_channels must be one of \(1, 2, 3"),
     ({"out_channels": True}, "out_channels must be one of"),
     ({"kernel_size": 9}, "kernel_size must be one of"), ({"size": 50}, "size must be one of"),
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
    assert "K·(C/g)·k² = 128·(64/1)·3²" in explorer.text.value


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
    assert "1/K + 1/k² = 1/128 + 1/3²" in explorer.text.value
    explorer.separable.value = False
    assert not explorer.second_axes.get_visible() and not explorer.groups.disabled


def test_size_and_bias_change_the_totals(explorer):
    explorer.separable.value = False
    explorer.in_channels.value, explorer.out_channels.value, explorer.groups.value = 8, 8, 1
    explorer.kernel_size.value, explorer.size.value = 1, 7
    assert explorer.output["macs"] == 64 * 49
    explorer.bias.value = True
    assert explorer.output["params"] == 64 + 8
    assert "+ K = 8·(8/1)·1² + 8" in explorer.text.value
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
