"""Validate convolution arguments once, at the public boundary of ``convlessons.reference``.

Every public function in this package turns user input into a frozen record here; the
numeric kernels behind them trust the record and never re-check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convlessons._validation import as_array, as_int, as_pair, check_memory, shown
from convlessons.arithmetic import conv_output_size, conv_transpose_output_size, same_padding

__all__ = [
    "PADDING_MODES",
    "ConvArgs",
    "TransposedArgs",
    "WindowArgs",
    "check_transposed_groups",
    "conv2d_args",
    "conv_transpose2d_args",
    "im2col_args",
    "col2im_args",
    "pad_zeros",
]

PADDING_MODES = ("valid", "same")

Pads = tuple[int, int, int, int]


@dataclass(frozen=True)
class ConvArgs:
    """Validated arguments of ``conv2d``.

    ``input`` is already zero-padded by ``padding`` = (top, bottom, left, right), always 4-D
    and both arrays share the result dtype ``numpy.result_type(input, weight)``.
    """

    input: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None
    stride: tuple[int, int]
    padding: Pads
    dilation: tuple[int, int]
    groups: int
    output_size: tuple[int, int]
    unbatched: bool


@dataclass(frozen=True)
class TransposedArgs(ConvArgs):
    """Validated arguments of ``conv_transpose2d``: the fields of :class:`ConvArgs`, plus two.

    Unlike in ``conv2d``, ``input`` (4-D, N, C_in, H, W) is not padded: ``padding`` (top,
    bottom, left, right) is what is cropped from the full output; ``weight`` is
    (C_in, C_out/groups, kH, kW). ``full_size`` is the uncropped output
    ``(H - 1) s + d (kH - 1) + 1`` (same for W), ``output_size`` what torch returns, with
    ``output_padding`` rows/columns added at the bottom/right.
    """

    output_padding: tuple[int, int]
    full_size: tuple[int, int]


@dataclass(frozen=True)
class WindowArgs:
    """Validated sliding-window geometry shared by ``im2col`` and ``col2im``.

    ``image_size`` is the unpadded (H, W); ``padding`` is (top, bottom, left, right).
    """

    image_size: tuple[int, int]
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: Pads
    dilation: tuple[int, int]
    output_size: tuple[int, int]


def pad_zeros(x: np.ndarray, padding: Pads) -> np.ndarray:
    """Zero-pad the last two axes of ``x`` by (top, bottom, left, right).

    Same as ``numpy.pad`` with zeros, written as a zero array and one copy into it
    (``numpy.pad`` spends longer on its own bookkeeping than on the copy of a small image).
    """
    top, bottom, left, right = padding
    if not any(padding):
        return x
    height, width = x.shape[-2:]
    out = np.zeros((*x.shape[:-2], height + top + bottom, width + left + right), x.dtype)
    out[..., top : top + height, left : left + width] = x
    return out


def _sliding_output_size(
    size: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: Pads,
    dilation: tuple[int, int],
    kernel_name: str,
) -> tuple[int, int]:
    """Output (H_out, W_out); the error for a dilated kernel larger than the padded input
    names ``kernel_name`` (``weight`` for conv2d, ``kernel_size`` for im2col/col2im)."""
    result = []
    for axis, name in enumerate(("height", "width")):
        pads = padding[2 * axis : 2 * axis + 2]
        try:
            result.append(
                conv_output_size(size[axis], kernel[axis], stride[axis], pads, dilation[axis])
            )
        except ValueError as err:
            raise ValueError(f"{kernel_name} does not fit along the {name}: {err}") from err
    return result[0], result[1]


def _conv_padding(
    padding: object,
    size: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> Pads:
    """Read torch's ``padding``: int, pair, ``'valid'`` or ``'same'`` into (t, b, l, r)."""
    if isinstance(padding, str):
        if padding not in PADDING_MODES:
            raise ValueError(
                f"padding must be one of {PADDING_MODES}, an int >= 0 or a pair, got {padding!r}"
            )
        if padding == "valid":
            return 0, 0, 0, 0
        if stride != (1, 1):
            raise ValueError(
                f"padding='same' needs stride=1 (as in torch), got stride={stride}; "
                "use explicit padding for stride > 1"
            )
        top, bottom = same_padding(size[0], kernel[0], stride=1, dilation=dilation[0])
        left, right = same_padding(size[1], kernel[1], stride=1, dilation=dilation[1])
        return top, bottom, left, right
    try:
        pad_h, pad_w = as_pair(padding, "padding", minimum=0)
    except TypeError as err:
        raise TypeError(f"{err}; or one of {PADDING_MODES}") from err
    return pad_h, pad_h, pad_w, pad_w


