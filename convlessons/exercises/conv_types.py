"""Checkers for ``06_convolution_types`` and ``07_transposed_convolution``.

06:

- :func:`check_parameter_count` -- the number of parameters of a standard, grouped or
  depthwise-separable convolution, counted from the real torch layers.

07:

- :func:`check_scatter_by_hand` -- a small transposed convolution worked out on paper: every
  input pixel stamps a scaled copy of the kernel.
- :func:`check_upsampling_settings` -- ``(kernel_size, stride, padding, output_padding)``
  of a transposed convolution that turns an ``n × n`` map into a ``target × target`` one.
- :func:`check_my_conv_transpose2d` -- a learner's ``my_conv_transpose2d(x, weight,
  stride, padding)``, run on fresh random cases against
  ``torch.nn.functional.conv_transpose2d``.

The right parameter count is ``conv_cost(...).params`` from :mod:`convlessons.costs`
(``sum(p.numel())`` over real ``torch.nn.Conv2d`` modules); each typical mistake is the
same count with the piece the learner forgot taken out (no bias, groups = 1, no pointwise
step, ...), so every hint names a mistake that reproduces the learner's number exactly, and
no hint hands over the formula. Transposed sizes come from
:func:`convlessons.arithmetic.conv_transpose_output_size` (checked against
``torch.nn.functional.conv_transpose2d``), and the overlap notes from the exact overlap
counts of the full output's interior (:func:`interior_overlap_range`, no canvas, checked
against ``conv_transpose2d`` of ones in the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from convlessons._validation import as_array, as_int
from convlessons.arithmetic import conv_output_size, conv_transpose_output_size
from convlessons.costs import conv_cost, layer_kind
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import (
    UnreadableAnswer,
    learner_array,
    not_a_function,
    real_array,
    whole_number,
    whole_numbers,
)
from convlessons.reference import conv_transpose2d

__all__ = [
    "SETTING_NAMES",
    "TRANSPOSED_CASES",
    "TransposedCase",
    "check_my_conv_transpose2d",
    "check_parameter_count",
    "check_scatter_by_hand",
    "check_upsampling_settings",
    "interior_overlap_range",
]

_TOLERANCE = 1e-9
"""Absolute tolerance for a learner's output values (sums of a few float64 products)."""


# -------------------------------------------------------------------- parameter counts


def _params(c_in: int, c_out: int, k: int, groups: int = 1, separable: bool = False,
            bias: bool = True) -> int:
    return conv_cost(c_in, c_out, k, groups, separable, size=1, bias=bias).params


def _parameter_mistakes(c_in: int, c_out: int, k: int, groups: int, separable: bool,
                        bias: bool) -> list[tuple[int, str]]:
    """``(count, hint)`` for each typical mistake that applies to this layer.

    The first entry wins when two mistakes give the same count.
    """
    if separable:
        return _separable_mistakes(c_in, c_out, k, bias)
    biases = c_out if bias else 0
    per_filter = c_in // groups
    mistakes = []
    if bias:
        mistakes.append((_params(c_in, c_out, k, groups, bias=False),
                         "did you forget the bias? Every filter adds one bias to its output."))
    if groups > 1:
        mistakes += [
            (_params(c_in, c_out, k, bias=bias),
             f"you let every filter see all C_in = {c_in} input channels; with groups = "
             f"{groups} a filter sees only the input channels of its own group."),
            (c_out // groups * per_filter * k * k + biases,
             "you divided the number of filters by groups too. Grouping splits the input "
             f"channels each filter sees; there are still C_out = {c_out} filters."),
        ]
    if k > 1:
        mistakes.append((c_out * per_filter * k + biases,
                         f"a {k}×{k} kernel has k² = {k * k} weights, not k = {k}."))
    if per_filter > 1:
        mistakes.append((c_out * k * k + biases,
                         "each filter has one k×k kernel per input channel it sees, not one "
                         "kernel in all."))
    return mistakes


