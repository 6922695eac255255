"""Argument checks shared by every public function (validate once, at the boundary).

Each helper raises ``TypeError`` for the wrong kind of value and ``ValueError`` for a
value out of range, and the message always names the parameter and the valid range,
e.g. ``ValueError("stride must be a positive int or pair of ints (>= 1), got 0")``.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["MEMORY_BUDGET", "as_int", "as_real", "as_choice", "as_pair", "as_array", "as_instance",
           "as_module", "check_memory", "shown"]

T = TypeVar("T")

MEMORY_BUDGET = 2 * 2**30
"""Largest array (bytes) a public function agrees to allocate: 2 GiB, so a learner on a
2 GB Binder gets a message instead of a dead kernel."""

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlong = 40


def shown(value: object) -> str:
    """``repr(value)`` cut to a readable length (``10**400`` does not fill the screen)."""
    try:
        return _SHORT.repr(value)
    except Exception:  # a repr that raises: say what it is instead
        return f"<{type(value).__name__} object>"


def _size(nbytes: int) -> str:
    """``512 bytes``, ``3.0 MiB``, ``26.8 GiB`` or ``1.2e+21 GiB``: a byte count for a message."""
    if nbytes < 2**20:
        return f"{nbytes} bytes"
    if nbytes < 2**30:
        return f"{nbytes / 2**20:.1f} MiB"
    gib = nbytes / 2**30
    return f"{gib:.1f} GiB" if gib < 1e6 else f"{gib:.1e} GiB"


def check_memory(shape: Sequence[int], itemsize: int, name: str, what: str,
                 advice: str = "") -> None:
    """Refuse, before allocating it, an array of ``shape`` larger than :data:`MEMORY_BUDGET`.

    ``name`` is the parameter that makes the array large (with its value, e.g.
    ``"padding=30000"``), ``what`` the array (``"the padded input"``); ``advice`` ends the
    message (``"; use method='fft'"``). Exact Python ints, so ``padding=10**30`` is no overflow.

    Raises
    ------
    ValueError
        ``"padding=30000 implies the padded input of shape (1, 1, 60001, 60001), 26.8 GiB,
        over the 2 GiB memory budget"``.
    """
    nbytes = math.prod(int(n) for n in shape) * itemsize
    if nbytes > MEMORY_BUDGET:
        dims = shown(tuple(int(n) for n in shape))
        raise ValueError(f"{name} implies {what} of shape {dims}, {_size(nbytes)}, over the "
                         f"{_size(MEMORY_BUDGET).replace('.0 ', ' ')} memory budget{advice}")


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def as_int(value: object, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """Return ``value`` as a Python int, checking ``minimum <= value (<= maximum)``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (bools are refused too).
    ValueError
        If ``value`` is out of range; the message names ``name`` and the range.
    """
    valid = f">= {minimum}" if maximum is None else f"in {minimum}…{maximum}"
    if not _is_int(value):
        raise TypeError(f"{name} must be an int {valid}, got {shown(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an int {valid}, got {shown(int(value))}")
    return int(value)


def _interval(at_least: float | None, above: float | None, at_most: float | None,
              below: float | None) -> str:
    """`` in [0, 1)``, `` > 0``, `` <= 5`` or ``""``: the valid range for a message."""
    low = ("[", at_least) if at_least is not None else ("(", above) if above is not None else None
    high = ("]", at_most) if at_most is not None else (")", below) if below is not None else None
    if low and high:
        return f" in {low[0]}{low[1]:g}, {high[1]:g}{high[0]}"
    if low:
        return f" {'>=' if low[0] == '[' else '>'} {low[1]:g}"
    if high:
        return f" {'<=' if high[0] == ']' else '<'} {high[1]:g}"
    return ""


def as_real(
    value: object,
    name: str,
    *,
    at_least: float | None = None,
    above: float | None = None,
    at_most: float | None = None,
    below: float | None = None,
) -> float:
    """Return ``value`` as a finite Python float, checking the optional bounds.

    ``at_least``/``at_most`` are inclusive bounds, ``above``/``below`` exclusive ones, e.g.
    ``as_real(ratio, "ratio", at_least=0, below=1)`` accepts ``[0, 1)``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (bools, strings and complex numbers are refused).
    ValueError
        If ``value`` is NaN, infinite, too large for a float (``10**400``) or out of range;
        the message names ``name`` and the range, e.g. ``"lr must be a finite real number
        > 0, got -1"``.
    """
    valid = f"{name} must be a finite real number{_interval(at_least, above, at_most, below)}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{valid}, got {shown(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not (
        math.isfinite(number)
        and (at_least is None or number >= at_least)
        and (above is None or number > above)
        and (at_most is None or number <= at_most)
        and (below is None or number < below)
    ):
        raise ValueError(f"{valid}, got {shown(value)}")
    return number


def as_choice(value: T, name: str, choices: Sequence[T]) -> T:
    """Return ``value`` if it is one of ``choices`` (bools never match numbers)."""
    if isinstance(value, bool) != any(isinstance(c, bool) for c in choices) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {shown(value)}")
    return value


def as_instance(value: object, name: str, kind: type[T], what: str = "") -> T:
    """Return ``value`` if it is an instance of ``kind`` (e.g. a ``torch.nn.Module``).

    Raises
    ------
    TypeError
        Otherwise, naming ``name`` and ``what`` (default: the class name), e.g.
        ``"model must be a torch.nn.Module, got list"``.
    """
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be {what or 'a ' + kind.__name__}, "
                        f"got {type(value).__name__}")
    return value


def as_module(value: object, name: str = "model") -> torch.nn.Module:
    """Return ``value`` if it is a ``torch.nn.Module``; ``TypeError`` naming ``name`` otherwise.

    (torch is imported only when this is called, so importing this module stays light.)
    """
    from torch import nn

    return as_instance(value, name, nn.Module, "a torch.nn.Module")


def as_pair(value: object, name: str, *, minimum: int = 0) -> tuple[int, int]:
    """Turn an int or a pair of ints into ``(h, w)``, each ``>= minimum``.

    This is how ``torch.nn.functional.conv2d`` reads ``stride``, ``padding`` and
    ``dilation``: ``2`` means ``(2, 2)``.
    """
    kind = "a positive" if minimum == 1 else "a non-negative" if minimum == 0 else "an"
    expected = f"{name} must be {kind} int or pair of ints (>= {minimum})"
    if _is_int(value):
        pair: Sequence[int] = (int(value), int(value))  # type: ignore[call-overload]
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(map(_is_int, value)):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{expected}, got {shown(value)}")
    if min(pair) < minimum:
        raise ValueError(f"{expected}, got {shown(value)}")
    return pair[0], pair[1]


def as_array(
    value: object, name: str, *, ndim: int | Sequence[int], layout: str = ""
) -> np.ndarray:
    """Return ``value`` as a finite floating-point numpy array with ``ndim`` dimensions.

    Integer and bool inputs become float64; float32/float64 keep their dtype.

    Parameters
    ----------
    value
        Array-like (numpy array, nested lists, or a CPU ``torch.Tensor``).
    name
        Parameter name used in error messages.
    ndim
        Allowed number(s) of dimensions.
    layout
        Human-readable layout for messages, e.g. ``"(N, C, H, W)"``.
    """
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{name} must be a plain array: a masked array's mask would be ignored; "
                        f"pass {name}.filled(value) instead")
    if hasattr(value, "detach"):  # a torch.Tensor
        try:
            value = value.detach().cpu().numpy()
        except TypeError as err:  # bfloat16, float8: no numpy dtype
            raise TypeError(f"{name} must be a tensor numpy can read (float16, float32, float64 "
                            f"or integers), got dtype {value.dtype}; convert it with "
                            f"{name}.float()") from err
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}") from err
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {array.dtype}")
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    if array.ndim not in allowed:
        want = " or ".join(str(n) for n in allowed)
        shape = f" {layout}" if layout else ""
        raise ValueError(
            f"{name} must have {want} dimensions{shape}, got {array.ndim} (shape {array.shape})"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return array
