"""2-D convolution (cross-correlation) five ways, all with ``torch.nn.functional.conv2d`` semantics.

Every method computes, for input ``x`` (N, C_in, H, W) zero-padded to ``x_pad``, weight
``w`` (C_out, C_in/G, kH, kW) and ``G`` groups (output channel ``k`` belongs to group
``g = k // (C_out/G)`` and sees input channels ``g*C_in/G ... (g+1)*C_in/G - 1``):

.. math::

    y[n, k, o_y, o_x] = b[k] + \\sum_{c=0}^{C_{in}/G - 1} \\sum_{i=0}^{kH-1} \\sum_{j=0}^{kW-1}
        w[k, c, i, j]\\; x_{pad}[n, gC_{in}/G + c,\\; o_y s_h + i d_h,\\; o_x s_w + j d_w]

as documented for ``torch.nn.Conv2d`` (https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html).
``tests/reference/test_conv.py`` checks every method against ``torch.nn.functional.conv2d``
in float64 with hypothesis.

:func:`conv2d` validates once (``_args.conv2d_args``), pads with zeros, then runs one of the
``_*_padded`` kernels below on trusted, padded data and adds the bias.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided

from convlessons._validation import as_array, as_int
from convlessons.arithmetic import conv_output_size
from convlessons.reference._args import conv2d_args, pad_zeros
from convlessons.reference.im2col import sliding_windows
from convlessons.reference.winograd import check_winograd_supported, conv2d_winograd_padded

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


def _taps(
    x: np.ndarray, kernel_size: Pair, stride: Pair, dilation: Pair
) -> tuple[np.ndarray, Pair, int]:
    """What each kernel tap meets at every output position, as a view of the padded input.

    Returns ``(taps, (H_out, W_out), row)`` with ``taps[n, c, i, j]`` the input values that
    tap ``(i, j)`` multiplies, output position ``p = o_y*row + o_x`` holding
    ``x[n, c, o_y s_h + i d_h, o_x s_w + j d_w]``:

    - stride 1: ``row = W`` (the padded width) and ``taps[n, c, i, j]`` is the flattened
      image shifted by ``i d_h W + j d_w``, one contiguous slice of length
      ``L = (H_out - 1) W + W_out``; ``taps`` is (N, C, kH, kW, L). The ``W - W_out``
      positions at the end of each output row straddle the image border: the callers
      compute them and drop them.
    - larger strides: ``row = W_out`` and ``taps`` is the (N, C, kH, kW, H_out, W_out)
      window view; flattening its last two axes copies.
    """
    batch, channels, height, width = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    out_size = (
        conv_output_size(height, kh, sh, dilation=dh),
        conv_output_size(width, kw, sw, dilation=dw),
    )
    if (sh, sw) != (1, 1):
        return sliding_windows(x, kernel_size, stride, dilation), out_size, out_size[1]
    flat = np.ascontiguousarray(x).reshape(batch, channels, height * width)
    n_step, c_step, item = flat.strides
    length = (out_size[0] - 1) * width + out_size[1]
    shape = (batch, channels, kh, kw, length)
    steps = (n_step, c_step, dh * width * item, dw * item, item)
    return as_strided(flat, shape, steps, writeable=False), out_size, width


def _output_rows(
    batch: int, c_out: int, out_size: Pair, row: int, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """An output buffer of ``H_out`` rows of ``row`` positions, and its (N, C_out, H_out, W_out)
    view without the positions past ``W_out`` (see :func:`_taps`)."""
    h_out, w_out = out_size
    out = np.empty((batch, c_out, h_out * row), dtype=dtype)
    return out, out.reshape(batch, c_out, h_out, row)[..., :w_out]


def _direct_padded(
    x: np.ndarray, weight: np.ndarray, stride: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """One matrix product per kernel tap: a kH x kW convolution is kH·kW 1x1 convolutions.

    ``y[n, :, p] = sum_{i,j} w[:, :, i, j] @ taps[n, :, i, j, p]`` (per group): the
    (C_out x C_in) matrix of tap ``(i, j)`` times the image shifted under that tap, which
    with stride 1 is a slice of the padded image (:func:`_taps`), added into the output.
    Extra memory: one product the size of the output, whatever the kernel size.
    """
    c_out, c_per_group, kh, kw = weight.shape
    taps, out_size, row = _taps(x, (kh, kw), stride, dilation)
    batch = x.shape[0]
    filters = weight.reshape(groups, c_out // groups, c_per_group, kh, kw)
    out, image = _output_rows(batch, c_out, out_size, row, x.dtype)
    length = (out_size[0] - 1) * row + out_size[1]
    out = out.reshape(batch, groups, c_out // groups, -1)[..., :length]
    out[...] = 0
    product = np.empty_like(out)
    for i in range(kh):
        for j in range(kw):
            shifted = taps[:, :, i, j].reshape(batch, groups, c_per_group, length)
            out += np.matmul(filters[..., i, j], shifted, out=product)
    return image


_COLUMN_BAND_BYTES = 2**22
"""Size of one band of the im2col column block: small enough to stay in the processor's
cache between the copy and the products, large enough to keep each product a big GEMM."""


def _im2col_padded(
    x: np.ndarray, weight: np.ndarray, stride: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """im2col lowered along the image rows only: one column block, read at ``kH`` row offsets.

    The im2col rows of kernel row ``i`` are those of kernel row 0 read ``i d_h`` image rows
    lower. So only the rows of one kernel row are copied, for every padded image row ``y``:

    ``cols[n, g, (j, c), y, o_x] = x[n, gC_in/G + c, y, o_x s_w + j d_w]``  (``kW/s_w`` times
    the input), and the layer is ``kH`` products, one per kernel row, added up:

    ``y[n, g, :, (o_y, o_x)] = sum_i w_i @ cols[n, g, :, o_y s_h + i d_h, o_x]``, with
    ``w_i[k, (j, c)] = w[gC_out/G + k, c, i, j]``, a (C_out/G x kW·C_in/G) matrix. The rows
    are in (j, c) order, unlike ``im2col``'s (c, i, j): gathering ``w_i`` then copies runs
    of C_in/G numbers instead of kW.

    With stride 1 each ``cols[..., i d_h + o_y, :]`` is a slice of the block, so a product
    reads it in place; a vertical stride copies it. Compared with the full (C_in·kH·kW x L)
    matrix this copies ``kH`` times less, and each product's inner dimension C_in·kW is
    still large enough for the GEMM (MEC: Cho & Brand, "Memory-efficient Convolution for
    Deep Neural Network", ICML 2017). The block is built and used image by image, in bands
    of output rows of about ``_COLUMN_BAND_BYTES``, one buffer for every band, so that a band
    is still in the cache when the products read it.
    """
    batch, channels, height, width = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    h_out = conv_output_size(height, kh, sh, dilation=dh)
    w_out = conv_output_size(width, kw, sw, dilation=dw)
    n_step, c_step, y_step, x_step = x.strides
    shifted = as_strided(  # shifted[n, g, j, c, y, o_x] = x[n, gC/G + c, y, o_x s_w + j d_w]
        x, (batch, groups, kw, c_per_group, height, w_out),
        (n_step, c_per_group * c_step, dw * x_step, c_step, y_step, sw * x_step), writeable=False,
    )
    rows = kw * c_per_group
    filters = weight.transpose(2, 0, 3, 1).reshape(kh, groups, c_out // groups, rows)  # w_i
    span = dh * (kh - 1) + 1  # image rows under the kernel
    row_bytes = channels * kw * w_out * x.itemsize  # one image row of one image's block
    band = min(h_out, max(1, (_COLUMN_BAND_BYTES // row_bytes - span) // sh + 1))  # output rows
    block = np.empty((groups, kw, c_per_group, sh * (band - 1) + span, w_out), x.dtype)
    out = np.empty((batch, groups, c_out // groups, h_out * w_out), x.dtype)
    product = np.empty((groups, c_out // groups, band * w_out), x.dtype)
    for n in range(batch):
        for top in range(0, h_out, band):
            count = min(band, h_out - top)
            needed = sh * (count - 1) + span
            cols = block[..., :needed, :]
            np.copyto(cols, shifted[n, ..., top * sh : top * sh + needed, :])
            kernel_rows = [
                cols[..., i * dh : i * dh + sh * (count - 1) + 1 : sh, :].reshape(
                    groups, rows, count * w_out
                )
                for i in range(kh)
            ]
            target = out[n, ..., top * w_out : (top + count) * w_out]
            np.matmul(filters[0], kernel_rows[0], out=target)
            for i in range(1, kh):
                target += np.matmul(filters[i], kernel_rows[i], out=product[..., : count * w_out])
    return out.reshape(batch, c_out, h_out, w_out)


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


def _dft(
    size: int, rows: np.ndarray, cols: np.ndarray, dtype: np.dtype, sign: int = -1
) -> np.ndarray:
    """DFT matrix entries ``exp(sign·2πi·rows[u]·cols[a] / size)``: ``sign=-1`` forward,
    ``+1`` for the inverse and for the conjugate spectra correlation needs.

    Every entry is a power of one root of unity, ``w^((u·a) mod size)`` with
    ``w = exp(sign·2πi / size)``: ``size`` complex exponentials instead of one per entry,
    and no large angles.
    """
    roots = np.exp(sign * 2j * np.pi * np.arange(size) / size).astype(dtype)
    return roots[np.outer(rows, cols) % size]


def _kernel_spectra(weight: np.ndarray, size: Pair, dilation: Pair, dtype: np.dtype) -> np.ndarray:
    """Conjugate spectra of the zero-padded, dilated kernels at the ``rfft2`` frequencies.

    ``conj(W[u, v, k, c]) = sum_{i,j} w[k, c, i, j] exp(+2πi (u i d_h / S_h + v j d_w / S_w))``
    for ``u < S_h``, ``v <= S_w / 2``: only the kH (kW) columns of the DFT matrix at the
    kernel's taps take part, so two small matrix products replace C_out·C_in zero-padded
    FFTs. Returns (S_h, S_w // 2 + 1, C_out, C_in/G).
    """
    c_out, c_per_group, kh, kw = weight.shape
    (size_h, size_w), (dh, dw) = size, dilation
    rows = _dft(size_h, np.arange(size_h), dh * np.arange(kh), dtype, sign=1)
    cols = _dft(size_w, np.arange(size_w // 2 + 1), dw * np.arange(kw), dtype, sign=1)
    taps = weight.transpose(2, 3, 0, 1).reshape(kh, kw, c_out * c_per_group)
    half = np.matmul(cols, taps)  # along the kernel rows: (kH, S_w/2+1, C_out·C_in/G)
    spectra = rows @ half.reshape(kh, -1)  # then along its columns
    return spectra.reshape(size_h, size_w // 2 + 1, c_out, c_per_group)


_FFT_TILE = 16
"""Overlap-save tile size for kernels spanning up to ``_FFT_TILE // 2`` pixels."""

_FFT_TILE_MAX = 64
"""Largest tile: kernels spanning more than ``_FFT_TILE_MAX // 2`` pixels use one transform of
the whole image."""

_FFT_WHOLE_MAX_PAIRS = 64
"""Up to this many (output, input) channel pairs per group, kernels spanning more than
``_FFT_TILE // 2`` pixels use one transform of the whole image: its kernel spectra hold
``pairs · S_h · S_w / 2`` values, cheap for few pairs (measured on one core: 15x15 on
1x1x256x256, whole image 0.6 ms, 32x32 tiles 2.1 ms; 11x11 on 1x8x56x56 with 8 filters, 0.87
and 0.95 ms; on 1x16x56x56 with 16 filters, whole image 2.8 ms, tiles 2.0 ms)."""


def _fft_tiles(
    x: np.ndarray, weight: np.ndarray, dilation: Pair, groups: int, tile: int
) -> np.ndarray:
    """Dense stride-1 correlation by overlap-save on ``tile x tile`` tiles, transforms as matmuls.

    Tiles overlap by the kernel span minus one, so a tile's circular correlation is exact at
    its first ``keep = tile - span + 1`` positions per axis, and the kept parts of
    neighbouring tiles abut. Each tile's ``rfft2`` is two products with the DFT matrix
    (along its rows, then its columns); the channel sum is one matrix product per frequency;
    the inverse transform is evaluated only at the kept positions.
    """
    batch, channels, height, width = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    (dh, dw), freqs = dilation, tile // 2 + 1
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    dense_h, dense_w = height - span_h + 1, width - span_w + 1
    keep_h, keep_w = tile - span_h + 1, tile - span_w + 1
    tiles_h, tiles_w = -(-dense_h // keep_h), -(-dense_w // keep_w)
    x = pad_zeros(
        x, (0, tiles_h * keep_h + span_h - 1 - height, 0, tiles_w * keep_w + span_w - 1 - width)
    )
    tiles = sliding_windows(
        x, (tile, tile), (keep_h, keep_w), (1, 1)
    )  # (N, C, T, T, tiles_h, tiles_w)
    tiles = tiles.transpose(2, 3, 1, 0, 4, 5).reshape(tile, tile, -1)  # (a, b, C·N·tiles): a copy
    dtype = np.result_type(x.dtype, np.complex64)
    dft = _dft(tile, np.arange(tile), np.arange(tile), dtype)
    spectra = np.matmul(dft[:freqs], tiles)  # along each tile row: (a, v, C·N·tiles)
    spectra = dft @ spectra.reshape(tile, -1)  # along each tile column: (u, v·C·N·tiles)
    spectra = spectra.reshape(tile * freqs, groups, c_per_group, -1)
    kernels = _kernel_spectra(weight, (tile, tile), dilation, dtype)
    kernels = kernels.reshape(tile * freqs, groups, c_out // groups, c_per_group)
    products = kernels @ spectra  # channel sum, one matmul per frequency: (u·v, G, K/G, N·tiles)
    # Inverse at the kept positions: y[p, q] = Re sum_{u, v} c_v Y[u, v] e^{2πi(up + vq)/T} / T²
    # with c_v = 2 for the frequencies v that stand for v and T - v, else 1.
    halves = np.where((np.arange(freqs) == 0) | (2 * np.arange(freqs) == tile), 1.0, 2.0)
    inverse_rows = _dft(tile, np.arange(keep_h), np.arange(tile), dtype, sign=1)
    inverse_cols = _dft(tile, np.arange(keep_w), np.arange(freqs), dtype, sign=1) * halves / tile**2
    out = inverse_rows @ products.reshape(tile, -1)  # (p, v·C_out·N·tiles)
    out = np.matmul(inverse_cols.astype(dtype), out.reshape(keep_h, freqs, -1)).real  # (p, q, …)
    out = out.reshape(keep_h, keep_w, c_out, batch, tiles_h, tiles_w).transpose(3, 2, 4, 0, 5, 1)
    out = out.reshape(batch, c_out, tiles_h * keep_h, tiles_w * keep_w)
    return out[:, :, :dense_h, :dense_w]


def _fft_whole(x: np.ndarray, weight: np.ndarray, dilation: Pair, groups: int) -> np.ndarray:
    """Dense stride-1 correlation with one ``rfft2`` of the whole image (for large kernels).

    With transform sizes ``>=`` the padded input, the circular wrap-around only reaches
    positions past the last valid window, which are cropped. The sizes are the next
    ``2^a 3^b 5^c`` (:func:`_fast_fft_length`); float32 stays float32 (complex64 spectra).
    The channel sum at every frequency runs one input channel at a time, each step an
    element-wise product over all output channels and frequencies.
    """
    batch, channels, height, width = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    (dh, dw) = dilation
    size = (_fast_fft_length(height), _fast_fft_length(width))
    spectra = np.fft.rfft2(x, s=size)  # (N, C, S_h, S_w/2+1)
    freqs = spectra.shape[-2:]
    spectra = spectra.reshape(batch, groups, c_per_group, *freqs)
    kernels = np.moveaxis(_kernel_spectra(weight, size, dilation, spectra.dtype), (0, 1), (2, 3))
    kernels = kernels.reshape(groups, c_out // groups, c_per_group, *freqs)  # frequencies last
    products = np.zeros((batch, groups, c_out // groups, *freqs), spectra.dtype)
    for c in range(c_per_group):
        products += spectra[:, :, c, np.newaxis] * kernels[:, :, c]
    dense = np.fft.irfft2(products.reshape(batch, c_out, *freqs), s=size)
    return dense[:, :, : height - dh * (kh - 1), : width - dw * (kw - 1)]


def _fft_padded(
    x: np.ndarray, weight: np.ndarray, stride: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """Dense stride-1 correlation by the correlation theorem, then subsampling by the stride.

    Correlation theorem: ``corr(x, w) = irfft2(rfft2(x) * conj(rfft2(w)))`` with the
    channel sum taken per frequency. Kernels spanning up to 8 pixels: overlap-save tiles
    (:func:`_fft_tiles`) of 16x16; larger ones: one transform of the whole image
    (:func:`_fft_whole`), unless the layer has many channel pairs (``_FFT_WHOLE_MAX_PAIRS``):
    then tiles of the next power of two at least twice the kernel span, up to
    ``_FFT_TILE_MAX``.
    """
    c_out, c_per_group, kh, kw = weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    span = max(dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    tile = max(_FFT_TILE, 1 << (2 * span - 1).bit_length())  # a power of two >= 2·span
    pairs = c_out // groups * c_per_group
    if tile == _FFT_TILE or (pairs > _FFT_WHOLE_MAX_PAIRS and tile <= _FFT_TILE_MAX):
        dense = _fft_tiles(x, weight, dilation, groups, tile)
    else:
        dense = _fft_whole(x, weight, dilation, groups)
    return dense[:, :, ::sh, ::sw]


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
    as_int(tile, "tile", minimum=1)  # refused for every method, used by 'winograd'
    args = conv2d_args(input, weight, bias, stride, padding, dilation, groups)
    if method == "winograd":
        check_winograd_supported(args.weight.shape[2:], args.stride, args.dilation, tile)
        out = conv2d_winograd_padded(args.input, args.weight, groups=args.groups, tile=tile)
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
    """``conv2d(..., method='direct')``: one matrix product per kernel tap, over shifted views."""
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
    """``conv2d(..., method='im2col')``: one kernel row's window columns, kH matrix products."""
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