def _separable_mistakes(c_in: int, c_out: int, k: int, bias: bool) -> list[tuple[int, str]]:
    """``(count, hint)`` for the typical mistakes on a depthwise-separable pair."""
    pointwise_biases = c_out if bias else 0
    no_bias = _params(c_in, c_out, k, separable=True, bias=False)
    mistakes = []
    if bias:
        mistakes.append((no_bias, "did you forget the biases? Each of the two steps has its "
                                  "own, one per output channel of that step."))
        one_step = ("you counted the biases of one step only; the depthwise and the pointwise "
                    "step each have their own.")
        mistakes += [(no_bias + c_out, one_step), (no_bias + c_in, one_step)]
    mistakes += [
        (_params(c_in, c_in, k, groups=c_in, bias=bias),
         "did you forget the pointwise part? After the depthwise k×k step comes a 1×1 conv "
         "from C_in to C_out channels."),
        (_params(c_in, c_out, 1, bias=bias),
         f"that is only the pointwise 1×1 part; add the depthwise {k}×{k} step (one {k}×{k} "
         "filter per input channel)."),
        (_params(c_in, c_out, k, bias=bias),
         "that is a standard conv; a separable conv replaces it by a depthwise k×k conv "
         "(groups = C_in) followed by a pointwise 1×1 conv."),
        (_params(c_in, c_out, k, groups=c_in, bias=bias) if c_out % c_in == 0 else -1,
         "that is a depthwise conv straight to C_out channels; a separable conv keeps "
         "C_in channels in the depthwise step and mixes them with a 1×1 conv."),
        (_params(c_in, c_in, k, bias=bias) + c_out * c_in + pointwise_biases,
         "your depthwise step is a full C_in → C_in convolution. In a depthwise step each "
         "k×k filter sees one input channel only."),
    ]
    if k > 1:
        mistakes.append((c_in * k + c_out * c_in + (c_in + c_out if bias else 0),
                         f"a {k}×{k} kernel has k² = {k * k} weights, not k = {k}."))
    return mistakes


@checker
def check_parameter_count(answer: object, in_channels: int, out_channels: int,
                          kernel_size: int, groups: int = 1, separable: bool = False,
                          bias: bool = True) -> Verdict:
    """Check the number of parameters of a convolution layer (or separable pair).

    Expected: ``sum(p.numel())`` over the torch layers (``conv_cost(...).params``):
    ``C_out·(C_in/g)·k² (+ C_out)`` for ``Conv2d(C_in, C_out, k, groups=g)``, and
    ``C_in·k² + C_out·C_in (+ C_in + C_out)`` for a depthwise ``k × k`` conv followed by a
    pointwise ``1 × 1`` one. Hints name the slip, never the formula: bias(es) forgotten or
    one step's only, all ``C_in`` channels used per filter, the filters divided by ``g``,
    ``k`` instead of ``k²``, one kernel per filter, pointwise or depthwise step forgotten, a
    standard conv counted, a depthwise conv straight to ``C_out`` channels, a full conv as
    the depthwise step; any other number gets the counting recipe.

    Raises
    ------
    ValueError, TypeError
        If the layer itself is invalid (the message of ``conv_cost``; a bug in the
        notebook, not the learner's).
    """
    expected = conv_cost(in_channels, out_channels, kernel_size, groups, separable, size=1,
                         bias=bias).params
    c_in, c_out, k = in_channels, out_channels, kernel_size
    kind = layer_kind(c_in, groups, separable)
    yield
    value = whole_number(answer, "one whole number: the total count of weights and biases")
    if value == expected:
        return correct(f"The {kind} layer has {expected} parameters, as "
                       "sum(p.numel() for p in layer.parameters()) says.")
    for count, hint in _parameter_mistakes(c_in, c_out, k, groups, separable, bias):
        if count == value:
            return wrong(f"{value}: {hint}")
    weights = "weights (filters × input channels each filter sees × k²)"
    biases = " and its biases (one per filter)" if bias else ""
    recipe = (f"Count the two steps one at a time, each with its {weights}{biases}, then add "
              "them." if separable else f"Count the layer's {weights}{biases}.")
    return wrong(f"{value} is not the count. {recipe}")


# -------------------------------------------------------------------- scatter by hand


