"""Controls shared by several widgets: ranges declared once, and choosing a kernel.

- :func:`int_slider`, :func:`choice` -- a control built from the same range or choices
  that validate the constructor argument (one declaration: ``int_slider("stride", stride,
  1, 4)`` both refuses ``stride=5`` with a ``ValueError`` naming it and builds the 1–4
  slider);
- :func:`parse_kernel` -- the learner's typed kernel (``"1 0 -1; 2 0 -2; 1 0 -1"``) as an
  array, parsed safely (a regular expression per value, never ``eval``).
- :func:`format_kernel` -- the inverse, used to pre-fill the text box.
- :class:`KernelPicker` -- preset dropdown + description line + text box for a custom kernel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import TypeVar

import ipywidgets as widgets
import numpy as np
import traitlets

from convlessons._validation import as_array, as_choice, as_int
from convlessons.kernels import KERNEL_DESCRIPTIONS, KERNELS

__all__ = ["CUSTOM", "KernelPicker", "choice", "format_kernel", "int_slider", "parse_kernel"]

W = TypeVar("W", bound=widgets.ValueWidget)

CUSTOM = "custom"
"""Name of the dropdown entry that reads the kernel from the text box."""

_DECIMAL = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(rf"(?P<sign>[+-]?)(?P<numerator>{_DECIMAL})(?:/(?P<denominator>{_DECIMAL}))?")
_ROW_SEPARATOR = re.compile(r"[;\n]")
_VALUE_SEPARATOR = re.compile(r"[\s,]+")
_HOW_TO_TYPE = (
    "rows separated by new lines or ';', values by spaces or commas; "
    "ints, decimals and fractions like -1/9"
)


def int_slider(name: str, value: object, minimum: int, maximum: int,
               **kwargs: object) -> widgets.IntSlider:
    """An ``IntSlider`` over ``minimum…maximum`` labelled ``name``, starting at ``value``.

    Raises
    ------
    TypeError, ValueError
        If ``value`` is not an int in that range (``as_int``'s message names ``name``).
    """
    value = as_int(value, name, minimum=minimum, maximum=maximum)
    return widgets.IntSlider(value=value, min=minimum, max=maximum, description=name, **kwargs)


def choice(kind: type[W], name: str, value: object, options: Sequence[object],
           **kwargs: object) -> W:
    """A ``kind`` control (``Dropdown``, ``ToggleButtons``...) offering ``options``.

    Raises
    ------
    ValueError
        If ``value`` is not one of ``options`` (``as_choice``'s message names ``name``).
    """
    value = as_choice(value, name, options)
    return kind(options=options, value=value, description=name, **kwargs)


def _check_kernel_shape(shape: tuple[int, ...], max_size: int) -> None:
    """Raise ``ValueError`` unless the kernel is ``1..max_size`` on each side."""
    rows, cols = shape
    if not (1 <= rows <= max_size and 1 <= cols <= max_size):
        raise ValueError(f"kernel must be 1–{max_size} × 1–{max_size}, got {rows} × {cols}")


def _parse_value(token: str, row: int) -> float:
    """One number: an int, a decimal or a fraction ``a/b``, with an optional sign."""
    match = _NUMBER.fullmatch(token)
    if match is None:
        raise ValueError(f"{token!r} is not a number (row {row}); use {_HOW_TO_TYPE}")
    value = float(match["numerator"])
    if match["denominator"] is not None:
        denominator = float(match["denominator"])
        if denominator == 0:
            raise ValueError(f"{token!r} divides by zero (row {row})")
        value /= denominator
    if not np.isfinite(value):
        raise ValueError(f"{token!r} is too large to be a finite number (row {row})")
    return -value if match["sign"] == "-" else value


def parse_kernel(text: str, max_size: int = 5) -> np.ndarray:
    """Read a kernel typed by the learner.

    Rows are separated by new lines or ``;``, values by spaces and/or commas; blank rows
    are ignored. A value is an int, a decimal (``.5``, ``2.``, ``1e-3``) or a fraction
    (``1/9``), with an optional sign (the typographic minus ``−`` counts as ``-``).

    Parameters
    ----------
    text
        What the learner typed, e.g. ``"1 0 -1; 2 0 -2; 1 0 -1"``.
    max_size
        Largest number of rows and of columns accepted.

    Returns
    -------
    numpy.ndarray
        ``(rows, cols)`` float64 array, ``1 <= rows, cols <= max_size``.

    Raises
    ------
    TypeError
        If ``text`` is not a string or ``max_size`` not an int.
    ValueError
        With a message saying what to fix: ``"'x' is not a number (row 1); ..."``,
        ``"row 2 has 2 values, expected 3"``, ``"kernel must be 1–5 × 1–5, got 6 × 6"``,
        a division by zero, or an empty text.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    max_size = as_int(max_size, "max_size", minimum=1)
    lines = [line.strip(" \t\r,") for line in _ROW_SEPARATOR.split(text.replace("−", "-"))]
    lines = [line for line in lines if line]
    if not lines:
        raise ValueError(f"kernel is empty: type {_HOW_TO_TYPE}")
    rows = [
        [_parse_value(token, number) for token in _VALUE_SEPARATOR.split(line)]
        for number, line in enumerate(lines, start=1)
    ]
    _check_kernel_shape((len(rows), max(len(row) for row in rows)), max_size)
    for number, row in enumerate(rows, start=1):
        if len(row) != len(rows[0]):
            raise ValueError(f"row {number} has {len(row)} values, expected {len(rows[0])}")
    return np.array(rows, dtype=np.float64)


def _format_value(value: float) -> str:
    """Shortest text :func:`parse_kernel` reads back exactly: ``-1``, ``1/16``, ``0.137...``."""
    if value.is_integer():
        return str(int(value))
    fraction = Fraction(value).limit_denominator(1000)
    if float(fraction) == value:
        return f"{fraction.numerator}/{fraction.denominator}"
    return repr(value)


def format_kernel(kernel: np.ndarray) -> str:
    """Kernel as text, one row per line; ``parse_kernel(format_kernel(k))`` equals ``k``."""
    kernel = as_array(kernel, "kernel", ndim=2, layout="(kH, kW)")
    return "\n".join(" ".join(_format_value(float(v)) for v in row) for row in kernel)


class KernelPicker(widgets.VBox):
    """Choose a preset kernel from :data:`convlessons.kernels.KERNELS` or type your own.

    Controls: ``preset`` (``Dropdown``: preset names that fit ``max_size``, then
    ``"custom"``), ``info`` (``HTML``: what the preset does) and ``custom``
    (``Textarea``: the kernel's values; editable in custom mode, pre-filled with the
    previous preset). Observe ``value`` to react to a new kernel::

        picker.observe(lambda change: print(change["new"]), names="value")

    Parameters
    ----------
    kernel
        A preset name, or an array (starts in custom mode with its values).
    max_size
        Largest kernel side offered and accepted.

    Attributes
    ----------
    value : numpy.ndarray
        The current kernel (float64). A custom text that does not parse keeps the last
        valid kernel and sets ``error``. Code may assign anything; the widget that uses
        the picker checks it and shows what is wrong.
    error : str
        Why the custom text does not parse, or ``""``.
    """

    value = traitlets.Any()
    error = traitlets.Unicode("")

    def __init__(self, kernel: str | np.ndarray = "edge", max_size: int = 5, **kwargs) -> None:
        self.max_size = as_int(max_size, "max_size", minimum=1)
        names = [name for name, k in KERNELS.items() if max(k.shape) <= self.max_size]
        if isinstance(kernel, str):
            if kernel not in names:
                raise ValueError(f"kernel must be one of {names} or a 2-D array, got {kernel!r}")
            start, initial = kernel, np.array(KERNELS[kernel], dtype=np.float64)
        else:
            initial = as_array(kernel, "kernel", ndim=2, layout="(kH, kW)").astype(np.float64)
            _check_kernel_shape(initial.shape, self.max_size)
            start = CUSTOM
        self.preset = widgets.Dropdown(options=[*names, CUSTOM], value=start, description="kernel")
        self.info = widgets.HTML()
        self.custom = widgets.Textarea(
            value=format_kernel(initial), rows=self.max_size, layout=widgets.Layout(width="16em")
        )
        self.problem_html = widgets.HTML()
        super().__init__([self.preset, self.info, self.custom, self.problem_html], **kwargs)
        self.add_class("convlessons-kernel-picker")
        self.value = initial
        self._show_mode()
        self.preset.observe(self._on_preset, names="value")
        self.custom.observe(self._on_text, names="value")

    def _show_mode(self) -> None:
        """Description line and text box state for the current dropdown entry."""
        name = self.preset.value
        is_custom = name == CUSTOM
        self.custom.disabled = not is_custom
        self.info.value = (
            f"<i>Your own kernel</i>: {_HOW_TO_TYPE}." if is_custom else KERNEL_DESCRIPTIONS[name]
        )

    def _on_preset(self, _change: dict) -> None:
        name = self.preset.value
        self._show_mode()
        if name == CUSTOM:
            self._on_text()
            return
        self.value = np.array(KERNELS[name], dtype=np.float64)
        self.error = ""
        self.problem_html.value = ""
        self.custom.value = format_kernel(self.value)  # ready to edit when switching to custom

    def _on_text(self, _change: dict | None = None) -> None:
        if self.preset.value != CUSTOM:
            return
        try:
            kernel = parse_kernel(self.custom.value, self.max_size)
        except ValueError as err:
            self.error = str(err)
            self.problem_html.value = f"<span style='color:#b2182b'>⚠ {self.error}</span>"
            return
        self.error = ""
        self.problem_html.value = ""
        self.value = kernel
