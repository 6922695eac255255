"""Hypothesis strategies shared by the reference-implementation tests."""

from __future__ import annotations

from hypothesis import strategies as st


def int_or_pair(low: int, high: int) -> st.SearchStrategy:
    """An int or an (h, w) pair in ``[low, high]``, as torch's stride/padding/dilation."""
    values = st.integers(low, high)
    return st.one_of(values, st.tuples(values, values))


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """``2 -> (2, 2)``; pairs unchanged."""
    return (value, value) if isinstance(value, int) else value