def _scatter(x: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    """Single-channel transposed convolution, no padding (``reference.conv_transpose2d``)."""
    return conv_transpose2d(x[np.newaxis, np.newaxis], kernel[np.newaxis, np.newaxis],
                            stride=stride)[0, 0]


def _sources(row: int, col: int, x_shape: tuple[int, ...], k: tuple[int, ...],
             stride: int) -> list[tuple[int, int]]:
    """Input pixels whose stamped copy of the kernel covers output pixel ``(row, col)``."""
    return [(i, j) for i in range(x_shape[0]) for j in range(x_shape[1])
            if 0 <= row - i * stride < k[0] and 0 <= col - j * stride < k[1]]


@checker
def check_scatter_by_hand(answer: object, x: np.ndarray, kernel: np.ndarray,
                          stride: int = 2) -> Verdict:
    """Check a single-channel transposed convolution (no padding) worked out by hand.

    Expected: ``out[i·s + u, j·s + v] += x[i, j]·kernel[u, v]`` summed over every input
    pixel ``(i, j)`` and kernel entry ``(u, v)``: each input pixel stamps a copy of the
    kernel scaled by its value, ``s`` pixels from the previous one; the output is
    ``((H − 1)s + kH) × ((W − 1)s + kW)`` (``reference.conv_transpose2d``, checked against
    ``torch.nn.functional.conv_transpose2d``). Hints: the kernel flipped or transposed, rows
    and columns swapped, the input stamped in reverse, copies of the input scaled by the
    kernel, the shape of an ordinary convolution or of stride 1, a wrong shape, and else the
    first wrong pixel with the input pixels whose copies reach it.

    Raises
    ------
    ValueError, TypeError
        If ``x`` or ``kernel`` is not a 2-D array, or ``stride`` is not an int >= 1.
    """
    x = as_array(x, "x", ndim=2, layout="(H, W)")
    kernel = as_array(kernel, "kernel", ndim=2, layout="(kH, kW)")
    s = as_int(stride, "stride", minimum=1)
    expected = _scatter(x, kernel, s)
    yield
    out = real_array(answer, "a 2-D array (e.g. np.array([[...], [...]])): the output grid",
                     ndim=2)
    rows, cols = expected.shape
    if out.shape == expected.shape and np.allclose(out, expected, atol=1e-6):
        return correct(f"Each of the {x.size} input pixels stamped its scaled copy of the "
                       f"kernel, {s} pixels from the previous one: the {rows}×{cols} output "
                       "torch.nn.functional.conv_transpose2d gives.")
    if out.shape != expected.shape:
        stride_one = (x.shape[0] - 1 + kernel.shape[0], x.shape[1] - 1 + kernel.shape[1])
        ordinary = tuple(max(n - k, -1) // s + 1 for n, k in zip(x.shape, kernel.shape,
                                                                strict=True))
        if s > 1 and out.shape == stride_one:
            return wrong(f"Your grid is {out.shape[0]}×{out.shape[1]}, the size of stride 1. "
                         f"With stride {s} the copies of the kernel are placed {s} pixels "
                         "apart, not 1.")
        if out.shape == ordinary:
            return wrong("That is the size of an ordinary convolution, a sum of products "
                         "that shrinks the map. A transposed convolution scatters: every "
                         "input pixel adds a whole scaled copy of the kernel to a larger "
                         "output.")
        return wrong(f"Your grid is {out.shape[0]}×{out.shape[1]}; the output here is "
                     f"{rows}×{cols}: a {kernel.shape[0]}×{kernel.shape[1]} copy for each "
                     f"input pixel, each one {s} pixels after the previous.")
    slips = [
        (_scatter(x, kernel[::-1, ::-1], s), "the kernel is flipped. In the scatter each input "
         "pixel stamps the kernel as it is: kernel[u, v] goes to row i·s + u, column j·s + v."),
        (_scatter(x, kernel.T, s), "the kernel is transposed: row u of the kernel goes to "
         "row i·s + u of the output."),
        (expected.T, "rows and columns are swapped: input pixel (i, j) stamps at rows "
         "i·s … and columns j·s …."),
        (_scatter(x[::-1, ::-1], kernel, s), "the input pixels are in reverse: the copy of "
         "input pixel (0, 0) goes to the top-left corner."),
        (np.kron(kernel, x), "you stamped copies of the INPUT, scaled by the kernel entries. "
         "It is the other way round: every input pixel stamps a copy of the kernel, scaled by "
         "the pixel."),
    ]
    for candidate, hint in slips:
        if candidate.shape == out.shape and np.allclose(out, candidate, atol=1e-6):
            return wrong(f"Close: {hint}")
    row, col = np.argwhere(~np.isclose(out, expected, atol=1e-6))[0]
    sources = _sources(int(row), int(col), x.shape, kernel.shape, s)
    reached = ("no copy reaches it, so it stays 0" if not sources else
               "it is reached by the copy of input pixel" + ("s " if len(sources) > 1 else " ")
               + " and ".join(map(str, sources)) + (" (add their contributions)"
                                                    if len(sources) > 1 else ""))
    return wrong(f"Output pixel ({row}, {col}) is not right: {reached}. Each copy is the "
                 "input pixel's value times the kernel.")


