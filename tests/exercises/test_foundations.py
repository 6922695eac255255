"""Checkers of notebook 02: right answers pass, each typical mistake gets its hint, and the
notebook's own solution blocks pass its own check cells."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from notebook_solutions import assert_solution_passes, solution_cells

from convlessons.exercises import NOT_ANSWERED, _answers
from convlessons.exercises.foundations import (
    check_my_compose,
    check_parameter_counts,
    check_threshold_bias,
    composed_kernel,
)

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "02_why_convolution.ipynb"

# --------------------------------------------------------------------------- parameter counts

# Exercise 1: a 32×32 RGB image, 100 hidden units, 16 filters of 5×5.
SIZES = {"height": 32, "width": 32, "in_channels": 3, "hidden": 100, "out_channels": 16,
         "kernel_size": 5}
FC, CONV = 32 * 32 * 3 * 100 + 100, 16 * 3 * 5 * 5 + 16


def test_parameter_counts_are_torchs():
    fc = sum(p.numel() for p in torch.nn.Linear(3072, 100).parameters())
    conv = sum(p.numel() for p in torch.nn.Conv2d(3, 16, 5).parameters())
    assert (fc, conv) == (FC, CONV)
    for answer in ((FC, CONV), [FC, CONV], np.array([FC, CONV]), (float(FC), np.int64(CONV))):
        assert check_parameter_counts(answer, **SIZES)
    assert check_parameter_counts(..., **SIZES) is NOT_ANSWERED


@pytest.mark.parametrize(
    ("answer", "hint"),
    [((CONV, FC), "swapped"),
     ((FC - 100, CONV), "leaves out the biases: each of the 100 hidden units"),
     ((32 * 32 * 100 + 100, CONV), "forgets the channels: each of the 32×32 pixels holds 3"),
     ((32 * 32 * 100, CONV), "forgets the channels (3 numbers per pixel) and the biases"),
     ((FC, CONV - 16), "fully connected count is right. Your convolution count, 1,200, leaves "
                       "out the biases"),
     ((FC, 16 * 25 + 16), "forgets the input channels"),
     ((FC, 3 * 25 + 1), "counts one filter; the layer has 16"),
     ((FC, CONV * 32 * 32), "gives every one of the 32×32 positions its own filter"),
     ((FC, CONV * 28 * 28), "gives every output position its own filter"),
     ((12345, CONV), "not a slip the checker knows: how many numbers does the 3 × 32 × 32"),
     ((FC, 12345), "not a slip the checker knows: count the weights of one filter"),
     (FC, "two whole numbers"), ((FC, CONV, 1), "two whole numbers"),
     ((FC, 1216.5), "two whole numbers")],
)
def test_parameter_count_hints(answer, hint):
    verdict = check_parameter_counts(answer, **SIZES)
    assert not verdict and hint in verdict.message


@pytest.mark.parametrize("name", list(SIZES))
def test_parameter_counts_bad_arguments(name):
    with pytest.raises((ValueError, TypeError), match=name):
        check_parameter_counts((FC, CONV), **{**SIZES, name: 0})


# --------------------------------------------------------------------------- threshold bias

PLUS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]])
BAR = np.array([[1, 1, 1]])


@pytest.mark.parametrize(("pattern", "bias"), [(PLUS, -4), (BAR, -2), (np.ones((2, 2)), -3),
                                               (np.array([[1]]), 0)])
def test_threshold_bias_accepts_one_minus_n(pattern, bias):
    for answer in (bias, float(bias), np.float32(bias), torch.tensor(bias)):
        assert check_threshold_bias(answer, pattern)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [(-3, "only 4 of the pattern's 5 pixels on gives ReLU(4 − 3) = 1 > 0"),
     (0, "only 1 of the pattern's 5 pixels on gives ReLU(1 + 0) = 1"),
     (0.5, "fires on an empty patch"),
     (-5, "never fires: even the complete pattern gives ReLU(5 − 5) = 0"),
     (-7, "never fires"),
     (-4.5, "with strength ReLU(5 − 4.5) = 0.5"),
     (-3.5, "only 4 of the pattern's 5 pixels on"),
     ("-4", "one number"), ((-4, 1), "one number")],
)
def test_threshold_bias_hints(answer, hint):
    verdict = check_threshold_bias(answer, PLUS)
    assert not verdict and hint in verdict.message
    assert check_threshold_bias(..., PLUS) is NOT_ANSWERED


def test_threshold_bias_verdicts_match_torch_on_every_patch():
    """The verdict agrees with trying every binary 3×3 patch through F.conv2d + ReLU."""
    patches = torch.tensor([[(p >> i) & 1 for i in range(9)] for p in range(512)],
                           dtype=torch.float64).reshape(512, 1, 3, 3)
    kernel = torch.tensor(PLUS, dtype=torch.float64)[None, None]
    has_plus = (patches * kernel).sum(dim=(1, 2, 3)) == 5
    for bias in np.arange(-7, 2, 0.5):
        fired = F.relu(F.conv2d(patches, kernel) + bias).flatten()
        right = bool(torch.all(fired[has_plus] == 1) and torch.all(fired[~has_plus] == 0))
        assert bool(check_threshold_bias(bias, PLUS)) == right == (bias == -4)


@pytest.mark.parametrize("pattern", [np.zeros((3, 3)), np.full((2, 2), 2), np.ones((5, 5)),
                                     np.ones(3), "plus"])
def test_threshold_bias_bad_pattern(pattern):
    with pytest.raises((ValueError, TypeError), match="pattern"):
        check_threshold_bias(-4, pattern)


# --------------------------------------------------------------------------- compose


@settings(max_examples=40)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
       st.integers(0, 2**32 - 1))
def test_composed_kernel_replaces_the_two_convolutions(a, b, c, d, seed):
    rng = np.random.default_rng(seed)
    k1, k2 = rng.standard_normal((a, b)), rng.standard_normal((c, d))
    x = torch.from_numpy(rng.standard_normal((1, 1, a + c + 3, b + d + 2)))
    two = F.conv2d(F.conv2d(x, torch.from_numpy(k1)[None, None]), torch.from_numpy(k2)[None, None])
    kernel = composed_kernel(k1, k2)
    assert kernel.shape == (a + c - 1, b + d - 1)
    one = F.conv2d(x, torch.from_numpy(kernel)[None, None])
    torch.testing.assert_close(one, two, rtol=1e-10, atol=1e-10)


def compose(k1, k2, *, mistake=None):
    """The notebook's solution, with switches for the typical mistakes."""
    if mistake == "none":
        return None
    if mistake == "raise":
        return k1[10, 10]
    if mistake == "product":
        return k1 * k2
    a, b = k1.shape
    c, d = k2.shape
    if mistake == "valid":
        k1, k2 = (k1, k2) if a >= c and b >= d else (k2, k1)
        return F.conv2d(torch.from_numpy(k1)[None, None],
                        torch.from_numpy(k2)[None, None])[0, 0].numpy()
    extra = 1 if mistake == "one too many" else 0
    out = np.zeros((a + c - 1 + extra, b + d - 1 + extra))
    if mistake == "correlation":
        k2 = k2[::-1, ::-1]
    for m in range(a):
        for n in range(b):
            out[m : m + c, n : n + d] += k1[m, n] * k2
    if mistake == "rotated":
        return out[::-1, ::-1]
    if mistake == "transposed":
        return out.T
    if mistake == "tensor":
        return torch.from_numpy(out)
    return out


