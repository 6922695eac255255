"""Max and average pooling, one output value at a time.

The model behind :class:`convlessons.widgets.pooling.PoolingExplorer` (no display here).
A pooling layer slides a ``k × k`` window with stride ``s`` over each channel, like a
convolution without weights, and keeps one number per window:

.. math:: Y[i, j] = \\max_{0 \\le m, n < k} X[i s + m,\\, j s + n]
          \\quad\\text{or}\\quad
          Y[i, j] = \\frac{1}{k^2} \\sum_{0 \\le m, n < k} X[i s + m,\\, j s + n]

Its output size is the convolution's (``arithmetic.conv_output_size`` with padding 0 and
dilation 1): ``floor((n - k) / s) + 1``. :func:`pool2d` equals
``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` (padding 0, ``ceil_mode=False``);
``tests/test_pooling.py`` checks it in float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from convlessons._format import format_number
from convlessons._validation import as_array, as_choice, as_int

__all__ = ["INPUT_LEVELS", "POOL_MODES", "Pooling", "example_input", "pool2d", "pooling"]

POOL_MODES = ("max", "average")
"""What a window keeps: its largest value, or the mean of its ``k²`` values."""

INPUT_LEVELS = 10
"""Example inputs are the integers ``0 … INPUT_LEVELS - 1``: one digit per cell."""

MAX_SIZE = 64
"""Largest input side :func:`pooling` accepts (a picture to read, not a photo)."""


def example_input(size: int = 8, seed: int = 0) -> np.ndarray:
    """A ``size × size`` image of small integers ``0 … 9`` (float64), the same for a seed.

    Raises
    ------
    ValueError, TypeError
        If ``size`` is not an int in ``1 … MAX_SIZE`` or ``seed`` not an int ``>= 0``.
    """
    size = as_int(size, "size", minimum=1, maximum=MAX_SIZE)
    rng = np.random.default_rng(as_int(seed, "seed", minimum=0))
    return rng.integers(0, INPUT_LEVELS, (size, size)).astype(np.float64)


def _windows(x: np.ndarray, k: int, s: int) -> np.ndarray:
    """``(..., H_out, W_out, k, k)``: every window of the last two axes, stride ``s`` (a view)."""
    return sliding_window_view(x, (k, k), axis=(-2, -1))[..., ::s, ::s, :, :]


def pool2d(x: np.ndarray, kernel_size: int, stride: int | None = None,
           mode: str = "max") -> np.ndarray:
    """Max or average pooling over the last two axes (no padding, windows that fit).

    Parameters
    ----------
    x
        ``(H, W)``, ``(C, H, W)`` or ``(N, C, H, W)`` finite real array.
    kernel_size
        Window side ``k >= 1``.
    stride
        ``s >= 1``; ``None`` means ``s = k`` (torch's default: windows side by side).
    mode
        ``"max"`` or ``"average"`` (:data:`POOL_MODES`).

    Returns
    -------
    numpy.ndarray
        ``(..., H_out, W_out)`` (float64 for integer input) with
        ``H_out = floor((H - k) / s) + 1``; equal to ``F.max_pool2d(x, k, s)`` /
        ``F.avg_pool2d(x, k, s)``.

    Raises
    ------
    ValueError, TypeError
        If ``x`` is not a finite real array of 2–4 axes, an argument is out of range, or
        the window is larger than the input (the message names ``kernel_size``).
    """
    x = as_array(x, "x", ndim=(2, 3, 4), layout="(H, W), (C, H, W) or (N, C, H, W)")
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else as_int(stride, "stride", minimum=1)
    mode = as_choice(mode, "mode", POOL_MODES)
    if min(x.shape) < 1:
        raise ValueError(f"x must have at least one element along every axis, got shape "
                         f"{x.shape}")
    for axis in (-2, -1):
        if k > x.shape[axis]:
            raise ValueError(f"kernel_size {k} is larger than the input ({x.shape[-2]} × "
                             f"{x.shape[-1]}): kernel_size must be <= {min(x.shape[-2:])}")
    windows = _windows(x, k, s)
    return windows.max(axis=(-2, -1)) if mode == "max" else windows.mean(axis=(-2, -1))


@dataclass(frozen=True)
class Pooling:
    """One pooling of a 2-D input and how each output value is made (see :func:`pooling`).

    Attributes
    ----------
    input
        ``X`` ``(H, W)``.
    kernel_size, stride
        Window side ``k`` and stride ``s``.
    mode
        ``"max"`` or ``"average"``.
    output
        ``Y`` ``(H_out, W_out)``, :func:`pool2d` of the input.
    """

    input: np.ndarray
    kernel_size: int
    stride: int
    mode: str
    output: np.ndarray

    @property
    def positions(self) -> int:
        """Number of output cells, stepped row by row."""
        return int(self.output.size)

    def cell(self, position: int) -> tuple[int, int]:
        """``(i, j)`` of the output cell at ``position`` (row by row)."""
        rows, cols = self.output.shape
        position = as_int(position, "position", minimum=0, maximum=rows * cols - 1)
        return divmod(position, cols)

    def window(self, i: int, j: int) -> tuple[slice, slice]:
        """Input rows and columns read by output ``(i, j)``: ``i s … i s + k - 1``."""
        k, s = self.kernel_size, self.stride
        return slice(i * s, i * s + k), slice(j * s, j * s + k)

    def unread(self) -> tuple[int, int]:
        """Input rows and columns (at the bottom and right) that no window reads."""
        rows, cols = self.output.shape
        k, s = self.kernel_size, self.stride
        height, width = self.input.shape
        return height - (rows - 1) * s - k, width - (cols - 1) * s - k

    def cell_text(self, i: int, j: int) -> str:
        """``Y[0, 1] = max(3, 1, 0, 7) = 7``, or the average written out."""
        values = ", ".join(format_number(v) for v in self.input[self.window(i, j)].ravel())
        result = format_number(self.output[i, j])
        if self.mode == "max":
            return f"Y[{i}, {j}] = max({values}) = {result}"
        return f"Y[{i}, {j}] = mean({values}) = {result}"

    def size_text(self) -> str:
        """The output-size formula with the numbers substituted, along one axis."""
        n, k, s = self.input.shape[0], self.kernel_size, self.stride
        return f"output side ⌊({n} − {k}) / {s}⌋ + 1 = {self.output.shape[0]}"


def pooling(x: np.ndarray, kernel_size: int, stride: int | None = None,
            mode: str = "max") -> Pooling:
    """Pool a 2-D input and keep what is needed to explain each output value.

    Same arguments and checks as :func:`pool2d`, with ``x`` of shape ``(H, W)`` and sides
    at most :data:`MAX_SIZE`.
    """
    x = as_array(x, "x", ndim=2)
    if max(x.shape) > MAX_SIZE:
        raise ValueError(f"x must be at most {MAX_SIZE} × {MAX_SIZE}, got {x.shape[0]} × "
                         f"{x.shape[1]}")
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else as_int(stride, "stride", minimum=1)
    return Pooling(x, k, s, as_choice(mode, "mode", POOL_MODES), pool2d(x, k, s, mode))
