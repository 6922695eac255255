"""Checkers of notebook 03: right answers pass, each typical mistake gets its own hint."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from convlessons.exercises import NOT_ANSWERED
from convlessons.exercises.conv_types import (
    check_parameter_count,
    check_upsampling_settings,
    interior_overlap_range,
)

# ------------------------------------------------------------------ parameter counts


def _torch_params(c_in, c_out, k, groups=1, separable=False, bias=True) -> int:
    """Parameters of the real layers, built here independently of the checker."""
    if separable:
        layer = nn.Sequential(nn.Conv2d(c_in, c_in, k, groups=c_in, bias=bias, device="meta"),
                              nn.Conv2d(c_in, c_out, 1, bias=bias, device="meta"))
    else:
        layer = nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias, device="meta")
    return sum(p.numel() for p in layer.parameters())


@st.composite
def _layers(draw):
    groups = draw(st.sampled_from([1, 2, 4]))
    c_in = groups * draw(st.integers(1, 8))
    c_out = groups * draw(st.integers(1, 8))
    separable = groups == 1 and draw(st.booleans())
    return c_in, c_out, draw(st.integers(1, 5)), groups, separable, draw(st.booleans())


@given(_layers(), st.integers(-3, 3))
def test_parameter_count_accepts_exactly_the_torch_count(layer, offset):
    expected = _torch_params(*layer)
    verdict = check_parameter_count(expected + offset, *layer)
    assert bool(verdict) == (offset == 0)
    if offset == 0:
        assert str(expected) in verdict.message


@pytest.mark.parametrize(
    ("layer", "answer", "hint"),
    [
        ((32, 64, 3), 32 * 64 * 9, "forget the bias"),
        ((32, 64, 3, 4), 32 * 64 * 9 + 64, "C_in/groups = 8"),
        ((32, 64, 3, 1, True), 32 * 9 + 32, "forget the pointwise part"),
        ((32, 64, 3, 1, True), 32 * 64 + 64, "only the pointwise 1×1 part"),
        ((32, 64, 3, 1, True), 32 * 64 * 9 + 64, "that is a standard conv"),
        ((32, 64, 3, 1, True), 64 * 9 + 64, "depthwise conv straight to C_out"),
        ((32, 64, 3, 1, True), 32 * 9 + 32 * 64, "forget the biases"),
        ((32, 64, 3, 1, True), 32 * 9 + 32 * 64 + 64, "only the pointwise biases"),
        ((32, 64, 3), 1234, "C_out·(C_in/groups)·k² + C_out"),
        ((32, 64, 3, 1, True, False), 1234, "C_in·k² + C_out·C_in and"),
    ],
    ids=["bias", "groups", "no-pointwise", "no-depthwise", "standard", "depthwise-to-K",
         "separable-bias", "one-bias", "other", "other-separable"],
)
def test_parameter_count_names_the_mistake(layer, answer, hint):
    verdict = check_parameter_count(answer, *layer)
    assert not verdict
    assert hint in verdict.message


@pytest.mark.parametrize("answer", ["18496", 18496.5, [18496], True])
def test_parameter_count_refuses_non_numbers(answer):
    verdict = check_parameter_count(answer, 32, 64, 3)
    assert not verdict and "one whole number" in verdict.message


def test_parameter_count_placeholder_and_float():
    assert check_parameter_count(..., 32, 64, 3) == NOT_ANSWERED
    assert check_parameter_count(18496.0, 32, 64, 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"in_channels": 0}, ValueError, "in_channels"),
        ({"out_channels": 2.5}, TypeError, "out_channels"),
        ({"kernel_size": 0}, ValueError, "kernel_size"),
        ({"groups": 3}, ValueError, "groups"),
        ({"groups": 2, "separable": True}, ValueError, "groups"),
        ({"separable": "yes"}, TypeError, "separable"),
        ({"bias": 1}, TypeError, "bias"),
    ],
)
def test_parameter_count_refuses_an_invalid_layer(kwargs, error, name):
    layer = {"in_channels": 32, "out_channels": 64, "kernel_size": 3} | kwargs
    with pytest.raises(error, match=name):
        check_parameter_count(1, **layer)


# ------------------------------------------------------------------ transposed settings


def _torch_size(n, k, s, p, op) -> int | None:
    """Output side of F.conv_transpose2d, or None when torch refuses the settings."""
    try:
        out = F.conv_transpose2d(torch.zeros(1, 1, n, n, dtype=torch.float64),
                                 torch.zeros(1, 1, k, k, dtype=torch.float64),
                                 stride=s, padding=p, output_padding=op)
    except RuntimeError:
        return None
    return out.shape[-1] if out.numel() else None


def _uneven(n, k, s) -> bool:
    """Constant input and kernel: do interior output pixels get different sums (torch)?"""
    out = F.conv_transpose2d(torch.ones(1, 1, n, n, dtype=torch.float64),
                             torch.ones(1, 1, k, k, dtype=torch.float64), stride=s)[0, 0]
    interior = out[k - 1 : (n - 1) * s + 1, k - 1 : (n - 1) * s + 1]
    return interior.numel() > 0 and bool(interior.min() != interior.max())


@given(st.integers(1, 6), st.integers(1, 3), st.integers(0, 4), st.integers(0, 2),
       st.integers(2, 6), st.integers(1, 3))
def test_upsampling_is_correct_exactly_when_torch_gives_the_target(k, s, p, op, n, scale):
    target = scale * n
    verdict = check_upsampling_settings((k, s, p, op), input_size=n, target_size=target)
    assert bool(verdict) == (_torch_size(n, k, s, p, op) == target)
    if verdict:
        assert ("not divisible by stride" in verdict.message) == (k % s != 0)
        assert ("checkerboard" in verdict.message) == _uneven(n, k, s)
        assert ("fits" in verdict.message) == (s != scale)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ((3, 2, 1, 0), "13×13, not 14×14: add output_padding = 1"),
        ((4, 2, 0, 0), "16×16, not 14×14: padding crops p rows from each side (2p in all), so "
                       "use padding = 1"),
        ((4, 2, 2, 0), "12×12, not 14×14: padding crops p rows from each side (2p in all), so "
                       "use padding = 1"),
        ((3, 2, 0, 0), "15×15, not 14×14: padding removes 2 rows at a time and 1 is odd"),
        ((1, 2, 1, 0), "11×11, not 14×14: the output is 3 too small; use a larger kernel_size"),
        ((3, 1, 0, 0), "needs stride = 2"),
        ((3, 3, 1, 0), "needs stride = 2"),
        ((4, 2, 1, 2), "output_padding must be smaller than the stride"),
        ((3, 2, 9, 0), "leave no output: padding 9 is too large"),
        ((0, 2, 1, 0), "kernel_size and stride must be ≥ 1"),
        ((4, 2, 1), "Give four whole numbers"),
        ({"kernel_size": 4, "stride": 2}, "Give four whole numbers"),
        ((4, 2, 1.5, 0), "Give four whole numbers"),
        ("4, 2, 1, 0", "Give four whole numbers"),
    ],
)
def test_upsampling_names_the_mistake(answer, hint):
    verdict = check_upsampling_settings(answer)
    assert not verdict
    assert hint in verdict.message


def test_upsampling_correct_answers_and_notes():
    plain = check_upsampling_settings({"kernel_size": 4, "stride": 2, "padding": 1,
                                       "output_padding": 0})
    assert plain and "Note" not in plain.message
    prone = check_upsampling_settings((3, 2, 1, 1))
    assert prone and "kernel_size 3 is not divisible by stride 2" in prone.message
    assert "between 1 and 4 scatters" in prone.message
    one_off = check_upsampling_settings((8, 1, 0, 0))
    assert one_off and "fits 7 → 14 only" in one_off.message
    assert check_upsampling_settings(None) == NOT_ANSWERED


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [({"input_size": 0}, ValueError, "input_size"), ({"target_size": "14"}, TypeError,
                                                      "target_size")],
)
def test_upsampling_refuses_invalid_sizes(kwargs, error, name):
    with pytest.raises(error, match=name):
        check_upsampling_settings((4, 2, 1, 0), **kwargs)


@pytest.mark.parametrize("s", [1, 2, 3, 4])
def test_interior_overlap_range_is_what_torch_scatters(s):
    for n in range(1, 7):
        for k in range(1, 9):
            out = F.conv_transpose2d(torch.ones(1, 1, n, n, dtype=torch.float64),
                                     torch.ones(1, 1, k, k, dtype=torch.float64), stride=s)[0, 0]
            interior = out[k - 1 : (n - 1) * s + 1, k - 1 : (n - 1) * s + 1]
            expected = ((int(interior.min()), int(interior.max())) if interior.numel()
                        else None)
            assert interior_overlap_range(n, k, s) == expected, (n, k, s)


def test_a_right_answer_with_huge_settings_is_checked_without_a_canvas():
    verdict = check_upsampling_settings((3001, 2, 1500, 1))  # (7−1)·2 − 3000 + 3001 + 1 = 14
    assert verdict and "on a larger input the kernel copies overlap unevenly" in verdict.message
    assert interior_overlap_range(10**6, 3001, 2) == (1500**2, 1501**2)