# -------------------------------------------------------------------- transposed settings


SETTING_NAMES = ("kernel_size", "stride", "padding", "output_padding")
"""The four settings :func:`check_upsampling_settings` expects, in this order."""

_SETTINGS = ("four whole numbers (kernel_size, stride, padding, output_padding), as a tuple "
             "or a dict with those keys")


def _settings(answer: object) -> tuple[int, ...]:
    """A mapping with exactly the keys :data:`SETTING_NAMES`, or four whole numbers."""
    if not isinstance(answer, Mapping):
        return whole_numbers(answer, len(SETTING_NAMES), _SETTINGS)
    try:
        keys = set(answer)
    except Exception as err:  # a mapping whose iteration fails
        raise UnreadableAnswer(f"Give {_SETTINGS}; your dict could not be read.") from err
    if keys != set(SETTING_NAMES):
        raise UnreadableAnswer(f"Give {_SETTINGS}; your dict has the keys "
                               f"{sorted(map(str, keys))}.")
    return tuple(whole_number(answer[name], _SETTINGS) for name in SETTING_NAMES)


def interior_overlap_range(n: int, k: int, s: int) -> tuple[int, int] | None:
    """Fewest and most kernel copies that reach one interior pixel of a transposed conv.

    Input ``n × n`` of ones, kernel ``k × k`` of ones, stride ``s``: the full output
    (before cropping) is the overlap count. Its interior, rows and columns ``k − 1 …
    (n − 1)s``, is where every input pixel that could reach a pixel exists; there a row
    ``y`` is reached by the ``i`` with ``is ≤ y ≤ is + k − 1``: ``⌊k/s⌋`` or ``⌈k/s⌉`` of
    them, depending on ``y mod s`` (the counts repeat with period ``s``). With
    ``k = qs + r``, ``0 < r``, both occur as soon as the interior has two rows; counts of a
    pixel are products of its row and column counts. Exact integer arithmetic, no canvas:
    ``n``, ``k``, ``s`` may be huge.

    Returns
    -------
    tuple of int or None
        ``(min, max)`` of the interior counts, ``None`` when there is no interior.
    """
    rows = (n - 1) * s - (k - 1) + 1
    if rows <= 0:
        return None
    q, r = divmod(k, s)
    if r == 0:
        return q * q, q * q
    fewest = q if rows >= 2 else q + 1
    return fewest * fewest, (q + 1) * (q + 1)


_LEARNED = ("Even overlap is not enough on its own: a trained layer can still produce "
            "artifacts, and Odena et al. (2016) recommend resizing (e.g. nearest-neighbour) "
            "followed by an ordinary convolution.")


def _overlap_note(n: int, k: int, s: int) -> str:
    """What the overlap counts say about a constant input, and what they do not."""
    counts = interior_overlap_range(n, k, s)
    if k % s == 0:
        return (f" Note: stride {s} divides kernel_size {k}, so every interior pixel receives "
                f"the same number of kernel copies ({(k // s) ** 2}) and a constant input gives "
                f"a uniform interior. {_LEARNED}")
    spread = (f": interior pixels receive between {counts[0]} and {counts[1]} kernel "
              "copies, so even a constant input comes out as a checkerboard"
              if counts is not None and counts[0] != counts[1]
              else ", so on a larger input the kernel copies overlap unevenly")
    return (f" Note: kernel_size {k} is not divisible by stride {s}{spread}. A kernel_size "
            f"the stride divides (e.g. 4 with stride 2 and padding 1) removes this "
            f"constant-input pattern. {_LEARNED}")


