"""im2col / col2im: lay every sliding window out as a column, and fold columns back.

Same layouts as ``torch.nn.functional.unfold`` and ``torch.nn.functional.fold``
(https://pytorch.org/docs/stable/generated/torch.nn.Unfold.html): row index
``c*kH*kW + i*kW + j`` (channel, kernel row, kernel column), column index
``l = oy*W_out + ox`` (window positions in row-major order).

:func:`im2col_product` (-> :class:`Im2colProduct`) is the lesson's one-output-channel
example: the convolution as the single product ``W_row @ im2col(input)``

.. math:: y = W_{row}\\,(1 \\times Ck^2) \\; @ \\; \\text{columns}\\,(Ck^2 \\times L)
          \\;=\\; (1 \\times L), \\text{ reshaped to } H_{out} \\times W_{out}.

drawn by :class:`convlessons.widgets.Im2colViewer`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from convlessons._validation import as_array, as_int
from convlessons.arithmetic import conv_output_size
from convlessons.reference._args import col2im_args, im2col_args, pad_zeros

__all__ = [
    "INPUT_LEVELS",
    "Im2colProduct",
    "col2im",
    "example_arrays",
    "im2col",
    "im2col_product",
    "sliding_windows",
]


def sliding_windows(
    x: np.ndarray,
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> np.ndarray:
    """Read-only view of all windows of an already padded array; no copy.

    For ``x`` of shape (..., H, W) returns shape (..., kH, kW, H_out, W_out) with

    ``view[..., i, j, oy, ox] = x[..., oy*s_h + i*d_h, ox*s_w + j*d_w]``.

    Parameters are trusted (validated by the public callers).
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    windows = sliding_window_view(x, span, axis=(-2, -1))[..., ::sh, ::sw, ::dh, ::dw]
    return np.moveaxis(windows, (-4, -3), (-2, -1))


