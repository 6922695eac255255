"""Exercise checkers: each ``check_*`` function returns a :class:`Verdict`.

One module per notebook (``operation``, ``parameters``, ``conv_types``, ``efficient``,
``features``, ``visualization``, ``optimization``); a notebook imports its checkers
from its own module, e.g. ``from convlessons.exercises.parameters import check_same_padding``.

A checker never raises on a wrong, missing or strange answer: it says what is wrong and
gives a hint aimed at the most likely mistake ("your output is 6×6; did you forget the
stride?"). Only a wrong argument *of the notebook* (a bug in the notebook, not the
learner's) raises a ``ValueError``/``TypeError`` naming that argument.

Writing a checker
-----------------
Decorate a generator function with :func:`checker`. Before its ``yield`` it validates the
notebook's own arguments (with :mod:`convlessons._validation`) and computes what it
needs; after it, it reads the learner's answer and returns a :class:`Verdict` (so annotate
it ``-> Verdict``: what the decorated function returns)::

    @checker
    def check_same_padding(answer: object, input_size: int, kernel_size: int) -> Verdict:
        n = as_int(input_size, "input_size", minimum=1)   # a notebook bug raises here
        k = as_int(kernel_size, "kernel_size", minimum=1)
        expected = same_padding(n, k)
        yield                                               # -- the learner's answer below
        pair = whole_numbers(answer, 2, "the padding (before, after)")
        if pair == expected:
            return correct("...")
        return wrong("... the hint for the slip this pair reveals ...")

:func:`checker` runs the part before ``yield`` first, so a notebook bug shows even while
the answer cell still holds ``...``; then ``...``/``None`` give :data:`NOT_ANSWERED`; then
the part after ``yield`` runs, and anything it raises becomes a ❌ verdict:
:class:`~convlessons.exercises._answers.UnreadableAnswer` (from the readers
:func:`~convlessons.exercises._answers.real_number`, ``whole_number(s)``, ``real_array``, ...)
and :class:`~convlessons.exercises._answers.LearnerFunctionFailed` (from
:func:`~convlessons.exercises._answers.call_learner`, which runs a learner's function under a
time limit) with their own message, any other exception with its type and message.
``KeyboardInterrupt`` and ``SystemExit`` pass through. A checker of a learner's function
draws fresh random cases on every call and calls the function through ``call_learner``.
"""

from __future__ import annotations

import functools
import html
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from convlessons.exercises._answers import LearnerFunctionFailed, UnreadableAnswer, describe_error

__all__ = ["NOT_ANSWERED", "Verdict", "checker", "correct", "wrong"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``correct`` plus a message for the learner.

    Truthy when correct, so a notebook can ``assert check_…(solution)``; shown as a
    coloured box in JupyterLab and as plain text elsewhere.
    """

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return ("✅ Correct! " if self.correct else "❌ Not yet. ") + self.message

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.correct else "#b35900"
        return (f'<div style="border-left: 4px solid {colour}; padding: 4px 10px;">'
                f"{html.escape(str(self))}</div>")


def correct(message: str = "") -> Verdict:
    """A verdict for a right answer."""
    return Verdict(True, message)


def wrong(hint: str) -> Verdict:
    """A verdict for a wrong answer, with a specific hint."""
    return Verdict(False, hint)


NOT_ANSWERED = Verdict(
    False, "No answer yet: replace the `...` in the answer cell with your answer and run it again."
)
"""The verdict for the placeholder answers ``...`` and ``None``."""

_FORM_HINT = ("Check that your answer has the form the exercise asks for (a number, a tuple, "
              "an array or your function), then run the cell again.")


def checker(check: Callable[..., object]) -> Callable[..., Verdict]:
    """Turn a checker generator (see the module docstring) into ``check(answer, ...)``.

    The returned function

    1. runs ``check`` up to its ``yield``: the notebook's arguments, whose errors propagate;
    2. returns :data:`NOT_ANSWERED` for the placeholder answers ``...`` and ``None``;
    3. runs the rest and returns its :class:`Verdict`. An exception there is the answer's
       doing and becomes a wrong verdict: the message of
       :class:`~convlessons.exercises._answers.UnreadableAnswer` and
       :class:`~convlessons.exercises._answers.LearnerFunctionFailed` as is, any other
       exception as ``"Your answer could not be checked: TypeError: ..."`` with a hint.
       ``KeyboardInterrupt`` and ``SystemExit`` are not caught.
    """
    if not inspect.isgeneratorfunction(check):
        raise TypeError(f"@checker needs a generator function (with a `yield` between the "
                        f"notebook's arguments and the answer), got {check.__name__}")

    @functools.wraps(check)
    def safe_check(answer: object, *args: object, **kwargs: object) -> Verdict:
        steps = check(answer, *args, **kwargs)
        try:
            next(steps)
        except StopIteration as stop:  # returned before its yield: a bug in the checker
            raise RuntimeError(f"{check.__name__} must yield before judging the answer") from stop
        if answer is Ellipsis or answer is None:
            steps.close()
            return NOT_ANSWERED
        try:
            next(steps)
        except StopIteration as stop:
            verdict = stop.value
        except (UnreadableAnswer, LearnerFunctionFailed) as err:
            return wrong(str(err))
        except Exception as err:  # whatever the answer made fail
            return wrong(f"Your answer could not be checked: {describe_error(err)}. {_FORM_HINT}")
        else:
            raise RuntimeError(f"{check.__name__} must yield only once")
        if not isinstance(verdict, Verdict):
            raise RuntimeError(f"{check.__name__} returned {verdict!r}, not a Verdict")
        return verdict

    return safe_check