@checker
def check_upsampling_settings(answer: object, input_size: int = 7,
                              target_size: int = 14) -> Verdict:
    """Check transposed-conv settings that map ``input_size`` pixels to ``target_size``.

    The answer is ``(kernel_size, stride, padding, output_padding)`` (a tuple, list, numpy
    array or tensor) or a dict with those keys; its size is
    ``(n − 1)s − 2p + k + output_padding`` (``arithmetic.conv_transpose_output_size``,
    torch's rule ``output_padding < stride`` included). A right size is correct with a note
    on the overlap of a constant input (uneven when the stride does not divide the kernel;
    either way a trained layer may still make artifacts) and, for a stride other than
    ``target/n``, a note that it fits this size only. Wrong sizes get the slip that
    explains them (output_padding, padding, stride, kernel size), not the fixed value.

    Raises
    ------
    ValueError, TypeError
        If ``input_size`` or ``target_size`` is not an int >= 1.
    """
    n = as_int(input_size, "input_size", minimum=1)
    target = as_int(target_size, "target_size", minimum=1)
    yield
    k, s, p, op = _settings(answer)
    if k < 1 or s < 1 or p < 0 or op < 0:
        return wrong("kernel_size and stride must be ≥ 1, padding and output_padding ≥ 0.")
    if op >= s:
        return wrong(f"output_padding must be smaller than the stride (torch refuses "
                     f"output_padding = {op} with stride = {s}): it only picks one of the "
                     f"{s} input sizes a stride-{s} conv maps to the same output.")
    try:
        size = conv_transpose_output_size(n, k, s, p, op)
    except ValueError as err:
        return wrong(f"These settings leave no output: {err}.")
    got = f"Your settings give {size}×{size}, not {target}×{target}"
    if size == target:
        scale = "" if s * n == target else (
            f" Note: with stride {s} this fits {n} → {target} only; stride {target // n} "
            f"scales every input size by {target // n}." if target % n == 0 else "")
        return correct(f"(n − 1)s − 2p + k + output_padding = ({n} − 1)·{s} − 2·{p} + {k} + "
                       f"{op} = {target}." + scale + _overlap_note(n, k, s))
    if target % n == 0 and s != target // n:
        return wrong(f"{got}: each input pixel moves its copy of the kernel by the stride, so "
                     f"the stride sets the scale factor; {target // n}× needs another stride.")
    missing = target - size
    if 0 < missing and op + missing < s:
        return wrong(f"{got}: {missing} short. output_padding adds rows and columns at the "
                     "bottom/right (it must stay below the stride).")
    if missing % 2 == 0 and p - missing // 2 >= 0:
        return wrong(f"{got}: padding crops p rows from each side (2p in all), and yours "
                     f"crops {abs(missing)} rows {'too many' if missing > 0 else 'too few'}.")
    if missing % 2:
        return wrong(f"{got}: padding changes the size 2 rows at a time and {abs(missing)} is "
                     "odd; change the kernel_size (or output_padding) by one as well.")
    return wrong(f"{got}: the output is {missing} too small even without padding; the "
                 "kernel_size sets how far the last copy reaches.")


# -------------------------------------------------------------------- my_conv_transpose2d


@dataclass(frozen=True)
class TransposedCase:
    """One call of the learner's ``my_conv_transpose2d``: shapes, stride, padding."""

    shape: tuple[int, int, int, int]
    out_channels: int
    kernel_size: int
    stride: int
    padding: int

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        """``(C_in, C_out, k, k)``: the ``conv_transpose2d`` layout, input channels first."""
        k = self.kernel_size
        return self.shape[1], self.out_channels, k, k

    def describe(self) -> str:
        return (f"x of shape {self.shape}, weight of shape {self.weight_shape}, "
                f"stride={self.stride}, padding={self.padding}")


TRANSPOSED_CASES = 6
"""How many random cases :func:`check_my_conv_transpose2d` runs on each call."""


