"""Reading a learner's answer, whatever form it takes, and running a learner's function.

Every checker reads its answer through these helpers, so every checker accepts the same
forms and refuses the same junk with the same words:

- :func:`real_number` / :func:`whole_number` -- one number: a Python or numpy number,
  a ``Fraction``, a 0-d or 1-element numpy array or torch tensor;
- :func:`real_numbers` / :func:`whole_numbers` -- a fixed count of them: a tuple, a list,
  a 1-D numpy array or torch tensor; :func:`entries` -- such a sequence, entries unread;
  :func:`whole_number_or_pair` -- ``n`` or ``(a, b)``, as torch reads ``padding``;
- :func:`real_array` -- an array of real numbers (nested lists, numpy, torch, also a tensor
  that requires grad);
- :func:`call_learner` -- call the learner's function under a time limit
  (:data:`TIME_LIMIT` seconds); :func:`learner_array` -- the same, its result read as an
  array (``None`` gets "did you forget `return out`?").

A reader returns the answer in one plain form (``int``, ``float``, ``tuple``, float64
``numpy.ndarray``) or raises :class:`UnreadableAnswer`, whose message is written for the
learner: what to give, what was given, and why it does not count (a complex number, NaN or
infinity, a number too large for a float, a string, an object that fails to convert...).
:func:`call_learner` raises :class:`LearnerFunctionFailed` when the learner's function
raises or runs out of time. Inside a :func:`~convlessons.exercises.checker` both become a
❌ verdict with their message, so a checker written with these helpers never raises on the
learner's account.

Example, a checker for a learner's ``my_relu(x)``::

    @checker
    def check_my_relu(answer: object) -> Verdict:
        yield  # no notebook arguments to validate
        if (refusal := not_a_function(answer, "my_relu")) is not None:
            return refusal
        x = np.random.default_rng().standard_normal(5)  # fresh values on every call
        result = real_array(call_learner(answer, (x,), case=f"x = {x}"), "my_relu's result")
        ...
"""

from __future__ import annotations

import math
import numbers
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from convlessons._validation import shown

__all__ = [
    "LARGEST_WHOLE_NUMBER",
    "TIME_LIMIT",
    "LearnerFunctionFailed",
    "UnreadableAnswer",
    "call_learner",
    "describe_error",
    "entries",
    "not_a_function",
    "learner_array",
    "real_array",
    "real_number",
    "real_numbers",
    "whole_number",
    "whole_number_or_pair",
    "whole_numbers",
]

TIME_LIMIT = 5.0
"""Seconds a learner's function may take on one case before :func:`call_learner` stops it."""

LARGEST_WHOLE_NUMBER = 2**53
"""Largest ``|n|`` :func:`whole_number` accepts (every whole number up to it is an exact float).

No exercise has a larger answer; a larger number is refused before any computation with it.
"""


class UnreadableAnswer(Exception):
    """The answer is not of the kind the exercise asks for; ``str()`` tells the learner why."""


class LearnerFunctionFailed(Exception):
    """The learner's function raised an exception or took longer than its time limit.

    Attributes
    ----------
    error : BaseException or None
        What the function raised, ``None`` when it ran out of time.
    case : str
        The case it was called on, as :func:`call_learner` was told.
    seconds : float
        The time limit.
    """

    def __init__(self, case: str, error: BaseException | None, seconds: float,
                 hint: str = "") -> None:
        self.case, self.error, self.seconds = case, error, seconds
        if error is None:
            message = (f"Your function took longer than {seconds:g} s on {case}, so it was "
                       "stopped: look for a loop that never ends (or one that does far more "
                       "work than needed).")
        else:
            message = f"Your function raised {describe_error(error)} on {case}."
        super().__init__(f"{message} {hint}" if hint else message)


def describe_error(error: BaseException) -> str:
    """``"TypeName: first line of its message"`` (cut at 200 characters), for a verdict."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    if len(text) > 200:
        text = text[:199] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _refuse(what: str, answer: object, reason: str) -> UnreadableAnswer:
    return UnreadableAnswer(f"Give {what}; you gave {shown(answer)} ({reason}).")


# -------------------------------------------------------------------- arrays and tensors


def _is_tensor(value: object) -> bool:
    """A torch tensor, recognised without importing torch (checkers load fast)."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _tensor_to_numpy(tensor: object) -> np.ndarray:
    """Detached CPU copy; dtypes numpy lacks (bfloat16) become float64 first."""
    tensor = tensor.detach().cpu()  # type: ignore[attr-defined]
    if tensor.is_complex():  # type: ignore[attr-defined]
        return tensor.resolve_conj().numpy()  # type: ignore[attr-defined]
    try:
        return tensor.numpy()  # type: ignore[attr-defined]
    except TypeError:
        return tensor.double().numpy()  # type: ignore[attr-defined]


