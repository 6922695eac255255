"""Checkers for ``06_convolution_types``: parameter counts and transposed-conv settings.

- :func:`check_parameter_count` -- the number of parameters of a standard, grouped or
  depthwise-separable convolution, counted from the real torch layers.
- :func:`check_upsampling_settings` -- ``(kernel_size, stride, padding, output_padding)``
  of a transposed convolution that turns an ``n × n`` map into a ``target × target`` one.

The right parameter count is ``conv_cost(...).params`` from :mod:`convlessons.costs`
(``sum(p.numel())`` over real ``torch.nn.Conv2d`` modules); each typical mistake is the
same count with the piece the learner forgot taken out (no bias, groups = 1, no pointwise
step, ...), so every hint names a mistake that reproduces the learner's number exactly.
Transposed sizes come from :func:`convlessons.arithmetic.conv_transpose_output_size`
(checked against ``torch.nn.functional.conv_transpose2d``), and the checkerboard note from
the overlap counts of the full output's interior (:func:`interior_overlap_range`, checked
against ``conv_transpose2d`` of ones in the tests).
"""

from __future__ import annotations

from collections.abc import Mapping

from convlessons._validation import as_int
from convlessons.arithmetic import conv_transpose_output_size
from convlessons.costs import conv_cost, layer_kind
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import UnreadableAnswer, whole_number, whole_numbers

__all__ = ["SETTING_NAMES", "check_parameter_count", "check_upsampling_settings",
           "interior_overlap_range"]

SETTING_NAMES = ("kernel_size", "stride", "padding", "output_padding")
"""The four settings :func:`check_upsampling_settings` expects, in this order."""


# -------------------------------------------------------------------- parameter counts


def _params(c_in: int, c_out: int, k: int, groups: int = 1, separable: bool = False,
            bias: bool = True) -> int:
    return conv_cost(c_in, c_out, k, groups, separable, size=1, bias=bias).params


def _parameter_mistakes(c_in: int, c_out: int, k: int, groups: int, separable: bool,
                        bias: bool) -> list[tuple[int, str]]:
    """``(count, hint)`` for each typical mistake that applies to this layer."""
    mistakes = []
    if bias:
        mistakes.append((_params(c_in, c_out, k, groups, separable, bias=False),
                         "did you forget the bias? Each conv adds one bias per output channel."
                         if not separable else
                         "did you forget the biases? The depthwise step has C_in of them and "
                         "the pointwise step C_out."))
    if groups > 1:
        mistakes.append((_params(c_in, c_out, k, bias=bias),
                         f"you used C_in = {c_in} input channels per filter; with groups = "
                         f"{groups} each filter sees only C_in/groups = {c_in // groups}."))
    if separable:
        mistakes += [
            (_params(c_in, c_in, k, groups=c_in, bias=bias),
             "did you forget the pointwise part? After the depthwise k×k step comes a 1×1 "
             f"conv {c_in} → {c_out} with C_out·C_in weights."),
            (_params(c_in, c_out, 1, bias=bias),
             f"that is only the pointwise 1×1 part; add the depthwise {k}×{k} step "
             f"(one {k}×{k} filter per input channel)."),
            (_params(c_in, c_out, k, bias=bias),
             "that is a standard conv; a separable conv replaces it by a depthwise k×k conv "
             "(groups = C_in) followed by a pointwise 1×1 conv."),
            (_params(c_in, c_out, k, groups=c_in, bias=bias) if c_out % c_in == 0 else -1,
             "that is a depthwise conv straight to C_out channels; a separable conv keeps "
             "C_in channels in the depthwise step and mixes them with a 1×1 conv."),
        ]
        if bias:
            mistakes.append((_params(c_in, c_out, k, separable=True, bias=False) + c_out,
                             f"you counted only the pointwise biases ({c_out}); the depthwise "
                             f"step has its own {c_in}."))
    return mistakes


@checker
def check_parameter_count(answer: object, in_channels: int, out_channels: int,
                          kernel_size: int, groups: int = 1, separable: bool = False,
                          bias: bool = True) -> Verdict:
    """Check the number of parameters of a convolution layer (or separable pair).

    Expected: ``sum(p.numel())`` over the torch layers (``conv_cost(...).params``):
    ``K·(C/g)·k² (+ K)`` for ``Conv2d(C, K, k, groups=g)``, ``C·k² + K·C (+ C + K)`` for
    a depthwise ``k × k`` conv followed by a pointwise ``1 × 1`` one. Hints: bias
    forgotten, ``C`` used instead of ``C/g``, pointwise or depthwise part forgotten, a
    standard conv counted, a depthwise conv straight to ``K`` channels, only one bias.

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
    formula = ("C_in·k² + C_out·C_in" + (" + C_in + C_out" if bias else "") if separable
               else "C_out·(C_in/groups)·k²" + (" + C_out" if bias else ""))
    return wrong(f"{value} is not the count; use {formula} and check each factor.")


# -------------------------------------------------------------------- transposed settings


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
    them, depending on ``y mod s``. With ``k = qs + r``, ``0 < r``, both occur as soon as
    the interior has two rows; counts of a pixel are products of its row and column
    counts. Exact integer arithmetic, no canvas: ``n``, ``k``, ``s`` may be huge.

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


def _checkerboard_note(n: int, k: int, s: int) -> str:
    """A note when the stride does not divide the kernel, with the overlap counts."""
    if k % s == 0:
        return ""
    counts = interior_overlap_range(n, k, s)
    spread = (f": interior pixels receive between {counts[0]} and {counts[1]} "
              "scatters, so a constant input already gives a checkerboard"
              if counts is not None and counts[0] != counts[1]
              else ", so on a larger input the kernel copies overlap unevenly")
    return (f" Note: kernel_size {k} is not divisible by stride {s}{spread} (Odena et al., "
            "2016). A kernel_size the stride divides avoids it, e.g. 4 with stride 2 and "
            "padding 1.")


@checker
def check_upsampling_settings(answer: object, input_size: int = 7,
                              target_size: int = 14) -> Verdict:
    """Check transposed-conv settings that map ``input_size`` pixels to ``target_size``.

    The answer is ``(kernel_size, stride, padding, output_padding)`` or a dict with those
    keys; its size is ``(n − 1)s − 2p + k + output_padding``
    (``arithmetic.conv_transpose_output_size``, torch's rule ``output_padding < stride``
    included). A right size with a kernel the stride does not divide is correct with a
    checkerboard note; a stride other than ``target/n`` gets a note that it fits this
    size only. Wrong sizes get the change that fixes them (output_padding, padding, ...).

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
                       f"{op} = {target}." + scale + _checkerboard_note(n, k, s))
    if target % n == 0 and s != target // n:
        return wrong(f"{got}: each input pixel moves the output by the stride, so a "
                     f"{target // n}× upsampling needs stride = {target // n}.")
    missing = target - size
    if 0 < missing and op + missing < s:
        return wrong(f"{got}: add output_padding = {op + missing} (extra rows/columns at the "
                     "bottom/right; it must stay below the stride).")
    if missing % 2 == 0 and p - missing // 2 >= 0:
        return wrong(f"{got}: padding crops p rows from each side (2p in all), so use "
                     f"padding = {p - missing // 2}.")
    if missing < 0:
        return wrong(f"{got}: padding removes 2 rows at a time and {-missing} is odd; change "
                     "the kernel_size (or output_padding) by one as well.")
    return wrong(f"{got}: the output is {missing} too small; use a larger kernel_size.")
