"""conv_transpose2d against torch; the zero-insertion view; the corrected output size."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convlessons.arithmetic import conv_transpose_output_size
from convlessons.reference.transposed import (
    conv_transpose2d,
    equivalent_conv_weight,
    zero_insert,
)


def _torch(function, *arrays, **kwargs):
    tensors = [None if a is None else torch.from_numpy(a) for a in arrays]
    return function(*tensors, **kwargs).numpy()


def _output_sizes(x_shape, w_shape, settings_):
    """Transposed-conv output (H, W) by torch's formula, or None when torch refuses."""
    try:
        return tuple(
            conv_transpose_output_size(n, k, s, p, op, d)
            for n, k, s, p, op, d in zip(x_shape[-2:], w_shape[-2:], *settings_, strict=True)
        )
    except ValueError:
        return None


@st.composite
def transposed_cases(draw, max_dilation=3):
    groups = draw(st.integers(1, 3))
    c_in, c_out_group = groups * draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x = (draw(st.integers(1, 2)), c_in, draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    w = (c_in, c_out_group, draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    dilation = draw(st.tuples(st.integers(1, max_dilation), st.integers(1, max_dilation)))
    padding = draw(st.tuples(st.integers(0, 3), st.integers(0, 3)))
    output_padding = tuple(
        draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    settings_ = (stride, padding, output_padding, dilation)
    assume(_output_sizes(x, w, settings_) is not None)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    bias = rng.standard_normal(c_out_group * groups) if draw(st.booleans()) else None
    kwargs = dict(zip(("stride", "padding", "output_padding", "dilation"), settings_, strict=True))
    return rng.standard_normal(x), rng.standard_normal(w), bias, groups, kwargs


@given(case=transposed_cases())
@settings(max_examples=150)
def test_conv_transpose2d_matches_torch(case):
    x, w, bias, groups, kwargs = case
    out = conv_transpose2d(x, w, bias, groups=groups, **kwargs)
    expected = _torch(F.conv_transpose2d, x, w, bias, groups=groups, **kwargs)
    assert out.shape == expected.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def _pad_or_crop(x, before, after):
    """Zero-pad (positive amounts) or crop (negative amounts) the last two axes."""
    (pad_h, pad_w) = [(max(b, 0), max(a, 0)) for b, a in zip(before, after, strict=True)]
    x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [pad_h, pad_w])
    (top, left), (bottom, right) = [max(-b, 0) for b in before], [max(-a, 0) for a in after]
    return x[..., top : x.shape[-2] - bottom, left : x.shape[-1] - right]


@given(case=transposed_cases(max_dilation=1))
@settings(max_examples=100)
def test_transposed_conv_is_a_conv_of_the_zero_inserted_input(case):
    x, w, _, groups, kwargs = case
    stride, padding, extra = kwargs["stride"], kwargs["padding"], kwargs["output_padding"]
    kernel = w.shape[2:]
    before = [k - 1 - p for k, p in zip(kernel, padding, strict=True)]
    after = [b + op for b, op in zip(before, extra, strict=True)]
    spread = _pad_or_crop(zero_insert(x, stride), before, after)
    as_conv = _torch(F.conv2d, spread, equivalent_conv_weight(w, groups), groups=groups)
    out = conv_transpose2d(x, w, groups=groups, **kwargs)
    np.testing.assert_allclose(out, as_conv, rtol=1e-12, atol=1e-12)


@given(case=transposed_cases())
@settings(max_examples=50)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(case):
    x, w, _, groups, kwargs = case
    forward = {k: v for k, v in kwargs.items() if k != "output_padding"}
    out = conv_transpose2d(x, w, groups=groups, **kwargs)
    probe = np.random.default_rng(0).standard_normal(out.shape)
    height, width = x.shape[-2:]  # output_padding >= stride leaves one extra window: crop
    conv = _torch(F.conv2d, probe, w, groups=groups, **forward)[..., :height, :width]
    assert np.isclose(np.vdot(conv, x), np.vdot(probe, out), rtol=1e-10, atol=1e-10)


def test_each_input_cell_adds_a_scaled_copy_of_the_kernel():
    kernel = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    x = np.zeros((1, 1, 2, 3))
    x[0, 0, 1, 2] = 2.0
    out = conv_transpose2d(x, kernel, stride=2)
    expected = np.zeros((5, 7))
    expected[2:5, 4:7] = 2.0 * kernel[0, 0]
    np.testing.assert_array_equal(out[0, 0], expected)


def test_zero_insert_worked_example():
    np.testing.assert_array_equal(
        zero_insert([[1, 2], [3, 4]], 2), [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    )
    spread = zero_insert(np.ones((2, 3, 4, 5), np.float32), (3, 1))
    assert spread.shape == (2, 3, 10, 5) and spread.dtype == np.float32


def test_equivalent_conv_weight_swaps_channels_per_group_and_flips():
    w = np.arange(4 * 3 * 2 * 2, dtype=float).reshape(4, 3, 2, 2)  # C_in=4, groups=2
    out = equivalent_conv_weight(w, groups=2)
    assert out.shape == (6, 2, 2, 2)
    np.testing.assert_array_equal(out[3 + 1, 0], w[2 + 0, 1, ::-1, ::-1])


def seed_transposed_output_size(input_size, kernel_size, stride, padding):
    """The seed lesson's formula, verbatim: no output_padding, no dilation."""
    return (input_size - 1) * stride - 2 * padding + kernel_size


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "op", "d"), [(4, 4, 2, 1, 1, 1), (5, 3, 2, 1, 1, 1), (4, 3, 1, 0, 0, 2)]
)
def test_corrected_output_size_matches_torch_where_the_seed_formula_does_not(n, k, s, p, op, d):
    x, w = np.ones((1, 1, n, n)), np.ones((1, 1, k, k))
    kwargs = {"stride": s, "padding": p, "output_padding": op, "dilation": d}
    torch_size = _torch(F.conv_transpose2d, x, w, **kwargs).shape[-1]
    assert conv_transpose_output_size(n, k, s, p, op, d) == torch_size
    assert conv_transpose2d(x, w, **kwargs).shape[-1] == torch_size
    assert seed_transposed_output_size(n, k, s, p) != torch_size


def test_unbatched_float32_and_unbatched_bias():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    w = rng.standard_normal((2, 5, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    out = conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)
    assert out.shape == (5, 6, 8) and out.dtype == np.float32
    expected = _torch(F.conv_transpose2d, x, w, b, stride=2, padding=1, output_padding=1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


X, W = np.ones((1, 4, 3, 3)), np.ones((4, 2, 3, 3))


@pytest.mark.parametrize(
    ("call", "error", "names"),
    [
        (lambda: conv_transpose2d(np.ones((4, 3)), W), ValueError, ("input", "dimensions")),
        (lambda: conv_transpose2d(X, np.ones((4, 2, 3))), ValueError, ("weight", "dimensions")),
        (lambda: conv_transpose2d(X, W, stride=0), ValueError, ("stride", ">= 1")),
        (lambda: conv_transpose2d(X, W, dilation=(1, 0)), ValueError, ("dilation", ">= 1")),
        (lambda: conv_transpose2d(X, W, padding=-1), ValueError, ("padding", ">= 0")),
        (lambda: conv_transpose2d(X, W, output_padding=-1), ValueError, ("output_padding",)),
        (lambda: conv_transpose2d(X, W, output_padding=1), ValueError,
         ("output_padding", "max(stride, dilation)")),
        (lambda: conv_transpose2d(X, W, stride=(2, 1), output_padding=(1, 1)), ValueError,
         ("output_padding", "< max(stride, dilation) = 1")),
        (lambda: conv_transpose2d(X, W, groups=0), ValueError, ("groups", ">= 1")),
        (lambda: conv_transpose2d(X, W, groups=3), ValueError, ("groups", "C_in")),
        (lambda: conv_transpose2d(X, W, groups=True), TypeError, ("groups",)),
        (lambda: conv_transpose2d(np.ones((1, 3, 3, 3)), W), ValueError, ("weight.shape[0]",)),
        (lambda: conv_transpose2d(X, W, np.ones(3)), ValueError, ("bias", "(2,)")),
        (lambda: conv_transpose2d(X, W, np.ones((2, 1))), ValueError, ("bias", "dimensions")),
        (lambda: conv_transpose2d(X, W, padding=3), ValueError, ("padding", "output size")),
        (lambda: conv_transpose2d(X * np.nan, W), ValueError, ("input", "finite")),
        (lambda: conv_transpose2d(X, W * np.inf), ValueError, ("weight", "finite")),
        (lambda: conv_transpose2d(X, W, [1.0, np.nan]), ValueError, ("bias", "finite")),
        (lambda: conv_transpose2d(np.ones((1, 4, 0, 3)), W), ValueError, ("input", "empty")),
        (lambda: conv_transpose2d(X, [[["a"]]]), TypeError, ("weight",)),
        (lambda: zero_insert(np.ones(3), 2), ValueError, ("input", "dimensions")),
        (lambda: zero_insert(X, 0), ValueError, ("stride", ">= 1")),
        (lambda: equivalent_conv_weight(W, groups=3), ValueError, ("groups", "C_in")),
        (lambda: equivalent_conv_weight(W, groups=0), ValueError, ("groups", ">= 1")),
    ],
)
def test_errors_name_the_parameter(call, error, names):
    with pytest.raises(error) as info:
        call()
    for name in names:
        assert name in str(info.value)
