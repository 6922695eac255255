"""2-D convolution (cross-correlation) five ways, all with ``torch.nn.functional.conv2d`` semantics.

Every method computes, for input ``x`` (N, C_in, H, W) zero-padded to ``x_pad``, weight
``w`` (C_out, C_in/G, kH, kW) and ``G`` groups (output channel ``k`` belongs to group
``g = k // (C_out/G)`` and sees input channels ``g*C_in/G ... (g+1)*C_in/G - 1``):

.. math::

    y[n, k, o_y, o_x] = b[k] + \\sum_{c=0}^{C_{in}/G - 1} \\sum_{i=0}^{kH-1} \\sum_{j=0}^{kW-1}
        w[k, c, i, j]\\; x_{pad}[n, gC_{in}/G + c,\\; o_y s_h + i d_h,\\; o_x s_w + j d_w]

as documented for ``torch.nn.Conv2d`` (https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html).
``tests/test_reference_conv.py`` checks every method against ``torch.nn.functional.conv2d``
in float64 with hypothesis.

:func:`conv2d` validates once (``_args.conv2d_args``), pads with zeros, then runs one of the
``_*_padded`` kernels below on trusted, padded data and adds the bias.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from convlessons._validation import as_array
from convlessons.arithmetic import conv_output_size
from convlessons.reference._args import conv2d_args
from convlessons.reference.im2col import sliding_windows
from convlessons.reference.winograd import check_winograd_supported, conv2d_winograd

__all__ = [
    "METHODS",
    "conv2d",
    "conv2d_loops",
    "conv2d_loops_padded",
    "conv2d_direct",
    "conv2d_im2col",
    "conv2d_fft",
    "correlate2d",
    "convolve2d",
]

METHODS = ("loops", "direct", "im2col", "winograd", "fft")

Pair = tuple[int, int]
IntOrPair = int | tuple[int, int]
Padding = int | tuple[int, int] | str


def conv2d_loops_padded(
    x: np.ndarray, weight: np.ndarray, stride: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """Nested loops: one multiply-and-sum of a window with a filter per output value.

    The kernel behind :func:`conv2d_loops`, on trusted arguments: ``x`` already padded
    (N, C_in, H, W), ``weight`` (C_out, C_in/groups, kH, kW), ``stride`` and ``dilation``
    as ``(h, w)`` pairs; no bias. It is the formula of the module docstring written out,
    one loop per output coordinate.
    """
    batch, _, height, width = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    h_out = conv_output_size(height, kh, sh, dilation=dh)
    w_out = conv_output_size(width, kw, sw, dilation=dw)
    out = np.zeros((batch, c_out, h_out, w_out), dtype=x.dtype)
    for n in range(batch):
        for k in range(c_out):
            g = k // (c_out // groups)  # the group filter k belongs to
            channels = x[n, g * c_per_group : (g + 1) * c_per_group]
            for oy in range(h_out):
                for ox in range(w_out):
                    rows = slice(oy * sh, oy * sh + dh * (kh - 1) + 1, dh)
                    cols = slice(ox * sw, ox * sw + dw * (kw - 1) + 1, dw)
                    out[n, k, oy, ox] = np.sum(channels[:, rows, cols] * weight[k])
    return out


def _direct_padded(
    x: np.ndarray, weight: np.ndarray, stride: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """All windows as a strided view (no copy), contracted with the filters by ``einsum``."""
    c_out, c_per_group, kh, kw = weight.shape
    windows = sliding_windows(x, (kh, kw), stride, dilation)  # (N, C_in, kH, kW, H_out, W_out)
    batch, _, _, _, h_out, w_out = windows.shape
    windows = windows.reshape(batch, groups, c_per_group, kh, kw, h_out, w_out)
    filters = weight.reshape(groups, c_out // groups, c_per_group, kh, kw)
    out = np.einsum("ngcijyx,gkcij->ngkyx", windows, filters, optimize=True)
    return out.reshape(batch, c_out, h_out, w_out)


def _im2col_padded(
    x: np.ndarray, weight: np.ndarray, stride: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """Columns (one per window, as ``im2col``) times the filter matrix, one matmul per group."""
    c_out, c_per_group, kh, kw = weight.shape
    windows = sliding_windows(x, (kh, kw), stride, dilation)  # (N, C_in, kH, kW, H_out, W_out)
    batch, _, _, _, h_out, w_out = windows.shape
    columns = windows.reshape(batch, groups, c_per_group * kh * kw, h_out * w_out)
    filters = weight.reshape(groups, c_out // groups, c_per_group * kh * kw)
    return np.matmul(filters, columns).reshape(batch, c_out, h_out, w_out)


def _fast_fft_length(n: int) -> int:
    """Smallest ``2^a 3^b 5^c >= n``: the sizes ``numpy.fft`` (pocketfft) transforms fastest."""
    best = 1 << (n - 1).bit_length()
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            length = power35
            while length < n:
                length *= 2
            best = min(best, length)
            power35 *= 3
        power5 *= 5
    return best


def _fft_padded(
    x: np.ndarray, weight: np.ndarray, stride: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """Dense stride-1 correlation with the dilated kernel via ``rfft2``, then subsampling.

    Correlation theorem: ``corr(x, w) = irfft2(rfft2(x) * conj(rfft2(w)))``; with transform
    size ``>=`` the padded input the circular wrap-around only touches positions past the
    last valid window, which are cropped.
    """
    batch, _, height, width = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    dilated = np.zeros((c_out, c_per_group, span_h, span_w), dtype=weight.dtype)
    dilated[:, :, ::dh, ::dw] = weight
    size = (_fast_fft_length(height), _fast_fft_length(width))
    x_hat = np.fft.rfft2(x, s=size)
    w_hat = np.conj(np.fft.rfft2(dilated, s=size))
    freq = x_hat.shape[-2:]
    x_hat = x_hat.reshape(batch, groups, c_per_group, *freq)
    w_hat = w_hat.reshape(groups, c_out // groups, c_per_group, *freq)
    y_hat = np.einsum("ngcuv,gkcuv->ngkuv", x_hat, w_hat)  # channel sum, per frequency
    y_hat = y_hat.reshape(batch, c_out, *freq)
    dense = np.fft.irfft2(y_hat, s=size)
    return dense[:, :, : height - span_h + 1 : sh, : width - span_w + 1 : sw]


_KERNELS: dict[str, Callable[[np.ndarray, np.ndarray, Pair, Pair, int], np.ndarray]] = {
    "loops": conv2d_loops_padded,
    "direct": _direct_padded,
    "im2col": _im2col_padded,
    "fft": _fft_padded,
}


def conv2d(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
    method: str = "im2col",
    tile: int = 4,
) -> np.ndarray:
    """2-D cross-correlation exactly as ``torch.nn.functional.conv2d`` (formula: module doc).

    Parameters
    ----------
    input
        (N, C_in, H, W), or unbatched (C_in, H, W) giving an unbatched result.
    weight
        (C_out, C_in/groups, kH, kW).
    bias
        (C_out,) or None.
    stride, dilation
        Int or (h, w) pair, >= 1.
    padding
        Int or (h, w) pair >= 0 (zeros on both sides), ``'valid'`` (none) or ``'same'``
        (stride 1 only: total ``d(k-1)``, ``total // 2`` before, the rest after, as torch).
    groups
        Divides C_in and C_out; ``groups == C_in`` is a depthwise convolution.
    method
        One of ``METHODS``: ``'loops'``, ``'direct'``, ``'im2col'``, ``'winograd'``
        (3x3 kernels, stride 1, dilation 1; see ``winograd.conv2d_winograd``), ``'fft'``.
    tile
        Winograd output tile size m of F(m x m, 3 x 3); ignored by the other methods.

    Returns
    -------
    numpy.ndarray
        (N, C_out, H_out, W_out) with ``H_out = floor((H + p_top + p_bottom - d_h(kH-1) - 1)
        / s_h) + 1`` (same for W), dtype ``numpy.result_type(input, weight)``.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    args = conv2d_args(input, weight, bias, stride, padding, dilation, groups)
    if method == "winograd":
        check_winograd_supported(args.weight.shape[2:], args.stride, args.dilation, tile)
        out = conv2d_winograd(args.input, args.weight, groups=args.groups, tile=tile)
    else:
        out = _KERNELS[method](args.input, args.weight, args.stride, args.dilation, args.groups)
    out = out.astype(args.weight.dtype, copy=False)
    if args.bias is not None:
        out = out + args.bias[:, np.newaxis, np.newaxis]
    return out[0] if args.unbatched else out


def conv2d_loops(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """``conv2d(..., method='loops')``: a Python loop over n, k, o_y, o_x (slow, readable)."""
    return conv2d(input, weight, bias, stride, padding, dilation, groups, method="loops")


def conv2d_direct(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """``conv2d(..., method='direct')``: strided window view contracted by ``einsum``."""
    return conv2d(input, weight, bias, stride, padding, dilation, groups, method="direct")


def conv2d_im2col(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """``conv2d(..., method='im2col')``: window columns times the filter matrix (GEMM)."""
    return conv2d(input, weight, bias, stride, padding, dilation, groups, method="im2col")


def conv2d_fft(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """``conv2d(..., method='fft')``: products of spectra (``rfft2``), then subsampling."""
    return conv2d(input, weight, bias, stride, padding, dilation, groups, method="fft")


def _as_plane(value: np.ndarray, name: str) -> np.ndarray:
    """A 2-D array as a (1, 1, H, W) batch of one single-channel image."""
    layout = "(H, W)" if name == "image" else "(kH, kW)"
    return as_array(value, name, ndim=2, layout=layout)[np.newaxis, np.newaxis]


def correlate2d(image: np.ndarray, kernel: np.ndarray, padding: Padding = 0) -> np.ndarray:
    """Cross-correlation of one 2-D image with one 2-D kernel (what CNNs call convolution).

    ``out[y, x] = sum_{i,j} kernel[i, j] * image_pad[y + i, x + j]``; ``padding`` as in
    :func:`conv2d`. Same as ``scipy.signal.correlate2d(image, kernel, 'valid')`` for padding 0.
    """
    return conv2d(_as_plane(image, "image"), _as_plane(kernel, "kernel"), padding=padding)[0, 0]


def convolve2d(image: np.ndarray, kernel: np.ndarray, padding: Padding = 0) -> np.ndarray:
    """True 2-D convolution: cross-correlation with the kernel flipped in both axes.

    ``out[y, x] = sum_{i,j} kernel[kH-1-i, kW-1-j] * image_pad[y + i, x + j]``; the same as
    ``scipy.signal.convolve2d(image, kernel, 'valid')`` for padding 0.
    """
    flipped = as_array(kernel, "kernel", ndim=2, layout="(kH, kW)")[::-1, ::-1]
    return correlate2d(image, flipped, padding=padding)
