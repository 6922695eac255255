"""im2col / col2im: lay every sliding window out as a column, and fold columns back.

Same layouts as ``torch.nn.functional.unfold`` and ``torch.nn.functional.fold``
(https://pytorch.org/docs/stable/generated/torch.nn.Unfold.html): row index
``c*kH*kW + i*kW + j`` (channel, kernel row, kernel column), column index
``l = oy*W_out + ox`` (window positions in row-major order).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from convlessons.reference._args import col2im_args, im2col_args, pad_zeros

__all__ = ["im2col", "col2im", "sliding_windows"]


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
