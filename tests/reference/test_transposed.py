"""conv_transpose2d against torch; the zero-insertion view; the corrected output size;
transposed_conv, the lesson's single-channel model of both views."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracles import torch_transposed

from convlessons.arithmetic import conv_transpose_output_size
from convlessons.reference.transposed import (
    conv_transpose2d,
    equivalent_conv_weight,
    example_arrays,
    transposed_conv,
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


def often_found_transposed_output_size(input_size, kernel_size, stride, padding):
    """The output size you will often find: no output_padding, no dilation."""
    return (input_size - 1) * stride - 2 * padding + kernel_size


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "op", "d"), [(4, 4, 2, 1, 1, 1), (5, 3, 2, 1, 1, 1), (4, 3, 1, 0, 0, 2)]
)
def test_corrected_output_size_matches_torch_where_the_often_found_one_does_not(
    n, k, s, p, op, d
):
    x, w = np.ones((1, 1, n, n)), np.ones((1, 1, k, k))
    kwargs = {"stride": s, "padding": p, "output_padding": op, "dilation": d}
    torch_size = _torch(F.conv_transpose2d, x, w, **kwargs).shape[-1]
    assert conv_transpose_output_size(n, k, s, p, op, d) == torch_size
    assert conv_transpose2d(x, w, **kwargs).shape[-1] == torch_size
    assert often_found_transposed_output_size(n, k, s, p) != torch_size


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


# -- transposed_conv: one channel, scatter steps and zero insertion -------------------------


@st.composite
def single_channel_cases(draw):
    n, k = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    stride, padding = draw(st.integers(1, 3)), draw(st.integers(0, 3))
    output_padding = draw(st.integers(0, stride - 1))
    assume((n - 1) * stride - 2 * padding + k + output_padding >= 1)
    values = st.floats(-3, 3)
    x = np.reshape(draw(st.lists(values, min_size=n * n, max_size=n * n)), (n, n))
    w = np.reshape(draw(st.lists(values, min_size=k * k, max_size=k * k)), (k, k))
    return x, w, stride, padding, output_padding


@settings(max_examples=60)
@given(single_channel_cases())
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
@given(single_channel_cases(), st.data())
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


def test_transposed_conv_worked_example_texts():
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
def test_transposed_conv_bad_arguments_name_the_parameter(kwargs, error, name):
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
