"""Transposed convolution ("deconvolution"): every input pixel stamps a scaled kernel.

For input ``x`` (N, C_in, H, W), weight ``w`` (C_in, C_out/G, kH, kW) and ``G`` groups
(input channel ``c`` in group ``g = c // (C_in/G)`` feeds output channels
``g*C_out/G ... (g+1)*C_out/G - 1``), the uncropped ("full") output is

.. math::

    z[n, gC_{out}/G + o,\\; y s_h + i d_h,\\; x s_w + j d_w] \\mathrel{+}=
        x[n, c, y, x]\\; w[c, o, i, j]

of size ``F = (H - 1) s_h + d_h (kH - 1) + 1`` (same for W), and torch returns
``out[..., a, b] = z[..., a + p_h, b + p_w]`` for ``a < H_out = F - 2 p_h + op_h``, with
``z`` read as zero past its end (``output_padding`` adds rows/columns at the bottom/right).
This is the adjoint (gradient with respect to the input) of ``conv2d`` with the same
``stride``, ``padding``, ``dilation`` and ``groups``. Checked against
``torch.nn.functional.conv_transpose2d`` (float64, hypothesis) in ``tests/test_transposed.py``;
documentation: https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html.
"""

from __future__ import annotations

import numpy as np

from convlessons._validation import as_array, as_int, as_pair
from convlessons.arithmetic import conv_transpose_output_size
from convlessons.reference._args import pad_zeros
from convlessons.reference.im2col import col2im

__all__ = ["conv_transpose2d", "zero_insert", "equivalent_conv_weight"]

IntOrPair = int | tuple[int, int]


def _check_groups(weight: np.ndarray, groups: int) -> None:
    """``groups`` must divide ``weight.shape[0]`` (= C_in)."""
    if weight.shape[0] % groups:
        raise ValueError(
            f"groups must divide C_in = weight.shape[0] = {weight.shape[0]}, got groups={groups}"
        )


