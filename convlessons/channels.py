"""A convolution with several input and output channels, one output value at a time.

The model behind :class:`convlessons.widgets.ChannelExplorer` (no display here):
:func:`example_layer` draws a small integer input, filters and biases, and
:func:`channel_conv` returns a :class:`ChannelConv` that holds the output and explains any
one output value as the sum of its input channels' window sums plus the bias.

For an input ``X`` of shape ``(C_in, H, W)`` zero-padded by ``p``, filters ``K`` of shape
``(C_out, C_in, k, k)``, biases ``b`` of shape ``(C_out,)`` and stride ``s``:

.. math:: Y[o, i, j] = b_o + \\sum_{c=0}^{C_{in}-1} \\underbrace{\\sum_{m,n=0}^{k-1}
          K[o, c, m, n]\\; X_{pad}[c,\\, i s + m,\\, j s + n]}_{\\text{channel } c
          \\text{'s window sum}}

which is ``torch.nn.functional.conv2d(X[None], K, b, stride=s, padding=p)[0]``
(``tests/test_channels.py`` checks it, in float64).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convlessons._format import format_number
from convlessons._validation import as_array, as_int
from convlessons.reference import conv2d

__all__ = ["INPUT_LEVELS", "ChannelConv", "channel_conv", "example_layer"]

INPUT_LEVELS = 3
"""Example inputs are the integers ``0 … INPUT_LEVELS - 1``: small, so sums stay readable."""


def example_layer(
    in_channels: int, out_channels: int, size: int, kernel_size: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A small integer input, filters and biases to compute by hand.

    Returns ``(input, weight, bias)``: input ``(C_in, size, size)`` with values in
    ``0 … INPUT_LEVELS - 1``, weight ``(C_out, C_in, k, k)`` in ``−1 … 1`` (no filter all
    zeros) and bias ``(C_out,)`` in ``−2 … 2``, all float64, the same for the same ``seed``.

    Raises
    ------
    ValueError, TypeError
        If an argument is not a positive int (``seed``: non-negative); the message names it.
    """
    c_in = as_int(in_channels, "in_channels", minimum=1)
    c_out = as_int(out_channels, "out_channels", minimum=1)
    size = as_int(size, "size", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    rng = np.random.default_rng(as_int(seed, "seed", minimum=0))
    x = rng.integers(0, INPUT_LEVELS, (c_in, size, size)).astype(np.float64)
    weight = rng.integers(-1, 2, (c_out, c_in, k, k)).astype(np.float64)
    for filter_ in weight:
        if not filter_.any():
            filter_.flat[0] = 1.0
    bias = rng.integers(-2, 3, c_out).astype(np.float64)
    return x, weight, bias


def _span(first: int, last: int) -> str:
    """``0–2``, or ``-1 to 1`` when a dash would read as a minus sign."""
    return f"{first}–{last}" if first >= 0 else f"{first} to {last}"


@dataclass(frozen=True)
class ChannelConv:
    """One multi-channel convolution and how each output value is made (see :func:`channel_conv`).

    Attributes
    ----------
    input, weight, bias
        ``X`` ``(C_in, H, W)``, ``K`` ``(C_out, C_in, k, k)``, ``b`` ``(C_out,)``.
    stride, padding
        ``s >= 1`` and zero padding ``p >= 0``.
    padded
        ``X`` with ``p`` zeros on every side: ``(C_in, H + 2p, W + 2p)``; input pixel
        ``(0, 0)`` is ``padded[:, p, p]``.
    output
        ``Y`` ``(C_out, H_out, W_out)``, ``H_out = ⌊(H + 2p − k)/s⌋ + 1``.
    """

    input: np.ndarray
    weight: np.ndarray
    bias: np.ndarray
    stride: int
    padding: int
    padded: np.ndarray
    output: np.ndarray

    @property
    def positions(self) -> int:
        """Number of output values, ``C_out · H_out · W_out`` (the steps of the explorer)."""
        return self.output.size

    def cell(self, position: int) -> tuple[int, int, int]:
        """``(o, i, j)`` of step ``position``: filter by filter, then row by row."""
        position = as_int(position, "position", minimum=0)
        if position >= self.positions:
            raise ValueError(
                f"position must be in 0…{self.positions - 1} (number of output values), "
                f"got {position}"
            )
        o, i, j = np.unravel_index(position, self.output.shape)
        return int(o), int(i), int(j)

    def position(self, o: int, i: int, j: int) -> int:
        """The step that shows output ``Y[o, i, j]`` (inverse of :meth:`cell`)."""
        self._check_cell(o, i, j)
        return int(np.ravel_multi_index((o, i, j), self.output.shape))

    def _check_cell(self, o: int, i: int, j: int) -> None:
        shape = self.output.shape
        if not all(0 <= v < n for v, n in zip((o, i, j), shape, strict=True)):
            raise ValueError(f"(o, i, j) must index the {shape[0]} × {shape[1]} × {shape[2]} "
                             f"output, got ({o}, {i}, {j})")

    def window(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Input rows ``i s + m − p`` and cols ``j s + n − p`` read by output ``(i, j)``.

        Indices below 0 or past the input's size fall in the zero padding.
        """
        self._check_cell(0, i, j)
        k, s, p = self.weight.shape[-1], self.stride, self.padding
        return i * s + np.arange(k) - p, j * s + np.arange(k) - p

    def window_values(self, i: int, j: int) -> np.ndarray:
        """The ``(C_in, k, k)`` padded-input values under the filter for output ``(i, j)``."""
        rows, cols = self.window(i, j)
        p = self.padding
        return self.padded[:, rows[0] + p : rows[-1] + p + 1, cols[0] + p : cols[-1] + p + 1]

    def channel_sums(self, o: int, i: int, j: int) -> np.ndarray:
        """Each input channel's window sum ``Σ_{m,n} K[o, c, m, n] X_pad[c, i s + m, j s + n]``.

        ``channel_sums(o, i, j).sum() + bias[o] == output[o, i, j]``.
        """
        self._check_cell(o, i, j)
        return np.sum(self.weight[o] * self.window_values(i, j), axis=(1, 2))

    def sum_lines(self, o: int, i: int, j: int) -> list[str]:
        """The arithmetic of ``Y[o, i, j]`` written out, one line per input channel, then the total.

        E.g. ``channel 0: (1×2) + (0×1) + … = 3`` … and
        ``Y[1, 0, 2] = channel sums + b[1] = 3 + (-1) + 2 + 1 = 5``; every number is computed,
        the last one is ``output[o, i, j]``.
        """
        sums = self.channel_sums(o, i, j)
        window = self.window_values(i, j)
        lines = []
        for c, total in enumerate(sums):
            products = " + ".join(
                f"({format_number(w)}×{format_number(x)})"
                for w, x in zip(self.weight[o, c].ravel(), window[c].ravel(), strict=True)
            )
            lines.append(f"channel {c}: {products} = {format_number(total)}")
        terms = " + ".join(format_number(v) if v >= 0 else f"({format_number(v)})"
                           for v in (*sums, self.bias[o]))
        lines.append(f"Y[{o}, {i}, {j}] = channel sums + b[{o}] = {terms} "
                     f"= {format_number(self.output[o, i, j])}")
        return lines

    def position_text(self, o: int, i: int, j: int) -> str:
        """E.g. ``filter 1, output (0, 2) ← rows -1 to 1, cols 3–5 of every input channel``."""
        rows, cols = self.window(i, j)
        height, width = self.input.shape[1:]
        text = (f"filter {o}, output ({i}, {j}) ← rows {_span(rows[0], rows[-1])}, "
                f"cols {_span(cols[0], cols[-1])} of every input channel")
        if rows[0] < 0 or cols[0] < 0 or rows[-1] >= height or cols[-1] >= width:
            text += " (partly in the zero padding)"
        return text


def channel_conv(
    input: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int = 1, padding: int = 0
) -> ChannelConv:
    """Convolve a ``(C_in, H, W)`` input with ``C_out`` filters and biases (formula: module doc).

    The output is :func:`convlessons.reference.conv2d` of the unbatched input, the same as
    ``torch.nn.functional.conv2d(input[None], weight, bias, stride, padding)[0]``.

    Parameters
    ----------
    input
        ``(C_in, H, W)``.
    weight
        ``(C_out, C_in, k, k)``: square filters over all input channels.
    bias
        ``(C_out,)``.
    stride, padding
        Ints, ``stride >= 1``, ``padding >= 0`` (zeros on all four sides).

    Raises
    ------
    ValueError, TypeError
        Naming the parameter: wrong dimensions, mismatched channels, a non-square kernel,
        or a kernel larger than the padded input (message names ``kernel_size`` and
        ``padding``).
    """
    x = as_array(input, "input", ndim=3, layout="(C_in, H, W)")
    w = as_array(weight, "weight", ndim=4, layout="(C_out, C_in, k, k)")
    b = as_array(bias, "bias", ndim=1, layout="(C_out,)")
    s = as_int(stride, "stride", minimum=1)
    p = as_int(padding, "padding", minimum=0)
    if w.shape[1] != x.shape[0] or w.shape[2] != w.shape[3]:
        raise ValueError(f"weight must be (C_out, C_in, k, k) with C_in = {x.shape[0]} (the "
                         f"input's channels) and a square kernel, got {w.shape}")
    if b.shape[0] != w.shape[0]:
        raise ValueError(f"bias must have C_out = {w.shape[0]} values (one per filter), "
                         f"got {b.shape[0]}")
    k, smallest = w.shape[-1], min(x.shape[1:])
    if k > smallest + 2 * p:
        raise ValueError(
            f"kernel_size {k} is larger than the padded input ({smallest} + 2·{p} = "
            f"{smallest + 2 * p} pixels): padding must be at least {-(-(k - smallest) // 2)}"
        )
    padded = np.pad(x, ((0, 0), (p, p), (p, p)))
    output = conv2d(padded, w, b, stride=s)
    return ChannelConv(x, w, b, s, p, padded, output)