def _input_and_weight(input: object, weight: object,
                      weight_layout: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """4-D input (a batch of one if it was 3-D), 4-D weight, and whether it was unbatched.

    Refuses empty axes first, so an empty input is not blamed on the weight.
    """
    x = as_array(input, "input", ndim=(3, 4), layout="(N, C_in, H, W) or (C_in, H, W)")
    w = as_array(weight, "weight", ndim=4, layout=weight_layout)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]
    for name, array in (("input", x), ("weight", w)):
        if min(array.shape) < 1:
            raise ValueError(f"{name} must have no empty axis, got shape {array.shape}")
    return x, w, unbatched


def _bias(bias: object, channels: int) -> np.ndarray | None:
    """``None``, or a ``(C_out,)`` array with ``C_out = channels``."""
    if bias is None:
        return None
    b = as_array(bias, "bias", ndim=1, layout="(C_out,)")
    if b.shape != (channels,):
        raise ValueError(f"bias must have shape (C_out,) = ({channels},), got {b.shape}")
    return b


def _in_result_dtype(x: np.ndarray, w: np.ndarray, b: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``x``, ``w`` and ``b`` (if any) as ``numpy.result_type(x, w)``, copied only if needed."""
    dtype = np.result_type(x, w)
    return (x.astype(dtype, copy=False), w.astype(dtype, copy=False),
            None if b is None else b.astype(dtype, copy=False))


def conv2d_args(
    input: object,
    weight: object,
    bias: object = None,
    stride: object = 1,
    padding: object = 0,
    dilation: object = 1,
    groups: object = 1,
) -> ConvArgs:
    """Validate the arguments of ``torch.nn.functional.conv2d`` and zero-pad the input.

    Checks, each raising ``ValueError``/``TypeError`` naming the parameter: input is 3-D
    (C, H, W) or 4-D (N, C, H, W); weight is 4-D (C_out, C_in/groups, kH, kW); bias is
    (C_out,); stride, dilation >= 1; padding >= 0 or one of ``PADDING_MODES``; ``groups``
    divides C_in and C_out; the dilated kernel fits the padded input; all values finite;
    the padded input and the output within ``_validation.MEMORY_BUDGET`` (checked before
    padding, so ``padding=10**30`` is refused, not attempted).
    """
    x, w, unbatched = _input_and_weight(input, weight, "(C_out, C_in/groups, kH, kW)")
    stride_hw = as_pair(stride, "stride", minimum=1)
    dilation_hw = as_pair(dilation, "dilation", minimum=1)
    groups = as_int(groups, "groups", minimum=1)
    c_in, c_out = x.shape[1], w.shape[0]
    if c_in % groups:
        raise ValueError(f"groups must divide input channels C_in={c_in}, got groups={groups}")
    if c_out % groups:
        raise ValueError(
            f"groups must divide output channels weight.shape[0]={c_out}, got groups={groups}"
        )
    if w.shape[1] != c_in // groups:
        raise ValueError(
            f"weight.shape[1] must equal C_in/groups = {c_in}/{groups} = {c_in // groups}, "
            f"got weight shape {w.shape}"
        )
    b = _bias(bias, c_out)
    size = (x.shape[2], x.shape[3])
    kernel = (w.shape[2], w.shape[3])
    pads = _conv_padding(padding, size, kernel, stride_hw, dilation_hw)
    out_size = _sliding_output_size(size, kernel, stride_hw, pads, dilation_hw, "weight")
    x, w, b = _in_result_dtype(x, w, b)
    top, bottom, left, right = pads
    check_memory((*x.shape[:2], size[0] + top + bottom, size[1] + left + right), x.itemsize,
                 f"padding={shown(padding)}", "the padded input")
    check_memory((x.shape[0], c_out, *out_size), x.itemsize,
                 f"input {x.shape} with weight {w.shape}", "the output")
    return ConvArgs(
        input=pad_zeros(x, pads),
        weight=w,
        bias=b,
        stride=stride_hw,
        padding=pads,
        dilation=dilation_hw,
        groups=groups,
        output_size=out_size,
        unbatched=unbatched,
    )


def check_transposed_groups(weight: np.ndarray, groups: int) -> None:
    """``groups`` must divide ``weight.shape[0]`` (= C_in of a transposed convolution)."""
    if weight.shape[0] % groups:
        raise ValueError(
            f"groups must divide C_in = weight.shape[0] = {weight.shape[0]}, got groups={groups}"
        )


def conv_transpose2d_args(input: object, weight: object, bias: object, stride: object,
                          padding: object, output_padding: object, groups: object,
                          dilation: object) -> TransposedArgs:
    """Validate the arguments of ``torch.nn.functional.conv_transpose2d``.

    Checks, each raising ``ValueError``/``TypeError`` naming the parameter: input is 3-D
    (C_in, H, W) or 4-D (N, C_in, H, W); weight is 4-D (C_in, C_out/groups, kH, kW) with
    ``weight.shape[0] == C_in``; bias is (C_out,); stride, dilation >= 1; padding >= 0;
    ``0 <= output_padding < max(stride, dilation)`` and a positive output size
    (``arithmetic.conv_transpose_output_size``); ``groups`` divides C_in; no empty axis;
    all values finite; the columns and the uncropped output within
    ``_validation.MEMORY_BUDGET`` (``stride=10**30`` is refused before allocating).
    """
    x, w, unbatched = _input_and_weight(input, weight, "(C_in, C_out/groups, kH, kW)")
    stride_hw = as_pair(stride, "stride", minimum=1)
    padding_hw = as_pair(padding, "padding", minimum=0)
    extra_hw = as_pair(output_padding, "output_padding", minimum=0)
    dilation_hw = as_pair(dilation, "dilation", minimum=1)
    groups = as_int(groups, "groups", minimum=1)
    c_in = x.shape[1]
    if w.shape[0] != c_in:
        raise ValueError(
            f"weight.shape[0] must equal the input channels C_in = {c_in}, "
            f"got weight shape {w.shape}"
        )
    check_transposed_groups(w, groups)
    b = _bias(bias, w.shape[1] * groups)
    axes = list(zip(x.shape[2:], w.shape[2:], stride_hw, padding_hw, extra_hw, dilation_hw,
                    strict=True))
    out_h, out_w = (conv_transpose_output_size(*axis) for axis in axes)
    full_h, full_w = (conv_transpose_output_size(n, k, s, dilation=d)
                      for n, k, s, _, _, d in axes)
    x, w, b = _in_result_dtype(x, w, b)
    check_memory((x.shape[0], groups * math.prod(w.shape[1:]), x.shape[2] * x.shape[3]),
                 x.itemsize, f"input {x.shape} with weight {w.shape}",
                 "one kernel copy per input pixel (the columns)")
    check_memory((x.shape[0], w.shape[1] * groups, full_h, full_w), x.itemsize,
                 f"stride={shown(stride)} with dilation={shown(dilation)}",
                 "the full output before cropping")
    pad_h, pad_w = padding_hw
    return TransposedArgs(x, w, b, stride_hw, (pad_h, pad_h, pad_w, pad_w), dilation_hw,
                          groups, (out_h, out_w), unbatched, output_padding=extra_hw,
                          full_size=(full_h, full_w))


def _window_geometry(
    size: tuple[int, int], kernel_size: object, stride: object, padding: object, dilation: object
) -> WindowArgs:
    kernel = as_pair(kernel_size, "kernel_size", minimum=1)
    stride_hw = as_pair(stride, "stride", minimum=1)
    dilation_hw = as_pair(dilation, "dilation", minimum=1)
    pad_h, pad_w = as_pair(padding, "padding", minimum=0)
    pads = (pad_h, pad_h, pad_w, pad_w)
    out_size = _sliding_output_size(size, kernel, stride_hw, pads, dilation_hw, "kernel_size")
    return WindowArgs(size, kernel, stride_hw, pads, dilation_hw, out_size)


def im2col_args(
    input: object, kernel_size: object, stride: object, padding: object, dilation: object
) -> tuple[np.ndarray, WindowArgs]:
    """Validate ``torch.nn.functional.unfold`` arguments; return the 4-D input and geometry.

    ``input`` may be (N, C, H, W) or unbatched (C, H, W), no axis empty; padding is an int
    or pair (symmetric, as in ``unfold``); the padded input and the columns
    (N, C·kH·kW, L) within ``_validation.MEMORY_BUDGET``.
    """
    x = as_array(input, "input", ndim=(3, 4), layout="(N, C, H, W) or (C, H, W)")
    if min(x.shape) < 1:
        raise ValueError(f"input must have no empty axis, got shape {x.shape}")
    geometry = _window_geometry((x.shape[-2], x.shape[-1]), kernel_size, stride, padding, dilation)
    (kh, kw), (h_out, w_out) = geometry.kernel_size, geometry.output_size
    top, bottom, left, right = geometry.padding
    check_memory((*x.shape[:-2], x.shape[-2] + top + bottom, x.shape[-1] + left + right),
                 x.itemsize, f"padding={shown(padding)}", "the padded input")
    check_memory((*x.shape[:-3], x.shape[-3] * kh * kw, h_out * w_out), x.itemsize,
                 f"input {x.shape} with kernel_size={shown(kernel_size)}", "the columns",
                 "; conv2d(..., method='im2col') multiplies them band by band and "
                 "method='fft' builds none")
    return x, geometry


def col2im_args(
    columns: object,
    output_size: object,
    kernel_size: object,
    stride: object,
    padding: object,
    dilation: object,
) -> tuple[np.ndarray, WindowArgs]:
    """Validate ``torch.nn.functional.fold`` arguments; return the columns and geometry.

    ``columns`` is (N, C*kH*kW, L) or unbatched (C*kH*kW, L), and L must equal the number
    of sliding-window positions over ``output_size`` (H, W) padded by ``padding``; the
    padded image within ``_validation.MEMORY_BUDGET``.
    """
    cols = as_array(columns, "columns", ndim=(2, 3), layout="(N, C*kH*kW, L) or (C*kH*kW, L)")
    if min(cols.shape) < 1:
        raise ValueError(f"columns must have no empty axis, got shape {cols.shape}")
    size = as_pair(output_size, "output_size", minimum=1)
    geometry = _window_geometry(size, kernel_size, stride, padding, dilation)
    taps = geometry.kernel_size[0] * geometry.kernel_size[1]
    if cols.shape[-2] % taps:
        raise ValueError(
            f"columns.shape[-2] must be a multiple of kH*kW = {taps}, got {cols.shape[-2]}"
        )
    top, bottom, left, right = geometry.padding
    check_memory((*cols.shape[:-2], cols.shape[-2] // taps, size[0] + top + bottom,
                  size[1] + left + right), cols.itemsize,
                 f"output_size={shown(output_size)} with padding={shown(padding)}",
                 "the folded image")
    positions = geometry.output_size[0] * geometry.output_size[1]
    if cols.shape[-1] != positions:
        raise ValueError(
            f"columns.shape[-1] (L) must equal the number of windows over output_size {size}: "
            f"{geometry.output_size[0]}*{geometry.output_size[1]} = {positions}, "
            f"got {cols.shape[-1]}"
        )
    return cols, geometry
