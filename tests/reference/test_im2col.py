"""im2col / col2im against torch.nn.functional.unfold / fold, plus every error path."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import int_or_pair, pair

from convlessons.reference import col2im, im2col


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
]


@pytest.mark.parametrize(("override", "error", "message"), COL2IM_ERRORS)
def test_col2im_rejects_bad_arguments(override: dict, error: type, message: str) -> None:
    kwargs = {"columns": np.ones((1, 9, 9)), "output_size": 5, "kernel_size": 3} | override
    with pytest.raises(error, match=message):
        col2im(**kwargs)
