"""im2col / col2im against torch.nn.functional.unfold / fold, plus every error path;
im2col_product, the lesson's one-channel W_row @ columns, against torch.nn.functional.conv2d."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import int_or_pair, pair

from convlessons.reference import col2im, conv2d, im2col
from convlessons.reference.im2col import example_arrays, im2col_product


@st.composite
def unfold_case(draw: st.DrawFn) -> dict:
    """Valid unfold arguments; the image is drawn large enough for the dilated kernel."""
    kernel = draw(int_or_pair(1, 4))
    stride = draw(int_or_pair(1, 3))
    padding = draw(int_or_pair(0, 2))
    dilation = draw(int_or_pair(1, 3))
    size = []
    for k, p, d in zip(pair(kernel), pair(padding), pair(dilation), strict=True):
        size.append(max(1, d * (k - 1) + 1 - 2 * p + draw(st.integers(0, 6))))
    lead = draw(st.sampled_from([(), (1,), (2,), (3,)]))
    channels = draw(st.integers(1, 3))
    return {
        "shape": (*lead, channels, *size),
        "kwargs": {
            "kernel_size": kernel,
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
        },
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


@settings(max_examples=150)
@given(unfold_case())
def test_im2col_matches_torch_unfold(case: dict) -> None:
    x = np.random.default_rng(case["seed"]).standard_normal(case["shape"])
    expected = F.unfold(torch.from_numpy(x), **case["kwargs"]).numpy()
    np.testing.assert_array_equal(im2col(x, **case["kwargs"]), expected)


@settings(max_examples=150)
@given(unfold_case())
def test_col2im_matches_torch_fold(case: dict) -> None:
    rng = np.random.default_rng(case["seed"])
    size = case["shape"][-2:]
    columns_shape = F.unfold(torch.zeros(case["shape"]), **case["kwargs"]).shape
    columns = rng.standard_normal(tuple(columns_shape))
    expected = F.fold(torch.from_numpy(columns), size, **case["kwargs"]).numpy()
    folded = col2im(columns, size, **case["kwargs"])
    assert folded.shape == expected.shape
    np.testing.assert_allclose(folded, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=50)
@given(unfold_case())
def test_col2im_is_the_adjoint_of_im2col(case: dict) -> None:
    """<im2col(x), c> == <x, col2im(c)>: fold sums overlaps, it does not invert unfold."""
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["shape"])
    columns = im2col(x, **case["kwargs"])
    c = rng.standard_normal(columns.shape)
    folded = col2im(c, case["shape"][-2:], **case["kwargs"])
    np.testing.assert_allclose(np.vdot(columns, c), np.vdot(x, folded), rtol=1e-10, atol=1e-10)


def test_float32_stays_float32() -> None:
    x = np.ones((1, 2, 5, 5), dtype=np.float32)
    columns = im2col(x, 3)
    assert columns.dtype == np.float32
    assert col2im(columns, 5, 3).dtype == np.float32


def test_fold_of_unfold_counts_window_overlaps() -> None:
    """Worked example: folding the columns of an all-ones 4x4 image counts windows per pixel."""
    counts = col2im(im2col(np.ones((1, 1, 4, 4)), 3), (4, 4), 3)[0, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


IM2COL_ERRORS = [
    ({"input": np.ones((5, 5))}, ValueError, r"input must have 3 or 4 dimensions"),
    ({"input": np.full((1, 1, 5, 5), np.nan)}, ValueError, r"input must contain only finite"),
    ({"input": np.ones((1, 1, 5, 5), complex)}, TypeError, r"input must be a real"),
    ({"kernel_size": 0}, ValueError, r"kernel_size must be a positive int .*>= 1"),
    ({"kernel_size": 2.5}, TypeError, r"kernel_size must be"),
    ({"kernel_size": 6}, ValueError, r"kernel_size does not fit along the height"),
    ({"kernel_size": (1, 6)}, ValueError, r"kernel_size does not fit along the width"),
    ({"kernel_size": 3, "dilation": 3}, ValueError, r"kernel_size does not fit.*dilation 3"),
    ({"stride": 0}, ValueError, r"stride must be a positive int .*>= 1"),
    ({"stride": (1, 2, 3)}, TypeError, r"stride must be"),
    ({"padding": -1}, ValueError, r"padding must be a non-negative int .*>= 0"),
    ({"padding": "same"}, TypeError, r"padding must be"),
    ({"dilation": 0}, ValueError, r"dilation must be a positive int .*>= 1"),
    ({"input": np.ones((1, 1, 0, 5))}, ValueError, r"^input must have no empty axis, got shape"),
    ({"input": np.ones((0, 5, 5))}, ValueError, r"^input must have no empty axis"),
    ({"padding": 10**30}, ValueError, r"^padding=10{30} implies the padded input .* budget"),
]


@pytest.mark.parametrize(("override", "error", "message"), IM2COL_ERRORS)
def test_im2col_rejects_bad_arguments(override: dict, error: type, message: str) -> None:
    kwargs = {"input": np.ones((1, 1, 5, 5)), "kernel_size": 3} | override
    with pytest.raises(error, match=message):
        im2col(**kwargs)


COL2IM_ERRORS = [
    ({"columns": np.ones(9)}, ValueError, r"columns must have 2 or 3 dimensions"),
    ({"columns": np.ones((1, 8, 9))}, ValueError, r"columns.shape\[-2\] must be a multiple of kH"),
    ({"columns": np.ones((1, 9, 10))}, ValueError, r"columns.shape\[-1\] \(L\) must equal .* 9"),
    ({"columns": np.full((1, 9, 9), np.inf)}, ValueError, r"columns must contain only finite"),
    ({"output_size": 0}, ValueError, r"output_size must be a positive int"),
    ({"output_size": "5"}, TypeError, r"output_size must be"),
    ({"output_size": 2}, ValueError, r"kernel_size does not fit along the height"),
    ({"kernel_size": 0}, ValueError, r"kernel_size must be a positive int"),
    ({"stride": 0}, ValueError, r"stride must be a positive int"),
    ({"padding": -2}, ValueError, r"padding must be a non-negative int"),
    ({"dilation": (1, 0)}, ValueError, r"dilation must be a positive int"),
    ({"columns": np.ones((1, 0, 9))}, ValueError, r"^columns must have no empty axis"),
    ({"output_size": 10**6}, ValueError,
     r"^output_size=1000000 with padding=0 implies the folded image of shape \(1, 1, 1000000, "),
]


@pytest.mark.parametrize(("override", "error", "message"), COL2IM_ERRORS)
def test_col2im_rejects_bad_arguments(override: dict, error: type, message: str) -> None:
    kwargs = {"columns": np.ones((1, 9, 9)), "output_size": 5, "kernel_size": 3} | override
    with pytest.raises(error, match=message):
        col2im(**kwargs)


# -- im2col_product: one output channel as W_row @ columns ----------------------------------


@st.composite
def conv_cases(draw):
    channels = draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 2))
    height = draw(st.integers(max(1, k - 2 * padding), 8))
    width = draw(st.integers(max(1, k - 2 * padding), 8))
    x = draw(st.lists(st.floats(-3, 3), min_size=channels * height * width,
                      max_size=channels * height * width))
    w = draw(st.lists(st.floats(-3, 3), min_size=channels * k * k, max_size=channels * k * k))
    return (np.reshape(x, (channels, height, width)), np.reshape(w, (channels, k, k)),
            stride, padding)


@settings(max_examples=60)
@given(conv_cases())
def test_product_equals_torch_conv2d(case):
    x, w, stride, padding = case
    result = im2col_product(x, w, stride, padding)
    expected = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w)[None],
                        stride=stride, padding=padding)[0, 0].numpy()
    np.testing.assert_allclose(result.output, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.output, conv2d(x, w[None], stride=stride,
                                                     padding=padding)[0], atol=1e-12)
    assert result.columns.shape == (w.size, expected.size)
    assert result.memory_factor == result.columns.size / x.size


@settings(max_examples=30)
@given(conv_cases(), st.data())
def test_column_is_the_window_at_its_position(case, data):
    x, w, stride, padding = case
    result = im2col_product(x, w, stride, padding)
    position = data.draw(st.integers(0, result.positions - 1))
    top, left = result.window(position)
    k, p = result.kernel_size, padding
    window = result.padded_input[:, top + p : top + p + k, left + p : left + p + k]
    np.testing.assert_array_equal(result.columns[:, position], window.ravel())
    oy, ox = result.output_cell(position)
    assert result.output[oy, ox] == pytest.approx(float(np.sum(window * w)), abs=1e-9)


@pytest.mark.parametrize("stride", [1, 2])
def test_memory_factor_is_k2_over_s2_for_same_padding(stride):
    x, w = example_arrays(64, 1, 3)
    result = im2col_product(x, w, stride, padding=1)
    assert result.memory_factor == pytest.approx(9 / stride**2)
    assert "k²/s² = 3²/" in result.shapes_text()


def test_im2col_product_worked_example_texts():
    x = np.arange(9, dtype=float).reshape(1, 3, 3)
    w = np.array([[[1.0, 0.0], [0.0, -1.0]]])
    result = im2col_product(x, w)
    assert "(1 × 4) @ <b>columns</b> (4 × 4)" in result.shapes_text()
    assert result.sum_text(3) == (
        "output[1, 1] = W_row · columns[:, 3] = (1)(4) + (0)(5) + (0)(7) + (-1)(8) = <b>-4</b>"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"input": np.zeros((3, 3))}, ValueError, "input"),
        ({"weight": np.zeros((2, 2, 2))}, ValueError, "weight"),
        ({"weight": np.zeros((1, 2, 3))}, ValueError, "weight"),
        ({"stride": 0}, ValueError, "stride"),
        ({"stride": 1.5}, TypeError, "stride"),
        ({"padding": -1}, ValueError, "padding"),
        ({"weight": np.zeros((1, 5, 5))}, ValueError, "kernel_size"),
    ],
)
def test_im2col_product_bad_arguments_name_the_parameter(kwargs, error, name):
    arguments = {"input": np.zeros((1, 3, 3)), "weight": np.zeros((1, 2, 2))} | kwargs
    with pytest.raises(error, match=name):
        im2col_product(**arguments)


def test_bad_position_and_example_sizes_name_the_parameter():
    result = im2col_product(np.zeros((1, 3, 3)), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match=r"position must be in 0…3"):
        result.window(4)
    with pytest.raises(ValueError, match="position"):
        result.output_cell(-1)
    for name in ("size", "channels", "kernel_size", "seed"):
        arguments = {"size": 4, "channels": 1, "kernel_size": 2} | {name: -1}
        with pytest.raises(ValueError, match=name):
            example_arrays(**arguments)
