"""Checkers of notebook 08: right answers pass, each typical mistake gets its hint, and the
notebook's own solution blocks pass its own check cells."""

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from notebook_solutions import assert_solution_passes, solution_cells

from convlessons.exercises import NOT_ANSWERED, _answers
from convlessons.exercises.efficient import (
    IM2COL_CASES,
    WINOGRAD_TILE_CASES,
    check_im2col_matrix,
    check_multiplication_counts,
    check_my_im2col,
    check_my_winograd_tile,
)
from convlessons.reference import winograd_matrices

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
     (SOLUTION[:3], "needs C_in·k² = 1·2² = 4 rows"),
     (SOLUTION + np.eye(4, 6), "some entries are not"),
     (np.zeros((3, 3)), "(C_in·k²) × (H_out·W_out) = 4×6"),
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
     ((12345, WINOGRAD), "count outputs × r² × C_in × C_out"),
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


# --------------------------------------------------------------------------- my_im2col


def my_im2col(x, kernel_size, stride=1, padding=0, *, order="cij", pad=True, windows="rows"):
    """A loop im2col, with switches for the typical mistakes."""
    n, c, height, width = x.shape
    k = kernel_size
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if pad else x
    h_out = (x_pad.shape[2] - k) // stride + 1
    w_out = (x_pad.shape[3] - k) // stride + 1
    columns = np.empty((n, c * k * k, h_out * w_out))
    for oy in range(h_out):
        for ox in range(w_out):
            window = x_pad[:, :, oy * stride : oy * stride + k, ox * stride : ox * stride + k]
            if order == "ijc":
                window = window.transpose(0, 2, 3, 1)
            elif order == "cji":
                window = window.transpose(0, 1, 3, 2)
            column = oy * w_out + ox if windows == "rows" else ox * h_out + oy
            columns[:, :, column] = window.reshape(n, -1)
    return columns


def _edge_padded(x, k, stride, padding):
    edge = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), mode="edge")
    return my_im2col(edge, k, stride, 0)


def test_im2col_accepts_a_right_function_and_says_what_it_tested():
    verdict = check_my_im2col(my_im2col)
    assert verdict, verdict.message
    assert f"{IM2COL_CASES} fresh random cases" in verdict.message
    assert "padding" in verdict.message and "batch" in verdict.message


def test_im2col_accepts_unfold_as_a_tensor():
    assert check_my_im2col(lambda x, k, stride, padding: F.unfold(
        torch.from_numpy(x), k, stride=stride, padding=padding))


def test_im2col_cases_are_fresh_on_every_call():
    seen = []

    def spy(x, kernel_size, stride=1, padding=0):
        seen.append(x.copy())
        return my_im2col(x, kernel_size, stride, padding)

    check_my_im2col(spy)
    check_my_im2col(spy)
    assert len(seen) == 2 * IM2COL_CASES
    assert not np.array_equal(seen[0], seen[IM2COL_CASES])
    shapes = {x.shape for x in seen}
    assert len(shapes) > 2 and any(s[0] == 2 for s in shapes) and any(s[2] != s[3] for s in shapes)


@pytest.mark.parametrize(
    ("mistake", "hint"),
    [
        ({"order": "ijc"}, "rows are ordered (i, j, c)"),
        ({"order": "cji"}, "column by column"),
        ({"windows": "columns"}, "go down the columns first"),
    ],
)
def test_im2col_value_mistakes(mistake, hint):
    verdict = check_my_im2col(lambda x, k, stride=1, padding=0: my_im2col(x, k, stride, padding,
                                                                         **mistake))
    assert not verdict and hint in verdict.message


def test_im2col_padding_forgotten():
    def no_padding(x, k, stride=1, padding=0):
        return my_im2col(x, k, stride, padding, pad=False)

    verdict = check_my_im2col(no_padding)
    assert not verdict and "the number of windows without padding" in verdict.message


