"""Argument checks shared by every public function (validate once, at the boundary).

Each helper raises ``TypeError`` for the wrong kind of value and ``ValueError`` for a
value out of range, and the message always names the parameter and the valid range,
e.g. ``ValueError("stride must be a positive int or pair of ints (>= 1), got 0")``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

__all__ = ["as_int", "as_choice", "as_pair", "as_array"]

T = TypeVar("T")


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
        raise TypeError(f"{name} must be an int {valid}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an int {valid}, got {value}")
    return int(value)


def as_choice(value: T, name: str, choices: Sequence[T]) -> T:
    """Return ``value`` if it is one of ``choices`` (bools never match numbers)."""
    if isinstance(value, bool) != any(isinstance(c, bool) for c in choices) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


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
        raise TypeError(f"{expected}, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{expected}, got {value!r}")
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
    if hasattr(value, "detach"):  # a torch.Tensor
        value = value.detach().cpu().numpy()
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
