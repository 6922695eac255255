"""Checkers for ``00_welcome`` and ``01_convolution_operation``.

- :func:`check_valid_output_size` -- side of a no-padding, stride-1 output (00).
- :func:`check_output_cell` -- one output value of a cross-correlation, by hand (01).
- :func:`check_my_conv2d` -- a learner's loop implementation of ``conv2d`` for a
  ``(C, H, W)`` input, run on freshly drawn cases against ``torch.nn.functional.conv2d`` (01).

Each public checker validates the notebook's own arguments (a wrong one is a bug in the
notebook and raises ``ValueError``/``TypeError`` naming the parameter); the learner's
answer never raises: it gets a :class:`~convlessons.exercises.Verdict` with a hint aimed
at the typical mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from convlessons._validation import as_array, as_int
from convlessons.arithmetic import conv_output_size
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import learner_array, not_a_function, real_number, whole_number
from convlessons.reference import convolve2d, correlate2d

__all__ = ["Conv2dCase", "check_my_conv2d", "check_output_cell", "check_valid_output_size",
           "draw_conv2d_cases"]

_TOLERANCE = 1e-6
"""Absolute tolerance for a learner's number (typed by hand or computed in float64)."""


# -------------------------------------------------------------------- 00: output size


@checker
def check_valid_output_size(answer: object, input_size: int = 7, kernel_size: int = 3) -> Verdict:
    """Check the side of the output of a ``k × k`` kernel on an ``n × n`` input.

    No padding, stride 1: ``n_out = n - k + 1`` (``arithmetic.conv_output_size``).
    Hints for ``n - k`` (the +1), ``n`` (no shrinking), ``n + k - 1`` ("full" size),
    ``k`` and ``n_out²`` (number of outputs instead of the side).

    Raises
    ------
    ValueError, TypeError
        If ``input_size``/``kernel_size`` is not an int >= 1 or the kernel is larger.
    """
    n = as_int(input_size, "input_size", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    expected = conv_output_size(n, k)
    yield
    value = whole_number(answer, "one whole number: the side of the (square) output")
    if value == expected:
        return correct(f"The {k}×{k} window fits in {expected} positions along each side "
                       f"(0 to {n - k}), so the output is {expected}×{expected}.")
    hints = {
        n - k: f"{n - k} is one short: the window starts at positions 0, 1, …, {n - k} — "
               "count them (that is n − k + 1).",
        n: f"{n} is the input size: without padding the {k}×{k} window cannot be centred "
           "on the border pixels, so the output shrinks.",
        n + k - 1: f"{n + k - 1} is the size of a 'full' convolution (padding {k - 1} on "
                   "each side); here there is no padding.",
        k: f"{k} is the kernel size; count the positions where the window fits.",
        expected * expected: f"{expected * expected} is the number of outputs; give the "
                             "side of the (square) output.",
    }
    return wrong(hints.get(value, "Slide the window one pixel at a time: it starts at "
                                  "position 0 and must stay inside the input."))


# -------------------------------------------------------------------- 01: one output cell


@checker
def check_output_cell(
    answer: object, image: np.ndarray, kernel: np.ndarray, row: int, col: int
) -> Verdict:
    """Check a hand-computed output value ``Y(row, col)`` of a cross-correlation.

    ``Y(i, j) = sum_m sum_n X(i + m, j + n) K(m, n)`` (no padding, stride 1), computed with
    :func:`convlessons.reference.correlate2d`. Hints, in this order: the flipped kernel
    (true convolution, :func:`~convlessons.reference.convolve2d`), the value of a
    neighbouring or transposed output cell (window off by one or row/col swapped), and a
    sum missing one product ``K(m, n) X(row + m, col + n)``.

    Raises
    ------
    ValueError, TypeError
        If ``image``/``kernel`` are not 2-D arrays or ``(row, col)`` is outside the output.
    """
    image = as_array(image, "image", ndim=2, layout="(H, W)")
    kernel = as_array(kernel, "kernel", ndim=2, layout="(kH, kW)")
    output = correlate2d(image, kernel)
    row = as_int(row, "row", minimum=0)
    col = as_int(col, "col", minimum=0)
    if row >= output.shape[0] or col >= output.shape[1]:
        raise ValueError(f"(row, col) must be inside the {output.shape[0]}×{output.shape[1]} "
                         f"output, got ({row}, {col})")
    yield
    value = real_number(answer, f"one number: the value of the output at ({row}, {col})")

    def near(target: float) -> bool:
        return abs(value - target) <= _TOLERANCE

    kh, kw = kernel.shape
    window = image[row : row + kh, col : col + kw]
    if near(output[row, col]):
        return correct(f"Y({row}, {col}) = {output[row, col]:g}: the sum of the {kh * kw} "
                       "products of the kernel with the window under it.")
    if near(convolve2d(image, kernel)[row, col]):
        return wrong("That is the true convolution: you flipped the kernel. Deep learning's "
                     "'convolution' is a cross-correlation: multiply K(m, n) with "
                     f"X({row} + m, {col} + n), kernel not flipped.")
    neighbours = [(row + dr, col + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
    for r, c in [*neighbours, (col, row)]:
        inside = 0 <= r < output.shape[0] and 0 <= c < output.shape[1]
        if (r, c) != (row, col) and inside and near(output[r, c]):
            return wrong(f"That is the value of output ({r}, {c}). For output ({row}, {col}) "
                         f"the window's top-left corner is input row {row}, column {col} "
                         "(rows first, counting from 0).")
    for (m, n), term in np.ndenumerate(kernel * window):
        if term != 0 and near(output[row, col] - term):
            return wrong(f"Close: one product is missing, K({m}, {n}) × X({row + m}, "
                         f"{col + n}) = {kernel[m, n]:g} × {window[m, n]:g}. "
                         f"Add all {kh * kw} products.")
    return wrong(f"Put the kernel's top-left corner on input ({row}, {col}), multiply each "
                 f"of the {kh * kw} overlapping pairs and add the products.")


# -------------------------------------------------------------------- 01: my_conv2d


@dataclass(frozen=True)
class Conv2dCase:
    """One test case for :func:`check_my_conv2d`: what it tests, shapes, stride and padding."""

    idea: str
    c_in: int
    c_out: int
    height: int
    width: int
    kernel: tuple[int, int]
    stride: int
    padding: int

    def describe(self) -> str:
        kh, kw = self.kernel
        return (f"x of shape ({self.c_in}, {self.height}, {self.width}), w of shape "
                f"({self.c_out}, {self.c_in}, {kh}, {kw}), stride={self.stride}, "
                f"padding={self.padding}")

    def output_shape(self, stride: int, padding: int) -> tuple[int, int, int] | None:
        """``(C_out, H_out, W_out)`` with these settings, ``None`` if the kernel does not fit."""
        kh, kw = self.kernel
        if min(self.height + 2 * padding - kh, self.width + 2 * padding - kw) < 0:
            return None
        return (self.c_out, conv_output_size(self.height, kh, stride, padding),
                conv_output_size(self.width, kw, stride, padding))


def draw_conv2d_cases(rng: np.random.Generator) -> tuple[Conv2dCase, ...]:
    """Six cases with random shapes, channels, strides and paddings, one idea each.

    In this order, so that the first failure points at one idea: plain sliding (one channel,
    square), the channel sum, a stride that leaves pixels over at the right and bottom, a
    padding, everything at once on non-square shapes with ``H_out != W_out``, and a kernel
    as large as the padded input (one output pixel).
    """
    def side(low: int, high: int) -> int:
        return int(rng.integers(low, high + 1))

    k = side(2, 4)
    n = side(k + 2, 8)
    plain = Conv2dCase("one channel", 1, 1, n, n, (k, k), 1, 0)
    kh, kw = side(2, 3), side(2, 3)
    channels = Conv2dCase("the sum over input channels", side(2, 4), side(1, 3),
                          side(kh + 1, 8), side(kw + 1, 8), (kh, kw), 1, 0)
    s, k = side(2, 3), side(2, 3)
    n = k + s * side(1, 3) + side(1, s - 1)  # (n - k) % s != 0: pixels left over
    strided = Conv2dCase("a stride with pixels left over", side(1, 3), side(1, 2), n, n,
                         (k, k), s, 0)
    k = side(2, 4)
    p = side(1, min(2, k - 1))
    # several input channels, so that padding the channel axis too cannot pass unseen
    padded = Conv2dCase("zero padding", side(2, 3), side(1, 2), side(k, 7), side(k, 7),
                        (k, k), 1, p)
    p, h, w = side(1, 2), side(1, 3), side(1, 3)
    whole = Conv2dCase("a kernel as large as the padded input", side(1, 2), side(1, 2), h, w,
                       (h + 2 * p, w + 2 * p), side(1, 3), p)
    while True:
        kh, kw, s = side(2, 4), side(2, 4), side(2, 3)
        p = side(1, min(2, kh - 1, kw - 1))
        h, w = side(kh + 1, 10), side(kw + 1, 10)
        mixed = Conv2dCase("stride and padding on non-square shapes", side(1, 3),
                           side(2, 3), h, w, (kh, kw), s, p)
        if h != w and len(set(mixed.output_shape(s, p))) == 3:  # C_out, H_out, W_out differ
            break
    return plain, channels, strided, padded, mixed, whole


def _torch_conv2d(x: np.ndarray, w: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """``F.conv2d`` of an unbatched ``(C, H, W)`` float64 input: the oracle."""
    out = F.conv2d(torch.from_numpy(np.ascontiguousarray(x)),
                   torch.from_numpy(np.ascontiguousarray(w)), stride=stride, padding=padding)
    return out.numpy()


def _case_arrays(case: Conv2dCase, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((case.c_in, case.height, case.width))
    w = rng.standard_normal((case.c_out, case.c_in, *case.kernel))
    return x, w


def _shape_hint(shape: tuple[int, ...], case: Conv2dCase, expected: tuple[int, ...]) -> str:
    """Why ``shape`` differs from ``expected``: the typical forgotten parameter."""
    got = "×".join(map(str, shape))
    want = "×".join(map(str, expected))
    start = f"With {case.describe()} your output is {got}, but it should be {want}"
    if case.stride > 1 and shape == case.output_shape(1, case.padding):
        return f"{start}: did you forget the stride? Output (oy, ox) reads rows from oy·stride."
    if case.padding > 0 and shape == case.output_shape(case.stride, 0):
        return f"{start}: did you forget the padding? Pad x with zeros on all four sides first."
    if case.stride > 1 and case.padding > 0 and shape == case.output_shape(1, 0):
        return f"{start}: did you forget both the stride and the padding?"
    if case.stride > 1 and len(shape) == 3 and shape[0] == case.c_out and all(
            got_side == -(-(size + 2 * case.padding - k) // case.stride) + 1 for got_side, size, k
            in zip(shape[1:], (case.height, case.width), case.kernel, strict=True)):
        return (f"{start}: one window too many along a side. The last window must fit "
                "inside the padded input; the pixels left over after it are not used.")
    if shape == (case.c_out, expected[2], expected[1]):
        return (f"{start}: height and width are swapped. Rows (H) come first: the output is "
                "(C_out, H_out, W_out).")
    if shape == (case.c_out, case.c_in, *expected[1:]):
        return (f"{start}: you keep one map per input channel. Each output channel sums the "
                "products over ALL input channels.")
    if shape == expected[1:]:
        return f"{start}: keep the output-channel axis, one feature map per filter w[k]."
    return (f"{start}: count the positions where the window fits inside the padded input "
            "along each side, for each filter.")


def _value_hint(out: np.ndarray, x: np.ndarray, w: np.ndarray, case: Conv2dCase,
                expected: np.ndarray) -> str:
    """Why the values differ: the typical mistake whose result ``out`` reproduces."""
    s, p = case.stride, case.padding
    start = f"With {case.describe()} the shape is right but the values are not"

    def matches(candidate: np.ndarray) -> bool:
        return candidate.shape == out.shape and np.allclose(out, candidate, atol=_TOLERANCE)

    if matches(_torch_conv2d(x, w[..., ::-1, ::-1], s, p)):
        return (f"{start}: your kernel is flipped (true convolution). Multiply w[o, c, i, j] "
                "with x_pad[c, oy·stride + i, ox·stride + j], no flip.")
    for c in range(case.c_in if case.c_in > 1 else 0):
        if matches(_torch_conv2d(x[c : c + 1], w[:, c : c + 1], s, p)):
            return (f"{start}: only input channel {c} counts. Sum the products over ALL "
                    "input channels (and over i, j), e.g. np.sum(window * w[o]).")
    if matches(expected.swapaxes(1, 2)) or matches(_torch_conv2d(x, w.swapaxes(2, 3), s, p)):
        return (f"{start}: rows and columns are swapped somewhere. Use the row index with H "
                "and kH (first), the column index with W and kW (second).")
    o, r, c = np.unravel_index(np.argmax(np.abs(out - expected)), out.shape)
    return (f"{start}: at output [{o}, {r}, {c}] you give {out[o, r, c]:.4g}, torch gives "
            f"{expected[o, r, c]:.4g}. Check the window x_pad[:, r·stride : r·stride + kH, "
            "c·stride : c·stride + kW] and that padding adds zeros.")


_BROADCAST_SHAPES = re.compile(r"shapes \((\d+),[\d,]*\) \((\d+),[\d,]*\)")


def _error_hint(error: BaseException | None) -> str:
    """A hint for the typical cause of an exception in a loop implementation of conv2d."""
    message = "" if error is None else str(error)
    if isinstance(error, IndexError):
        return ("An IndexError often means rows and columns are swapped (H vs W) or the "
                "padding is missing.")
    if "negative dimensions" in message:
        return ("Here the kernel is as large as the padded input: an output size below 1 "
                "means the padding is missing from your size computation.")
    if "broadcast" in message:
        shapes = _BROADCAST_SHAPES.search(message)
        if shapes and shapes[1] != shapes[2]:
            return ("The window and w[o] have different numbers of channels: pad only H and "
                    "W, not the channel axis: np.pad(x, ((0, 0), (p, p), (p, p))).")
        return ("The window and w[o] have different shapes: near the border your window is "
                "cut short, so it runs past the padded input. Count only the positions "
                "where the whole window fits.")
    return ""


@checker
def check_my_conv2d(answer: object, seed: int | None = None) -> Verdict:
    """Run the learner's ``my_conv2d(x, w, stride=s, padding=p)`` on freshly drawn cases.

    Every call draws new cases with :func:`draw_conv2d_cases` (random shapes, channels,
    strides and paddings, ``numpy.random.default_rng(seed)``; ``seed=None``, the default,
    gives new cases each time, so no table of answers can pass) and float64 standard normal
    ``x`` ``(C_in, H, W)`` and ``w`` ``(C_out, C_in, kH, kW)``. The expected result is
    ``torch.nn.functional.conv2d(x, w, stride=s, padding=p)`` on the unbatched input,
    shape ``(C_out, H_out, W_out)``. Each case runs under
    :data:`~convlessons.exercises._answers.TIME_LIMIT`; a result must be real numbers (a
    numpy array, nested lists or a tensor, also one that requires grad). The first failing
    case gives the hint: an exception (channel axis padded, window past the border...) or a
    time-out, a wrong shape (stride or padding forgotten, one window too many, H/W swapped,
    no channel sum), or wrong values (flipped kernel, one input channel only, transposed
    indices).

    Raises
    ------
    ValueError, TypeError
        If ``seed`` is neither ``None`` nor an int >= 0.
    """
    rng = np.random.default_rng(None if seed is None else as_int(seed, "seed", minimum=0))
    yield
    if (refusal := not_a_function(answer, "my_conv2d")) is not None:
        return refusal
    cases = draw_conv2d_cases(rng)
    for case in cases:
        x, w = _case_arrays(case, rng)
        expected = _torch_conv2d(x, w, case.stride, case.padding)
        out = learner_array(answer, (x.copy(), w.copy()),
                            {"stride": case.stride, "padding": case.padding},
                            case=case.describe(), returns="out", error_hint=_error_hint)
        if out.shape != expected.shape:
            return wrong(_shape_hint(out.shape, case, expected.shape))
        if not np.allclose(out, expected, atol=_TOLERANCE):
            return wrong(_value_hint(out, x, w, case, expected))
    tested = "; ".join(f"{case.idea} ({case.describe()})" for case in cases)
    return correct(f"Your loops agree with torch.nn.functional.conv2d on {len(cases)} "
                   f"freshly drawn cases: {tested}.")
