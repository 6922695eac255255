"""Checkers for ``02_why_convolution``.

- :func:`check_parameter_counts` -- the parameters of a fully connected layer and of a
  convolution on the same image, counted from real torch layers.
- :func:`check_threshold_bias` -- the bias that makes ``ReLU(K ⋆ X + b)`` fire, with
  strength 1, only on a complete binary pattern.
- :func:`check_my_compose` -- a learner's ``my_compose(k1, k2)``: the single kernel that
  does what ``k1`` then ``k2`` do, run on fresh random kernels against PyTorch.

Every expected value is computed (torch layers, ``F.conv2d``, ``F.conv_transpose2d``), and
every hint names the mistake that reproduces the learner's answer exactly.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from convlessons._format import format_number
from convlessons._validation import as_array, as_int
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import (
    LearnerFunctionFailed,
    call_learner,
    not_a_function,
    real_array,
    real_number,
    whole_numbers,
)
from convlessons.models import count_parameters

__all__ = ["COMPOSE_CASES", "check_my_compose", "check_parameter_counts",
           "check_threshold_bias", "composed_kernel"]


# -------------------------------------------------------------------- parameter counts


@checker
def check_parameter_counts(answer: object, height: int, width: int, in_channels: int,
                           hidden: int, out_channels: int, kernel_size: int) -> Verdict:
    """Check ``(fully connected, convolution)``: the parameter counts of two layers.

    The fully connected layer is ``nn.Linear(H·W·C_in, hidden)`` on the flattened
    ``C_in × H × W`` image, the convolution ``nn.Conv2d(C_in, C_out, k)``, both with bias;
    the counts are ``sum(p.numel())`` over the layers built on torch's ``meta`` device (no
    memory is allocated, so a huge layer costs nothing). Hints: a bias forgotten, the
    channels forgotten (input channels, or for the convolution the output channels), a
    filter per output position (no weight sharing), the two counts swapped.

    Raises
    ------
    ValueError, TypeError
        If a size is not an int >= 1 (the message names it).
    """
    h, w = as_int(height, "height", minimum=1), as_int(width, "width", minimum=1)
    c_in = as_int(in_channels, "in_channels", minimum=1)
    units = as_int(hidden, "hidden", minimum=1)
    c_out = as_int(out_channels, "out_channels", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    fc = count_parameters(nn.Linear(h * w * c_in, units, device="meta"))
    conv = count_parameters(nn.Conv2d(c_in, c_out, k, device="meta"))
    weights = c_out * c_in * k * k
    yield
    got_fc, got_conv = whole_numbers(answer, 2, "two whole numbers: "
                                                "(fully connected count, convolution count)")
    if (got_fc, got_conv) == (fc, conv):
        return correct(f"The fully connected layer has {fc:,} parameters, the convolution "
                       f"{conv:,}: {fc // conv:,} times fewer, because each filter looks at "
                       f"a {k}×{k} window only and is shared by every position.")
    if (got_fc, got_conv) == (conv, fc):
        return wrong("The two counts are swapped: give (fully connected, convolution).")
    fc_mistakes = {
        fc - units: f"leaves out the biases: each of the {units} hidden units has one",
        h * w * units + units: f"forgets the channels: each of the {h}×{w} pixels holds "
                               f"{c_in} numbers, and each is one input",
        h * w * units: f"forgets the channels ({c_in} numbers per pixel) and the biases",
    }
    conv_mistakes = {
        weights: f"leaves out the biases: each of the {c_out} filters has one",
        c_out * k * k + c_out: f"forgets the input channels: each filter has one {k}×{k} "
                               f"kernel per input channel ({c_in} of them)",
        c_in * k * k + 1: f"counts one filter; the layer has {c_out}",
        conv * h * w: f"gives every one of the {h}×{w} positions its own filter; a "
                      "convolution shares one set of filters across all positions",
        conv * (h - k + 1) * (w - k + 1): "gives every output position its own filter; a "
                                          "convolution shares one set of filters across "
                                          "all positions",
    }
    if got_fc != fc:
        slip = fc_mistakes.get(got_fc, f"is not a slip the checker knows: how many numbers "
                                       f"does the {c_in} × {h} × {w} image hold, and how "
                                       f"many weights does each hidden unit need?")
        return wrong(f"Your fully connected count, {got_fc:,}, {slip}.")
    slip = conv_mistakes.get(got_conv, "is not a slip the checker knows: count the "
                                       "weights of one filter (it covers every input "
                                       "channel), then the filters, then the biases")
    return wrong(f"The fully connected count is right. Your convolution count, {got_conv:,}, "
                 f"{slip}.")


# -------------------------------------------------------------------- bias as threshold


def _signed(value: float) -> str:
    """`` − 4`` or `` + 0.5``: a term added to a sum, as written by hand."""
    return f" − {format_number(-value)}" if value < 0 else f" + {format_number(value)}"


@checker
def check_threshold_bias(answer: object, pattern: np.ndarray) -> Verdict:
    """Check a bias ``b`` for the detector ``ReLU(K ⋆ X + b)`` of a binary ``pattern``.

    ``K`` is ``pattern`` itself (weight 1 on its pixels, 0 elsewhere). Every binary patch of
    the pattern's size is run through ``F.conv2d`` and ``F.relu``: the detector must give 1
    on every patch that holds the complete pattern and 0 on every other one; that is
    ``b = 1 − n`` for a pattern of ``n`` pixels. Hints: it fires on an empty patch (b > 0),
    on a partial pattern (b too high, with the smallest such patch), never (b too low), or
    only on full patterns but not with strength 1.

    Raises
    ------
    ValueError, TypeError
        If ``pattern`` is not a 2-D array of 0s and 1s, 1–4 pixels a side, with a 1.
    """
    kernel = as_array(pattern, "pattern", ndim=2, layout="(k, k)")
    if not (set(np.unique(kernel)) <= {0.0, 1.0} and kernel.any()
            and max(kernel.shape) <= 4):
        raise ValueError(f"pattern must be 0s and 1s with at least one 1, at most 4 × 4, "
                         f"got {kernel.tolist()}")
    size = kernel.size
    patches = torch.tensor(list(itertools.product((0.0, 1.0), repeat=size)), dtype=torch.float64)
    patches = patches.reshape(-1, 1, *kernel.shape)
    sums = F.conv2d(patches, torch.from_numpy(kernel)[None, None]).flatten()
    complete = sums == kernel.sum()  # the pattern's pixels are all on
    n = int(kernel.sum())
    yield
    b = real_number(answer, "one number: the bias")
    fired = F.relu(sums + b)
    strength = float(fired[complete][0])
    if abs(strength - 1) <= 1e-9 and torch.all(fired[~complete] == 0):
        return correct(f"With b = {format_number(b)} the complete pattern gives "
                       f"ReLU({n}{_signed(b)}) = 1 and a patch missing any of its "
                       f"pixels gives ReLU(≤ {n - 1}{_signed(b)}) = 0.")
    partial = (fired > 0) & ~complete
    if partial.any():
        fewest = int(sums[partial].min())
        if fewest == 0:
            return wrong(f"With b = {format_number(b)} the detector fires on an empty patch: "
                         f"ReLU(0{_signed(b)}) > 0. A threshold bias is negative.")
        return wrong(f"With b = {format_number(b)} a patch with only {fewest} of the "
                     f"pattern's {n} pixels on gives ReLU({fewest}{_signed(b)}) = "
                     f"{format_number(fewest + b)} > 0: the detector also fires on a partial "
                     "pattern. Lower the bias.")
    if strength == 0:
        return wrong(f"With b = {format_number(b)} the detector never fires: even the complete "
                     f"pattern gives ReLU({n}{_signed(b)}) = 0. Raise the bias.")
    return wrong(f"With b = {format_number(b)} the detector fires on the complete pattern only, "
                 f"good, but with strength ReLU({n}{_signed(b)}) = "
                 f"{format_number(strength)}; the exercise asks for 1.")


# -------------------------------------------------------------------- composing two kernels


def composed_kernel(k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
    """The kernel ``K`` with ``conv(conv(x, k1), k2) == conv(x, K)`` (no padding, stride 1).

    .. math:: K[t, u] = \\sum_{m + m' = t,\\; n + n' = u} k_1[m, n]\\, k_2[m', n']

    the *full* true convolution of ``k1`` and ``k2``, size ``(a + c − 1) × (b + d − 1)``,
    computed as ``F.conv_transpose2d(k1, k2)`` (which scatters a copy of ``k2`` weighted by
    every entry of ``k1``); ``tests/exercises/test_foundations.py`` checks it against the two
    convolutions.
    """
    a = torch.from_numpy(np.ascontiguousarray(k1, dtype=np.float64))[None, None]
    b = torch.from_numpy(np.ascontiguousarray(k2, dtype=np.float64))[None, None]
    return F.conv_transpose2d(a, b)[0, 0].numpy()


def _full_correlation(k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
    """``k2`` slid over ``k1`` without the flip (full padding): the typical slip."""
    return composed_kernel(k1, k2[::-1, ::-1].copy())


COMPOSE_CASES = 4
"""Random cases :func:`check_my_compose` draws on every call."""


def _compose_case(index: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Case 0: two 3×3 kernels; 1–2: random shapes 1–4 a side, integers −3…3; 3: floats."""
    shapes = [(3, 3), (3, 3)] if index == 0 else [tuple(rng.integers(1, 5, 2)) for _ in range(2)]
    if index == 3:
        return rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    return tuple(rng.integers(-3, 4, shape).astype(np.float64) for shape in shapes)


