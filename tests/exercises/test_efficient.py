"""Checkers of notebook 04: right answers pass, each typical mistake gets its hint."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from convlessons.exercises import NOT_ANSWERED
from convlessons.exercises.efficient import check_im2col_matrix, check_multiplication_counts

# --------------------------------------------------------------------------- im2col matrix

# The exercise of 08_efficient_implementations.ipynb: a 1×3×4 input, 2×2 kernel.
IMAGE = np.arange(1, 13, dtype=np.float64).reshape(1, 3, 4)
# Window (oy, ox) is column oy·3 + ox, read row by row; checked against F.unfold below.
SOLUTION = np.array([[1, 2, 3, 5, 6, 7],
                     [2, 3, 4, 6, 7, 8],
                     [5, 6, 7, 9, 10, 11],
                     [6, 7, 8, 10, 11, 12]], dtype=np.float64)


def test_solution_is_torch_unfold():
    assert np.array_equal(F.unfold(torch.from_numpy(IMAGE[None]), 2)[0].numpy(), SOLUTION)


@settings(max_examples=25)
@given(c=st.integers(1, 2), h=st.integers(1, 5), w=st.integers(1, 5), k=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_im2col_accepts_unfold(c, h, w, k, seed):
    image = np.random.default_rng(seed).integers(0, 9, (c, h, w)).astype(np.float64)
    if k > min(h, w):
        with pytest.raises(ValueError, match="kernel"):
            check_im2col_matrix(SOLUTION, image, k)
        return
    columns = F.unfold(torch.from_numpy(image[None]), k)[0]
    assert check_im2col_matrix(columns, image, k)
    assert check_im2col_matrix(columns.numpy().tolist(), image, k)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [(SOLUTION.T, "one window per row"),
     (SOLUTION[:, [0, 3, 1, 4, 2, 5]], "wrong order. Windows go row by row"),
     (SOLUTION[[0, 2, 1, 3]], "Read a window row by row"),
     (SOLUTION[:, :5], "missing: (1, 2)"),
     (SOLUTION[:, [0, 1, 3, 4]], "missing: (0, 2), (1, 2)"),
     (SOLUTION[:3], "needs C·k² = 1·2² = 4 rows"),
     (SOLUTION + np.eye(4, 6), "some entries are not"),
     (np.zeros((3, 3)), "(C·k²) × (H_out·W_out) = 4×6"),
     (np.arange(6), "2-D array"),
     ("columns", "2-D array")],
)
def test_im2col_hints(answer, hint):
    verdict = check_im2col_matrix(answer, IMAGE, 2)
    assert not verdict and hint in verdict.message


def test_im2col_placeholder():
    assert check_im2col_matrix(..., IMAGE, 2) is NOT_ANSWERED


@pytest.mark.parametrize(("args", "name"), [((np.zeros((3, 4)), 2), "image"),
                                            ((IMAGE, 0), "kernel_size"),
                                            ((IMAGE, 1.5), "kernel_size"),
                                            ((IMAGE, 4), "kernel")])
def test_im2col_bad_arguments(args, name):
    with pytest.raises((ValueError, TypeError), match=name):
        check_im2col_matrix(SOLUTION, *args)


# --------------------------------------------------------------------------- counts

# Defaults of the exercise: 12×12 output (36 tiles of 2×2), C = 16, K = 32, F(2×2, 3×3).
DIRECT = 12 * 12 * 9 * 16 * 32
WINOGRAD = 36 * 16 * 16 * 32


def test_counts_solution():
    verdict = check_multiplication_counts((DIRECT, WINOGRAD))
    assert verdict and "2.25× fewer" in verdict.message
    assert check_multiplication_counts(np.array([DIRECT, WINOGRAD]))
    assert check_multiplication_counts([float(DIRECT), np.int64(WINOGRAD)])


@settings(max_examples=30)
@given(tiles=st.integers(1, 8), c=st.integers(1, 64), k=st.integers(1, 64),
       m=st.sampled_from([2, 4, 6]))
def test_counts_match_direct_formula(tiles, c, k, m):
    size = tiles * m
    direct = size * size * 9 * c * k  # every output is a 3×3 dot product per channel pair
    winograd = tiles * tiles * (m + 2) ** 2 * c * k
    assert check_multiplication_counts((direct, winograd), size, c, k, m)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [((WINOGRAD, DIRECT), "swapped"),
     ((36 * 36, WINOGRAD), "Direct: you forgot the channels"),
     ((36 * 36 * 16, WINOGRAD), "but not the 32 output channels"),
     ((36 * 36 * 32, WINOGRAD), "but not the 16 input channels"),
     ((36 * 512, WINOGRAD), "Direct: that is one tile; the output has 36 tiles"),
     ((36 * 6 * 512, WINOGRAD), "Direct: you used the 1-D count"),
     ((12345, WINOGRAD), "count outputs × r² × C × K"),
     ((DIRECT, 36 * 16), "Winograd: you forgot the channels"),
     ((DIRECT, 36 * 16 * 16), "but not the 32 output channels"),
     ((DIRECT, 16 * 512), "Winograd: that is one tile"),
     ((DIRECT, 36 * 4 * 512), "Winograd: you used the 1-D count"),
     ((DIRECT, 36 * 25 * 512), "not m + r"),
     ((DIRECT, 1), "(m + r − 1)² element-wise"),
     ((DIRECT,), "two whole numbers"),
     ("many", "two whole numbers"),
     ((True, False), "two whole numbers")],
)
def test_counts_hints(answer, hint):
    verdict = check_multiplication_counts(answer)
    assert not verdict and hint in verdict.message


def test_counts_placeholder():
    assert check_multiplication_counts(...) is NOT_ANSWERED


@pytest.mark.parametrize(("kwargs", "name"), [({"output_size": 0}, "output_size"),
                                              ({"output_size": 7}, "output_size"),
                                              ({"in_channels": 0}, "in_channels"),
                                              ({"out_channels": 2.5}, "out_channels"),
                                              ({"m": 0}, "m"), ({"r": -1}, "r")])
def test_counts_bad_arguments(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        check_multiplication_counts((1, 1), **kwargs)
