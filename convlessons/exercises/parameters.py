"""Checkers for ``03_parameters``: output sizes, 'same' padding, receptive fields.

- :func:`output_size_quiz` / :func:`check_output_size_quiz` -- five seeded questions
  ``(n, k, s, p, d)``; the answer is the list of output sizes.
- :func:`check_same_padding` -- the padding ``(before, after)`` that gives
  ``ceil(n / s)`` outputs with as little padding as possible (TensorFlow's 'SAME').
- :func:`check_receptive_field` -- the receptive field of one unit after a stack.

The right answers come from :mod:`convlessons.arithmetic` (checked against torch in
``tests/test_arithmetic.py``); each typical mistake is the same function called with the
piece the learner forgot taken out (stride 1, dilation 1, padding on one side only, ...),
so every hint names a mistake that reproduces the learner's number exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from convlessons._validation import as_int, shown
from convlessons.arithmetic import (
    conv_output_size,
    layers_from_module,
    receptive_field,
    same_padding,
)
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import (
    UnreadableAnswer,
    entries,
    whole_number,
    whole_number_or_pair,
)

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "OutputSizeQuestion",
    "check_output_size_quiz",
    "check_receptive_field",
    "check_same_padding",
    "output_size_quiz",
]

QUIZ_LENGTH = 5
"""Number of questions in :func:`output_size_quiz`."""


# -------------------------------------------------------------------- output-size quiz


class OutputSizeQuestion(NamedTuple):
    """One quiz question: input ``n``, kernel ``k``, stride ``s``, padding ``p``, dilation ``d``."""

    n: int
    k: int
    s: int
    p: int
    d: int

    @property
    def answer(self) -> int:
        """``floor((n + 2p - d(k-1) - 1) / s) + 1``, from ``arithmetic.conv_output_size``."""
        return conv_output_size(self.n, self.k, self.s, self.p, self.d)

    def parameter_mistakes(self) -> list[tuple[int, str]]:
        """``(number, hint)`` for each mistake with a parameter that applies here.

        - stride forgotten: ``conv_output_size`` with ``s = 1``;
        - dilation forgotten: with ``d = 1`` (the seed lesson's formula);
        - ceil instead of floor: ``ceil(x / s) = floor((x + s - 1) / s)``, i.e. ``s - 1``
          more pixels of padding after;
        - padding counted once: padding ``(p, 0)``.
        """
        n, k, s, p, d = self
        candidates = []
        if s > 1:
            candidates.append((conv_output_size(n, k, 1, p, d),
                               "did you forget the stride? Divide by s before adding 1."))
        if d > 1:
            candidates.append((conv_output_size(n, k, s, p, 1),
                               f"did you forget the dilation? The kernel spans d(k−1)+1 = "
                               f"{d * (k - 1) + 1} pixels, not {k}."))
        candidates.append((conv_output_size(n, k, s, (p, p + s - 1), d),
                           "you rounded up: use floor — a window that would stick out past "
                           "the padded input does not count."))
        if p > 0:
            candidates.append((conv_output_size(n, k, s, (p, 0), d),
                               "did you count the padding once? It is added on both sides: "
                               "n + 2p."))
        return candidates

    def mistakes(self) -> dict[int, str]:
        """The number each typical mistake gives, mapped to its hint.

        Only numbers different from the answer; when two mistakes give the same number the
        first one of :meth:`parameter_mistakes` keeps it, and "forgot the + 1" comes last.
        """
        candidates = [*self.parameter_mistakes(),
                      (self.answer - 1, "one short: did you forget the + 1 (the window at "
                                        "position 0)?")]
        mistakes: dict[int, str] = {}
        for value, hint in candidates:
            if value != self.answer:
                mistakes.setdefault(value, hint)
        return mistakes

    def describe(self) -> str:
        return f"n={self.n}, k={self.k}, s={self.s}, p={self.p}, d={self.d}"


def _distinct_mistakes(question: OutputSizeQuestion) -> bool:
    """Each parameter mistake gives its own number, different from the answer."""
    values = [value for value, _ in question.parameter_mistakes()]
    return question.answer not in values and len(set(values)) == len(values)


def output_size_quiz(seed: int = 0) -> list[OutputSizeQuestion]:
    """Five questions ``(n, k, s, p, d)`` drawn with ``numpy.random.default_rng(seed)``.

    Every question has ``s >= 2`` and a division that does not come out even (so floor
    and ceil differ), a dilated kernel no larger than the unpadded input (so every
    mistaken formula still gives a size), and parameter mistakes that all give different
    numbers, so :func:`check_output_size_quiz` can say which one was made.
    """
    rng = np.random.default_rng(as_int(seed, "seed", minimum=0))
    questions: list[OutputSizeQuestion] = []
    while len(questions) < QUIZ_LENGTH:
        question = OutputSizeQuestion(
            n=int(rng.integers(7, 33)), k=int(rng.choice([2, 3, 5, 7])),
            s=int(rng.integers(2, 4)), p=int(rng.integers(0, 4)), d=int(rng.integers(1, 4)),
        )
        span = question.d * (question.k - 1) + 1
        uneven = (question.n + 2 * question.p - span) % question.s
        if span <= question.n and uneven and _distinct_mistakes(question):
            questions.append(question)
    return questions


@checker
def check_output_size_quiz(answer: object, seed: int = 0) -> Verdict:
    """Check a list of output sizes against :func:`output_size_quiz` ``(seed)``.

    The answer is a list, tuple or 1-D array of :data:`QUIZ_LENGTH` whole numbers. Every
    wrong entry gets the hint of the mistake that reproduces it
    (:meth:`OutputSizeQuestion.mistakes`), or the formula if none does.

    Raises
    ------
    ValueError, TypeError
        If ``seed`` is not an int >= 0.
    """
    questions = output_size_quiz(seed)
    yield
    given = entries(answer, len(questions),
                    f"a list of {len(questions)} whole numbers, one per question")
    problems = []
    for number, (question, entry) in enumerate(zip(questions, given, strict=True), start=1):
        try:
            value = whole_number(entry)
        except UnreadableAnswer:
            problems.append(f"Q{number}: {shown(entry)} is not a whole number.")
            continue
        if value == question.answer:
            continue
        hint = question.mistakes().get(
            value, "use ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1.")
        problems.append(f"Q{number} ({question.describe()}): {value} is not right; {hint}")
    if problems:
        right = len(questions) - len(problems)
        return wrong(f"{right} of {len(questions)} right. " + " ".join(problems))
    return correct(f"All {len(questions)} output sizes agree with "
                   "⌊(n + 2p − d(k−1) − 1)/s⌋ + 1.")


# -------------------------------------------------------------------- same padding


@checker
def check_same_padding(
    answer: object, input_size: int, kernel_size: int, stride: int = 1, dilation: int = 1
) -> Verdict:
    """Check the padding that gives ``ceil(n / s)`` outputs with the least padding.

    The answer is an int ``p`` (both sides) or a pair ``(before, after)``; the expected
    one is :func:`convlessons.arithmetic.same_padding` (total
    ``max((ceil(n/s) - 1)s + d(k-1) + 1 - n, 0)``, odd pixel after, as TensorFlow's
    'SAME'). Hints, first match wins: dilation forgotten, the seed lesson's
    ``((s-1)n - s + k) // 2`` (for ``s > 1``), the right total split wrongly, a padding
    that gives the right size but is not the smallest, the total given per side, and
    otherwise the output size the answer gives.

    Raises
    ------
    ValueError, TypeError
        If a size argument is out of range (a bug in the notebook, not the learner's).
    """
    n = as_int(input_size, "input_size", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = as_int(stride, "stride", minimum=1)
    d = as_int(dilation, "dilation", minimum=1)
    expected = same_padding(n, k, s, d)
    yield
    pair = whole_number_or_pair(answer, "the padding as one int ≥ 0 (both sides) or a pair "
                                        "(before, after) of ints ≥ 0")
    target = -(-n // s)
    total = sum(expected)
    if pair == expected:
        return correct(f"Padding {expected} (total {total}) gives ⌈{n}/{s}⌉ = {target} "
                       "outputs, with the least padding possible.")
    seed = max(((s - 1) * n - s + k) // 2, 0)
    padded = n + sum(pair)
    size = conv_output_size(padded, k, s, 0, d) if d * (k - 1) < padded else 0
    if d > 1 and pair == same_padding(n, k, s, 1):
        return wrong(f"You padded for a {k}×{k} kernel, but with dilation {d} it spans "
                     f"d(k−1)+1 = {d * (k - 1) + 1} pixels.")
    if s > 1 and pair == (seed, seed):
        return wrong("That is the seed lesson's ((s−1)n − s + k)//2, which asks for n "
                     f"outputs whatever the stride; 'same' means ⌈n/s⌉ = {target} outputs.")
    if sum(pair) == total:
        return wrong(f"Right total ({total}), wrong split: put half on each side, and the odd "
                     "pixel after (bottom/right), as TensorFlow's 'SAME' does.")
    if size == target:
        return wrong(f"Padding {pair} does give {target} outputs, but pads {sum(pair)} "
                     f"pixels; the smallest total that works is {total}.")
    if total > 0 and pair == (total, total):
        return wrong(f"{total} is the total padding; split it between the two sides.")
    return wrong(f"With padding {pair} the output has {size} pixels, not ⌈{n}/{s}⌉ = "
                 f"{target}: you need (⌈n/s⌉ − 1)s + d(k−1) + 1 − n = {total} pixels in total.")


# -------------------------------------------------------------------- receptive field


def _with(layers: Sequence[Mapping[str, int]], **values: int) -> list[dict[str, int]]:
    """Copies of ``layers`` with some keys overwritten (e.g. every stride set to 1)."""
    return [{**layer, **values} for layer in layers]


def _own_stride(layers: Sequence[Mapping[str, int]]) -> list[dict[str, int]]:
    """A stack whose receptive field uses ``j_l`` instead of ``j_{l-1}`` in layer ``l``.

    Moving each stride one layer earlier (behind a 1-pixel layer with the first stride)
    makes the jump before layer ``l`` equal to the original ``j_l``.
    """
    strides = [layer.get("stride", 1) for layer in layers]
    shifted = [{**layer, "stride": after} for layer, after in zip(layers, strides[1:] + [1],
                                                                   strict=True)]
    return [{"kernel_size": 1, "stride": strides[0]}, *shifted]


_RF_MISTAKES: tuple[tuple[Callable[[Sequence[Mapping[str, int]]], list], str], ...] = (
    (lambda layers: _with(layers, stride=1),
     "did you forget the jump? A kernel after a stride-2 layer steps over 2 input pixels per "
     "tap: add (k′ − 1)·j with j the product of the earlier strides."),
    (lambda layers: _with(layers, dilation=1),
     "did you forget the dilation? A dilated kernel spans k′ = d(k − 1) + 1 pixels."),
    (lambda layers: _with(layers, stride=1, dilation=1),
     "did you forget both the jump and the dilation? Use r += (d(k − 1)) · j."),
    (_own_stride,
     "you multiplied by the jump including the layer's own stride: a layer's kernel is "
     "spaced by the jump of its input, j_{l−1}, not j_l."),
)


@checker
def check_receptive_field(answer: object,
                          layers: Sequence[Mapping[str, int]] | nn.Module) -> Verdict:
    """Check the receptive field (in input pixels) of one unit after ``layers``.

    ``layers`` is a non-empty list of layer dicts (``kernel_size``, ``stride``,
    ``padding``, ``dilation``) or a ``torch.nn.Module`` (read by
    ``arithmetic.layers_from_module``). Expected: ``receptive_field(layers).size`` from
    :mod:`convlessons.arithmetic` (``r_l = r_{l-1} + (k'_l - 1) j_{l-1}``). Hints: the
    jump forgotten (strides set to 1), dilation forgotten, both, the jump taken after the
    layer's own stride, and the jump given instead of the size.

    Raises
    ------
    ValueError, TypeError
        If ``layers`` is empty or not a valid stack (the message names ``layers``).
    """
    if hasattr(layers, "modules"):  # a torch.nn.Module
        layers = layers_from_module(layers)
    field = receptive_field(layers)  # checks every layer; the messages name ``layers[i]``
    layers = list(layers)
    if not layers:
        raise ValueError("layers must hold at least one layer (with a kernel_size), got none")
    size, jump = field.size, field.stride
    yield
    value = whole_number(answer, "one whole number: how many input pixels (along one side) "
                                 "one output unit sees")
    if value == size:
        return correct(f"One unit sees {size}×{size} input pixels; neighbouring units are "
                       f"{jump} pixels apart (the jump).")
    for mistake, hint in _RF_MISTAKES:
        if receptive_field(mistake(layers)).size == value:
            return wrong(f"{value}: {hint}")
    if value == jump and jump != size:
        return wrong(f"{value} is the jump (product of the strides); the receptive field is "
                     "the size of the window.")
    return wrong("Go layer by layer from r = 1, j = 1: r += (d(k − 1)) · j, then j *= s.")
