"""Numbers as short text, the same in the lesson models' sentences and the widgets' grids."""

from __future__ import annotations

import numpy as np

__all__ = ["format_number"]


def format_number(value: float) -> str:
    """Short label for a cell: integers as such, otherwise 3 significant digits."""
    if np.isfinite(value) and float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"