def im2col(
    input: np.ndarray,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Unfold every (dilated) kernel window of ``input`` into one column.

    ``columns[n, c*kH*kW + i*kW + j, oy*W_out + ox] = x_pad[n, c, oy*s_h + i*d_h, ox*s_w + j*d_w]``
    where ``x_pad`` is ``input`` zero-padded by ``padding`` on each side and
    ``H_out = floor((H + 2*p_h - d_h*(kH-1) - 1) / s_h) + 1`` (same for W).

    Checked against ``torch.nn.functional.unfold`` (float64, exact match).

    Parameters
    ----------
    input
        (N, C, H, W), or unbatched (C, H, W).
    kernel_size, stride, padding, dilation
        Int or (h, w) pair, as in ``torch.nn.functional.unfold``.

    Returns
    -------
    numpy.ndarray
        (N, C*kH*kW, H_out*W_out), or (C*kH*kW, H_out*W_out) for unbatched input.
    """
    x, geometry = im2col_args(input, kernel_size, stride, padding, dilation)
    windows = sliding_windows(
        pad_zeros(x, geometry.padding), geometry.kernel_size, geometry.stride, geometry.dilation
    )
    lead, channels = x.shape[:-3], x.shape[-3]
    rows = channels * geometry.kernel_size[0] * geometry.kernel_size[1]
    positions = geometry.output_size[0] * geometry.output_size[1]
    return windows.reshape(*lead, rows, positions)


def col2im(
    columns: np.ndarray,
    output_size: int | tuple[int, int],
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Fold columns back into an image, summing where windows overlap (adjoint of ``im2col``).

    ``out_pad[n, c, oy*s_h + i*d_h, ox*s_w + j*d_w] +=``
    ``columns[n, c*kH*kW + i*kW + j, oy*W_out + ox]``, then the padding border is cropped so
    the result has spatial shape ``output_size``.

    Checked against ``torch.nn.functional.fold`` (float64).

    Parameters
    ----------
    columns
        (N, C*kH*kW, L), or unbatched (C*kH*kW, L), with L = H_out*W_out.
    output_size
        (H, W) of the folded image (before padding), int or pair.
    kernel_size, stride, padding, dilation
        Int or (h, w) pair, as in ``torch.nn.functional.fold``.

    Returns
    -------
    numpy.ndarray
        (N, C, H, W), or (C, H, W) for unbatched columns.
    """
    cols, geometry = col2im_args(columns, output_size, kernel_size, stride, padding, dilation)
    (kh, kw), (sh, sw), (dh, dw) = geometry.kernel_size, geometry.stride, geometry.dilation
    (h_out, w_out), (top, bottom, left, right) = geometry.output_size, geometry.padding
    height, width = geometry.image_size
    lead, channels = cols.shape[:-2], cols.shape[-2] // (kh * kw)
    blocks = cols.reshape(*lead, channels, kh, kw, h_out, w_out)
    out = np.zeros((*lead, channels, height + top + bottom, width + left + right), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            ys = slice(i * dh, i * dh + sh * (h_out - 1) + 1, sh)
            xs = slice(j * dw, j * dw + sw * (w_out - 1) + 1, sw)
            out[..., ys, xs] += blocks[..., i, j, :, :]
    return out[..., top : top + height, left : left + width]


# -------------------------------------------------------------------------------------------
# One output channel computed as W_row @ im2col(input), with what the lesson shows about it.

INPUT_LEVELS = 4
"""Example inputs are the integers ``0 … INPUT_LEVELS - 1`` (small, so sums are readable)."""


def example_arrays(
    size: int, channels: int, kernel_size: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A small integer input ``(C, size, size)`` in ``0…3`` and kernel ``(C, k, k)`` in ``−1…1``.

    Deterministic for a given ``seed``; the kernel is never all zeros.
    """
    size = as_int(size, "size", minimum=1)
    channels = as_int(channels, "channels", minimum=1)
    kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
    rng = np.random.default_rng(as_int(seed, "seed", minimum=0))
    image = rng.integers(0, INPUT_LEVELS, (channels, size, size)).astype(np.float64)
    kernel = rng.integers(-1, 2, (channels, kernel_size, kernel_size)).astype(np.float64)
    kernel.flat[0] = kernel.flat[0] or 1.0
    return image, kernel


@dataclass(frozen=True)
class Im2colProduct:
    """Everything the im2col picture shows, for one input, kernel, stride and padding.

    Attributes
    ----------
    input, weight
        ``(C, H, W)`` input and ``(C, k, k)`` kernel (one output channel).
    stride, padding
        Square stride ``s >= 1`` and zero padding ``p >= 0``.
    columns
        ``reference.im2col(input, k, s, p)``: ``(C·k², L)``.
    weight_row
        The kernel flattened in the same (channel, ky, kx) order: ``(1, C·k²)``.
    product
        ``weight_row @ columns``: ``(1, L)``.
    output
        ``product`` reshaped to ``(H_out, W_out)``; equals ``reference.conv2d`` and
        ``torch.nn.functional.conv2d`` with the same stride and padding.
    """

    input: np.ndarray
    weight: np.ndarray
    stride: int
    padding: int
    columns: np.ndarray
    weight_row: np.ndarray
    product: np.ndarray
    output: np.ndarray

    @property
    def kernel_size(self) -> int:
        return self.weight.shape[-1]

    @property
    def positions(self) -> int:
        """``L = H_out·W_out``, the number of windows (columns)."""
        return self.columns.shape[1]

    @property
    def padded_input(self) -> np.ndarray:
        """The input with ``padding`` zeros on every side: ``(C, H + 2p, W + 2p)``."""
        p = self.padding
        return np.pad(self.input, ((0, 0), (p, p), (p, p)))

    @property
    def memory_factor(self) -> float:
        """Column-matrix elements per input element, ``C·k²·L / (C·H·W)`` (≈ k²/s²)."""
        return self.columns.size / self.input.size

    def window(self, position: int) -> tuple[int, int]:
        """Top-left input pixel ``(oy·s − p, ox·s − p)`` of window ``position = oy·W_out + ox``."""
        oy, ox = self.output_cell(position)
        return oy * self.stride - self.padding, ox * self.stride - self.padding

    def output_cell(self, position: int) -> tuple[int, int]:
        """``(oy, ox)`` of column ``position``; raises ``ValueError`` if out of range."""
        position = as_int(position, "position", minimum=0)
        if position >= self.positions:
            raise ValueError(
                f"position must be in 0…{self.positions - 1} (L = {self.positions} windows), "
                f"got {position}"
            )
        oy, ox = divmod(position, self.output.shape[1])
        return int(oy), int(ox)

    def shapes_text(self) -> str:
        """HTML: the product with its shapes, and the memory factor against k²/s²."""
        rows, positions = self.columns.shape
        h_out, w_out = self.output.shape
        k, s = self.kernel_size, self.stride
        return (
            f"<b>W_row</b> (1 × {rows}) @ <b>columns</b> ({rows} × {positions}) "
            f"= <b>output</b> (1 × {positions}) → reshape {h_out} × {w_out}<br>"
            f"rows = C·k² = {self.input.shape[0]}·{k}² = {rows}; "
            f"columns = L = H_out·W_out = {h_out}·{w_out} = {positions}<br>"
            f"memory: columns hold {self.columns.size} numbers for {self.input.size} input "
            f"numbers, factor <b>{self.memory_factor:.2f}</b> (≈ k²/s² = {k}²/{s}² = "
            f"{k * k / (s * s):.2f} for a large input)"
        )

    def sum_text(self, position: int) -> str:
        """HTML: output value at ``position`` as the dot product of W_row with one column."""
        oy, ox = self.output_cell(position)
        terms = " + ".join(
            f"({w:g})({x:g})" for w, x in zip(self.weight_row[0], self.columns[:, position],
                                               strict=True)
        )
        value = self.product[0, position]
        return f"output[{oy}, {ox}] = W_row · columns[:, {position}] = {terms} = <b>{value:g}</b>"


def im2col_product(
    input: np.ndarray, weight: np.ndarray, stride: int = 1, padding: int = 0
) -> Im2colProduct:
    """Compute a one-output-channel convolution as ``W_row @ im2col(input)``.

    ``columns = reference.im2col(input, k, stride, padding)`` (checked against
    ``torch.nn.functional.unfold``), ``W_row = weight.reshape(1, C·k²)``, and the output
    ``(W_row @ columns).reshape(H_out, W_out)`` with ``H_out = ⌊(H + 2p − k)/s⌋ + 1``;
    ``tests/reference/test_im2col.py`` checks it against ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    input
        ``(C, H, W)``.
    weight
        ``(C, k, k)``: one square filter over all input channels.
    stride, padding
        Ints, ``stride >= 1``, ``padding >= 0``.

    Raises
    ------
    ValueError, TypeError
        Naming the parameter: wrong dimensions, channel mismatch, non-square kernel, or a
        kernel larger than the padded input (message from ``arithmetic.conv_output_size``).
    """
    x = as_array(input, "input", ndim=3, layout="(C, H, W)")
    w = as_array(weight, "weight", ndim=3, layout="(C, k, k)")
    stride = as_int(stride, "stride", minimum=1)
    padding = as_int(padding, "padding", minimum=0)
    if w.shape[0] != x.shape[0] or w.shape[1] != w.shape[2]:
        raise ValueError(
            f"weight must be (C, k, k) with C = input channels = {x.shape[0]}, got {w.shape}"
        )
    k = w.shape[1]
    h_out, w_out = (conv_output_size(n, k, stride, padding) for n in x.shape[1:])
    columns = im2col(x, k, stride, padding)
    weight_row = w.reshape(1, -1)
    product = weight_row @ columns
    return Im2colProduct(x, w, stride, padding, columns, weight_row, product,
                         product.reshape(h_out, w_out))