def conv_transpose2d(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    groups: int = 1,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """Transposed 2-D convolution, exactly as ``torch.nn.functional.conv_transpose2d``.

    Computed as the scatter the course teaches (formula: module docstring): the columns
    ``W_g^T x_g`` (one scaled copy of the kernel per input pixel, per group) are summed
    into the full output by ``col2im`` (``torch.nn.functional.fold``), then ``padding`` is
    cropped from every side and ``output_padding`` zero rows/columns are allowed at the
    bottom/right. Output size: ``H_out = (H - 1) s - 2p + d (kH - 1) + output_padding + 1``
    (``arithmetic.conv_transpose_output_size``).

    Parameters
    ----------
    input
        (N, C_in, H, W), or unbatched (C_in, H, W) giving an unbatched result.
    weight
        (C_in, C_out/groups, kH, kW) — note: input channels first, unlike ``conv2d``.
    bias
        (C_out,) or None.
    stride, dilation
        Int or (h, w) pair, >= 1.
    padding
        Int or (h, w) pair, >= 0: rows/columns cropped from each side of the full output.
    output_padding
        Int or (h, w) pair, ``0 <= output_padding < max(stride, dilation)`` per axis.
    groups
        Divides C_in.

    Returns
    -------
    numpy.ndarray
        (N, C_out, H_out, W_out), dtype ``numpy.result_type(input, weight)``.
    """
    x = as_array(input, "input", ndim=(3, 4), layout="(N, C_in, H, W) or (C_in, H, W)")
    w = as_array(weight, "weight", ndim=4, layout="(C_in, C_out/groups, kH, kW)")
    stride_hw = as_pair(stride, "stride", minimum=1)
    padding_hw = as_pair(padding, "padding", minimum=0)
    extra_hw = as_pair(output_padding, "output_padding", minimum=0)
    dilation_hw = as_pair(dilation, "dilation", minimum=1)
    groups = as_int(groups, "groups", minimum=1)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]
    if min(x.shape) < 1 or min(w.shape) < 1:
        raise ValueError(
            f"input and weight must have no empty axis, got input {x.shape}, weight {w.shape}"
        )
    batch, c_in, height, width = x.shape
    if w.shape[0] != c_in:
        raise ValueError(
            f"weight.shape[0] must equal the input channels C_in = {c_in}, "
            f"got weight shape {w.shape}"
        )
    _check_groups(w, groups)
    c_out, kernel = w.shape[1] * groups, w.shape[2:]
    b = None
    if bias is not None:
        b = as_array(bias, "bias", ndim=1, layout="(C_out,)")
        if b.shape != (c_out,):
            raise ValueError(f"bias must have shape (C_out,) = ({c_out},), got {b.shape}")
    axes = list(zip((height, width), kernel, stride_hw, padding_hw, extra_hw, dilation_hw,
                    strict=True))
    out_size = [conv_transpose_output_size(*axis) for axis in axes]
    full_size = [conv_transpose_output_size(n, k, s, dilation=d) for n, k, s, _, _, d in axes]

    dtype = np.result_type(x, w)
    x_groups = x.astype(dtype, copy=False).reshape(batch, groups, c_in // groups, height * width)
    w_groups = w.astype(dtype, copy=False).reshape(groups, c_in // groups, -1)
    columns = np.matmul(w_groups.transpose(0, 2, 1), x_groups)  # (N, G, C_out/G*kH*kW, H*W)
    full = col2im(columns.reshape(batch, -1, height * width), full_size, kernel, stride_hw,
                  0, dilation_hw)
    (top, left), (extra_h, extra_w) = padding_hw, extra_hw
    out = pad_zeros(full, (0, extra_h, 0, extra_w))
    out = out[:, :, top : top + out_size[0], left : left + out_size[1]]
    if b is not None:
        out = out + b.astype(dtype, copy=False)[:, np.newaxis, np.newaxis]
    return out[0] if unbatched else out


def zero_insert(input: np.ndarray, stride: IntOrPair) -> np.ndarray:
    """Insert ``s - 1`` zeros between neighbouring pixels (the "fractional stride" view).

    ``out[..., y s_h, x s_w] = input[..., y, x]`` and zero elsewhere, shape
    ``(..., (H - 1) s_h + 1, (W - 1) s_w + 1)``. With it, for dilation 1,

    ``conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, groups=G)``
    ``== conv2d(pad(zero_insert(x, s)), equivalent_conv_weight(w, G), groups=G)``

    where ``pad`` adds ``k - 1 - p`` zeros at the top/left and ``k - 1 - p + op`` at the
    bottom/right (a negative amount crops). Proved in ``tests/test_transposed.py``.

    Parameters
    ----------
    input
        (..., H, W) with 2 to 4 dimensions.
    stride
        Int or (h, w) pair, >= 1.
    """
    x = as_array(input, "input", ndim=(2, 3, 4), layout="(..., H, W)")
    sh, sw = as_pair(stride, "stride", minimum=1)
    height, width = x.shape[-2:]
    out = np.zeros((*x.shape[:-2], (height - 1) * sh + 1, (width - 1) * sw + 1), x.dtype)
    out[..., ::sh, ::sw] = x
    return out


def equivalent_conv_weight(weight: np.ndarray, groups: int = 1) -> np.ndarray:
    """The ``conv2d`` weight that makes a transposed convolution an ordinary one.

    Swaps the channel axes within each group and flips the kernel in both directions:
    ``(C_in, C_out/G, kH, kW) -> (C_out, C_in/G, kH, kW)`` with
    ``out[g C_out/G + o, c, i, j] = weight[g C_in/G + c, o, kH-1-i, kW-1-j]``
    (see :func:`zero_insert` for the full equivalence).

    Parameters
    ----------
    weight
        (C_in, C_out/groups, kH, kW), the ``conv_transpose2d`` layout.
    groups
        Divides C_in.
    """
    w = as_array(weight, "weight", ndim=4, layout="(C_in, C_out/groups, kH, kW)")
    groups = as_int(groups, "groups", minimum=1)
    _check_groups(w, groups)
    c_in, c_out_group, kh, kw = w.shape
    swapped = w.reshape(groups, c_in // groups, c_out_group, kh, kw).transpose(0, 2, 1, 3, 4)
    flipped = swapped.reshape(groups * c_out_group, c_in // groups, kh, kw)[:, :, ::-1, ::-1]
    return flipped.copy()  # a fresh array with positive strides (torch.from_numpy accepts it)