def _as_numpy(answer: object, what: str) -> np.ndarray:
    """``np.asarray`` of the answer; anything that fails to convert becomes unreadable."""
    try:
        array = _tensor_to_numpy(answer) if _is_tensor(answer) else np.asarray(answer)
    except Exception as err:  # ragged lists, an __array__ that raises, ...
        reason = f"it could not be read as numbers: {describe_error(err)}"
        raise _refuse(what, answer, reason) from err
    if array.dtype.kind == "c":
        raise _refuse(what, answer, "complex numbers: return real numbers")
    if array.dtype.kind not in "biuf":
        raise _refuse(what, answer, "these are not numbers")
    return array


def real_array(answer: object, what: str, ndim: int | None = None) -> np.ndarray:
    """The answer as a finite float64 numpy array (of ``ndim`` dimensions when given).

    Accepts nested lists, numpy arrays and torch tensors (detached first, so a tensor that
    requires grad is fine). ``what`` names the expected answer in the message, e.g.
    ``"a 3×3 kernel"``.

    Raises
    ------
    UnreadableAnswer
        For complex values ("return real numbers"), strings or objects, ragged lists, NaN
        or infinite values, values beyond float64, or a wrong number of dimensions.
    """
    if isinstance(answer, str | bytes):
        raise _refuse(what, answer, "a string, not numbers")
    array = _as_numpy(answer, what)
    if ndim is not None and array.ndim != ndim:
        raise _refuse(what, answer, f"{array.ndim} dimension(s), shape {array.shape}; "
                                    f"{ndim} expected")
    with np.errstate(over="ignore", invalid="ignore"):
        values = array.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise _refuse(what, answer, "it holds NaN, infinity or a value too large for a float")
    return values


# -------------------------------------------------------------------- numbers


def real_number(answer: object, what: str = "one number") -> float:
    """The answer as one finite Python float.

    Accepts ints, floats, fractions and numpy numbers, and numpy arrays or torch tensors
    holding exactly one value (0-d or 1-element). Bools are refused (``True`` is not an
    answer of 1).

    Raises
    ------
    UnreadableAnswer
        For complex numbers ("return real numbers"), strings, several values, NaN,
        infinities and numbers too large for a float (``10**400``).
    """
    if isinstance(answer, bool | np.bool_):
        raise _refuse(what, answer, "a bool, not a number")
    if isinstance(answer, numbers.Complex) and not isinstance(answer, numbers.Real):
        raise _refuse(what, answer, "a complex number: return real numbers")
    if isinstance(answer, numbers.Real):
        try:
            value = float(answer)
        except OverflowError as err:
            raise _refuse(what, answer, "too large for a float") from err
        except Exception as err:
            raise _refuse(what, answer, f"it fails to convert: {describe_error(err)}") from err
    elif isinstance(answer, np.ndarray) or _is_tensor(answer):
        array = _as_numpy(answer, what)
        if array.size != 1:
            raise _refuse(what, answer, f"{array.size} values, shape {array.shape}")
        if array.dtype.kind == "b":
            raise _refuse(what, answer, "a bool, not a number")
        value = float(array.reshape(-1)[0])
    else:
        kind = "a string" if isinstance(answer, str | bytes) else f"a {type(answer).__name__}"
        raise _refuse(what, answer, f"{kind}, not a number")
    if not math.isfinite(value):
        raise _refuse(what, answer, "not a finite number")
    return value