def _transposed_cases(rng: np.random.Generator) -> list[TransposedCase]:
    """Fresh random cases, one new idea each: overlapping copies (stride 1), stride,
    ``C_in = C_out`` channels, ``C_in ≠ C_out``, padding, then a batch of two on a
    non-square input with everything."""

    def some(low: int, high: int) -> int:
        return int(rng.integers(low, high + 1))

    def draw(batch: int, c_in: int, c_out: int, stride: int, padding: int,
             square: bool) -> TransposedCase:
        k = some(2, 4)
        height = some(2, 4)
        width = height if square else height + some(1, 2)
        largest = ((height - 1) * stride + k - 1) // 2  # leaves at least one output row
        return TransposedCase((batch, c_in, height, width), c_out, k, stride,
                              min(padding, largest))

    channels = some(2, 3)
    return [
        draw(1, 1, 1, 1, 0, square=True),
        draw(1, 1, 1, some(2, 3), 0, square=True),
        draw(1, channels, channels, some(2, 3), 0, square=True),
        draw(1, channels, 5 - channels, some(1, 3), 0, square=True),
        draw(1, some(1, 3), some(1, 3), some(1, 3), some(1, 2), square=True),
        draw(2, some(1, 3), some(1, 3), some(2, 3), some(1, 2), square=False),
    ]


def _torch_transposed(x: np.ndarray, weight: np.ndarray, stride: int,
                      padding: int = 0) -> np.ndarray:
    """``torch.nn.functional.conv_transpose2d``: the oracle, ``(N, C_out, H_out, W_out)``."""
    return F.conv_transpose2d(torch.from_numpy(np.ascontiguousarray(x)),
                              torch.from_numpy(np.ascontiguousarray(weight)), stride=stride,
                              padding=padding).numpy()


def _transposed_shape_hint(shape: tuple[int, ...], case: TransposedCase,
                           expected: tuple[int, ...]) -> str:
    """The slip a wrong output shape reveals: batch, channels, padding, stride, or conv2d."""
    n, c_in, height, width = case.shape
    k, s, p = case.kernel_size, case.stride, case.padding
    start = (f"With {case.describe()} your output has shape {shape}, torch's "
             f"{expected} (N, C_out, H_out, W_out)")
    if shape == expected[1:]:
        return f"{start}: keep the batch axis, one output per image."
    if len(shape) != 4:
        return f"{start}: return exactly four axes, (N, C_out, H_out, W_out)."
    if shape[:2] == (n, c_in) and c_in != case.out_channels:
        return (f"{start}: you made C_in = {c_in} output channels. The weight is "
                "(C_in, C_out, k, k), input channels FIRST (the other way round from "
                "conv2d's weight), so its second axis counts the output channels.")
    full = ((height - 1) * s + k, (width - 1) * s + k)
    spatial = shape[2:]
    if p and spatial == full:
        return (f"{start}: that is the full output, uncropped: in a transposed convolution "
                f"padding = {p} removes {p} rows and columns from EACH side of it.")
    if p and spatial == (full[0] + 2 * p, full[1] + 2 * p):
        return (f"{start}: you added padding. In a transposed convolution padding works the "
                "other way round: it crops p rows and columns from each side of the output.")
    if p and spatial == (full[0] - p, full[1] - p):
        return f"{start}: you cropped padding from one side only; crop it from each side."
    if s > 1 and spatial == (full[0] - (height - 1) * (s - 1) - 2 * p,
                             full[1] - (width - 1) * (s - 1) - 2 * p):
        return (f"{start}: that is the size at stride 1. With stride {s} neighbouring input "
                f"pixels stamp their copies {s} pixels apart.")
    try:
        ordinary = (conv_output_size(height, k, s, p), conv_output_size(width, k, s, p))
    except ValueError:  # the kernel does not fit an ordinary convolution of x
        ordinary = None
    if spatial == ordinary:
        return (f"{start}: that is the size of an ordinary convolution, which shrinks the "
                "map. A transposed convolution scatters and makes it larger.")
    return (f"{start}: check how far the copy of the last input pixel reaches in your full "
            "output, and that padding crops it on each side.")