def _compose_hint(out: np.ndarray, k1: np.ndarray, k2: np.ndarray, expected: np.ndarray) -> str:
    """The slip that ``out`` reproduces (shape first, then values)."""
    (a, b), (c, d) = k1.shape, k2.shape
    start = (f"With k1 of shape {k1.shape} and k2 of shape {k2.shape} your kernel has shape "
             f"{out.shape}")
    if out.shape != expected.shape:
        want = f", but k1 then k2 sees a {expected.shape[0]}×{expected.shape[1]} window"
        if out.shape == (abs(a - c) + 1, abs(b - d) + 1):
            return (f"{start}{want}: you slid one kernel inside the other (valid positions "
                    "only). Every pair of offsets counts, including those where the kernels "
                    "only partly overlap.")
        if out.shape == (a + c, b + d):
            return f"{start}{want}: one row and one column too many."
        if out.shape in (k1.shape, k2.shape):
            return (f"{start}{want}: the same size as one kernel. Each of k2's taps reads an "
                    "output of k1, itself a window of x: the windows add up.")
        if out.shape == expected.shape[::-1]:
            return f"{start}{want}: rows and columns are swapped."
        return f"{start}{want}."
    start = (f"With k1 = {k1.tolist()} and k2 = {k2.tolist()} your kernel has the right shape "
             "but not the right values")
    if np.allclose(out, _full_correlation(k1, k2)) or np.allclose(out, _full_correlation(k2, k1)):
        return (f"{start}: you slid one kernel over the other as a cross-correlation. In the "
                "composition the offsets add up: k1[m, n]·k2[m', n'] lands at "
                "(m + m', n + n'), so one of them ends up flipped.")
    if np.allclose(out, expected[::-1, ::-1]):
        return f"{start}: your kernel is rotated by 180°."
    if np.allclose(out, expected.T):
        return f"{start}: rows and columns are swapped."
    return (f"{start}. Check entry (0, 0): only k1[0, 0]·k2[0, 0] lands there; it should be "
            f"{format_number(expected[0, 0])}, yours is {format_number(out[0, 0])}.")


