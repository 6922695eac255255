"""costs: parameter and multiply-add counts against hand formulas and torch's FLOP counter."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from convlessons.costs import build_layers, connectivity, conv_cost, layer_kind, valid_groups

channels = st.sampled_from((1, 2, 3, 4, 8, 16, 32, 64, 128))  # the explorer's choices


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


def test_valid_groups_of_huge_channel_counts_are_found_fast():
    # trial division up to √gcd: 2**20 candidates at most, never one per divisor candidate
    assert valid_groups(2**40, 2**40) == [2**i for i in range(41)]
    assert valid_groups(2**40, 3 * 2**38) == [2**i for i in range(39)]
    prime = 1_099_511_627_689  # the largest prime below 2**40: only 1 and itself
    assert valid_groups(prime, prime) == [1, prime]
    assert valid_groups(12, 18) == [1, 2, 3, 6]


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: conv_cost(2**40, 2**40, 3), "in_channels·out_channels·kernel_size²"),
        (lambda: conv_cost(2**40, 2**40, 1, groups=2**40, size=2**7), "in_channels·size²"),
        (lambda: conv_cost(4, 8, 10**200, size=1), "in_channels·out_channels·kernel_size²"),
        (lambda: conv_cost(4, 8, 3, size=2**30), "in_channels·size²"),
        (lambda: valid_groups(2**41, 4), "in_channels must be an int in 1…1099511627776"),
        (lambda: conv_cost(4, 10**400, 3), "out_channels"),
        (lambda: build_layers(2**40, 2**40, 1, groups=2**40), "kernel_size²"),
        (lambda: connectivity(2**13, 2**13, 1), "the connection matrix"),
        (lambda: conv_cost(2**40, 2**40, 1, groups=3), "one of 1, 2, 4, 8, 16, 32, …"),
    ],
)
def test_huge_layers_are_refused_before_anything_is_built(call, name):
    with pytest.raises(ValueError, match=re.escape(name)):
        call()


def test_a_huge_but_countable_layer_is_counted():
    result = conv_cost(2**20, 2**20, 1, groups=2**20, size=2)  # depthwise 1×1
    assert result.params == 2**20 and result.standard_params == 2**40
    assert result.macs == 2**20 * 4
