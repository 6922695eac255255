"""Checkers for ``03_parameters`` and ``04_receptive_fields_and_pooling``.

- :func:`output_size_quiz` / :func:`check_output_size_quiz` -- five seeded questions
  ``(n, k, s, p, d)``; the answer is the list of output sizes.
- :func:`check_my_output_size` -- the learner's ``my_output_size(input_size, kernel_size,
  stride=s, padding=p, dilation=d)`` on fresh random cases, against torch's output shape.
- :func:`check_same_padding` -- the padding ``(before, after)`` that gives
  ``ceil(n / s)`` outputs with as little padding as possible (TensorFlow's 'SAME').
- :func:`check_receptive_field` -- the receptive field of one unit after a stack.
- :func:`check_my_receptive_field` -- the learner's ``my_receptive_field(layers)`` on fresh
  random stacks, against ``arithmetic.receptive_field``.

The right answers come from torch's shapes or :mod:`convlessons.arithmetic` (checked
against torch in ``tests/test_arithmetic.py``); each typical mistake is the same formula
with the piece the learner forgot taken out (stride 1, dilation 1, padding on one side
only, ...), so every hint names a mistake that reproduces the learner's number exactly.
A function checker draws its cases so that every typical mistake gives a different list
of results, and names the mistake whose results the learner's function reproduces.
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
    LearnerFunctionFailed,
    UnreadableAnswer,
    call_learner,
    entries,
    not_a_function,
    real_number,
    whole_number,
    whole_number_or_pair,
    whole_numbers,
)

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "OUTPUT_SIZE_CASES",
    "RECEPTIVE_FIELD_CASES",
    "OutputSizeQuestion",
    "check_my_output_size",
    "check_my_receptive_field",
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
        - dilation forgotten: with ``d = 1`` (a formula you will often find);
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
            value, "no typical slip gives this number: recount the padded length, the span "
                   "of the dilated kernel and how many starts 0, s, 2s, … keep it inside.")
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
    'SAME'). Hints, first match wins: dilation forgotten, a formula you will
    often find, ``((s-1)n - s + k) // 2`` (for ``s > 1``), the right total split wrongly, a padding
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
    often_found = max(((s - 1) * n - s + k) // 2, 0)
    padded = n + sum(pair)
    size = conv_output_size(padded, k, s, 0, d) if d * (k - 1) < padded else 0
    if d > 1 and pair == same_padding(n, k, s, 1):
        return wrong(f"You padded for a {k}×{k} kernel, but with dilation {d} it spans "
                     f"d(k−1)+1 = {d * (k - 1) + 1} pixels.")
    if s > 1 and pair == (often_found, often_found):
        return wrong("That is ((s−1)n − s + k)//2, a formula you will often find: it asks for "
                     f"n outputs whatever the stride; 'same' means ⌈n/s⌉ = {target} outputs.")
    if sum(pair) == total:
        return wrong(f"Right total ({total}), wrong split: put half on each side, and the odd "
                     "pixel after (bottom/right), as TensorFlow's 'SAME' does.")
    if size == target:
        return wrong(f"Padding {pair} does give {target} outputs, but pads {sum(pair)} "
                     "pixels: a smaller total works too.")
    if total > 0 and pair == (total, total):
        return wrong(f"{total} is the total padding; split it between the two sides.")
    return wrong(f"With padding {pair} the output has {size} pixels, not ⌈{n}/{s}⌉ = "
                 f"{target}: find where the last of the {target} windows starts and how much "
                 "padding it needs to fit.")


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
     "did you forget both the jump and the dilation?"),
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
    return wrong("No typical slip gives this number: go layer by layer from r = 1, j = 1 with "
                 "the recurrence, writing r and j down after each layer.")


# -------------------------------------------------------------------- for the function checkers


def _distinct(results: Sequence[tuple[object, ...]]) -> bool:
    """Each row (one candidate's results on every case) differs from every other row."""
    return len(set(results)) == len(results)


def _slip(given: tuple[object, ...], slips: Sequence[tuple[tuple[object, ...], str]],
          failing: int) -> str | None:
    """The hint of the slip whose results (one per case) equal ``given`` on every case;
    else the hint of a slip that gives the learner's result on the first failing case."""
    for results, hint in slips:
        if results == given:
            return hint
    for results, hint in slips:
        if results[failing] == given[failing]:
            return f"Your number for this case is what this slip gives (not on every case): {hint}"
    return None


def _slip_table(slips_per_case: Sequence[Sequence[tuple[object, str]]]
                ) -> list[tuple[tuple[object, ...], str]]:
    """``(results on every case, hint)`` per slip, from each case's ``[(result, hint)]``."""
    return [(tuple(case[slip][0] for case in slips_per_case), slips_per_case[0][slip][1])
            for slip in range(len(slips_per_case[0]))]


# -------------------------------------------------------------------- the learner's output size

OUTPUT_SIZE_CASES = 8
"""Cases :func:`check_my_output_size` draws on every call."""


class SizeCase(NamedTuple):
    """One call ``fn(n, k, stride=s, padding=p, dilation=d)``."""

    n: int
    k: int
    s: int
    p: int
    d: int

    def describe(self) -> str:
        return (f"input_size={self.n}, kernel_size={self.k}, stride={self.s}, "
                f"padding={self.p}, dilation={self.d}")


def _torch_output_size(case: SizeCase) -> int:
    """The oracle: the output height torch gives (shapes only, on the ``meta`` device)."""
    import torch
    import torch.nn.functional as F

    x = torch.empty(1, 1, case.n, 1, device="meta")
    w = torch.empty(1, 1, case.k, 1, device="meta")
    return int(F.conv2d(x, w, stride=(case.s, 1), padding=(case.p, 0),
                        dilation=(case.d, 1)).shape[2])


def _size_slips(n: int, k: int, s: int, p: int, d: int) -> list[tuple[int, str]]:
    """What each typical slip gives for one case, with its hint (a slip, not the formula)."""
    span = d * (k - 1) + 1
    room = n + 2 * p - span  # >= 0 for every drawn case
    return [
        ((n + 2 * p - k) // s + 1,
         "You forgot the dilation: with dilation d the kernel's k taps are d pixels apart, "
         "so it spans more than k pixels."),
        ((n + 2 * p - d * k) // s + 1,
         "Your dilated kernel is one or more pixels too wide: count the pixels from its "
         "first tap to its last (k taps, k − 1 gaps of d pixels), not d·k."),
        ((n + p - span) // s + 1,
         "You added the padding on one side only: padding p puts p pixels before and p "
         "after."),
        (-(-room // s) + 1,
         "You rounded up: a window that would stick out past the padded input is not "
         "computed, so round down (floor, `//`)."),
        (round(room / s) + 1,
         "You rounded to the nearest whole number: a window that would stick out past the "
         "padded input is not computed, so round down (floor, `//`)."),
        (room + 1,
         "You forgot the stride: the windows start every s pixels, so divide the room they "
         "have by s."),
        (room // s,
         "You are one short: did you count the window that starts at position 0?"),
    ]


def _size_case(kind: int, rng: np.random.Generator) -> SizeCase:
    """One case of a kind: 0 dilated, 1 strided with pixels left over, 2 both and padded,
    3 plain, 4 a kernel that exactly fills the padded input, 5 a 1×1 kernel; else any."""
    while True:
        n = int(rng.integers(5, 41))
        k = int(rng.choice([1, 2, 3, 4, 5, 7]))
        s, p, d = (int(rng.integers(1, 5)), int(rng.integers(0, 4)), int(rng.integers(1, 4)))
        if kind == 0:
            k, d, s = max(k, 2), max(d, 2), 1
        elif kind == 1:
            s, d = max(s, 2), 1
        elif kind == 2:
            k, s, p, d = max(k, 2), max(s, 2), max(p, 1), max(d, 2)
        elif kind == 3:
            s, p, d = 1, 0, 1
        elif kind == 4:
            k, d = max(k, 2), max(d, 2)
            n = d * (k - 1) + 1 - 2 * p
        elif kind == 5:
            k, s = 1, max(s, 2)
        room = n + 2 * p - (d * (k - 1) + 1)
        if n >= 1 and room >= 0 and (kind not in (1, 2) or room % s):
            return SizeCase(n, k, s, p, d)


def _size_cases(rng: np.random.Generator
                ) -> tuple[list[SizeCase], list[int], list[tuple[tuple[object, ...], str]]]:
    """Fresh cases, torch's sizes and the slips' table; every slip's sizes differ from the
    right ones and from every other slip's."""
    while True:
        cases = [_size_case(index, rng) for index in range(OUTPUT_SIZE_CASES)]
        slips = _slip_table([_size_slips(*case) for case in cases])
        expected = [_torch_output_size(case) for case in cases]
        if _distinct([tuple(expected), *(results for results, _hint in slips)]):
            return cases, expected, slips


@checker
def check_my_output_size(answer: object) -> Verdict:
    """Run the learner's ``my_output_size`` on :data:`OUTPUT_SIZE_CASES` fresh random cases.

    Each case calls ``answer(input_size, kernel_size, stride=s, padding=p, dilation=d)``
    under the time limit and compares the whole number it returns with the output height
    of ``torch.nn.functional.conv2d`` (computed on the ``meta`` device). The cases include a
    dilated kernel, strides that leave pixels over, padding, a kernel that exactly fills
    the padded input and a 1×1 kernel, and are drawn until every slip below gives a
    different list of sizes. Hints: dilation forgotten, dilated span taken as ``d·k``,
    padding on one side only, rounding up or to the nearest instead of down, stride
    forgotten, the window at position 0 not counted; a fraction (``/`` instead of ``//``).
    """
    cases, expected, slips = _size_cases(np.random.default_rng())
    yield
    if (refusal := not_a_function(answer, "my_output_size")) is not None:
        return refusal
    given = []
    for case in cases:
        result = call_learner(answer, (case.n, case.k),
                              {"stride": case.s, "padding": case.p, "dilation": case.d},
                              case=case.describe())
        if result is None:
            return wrong("Your function returned None: did you forget `return`?")
        value = real_number(result, "back one whole number (the output size) from your "
                                    "function")
        if not value.is_integer():
            return wrong(f"On {case.describe()} your function returned {value:g}, a fraction: "
                         "`/` divides exactly; the number of windows is a whole number.")
        given.append(int(value))
    if given == expected:
        return correct(f"Your sizes equal torch's output shapes on {len(cases)} fresh random "
                       "cases (dilated kernels, strides that leave pixels over, padding, a "
                       "kernel that just fits, a 1×1 kernel).")
    failing = next(i for i, (a, b) in enumerate(zip(given, expected, strict=True)) if a != b)
    hint = _slip(tuple(given), slips, failing) or (
        "follow one axis: how many pixels does the padded input have, how many does the "
        "(dilated) kernel span, and at how many starts 0, s, 2s, … does it still fit?")
    return wrong(f"On {cases[failing].describe()} your function returns {given[failing]}, "
                 f"torch gives {expected[failing]}. {hint}")


# -------------------------------------------------------------------- the learner's receptive field

RECEPTIVE_FIELD_CASES = 6
"""Stacks :func:`check_my_receptive_field` draws on every call."""

_RF_SLIPS: tuple[tuple[dict[str, object], str], ...] = (
    ({"jump_first": True},
     "You multiplied the jump by the layer's own stride before using it: a layer's taps "
     "are spaced by the jump of its input (the strides of the layers before it), so grow r "
     "first, then update j."),
    ({"span": lambda k, d: k},
     "You forgot the dilation: a dilated kernel's k taps are d units apart, so it spans "
     "more than k units."),
    ({"span": lambda k, d: d * k},
     "Your dilated kernel is too wide: count from its first tap to its last (k taps, "
     "k − 1 gaps of d units), not d·k."),
    ({"use_jump": False},
     "Your jump is right but the size forgets it: after a stride-2 layer, each step of "
     "the next kernel moves 2 input pixels, so every later layer adds (k′ − 1)·j."),
    ({"use_jump": False, "update_jump": False},
     "You never multiply the jump by the strides: after a stride-s layer, neighbouring "
     "units are s times further apart in the input."),
    ({"start": 0},
     "You are one short: before any layer a unit is one input pixel (r = 1), not 0."),
)


def _walk_stack(layers: Sequence[Mapping[str, int]], *, span: Callable[[int, int], int] = (
        lambda k, d: d * (k - 1) + 1), jump_first: bool = False, use_jump: bool = True,
        update_jump: bool = True, start: int = 1) -> tuple[int, int]:
    """``(size, jump)`` by the recurrence, with the pieces a slip changes made explicit."""
    size, jump = start, 1
    for layer in layers:
        k, s, d = layer["kernel_size"], layer.get("stride", 1), layer.get("dilation", 1)
        if jump_first:
            jump *= s
        size += (span(k, d) - 1) * (jump if use_jump else 1)
        if update_jump and not jump_first:
            jump *= s
    return size, jump


def _rf_slips(layers: Sequence[Mapping[str, int]]) -> list[tuple[tuple[int, int], str]]:
    """What each slip of :data:`_RF_SLIPS` returns on one stack, and ``(jump, size)``."""
    right = receptive_field(layers)
    return [*((_walk_stack(layers, **slip), hint) for slip, hint in _RF_SLIPS),
            ((right.stride, right.size),
             "Your numbers are swapped: return (size, jump), in that order.")]


def _stack(kind: int, rng: np.random.Generator) -> list[dict[str, int]]:
    """One stack of a kind: 0 one dilated layer without a stride key, 1 a stride followed
    by a dilated layer, 2 a stride larger than its kernel; else 2–6 random layers. Other
    optional keys are left out at random when they are 1."""
    if kind == 0:
        raw = [(int(rng.integers(2, 6)), 1, int(rng.integers(2, 4)))]
    elif kind == 1:
        raw = [(int(rng.integers(2, 6)), int(rng.integers(2, 4)), 1),
               (int(rng.integers(2, 5)), 1, int(rng.integers(2, 4))),
               (int(rng.integers(1, 4)), int(rng.integers(1, 3)), 1)]
    elif kind == 2:
        raw = [(1, 2, 1), (3, 1, 1), (int(rng.integers(1, 4)), int(rng.integers(1, 4)), 1)]
    else:
        raw = [(int(rng.integers(1, 8)), int(rng.choice([1, 1, 2, 3])),
                int(rng.choice([1, 1, 1, 2, 3]))) for _ in range(int(rng.integers(2, 7)))]
    stack = []
    for k, s, d in raw:
        layer = {"kernel_size": k}
        for key, value in (("stride", s), ("dilation", d)):
            if value != 1 or (kind != 0 and rng.random() < 0.4):
                layer[key] = value
        stack.append(layer)
    return stack


def _stacks(rng: np.random.Generator
            ) -> tuple[list[list[dict[str, int]]], list[tuple[int, int]],
                       list[tuple[tuple[object, ...], str]]]:
    """Fresh stacks, the right ``(size, jump)`` of each and the slips' table; every slip's
    results differ from the right ones and from every other slip's."""
    while True:
        stacks = [_stack(index, rng) for index in range(RECEPTIVE_FIELD_CASES)]
        expected = [tuple(receptive_field(stack)[:2]) for stack in stacks]
        slips = _slip_table([_rf_slips(stack) for stack in stacks])
        if _distinct([tuple(expected), *(results for results, _hint in slips)]):
            return stacks, expected, slips


@checker
def check_my_receptive_field(answer: object) -> Verdict:
    """Run the learner's ``my_receptive_field(layers)`` on fresh random stacks.

    Each of :data:`RECEPTIVE_FIELD_CASES` calls passes a new list of layer dicts
    (``kernel_size``, and ``stride`` / ``dilation`` only sometimes: they default to 1)
    under the time limit; the function returns ``(size, jump)``, compared with
    ``arithmetic.receptive_field(layers)`` (``r_l = r_{l-1} + (k'_l - 1) j_{l-1}``,
    ``j_l = j_{l-1} s_l``). The stacks include a single dilated layer, a stride followed
    by a dilated layer and a stride larger than its kernel, and are drawn until every slip
    gives a different list of results. Hints: the jump multiplied by the layer's own
    stride too early, dilation forgotten, the dilated span taken as ``d·k``, the jump left
    out of the size, the jump never updated, a start at 0, the pair swapped.
    """
    stacks, expected, slips = _stacks(np.random.default_rng())
    yield
    if (refusal := not_a_function(answer, "my_receptive_field")) is not None:
        return refusal
    given = []
    for stack in stacks:
        try:
            result = call_learner(answer, ([dict(layer) for layer in stack],),
                                  case=f"layers = {stack}")
        except LearnerFunctionFailed as failure:
            if isinstance(failure.error, KeyError) and failure.error.args[:1] in (
                    ("stride",), ("dilation",)):
                return wrong(f"{failure} A layer may leave out stride and dilation: they "
                             "default to 1 (`layer.get('stride', 1)`).")
            raise
        if result is None:
            return wrong("Your function returned None: did you forget `return`?")
        given.append(whole_numbers(result, 2, "back a pair (size, jump) of whole numbers "
                                              "from your function"))
    if given == expected:
        return correct(f"Your (size, jump) equals receptive_field's on {len(stacks)} fresh "
                       "random stacks (a dilated layer, a stride before a dilated layer, a "
                       "stride larger than its kernel, stacks of up to 6 layers, stride and "
                       "dilation keys sometimes left out).")
    failing = next(i for i, (a, b) in enumerate(zip(given, expected, strict=True)) if a != b)
    hint = _slip(tuple(given), slips, failing) or (
        "go layer by layer from r = 1, j = 1: how many input pixels does one step of this "
        "layer's kernel cover, and how far apart are this layer's units?")
    size, jump = given[failing]
    return wrong(f"On layers = {stacks[failing]} your function returns ({size}, {jump}); "
                 f"receptive_field gives {expected[failing]}. {hint}")