def test_compose_solution_passes_and_says_what_it_tested():
    verdict = check_my_compose(compose)
    assert verdict and "4 fresh random cases" in verdict.message
    assert check_my_compose(lambda k1, k2: compose(k1, k2, mistake="tensor"))
    assert check_my_compose(...) is NOT_ANSWERED


@pytest.mark.parametrize(
    ("mistake", "hints"),
    [("none", ["returned None"]),
     ("raise", ["raised IndexError", "k1 of shape (3, 3), k2 of shape (3, 3)",
                "how many positions can an offset m + m' take?"]),
     ("product", ["the same size as one kernel"]),
     ("valid", ["slid one kernel inside the other"]),
     ("one too many", ["one row and one column too many"]),
     ("correlation", ["as a cross-correlation", "one of them ends up flipped"]),
     ("rotated", ["rotated by 180°"]),
     ("transposed", ["rows and columns are swapped"])],
)
def test_compose_hints(mistake, hints):
    verdict = check_my_compose(lambda k1, k2: compose(k1, k2, mistake=mistake))
    assert not verdict
    for hint in hints:
        assert hint in verdict.message


def test_compose_draws_fresh_cases_on_every_call():
    seen = []

    def remember(k1, k2):
        seen.append((k1.copy(), k2.copy()))
        return compose(k1, k2)

    assert check_my_compose(remember) and check_my_compose(remember)
    assert len(seen) == 8
    first_call, second_call = seen[:4], seen[4:]
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(first_call, second_call, strict=True))
    replay = {(k1.tobytes(), k2.tobytes()): compose(k1, k2) for k1, k2 in first_call}
    verdict = check_my_compose(lambda k1, k2: replay.get((k1.tobytes(), k2.tobytes())))
    assert not verdict  # a table of the last call's answers does not pass


def test_compose_refuses_non_functions_and_junk_results():
    verdict = check_my_compose(compose(np.ones((3, 3)), np.ones((3, 3))))
    assert not verdict and "your function itself" in verdict.message
    verdict = check_my_compose(lambda k1, k2: "kernel")
    assert not verdict and "2-D array" in verdict.message
    verdict = check_my_compose(lambda k1, k2: np.ones(5))
    assert not verdict and "2-D array" in verdict.message


def test_compose_stops_a_function_that_hangs(monkeypatch):
    monkeypatch.setattr(_answers, "TIME_LIMIT", 0.2)

    def hangs(k1, k2):
        while True:
            time.sleep(0.01)

    started = time.monotonic()
    verdict = check_my_compose(hangs)
    assert not verdict and "took longer than 0.2 s" in verdict.message
    assert time.monotonic() - started < 5


# --------------------------------------------------------------------------- the notebook


SOLUTIONS = solution_cells("02_why_convolution")


def test_notebook_has_three_solutions():
    assert len(SOLUTIONS) == 3


@pytest.mark.parametrize("cell", SOLUTIONS)
def test_notebook_solution_passes_its_check_cell(cell):
    assert_solution_passes(cell)
