"""Exercise checkers: each ``check_*`` function returns a :class:`Verdict`.

One module per notebook (``operation``, ``parameters``, ``conv_types``, ``efficient``,
``features``, ``visualization``, ``optimization``); a notebook imports its checkers
from its own module, e.g. ``from convlessons.exercises.parameters import check_output_size``.

A checker never raises on a wrong or missing answer: it says what is wrong and gives a
hint aimed at the most likely mistake ("your output is 6×6; did you forget the stride?").
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Verdict", "checker", "correct", "wrong"]


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


def checker(check: Callable[..., Verdict]) -> Callable[..., Verdict]:
    """Make ``check(answer, ...)`` safe to call on anything a learner may type.

    The placeholder answers (``...`` or ``None``) give a "no answer yet" verdict, and an
    answer of the wrong kind (a ``TypeError``/``ValueError`` while checking it) gives a
    wrong verdict that says why, instead of a traceback.
    """

    @functools.wraps(check)
    def safe_check(answer: object, *args: object, **kwargs: object) -> Verdict:
        if answer is Ellipsis or answer is None:
            return NOT_ANSWERED
        try:
            return check(answer, *args, **kwargs)
        except (TypeError, ValueError) as err:
            return wrong(f"Your answer could not be checked ({err}).")

    return safe_check