def test_im2col_transposed_matrix():
    verdict = check_my_im2col(lambda x, k, stride=1, padding=0:
                              my_im2col(x, k, stride, padding).transpose(0, 2, 1))
    assert not verdict and "one window per row" in verdict.message


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda x, k, stride=1, padding=0: my_im2col(x, k, 1, padding), "windows at stride 1"),
        (lambda x, k, stride=1, padding=0: my_im2col(x, k, stride, padding)[0],
         "keep the batch axis"),
        (lambda x, k, stride=1, padding=0: _edge_padded(x, k, stride, padding),
         "repeats the edge pixels"),
        (lambda x, k, stride=1, padding=0: None, "returned None"),
        (lambda x, k, stride=1, padding=0: x[:, :, 99], "raised IndexError"),
        ("my_im2col", "your function itself"),
    ],
)
def test_im2col_other_mistakes(function, hint):
    verdict = check_my_im2col(function)
    assert not verdict and hint in verdict.message


def test_im2col_stops_a_function_that_hangs(monkeypatch):
    monkeypatch.setattr(_answers, "TIME_LIMIT", 0.2)
    started = time.monotonic()
    verdict = check_my_im2col(lambda *args, **kwargs: time.sleep(10))
    assert not verdict and "took longer than 0.2 s" in verdict.message
    assert time.monotonic() - started < 5


# --------------------------------------------------------------------------- my_winograd_tile

BT, G, AT = winograd_matrices(2)


def my_winograd_tile(d, g):
    return AT @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT.T


def test_winograd_tile_accepts_the_transforms_and_says_what_it_tested():
    verdict = check_my_winograd_tile(my_winograd_tile)
    assert verdict, verdict.message
    assert f"{WINOGRAD_TILE_CASES} fresh random tiles" in verdict.message


def test_winograd_tile_cases_are_fresh_on_every_call():
    seen = []

    def spy(d, g):
        seen.append((d.copy(), g.copy()))
        return my_winograd_tile(d, g)

    check_my_winograd_tile(spy)
    check_my_winograd_tile(spy)
    assert len(seen) == 2 * WINOGRAD_TILE_CASES
    assert not np.array_equal(seen[-1][0], seen[WINOGRAD_TILE_CASES - 1][0])
    assert all(d.shape == (4, 4) and g.shape == (3, 3) for d, g in seen)


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda d, g: my_winograd_tile(d, g[::-1, ::-1]), "true convolution (the kernel flipped)"),
        (lambda d, g: AT @ ((G @ g @ G.T) * (BT.T @ d @ BT)) @ AT.T, "you computed B d Bᵀ"),
        (lambda d, g: AT @ ((G @ g @ G.T) @ (BT @ d @ BT.T)) @ AT.T, "as matrices (U @ V)"),
        (lambda d, g: AT @ ((np.sign(G) @ g @ np.sign(G).T) * (BT @ d @ BT.T)) @ AT.T,
         "lost its halves"),
        (lambda d, g: (G @ g @ G.T) * (BT @ d @ BT.T), "without the output transform"),
        (lambda d, g: AT.T @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT, "shape mismatch"),
        (lambda d, g: AT @ ((G.T @ g @ G) * (BT @ d @ BT.T)) @ AT.T, "shape mismatch"),
        (lambda d, g: my_winograd_tile(d, g).T, "rows and columns are swapped"),
        (lambda d, g: my_winograd_tile(d, g) + 1, "Check each transform on its own"),
        (lambda d, g: None, "returned None"),
        (lambda d, g: my_winograd_tile(d, g)[0], "shape (2,)"),
        (my_winograd_tile(np.ones((4, 4)), np.ones((3, 3))), "your function itself"),
    ],
)
def test_winograd_tile_mistakes(function, hint):
    verdict = check_my_winograd_tile(function)
    assert not verdict and hint in verdict.message


def test_winograd_tile_placeholders():
    assert check_my_winograd_tile(...) is NOT_ANSWERED
    assert check_my_im2col(...) is NOT_ANSWERED


# --------------------------------------------------------------------------- the notebook


SOLUTIONS = solution_cells("08_efficient_implementations")


def test_notebook_has_four_solutions():
    assert len(SOLUTIONS) == 4


@pytest.mark.parametrize("cell", SOLUTIONS)
def test_notebook_solution_passes_its_check_cell(cell):
    assert_solution_passes(cell)