def _error_hint(error: BaseException | None) -> str:
    """A hint for the typical cause of an exception in a loop implementation."""
    if isinstance(error, IndexError | ValueError):
        return (" An index out of range or a shape mismatch often means the result is too "
                "small: how many positions can an offset m + m' take?")
    return ""


@checker
def check_my_compose(answer: object) -> Verdict:
    """Run the learner's ``my_compose(k1, k2)`` on :data:`COMPOSE_CASES` fresh random cases.

    Each call draws new kernels (two 3×3 integer kernels, two cases with random shapes
    1–4 a side and integers −3…3, one with float values); the result must equal
    :func:`composed_kernel` (``F.conv_transpose2d(k1, k2)``) within 1e-9, and each call
    runs under :data:`~convlessons.exercises._answers.TIME_LIMIT`. Hints: returned None, a
    valid-only (too small) result, one row and column too many, the size of one kernel,
    swapped axes, a cross-correlation instead of the composition (one kernel not flipped),
    a 180° rotation; an exception or a time-out is reported with its case.
    """
    rng = np.random.default_rng()
    cases = [_compose_case(index, rng) for index in range(COMPOSE_CASES)]
    yield
    if (refusal := not_a_function(answer, "my_compose")) is not None:
        return refusal
    for k1, k2 in cases:
        expected = composed_kernel(k1, k2)
        try:
            result = call_learner(answer, (k1.copy(), k2.copy()),
                                  case=f"k1 of shape {k1.shape}, k2 of shape {k2.shape}")
        except LearnerFunctionFailed as failure:
            return wrong(f"{failure}{_error_hint(failure.error)}")
        if result is None:
            return wrong("Your function returned None: did you forget `return`?")
        out = real_array(result, "back a 2-D array of numbers from your function", ndim=2)
        if out.shape != expected.shape or not np.allclose(out, expected, rtol=0, atol=1e-9):
            return wrong(_compose_hint(out, k1, k2, expected))
    return correct(f"Your kernel does what k1 then k2 do on {COMPOSE_CASES} fresh random cases "
                   "(3×3 and 3×3, random non-square shapes, integer and float values): "
                   "one convolution replaces the two.")