def _transposed_value_hint(out: np.ndarray, x: np.ndarray, weight: np.ndarray,
                           case: TransposedCase, expected: np.ndarray) -> str:
    """The slip wrong values reproduce: flipped kernel, swapped channel axes, crop position;
    else the first wrong entry."""
    s, p = case.stride, case.padding
    start = f"With {case.describe()} the shape is right but the values are not"
    full = _torch_transposed(x, weight, s)
    rows, cols = expected.shape[2:]
    slips = [
        (_torch_transposed(x, weight[:, :, ::-1, ::-1], s, p),
         "every kernel is rotated by 180°. In the scatter an input pixel stamps the kernel as "
         "it is, weight[c, o, u, v] at row i·stride + u, column j·stride + v; the flip belongs "
         "only to the zero-insertion view, where an ordinary convolution does the work."),
        (_torch_transposed(x, weight.swapaxes(0, 1), s, p) if weight.shape[0] == weight.shape[1]
         else None,
         "you read the weight as (C_out, C_in, k, k), like conv2d's. A transposed "
         "convolution's weight is (C_in, C_out, k, k): weight[c, o] is the kernel input "
         "channel c stamps onto output channel o."),
        (full[:, :, :rows, :cols] if p else None,
         "you cropped 2·padding from the bottom and right. Crop padding from each side: the "
         "output starts at row and column `padding` of the full result."),
        (full[:, :, 2 * p :, 2 * p :] if p else None,
         "you cropped 2·padding from the top and left. Crop padding from each side."),
    ]
    for candidate, hint in slips:
        if candidate is not None and np.allclose(out, candidate, atol=_TOLERANCE):
            return f"{start}: {hint}"
    b, o, r, c = np.unravel_index(np.argmax(np.abs(out - expected)), out.shape)
    return (f"{start}: at output [{b}, {o}, {r}, {c}] you give {out[b, o, r, c]:.4g}, torch "
            f"gives {expected[b, o, r, c]:.4g}. That is pixel ({r + p}, {c + p}) of the full "
            "output, the sum over input channels of every copy that covers it.")


def _transposed_error_hint(error: BaseException | None) -> str:
    """A hint for the typical cause of an exception in a transposed convolution."""
    if isinstance(error, IndexError | ValueError) or "shape" in str(error):
        return ("A shape or index error often comes from the weight layout: a transposed "
                "convolution's weight is (C_in, C_out, k, k), input channels first, the "
                "other way round from conv2d's.")
    return ""


@checker
def check_my_conv_transpose2d(answer: object) -> Verdict:
    """Run the learner's ``my_conv_transpose2d(x, weight, stride=s, padding=p)`` on fresh cases.

    Each call draws :data:`TRANSPOSED_CASES` new cases (:func:`_transposed_cases`: batch 1–2,
    ``C_in`` and ``C_out`` 1–3, equal and different, kernel 2–4, stride 1–3, padding 0–2,
    square and non-square inputs, float64 standard normal values), each run under
    :data:`~convlessons.exercises._answers.TIME_LIMIT`. ``x`` is ``(N, C_in, H, W)``,
    ``weight`` is ``(C_in, C_out, k, k)``; the result must equal
    ``torch.nn.functional.conv_transpose2d(x, weight, stride=s, padding=p)``, shape
    ``(N, C_out, H_out, W_out)`` with ``H_out = (H − 1)s − 2p + k``. Hints: returned None,
    an exception or a time-out (with the weight layout when it is a shape error), a wrong
    shape (batch axis, C_in output channels, padding ignored, added or cropped on one side,
    stride ignored, an ordinary convolution's size), wrong values (kernel flipped, channel
    axes swapped, crop in the wrong place), else the first wrong entry.
    """
    rng = np.random.default_rng()
    cases = _transposed_cases(rng)
    yield
    if (refusal := not_a_function(answer, "my_conv_transpose2d")) is not None:
        return refusal
    for case in cases:
        x = rng.standard_normal(case.shape)
        weight = rng.standard_normal(case.weight_shape)
        expected = _torch_transposed(x, weight, case.stride, case.padding)
        out = learner_array(answer, (x.copy(), weight.copy()),
                            {"stride": case.stride, "padding": case.padding},
                            case=case.describe(), returns="out",
                            error_hint=_transposed_error_hint)
        if out.shape != expected.shape:
            return wrong(_transposed_shape_hint(out.shape, case, expected.shape))
        if not np.allclose(out, expected, atol=_TOLERANCE):
            return wrong(_transposed_value_hint(out, x, weight, case, expected))
    return correct(f"Your function equals torch.nn.functional.conv_transpose2d on {len(cases)} "
                   "fresh random cases: overlapping copies, stride 2–3, C_in = C_out and "
                   "C_in ≠ C_out, padding, a batch of two on a non-square input.")