def whole_number(answer: object, what: str = "one whole number") -> int:
    """The answer as a Python int: a whole number in any form :func:`real_number` reads.

    ``6``, ``6.0``, ``np.int64(6)``, ``Fraction(12, 2)`` and ``torch.tensor(6)`` all read as
    ``6``; ``|n|`` must not exceed :data:`LARGEST_WHOLE_NUMBER`.

    Raises
    ------
    UnreadableAnswer
        For everything :func:`real_number` refuses, a number with a fractional part, or
        a number beyond :data:`LARGEST_WHOLE_NUMBER`.
    """
    if isinstance(answer, numbers.Integral) and not isinstance(answer, bool | np.bool_):
        try:
            value = int(answer)
        except Exception as err:
            raise _refuse(what, answer, f"it fails to convert: {describe_error(err)}") from err
    else:
        number = real_number(answer, what)
        if not number.is_integer():
            raise _refuse(what, answer, "not a whole number")
        value = int(number)
    if abs(value) > LARGEST_WHOLE_NUMBER:
        raise _refuse(what, answer, "far too large for this exercise")
    return value


def entries(answer: object, count: int, what: str) -> list[object]:
    """The ``count`` entries of a tuple, a list or a 1-D numpy array / torch tensor, unread.

    For answers whose entries are read one by one (each with its own hint, or each an
    array). Strings, dicts, sets and other objects are refused.

    Raises
    ------
    UnreadableAnswer
        If the answer is not such a sequence, fails to read, or has another length.
    """
    if _is_tensor(answer) or isinstance(answer, np.ndarray):
        array = _as_numpy(answer, what)
        if array.ndim != 1:
            raise _refuse(what, answer, f"shape {array.shape}, not a flat sequence")
        entries: list[object] = list(array)
    elif isinstance(answer, Sequence | range) and not isinstance(answer, str | bytes):
        try:
            entries = list(answer[: count + 1])
        except Exception as err:  # a __len__ or __getitem__ that raises
            raise _refuse(what, answer, f"it could not be read: {describe_error(err)}") from err
    else:
        kind = ("a dict" if isinstance(answer, Mapping) else "a string"
                if isinstance(answer, str | bytes) else f"a {type(answer).__name__}")
        raise _refuse(what, answer, f"{kind}, not a tuple or list")
    if len(entries) != count:
        got = f"more than {count}" if len(entries) > count else str(len(entries))
        raise _refuse(what, answer, f"{got} values instead of {count}")
    return entries


def real_numbers(answer: object, count: int, what: str) -> tuple[float, ...]:
    """Exactly ``count`` real numbers, each read by :func:`real_number`."""
    return tuple(real_number(item, what) for item in entries(answer, count, what))


def whole_numbers(answer: object, count: int, what: str) -> tuple[int, ...]:
    """Exactly ``count`` whole numbers, each read by :func:`whole_number`."""
    return tuple(whole_number(item, what) for item in entries(answer, count, what))


def _holds_one_value(answer: object) -> bool:
    """A number, or a numpy array / torch tensor with exactly one element."""
    if isinstance(answer, np.ndarray) or _is_tensor(answer):
        return math.prod(answer.shape) == 1  # type: ignore[attr-defined]
    return not isinstance(answer, Sequence | range | Mapping)


def whole_number_or_pair(answer: object, what: str, minimum: int = 0) -> tuple[int, int]:
    """Read an int-or-pair answer the way torch reads ``padding``: ``n`` means ``(n, n)``.

    Raises
    ------
    UnreadableAnswer
        For anything :func:`whole_number` / :func:`whole_numbers` refuse, and for values
        below ``minimum``.
    """
    if _holds_one_value(answer):
        value = whole_number(answer, what)
        pair = (value, value)
    else:
        first, second = whole_numbers(answer, 2, what)
        pair = (first, second)
    if min(pair) < minimum:
        raise _refuse(what, answer, f"each value must be at least {minimum}")
    return pair


# -------------------------------------------------------------------- the learner's function


class _TimeUp(BaseException):
    """Raised inside the learner's function when its time is up (a ``BaseException``, so
    an ``except Exception`` in the learner's code does not swallow it)."""


def _call_with_alarm(function: Callable[..., object], args: tuple, kwargs: dict,
                     seconds: float) -> object:
    """Main thread: ``SIGALRM`` after ``seconds`` interrupts Python code and ``time.sleep``.

    The previous handler and timer are restored afterwards (a pending timer is re-armed
    with what is left of it).
    """
    state = {"running": True}

    def on_alarm(_signum: int, _frame: object) -> None:
        if state["running"]:
            raise _TimeUp

    previous_delay, previous_interval = signal.getitimer(signal.ITIMER_REAL)
    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    started = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return function(*args, **kwargs)
        finally:
            state["running"] = False  # from here on a late alarm does nothing
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay > 0:
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), previous_interval)


def _call_in_thread(function: Callable[..., object], args: tuple, kwargs: dict,
                    seconds: float) -> object:
    """Other threads (no signals there): run in a daemon thread, wait at most ``seconds``.

    A function still running then is abandoned (Python cannot stop a thread); being a
    daemon, it does not keep the interpreter alive.
    """
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as err:  # handed to the caller's thread below
            outcome["error"] = err

    worker = threading.Thread(target=run, name="learner-function", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TimeUp
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]


def call_learner(function: Callable[..., object], args: tuple = (),
                 kwargs: Mapping[str, object] | None = None, *, case: str,
                 seconds: float | None = None) -> object:
    """Call the learner's ``function(*args, **kwargs)`` and return what it returns.

    The call is stopped after ``seconds`` (default :data:`TIME_LIMIT`): in the main thread
    by a ``SIGALRM`` timer (``signal.setitimer``; it interrupts Python loops and
    ``time.sleep``, not a single long numpy call), elsewhere by waiting for a daemon
    thread. ``KeyboardInterrupt`` and ``SystemExit`` pass through.

    Parameters
    ----------
    function
        The learner's function (check ``callable`` first, to give a specific hint).
    args, kwargs
        Its arguments; pass copies of arrays you still need (the function may change them).
    case
        What it was called on, for the verdict: ``"x of shape (3, 5, 5), stride=2"``.
    seconds
        Time limit; ``None`` reads :data:`TIME_LIMIT` at call time.

    Raises
    ------
    LearnerFunctionFailed
        If the function raises an ``Exception`` (``.error`` holds it) or runs out of time
        (``.error`` is ``None``); its message names the case and, for a time-out, the
        limit: "Your function took longer than 5 s on ...".
    """
    limit = TIME_LIMIT if seconds is None else seconds
    kwargs = dict(kwargs or {})
    in_main_thread = threading.current_thread() is threading.main_thread()
    call = _call_with_alarm if in_main_thread and hasattr(signal, "setitimer") else _call_in_thread
    try:
        return call(function, tuple(args), kwargs, limit)
    except _TimeUp:
        raise LearnerFunctionFailed(case, None, limit) from None
    except Exception as err:  # KeyboardInterrupt and SystemExit are not Exceptions: they pass
        raise LearnerFunctionFailed(case, err, limit) from err


def learner_array(function: Callable[..., object], args: tuple = (),
                  kwargs: Mapping[str, object] | None = None, *, case: str, returns: str,
                  error_hint: Callable[[BaseException | None], str] | None = None,
                  seconds: float | None = None) -> np.ndarray:
    """Call the learner's function (:func:`call_learner`) and read its result as an array.

    Parameters
    ----------
    function, args, kwargs, case, seconds
        As for :func:`call_learner`.
    returns
        The variable the learner's function should return, for the hint when it returns
        ``None``: "did you forget `return out`?".
    error_hint
        Maps what the function raised (``None`` for a time-out) to an extra hint, e.g. "An
        IndexError often means ...", or ``""``.

    Returns
    -------
    numpy.ndarray
        The result as a finite float64 array (:func:`real_array`; torch tensors, also ones
        that require grad, are read too).

    Raises
    ------
    LearnerFunctionFailed
        If the function raises or runs out of time (its message ends with the hint).
    UnreadableAnswer
        If it returns ``None`` or something that is not an array of finite real numbers.
    """
    try:
        result = call_learner(function, args, kwargs, case=case, seconds=seconds)
    except LearnerFunctionFailed as failure:
        hint = error_hint(failure.error) if error_hint else ""
        raise LearnerFunctionFailed(case, failure.error, failure.seconds, hint) from failure
    if result is None:
        raise UnreadableAnswer(f"Your function returned None: did you forget "
                               f"`return {returns}`?")
    return real_array(result, "back a numpy array of real numbers from your function")


def not_a_function(answer: object, name: str) -> object:
    """The ❌ for an answer that is not the learner's function ``name`` (e.g. its result,
    or a module where a function is asked for), or ``None`` when it is a plain callable."""
    from convlessons.exercises import wrong  # the package imports this module first

    if callable(answer) and not hasattr(answer, "parameters"):  # an nn.Module is callable
        return None
    return wrong(f"The answer should be your function itself: answer = {name} "
                 "(no parentheses).")

