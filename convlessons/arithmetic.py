"""Convolution arithmetic: output sizes, padding, input spans and receptive fields.

Pure integer formulas, one dimension at a time (apply them to height and width
separately). Every size formula is checked in ``tests/test_arithmetic.py`` against the
shapes ``torch.nn.functional.conv2d`` / ``conv_transpose2d`` produce, and the
receptive-field recurrences against gradients back-propagated through real torch layers.

Notation: ``n`` input size, ``k`` kernel size, ``s`` stride, ``p`` padding, ``d`` dilation.
A dilated kernel spans ``k' = d(k - 1) + 1`` input pixels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from convlessons._validation import as_int, as_module, as_pair

if TYPE_CHECKING:
    import torch

__all__ = [
    "ReceptiveField",
    "conv_output_size",
    "conv_transpose_output_size",
    "input_span",
    "layers_from_module",
    "padding_for",
    "receptive_field",
    "receptive_field_per_layer",
    "same_padding",
]

PaddingMode = Literal["valid", "same", "full"]
_PADDING_MODES = ("valid", "same", "full")
_LAYER_KEYS = ("kernel_size", "stride", "padding", "dilation")


def _dilated_kernel_size(kernel_size: int, dilation: int) -> int:
    """Number of input pixels a dilated kernel spans: ``d(k - 1) + 1``."""
    return dilation * (kernel_size - 1) + 1


def conv_output_size(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int = 1,
) -> int:
    """Number of outputs a convolution (or pooling) produces along one axis.

    .. math:: n_{out} = \\left\\lfloor \\frac{n + p_{before} + p_{after} - d(k-1) - 1}{s}
              \\right\\rfloor + 1

    With symmetric padding ``p`` this is ``floor((n + 2p - d(k-1) - 1) / s) + 1``, the
    formula in the ``torch.nn.Conv2d`` documentation (a version you will often find drops
    dilation). Checked against the shapes ``torch.nn.functional.conv2d`` returns.

    Parameters
    ----------
    input_size
        ``n >= 1``.
    kernel_size
        ``k >= 1``.
    stride
        ``s >= 1``.
    padding
        ``p >= 0`` on both sides, or a pair ``(before, after)`` for asymmetric padding.
    dilation
        ``d >= 1``; the kernel then spans ``d(k-1) + 1`` pixels.

    Raises
    ------
    ValueError
        If an argument is out of range, or if the dilated kernel is larger than the
        padded input (torch refuses that case too).
    """
    n = as_int(input_size, "input_size", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = as_int(stride, "stride", minimum=1)
    before, after = as_pair(padding, "padding", minimum=0)
    d = as_int(dilation, "dilation", minimum=1)
    padded = n + before + after
    span = _dilated_kernel_size(k, d)
    if span > padded:
        raise ValueError(
            f"kernel_size {k} with dilation {d} spans {span} pixels, more than the padded "
            f"input size {padded} (input_size {n} + padding {before} + {after}); "
            f"kernel_size must satisfy dilation*(kernel_size-1)+1 <= {padded}"
        )
    return (padded - span) // s + 1


def conv_transpose_output_size(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Number of outputs a transposed convolution produces along one axis.

    .. math:: n_{out} = (n - 1)s - 2p + d(k - 1) + \\text{output\\_padding} + 1

    as in the ``torch.nn.ConvTranspose2d`` documentation. The formula you will often find,
    ``(n-1)s - 2p + k``, is the special case ``d = 1``, ``output_padding = 0``. Checked
    against the shapes ``torch.nn.functional.conv_transpose2d`` returns.

    Raises
    ------
    ValueError
        If an argument is out of range, if ``output_padding >= max(stride, dilation)``
        (torch's rule: it only resolves the ambiguity of a strided forward conv), or if
        the result would be smaller than 1.
    """
    n = as_int(input_size, "input_size", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = as_int(stride, "stride", minimum=1)
    p = as_int(padding, "padding", minimum=0)
    op = as_int(output_padding, "output_padding", minimum=0)
    d = as_int(dilation, "dilation", minimum=1)
    if op >= max(s, d):
        raise ValueError(f"output_padding must be < max(stride, dilation) = {max(s, d)}, got {op}")
    size = (n - 1) * s - 2 * p + _dilated_kernel_size(k, d) + op
    if size < 1:
        raise ValueError(
            f"padding {p} is too large: the output size would be {size}; padding must be "
            f"<= {((n - 1) * s + _dilated_kernel_size(k, d) + op - 1) // 2} here"
        )
    return size


def padding_for(
    mode: PaddingMode,
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    dilation: int = 1,
) -> tuple[int, int]:
    """Padding ``(before, after)`` for the named padding mode, along one axis.

    ``'valid'``
        ``(0, 0)``: the kernel only visits positions fully inside the input.
    ``'same'``
        The smallest padding giving ``ceil(n / s)`` outputs, for any stride:

        .. math:: P = \\max\\big((\\lceil n/s \\rceil - 1)s + d(k-1) + 1 - n,\\ 0\\big),
                  \\quad before = \\lfloor P/2 \\rfloor,\\quad after = P - before

        The odd pixel goes *after*, as in TensorFlow's ``padding='SAME'`` and, for
        ``s = 1``, ``torch.nn.functional.conv2d(..., padding='same')`` (checked against
        both the output shape and the output values of the latter).
    ``'full'``
        ``(d(k-1), d(k-1))``: every position where the kernel overlaps at least one
        input pixel, ``n + d(k-1)`` outputs for ``s = 1`` (``numpy.convolve`` ``'full'``).

    Raises
    ------
    ValueError
        If ``mode`` is not one of the three names or a size is out of range.
    """
    if mode not in _PADDING_MODES:
        raise ValueError(f"mode must be one of 'valid', 'same', 'full', got {mode!r}")
    n = as_int(input_size, "input_size", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = as_int(stride, "stride", minimum=1)
    d = as_int(dilation, "dilation", minimum=1)
    span = _dilated_kernel_size(k, d)
    if mode == "valid":
        return 0, 0
    if mode == "full":
        return span - 1, span - 1
    outputs = -(-n // s)  # ceil(n / s)
    total = max((outputs - 1) * s + span - n, 0)
    return total // 2, total - total // 2


def same_padding(
    input_size: int, kernel_size: int, stride: int = 1, dilation: int = 1
) -> tuple[int, int]:
    """Padding ``(before, after)`` that gives ``ceil(n / s)`` outputs ('same' padding).

    Shorthand for ``padding_for('same', ...)``; see there for the formula.

    A formula you will often find, ``((s-1)n - s + k) // 2``, is wrong in three ways. It solves
    ``(n + 2p - k)/s + 1 = n``, i.e. it asks for ``n`` outputs whatever the stride, so for
    ``s > 1`` it pads absurdly (``n=224, k=3, s=2`` gives ``p=112``, a 448-pixel padded
    input, and then 223 outputs, not even the 224 it aims at) where 'same' means
    ``ceil(n/s)`` outputs (112 here, with padding ``(0, 1)``).
    It is symmetric only, so when the total is odd (any even kernel at ``s = 1``) the
    floor loses a pixel: ``n=7, k=2`` gives ``p=0`` and 6 outputs instead of 7. And it
    ignores dilation.
    """
    return padding_for("same", input_size, kernel_size, stride, dilation)


def input_span(output_size: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> int:
    """Number of (padded) input pixels covered by a whole row of ``output_size`` outputs.

    .. math:: span = d(k - 1) + 1 + (n_{out} - 1)s

    This is what is often called "receptive field" (``3 + (5-1)*1 = 7`` for a 3x3
    kernel over a 7x7 input): the union of the windows of *all* outputs in a row. The
    receptive field of *one* output unit is only ``d(k-1) + 1`` pixels for a single
    layer (3 in that example) and grows with depth; see :func:`receptive_field`.
    Feeding ``conv_output_size`` back in gives back the padded input size minus the
    pixels the last stride skips.
    """
    out = as_int(output_size, "output_size", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    s = as_int(stride, "stride", minimum=1)
    d = as_int(dilation, "dilation", minimum=1)
    return _dilated_kernel_size(k, d) + (out - 1) * s


class ReceptiveField(NamedTuple):
    """Receptive field of the units of one layer, along one axis, in input pixels.

    Attributes
    ----------
    size
        How many input pixels (first to last, holes from dilation included) can affect
        one unit.
    stride
        Distance in input pixels between the receptive fields of neighbouring units
        (the product of the strides so far, the "jump").
    start
        Centre, in input coordinates, of the receptive field of unit 0 (pixel ``i`` has
        centre ``i``). Can be negative (padding) or end in ``.5`` (even kernels). Unit
        ``u`` is centred on ``start + u * stride``.
    """

    size: int
    stride: int
    start: float


_INPUT_PIXEL = ReceptiveField(size=1, stride=1, start=0.0)


def receptive_field_per_layer(
    layers: Sequence[Mapping[str, int]] | torch.nn.Module,
) -> list[ReceptiveField]:
    """Receptive field after each layer of a stack of convolutions / poolings.

    Recurrences from Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional
    Neural Networks", Distill 2019, with ``k'_l = d_l(k_l - 1) + 1`` and
    ``r_0 = 1, j_0 = 1, start_0 = 0``:

    .. math::
        r_l = r_{l-1} + (k'_l - 1) j_{l-1}, \\qquad j_l = j_{l-1} s_l, \\qquad
        start_l = start_{l-1} + \\Big(\\frac{k'_l - 1}{2} - p_l\\Big) j_{l-1}

    Checked against brute force: back-propagating a one-hot gradient through torch
    layers with all-ones weights and counting the input pixels it reaches.

    Parameters
    ----------
    layers
        A sequence of mappings with keys ``kernel_size``, ``stride``, ``padding``,
        ``dilation`` (ints; defaults 1, 1, 0, 1), or a ``torch.nn.Module`` whose
        ``Conv2d`` / ``MaxPool2d`` / ``AvgPool2d`` layers are read with
        :func:`layers_from_module`.

    Returns
    -------
    list[ReceptiveField]
        One entry per layer, in order; empty for no layers.

    Raises
    ------
    TypeError, ValueError
        If a layer is not a mapping, has an unknown key, or a value is out of range;
        the message names the layer (``layers[i]``) and the key.
    """
    if hasattr(layers, "modules"):
        layers = layers_from_module(layers)
    elif not isinstance(layers, Sequence) or isinstance(layers, str):
        raise TypeError(
            "layers must be a sequence of mappings or a torch.nn.Module, "
            f"got {type(layers).__name__}"
        )
    result = []
    field = _INPUT_PIXEL
    for index, layer in enumerate(layers):
        k, s, p, d = _layer_parameters(layer, f"layers[{index}]")
        span = _dilated_kernel_size(k, d)
        field = ReceptiveField(
            size=field.size + (span - 1) * field.stride,
            stride=field.stride * s,
            start=field.start + ((span - 1) / 2 - p) * field.stride,
        )
        result.append(field)
    return result


def receptive_field(layers: Sequence[Mapping[str, int]] | torch.nn.Module) -> ReceptiveField:
    """Receptive field of the units after the last layer.

    The last entry of :func:`receptive_field_per_layer` (see there for the formula and
    the accepted ``layers``); a single input pixel, ``ReceptiveField(1, 1, 0.0)``, for
    no layers. A VGG-style stack (two 3x3 convs, 2x2 pool, twice) gives
    ``size=16, stride=4``.
    """
    per_layer = receptive_field_per_layer(layers)
    return per_layer[-1] if per_layer else _INPUT_PIXEL


def _layer_parameters(layer: object, name: str) -> tuple[int, int, int, int]:
    """Validate one layer mapping; return ``(kernel_size, stride, padding, dilation)``."""
    if not isinstance(layer, Mapping):
        raise TypeError(
            f"{name} must be a mapping with keys {', '.join(_LAYER_KEYS)}, "
            f"got {type(layer).__name__}"
        )
    unknown = sorted(set(layer) - set(_LAYER_KEYS))
    if unknown:
        raise ValueError(
            f"{name} has unknown key(s) {unknown}; allowed keys are {', '.join(_LAYER_KEYS)}"
        )
    return (
        as_int(layer.get("kernel_size", 1), f"{name}['kernel_size']", minimum=1),
        as_int(layer.get("stride", 1), f"{name}['stride']", minimum=1),
        as_int(layer.get("padding", 0), f"{name}['padding']", minimum=0),
        as_int(layer.get("dilation", 1), f"{name}['dilation']", minimum=1),
    )


def layers_from_module(module: torch.nn.Module) -> list[dict[str, int]]:
    """Read the geometry of every ``Conv2d``, ``MaxPool2d`` and ``AvgPool2d`` in a module.

    Layers are taken in ``module.modules()`` order, which is the forward order for
    ``torch.nn.Sequential`` stacks (and for models that register layers in the order
    they use them). Layers that do not move pixels (ReLU, BatchNorm, ...) are skipped.

    ``Conv2d(padding='valid')`` reads as padding 0 and ``padding='same'`` as
    ``d(k-1)/2`` when that is a whole number (symmetric 'same').

    Returns
    -------
    list[dict[str, int]]
        One ``{'kernel_size', 'stride', 'padding', 'dilation'}`` dict per layer, the
        input :func:`receptive_field` accepts.

    Raises
    ------
    TypeError
        If ``module`` is not a ``torch.nn.Module``.
    ValueError
        Naming the layer, if it is not square (height and width parameters differ), has
        asymmetric 'same' padding, or is another convolution / pooling layer whose
        effect on the receptive field this function does not model (``ConvTranspose2d``,
        adaptive pooling, ``Conv1d``, ...).
    """
    import torch  # lazily: the rest of this module is pure Python

    as_module(module, "module")
    supported = (torch.nn.Conv2d, torch.nn.MaxPool2d, torch.nn.AvgPool2d)
    layers = []
    for name, layer in module.named_modules():
        label = f"layer {name or '<root>'!r} ({type(layer).__name__})"
        if not isinstance(layer, supported):
            if type(layer).__module__ in ("torch.nn.modules.conv", "torch.nn.modules.pooling"):
                raise ValueError(
                    f"{label} is not supported; receptive_field reads only "
                    "Conv2d, MaxPool2d and AvgPool2d"
                )
            continue
        geometry = {key: getattr(layer, key, 1) for key in _LAYER_KEYS}
        if geometry["padding"] == "valid":
            geometry["padding"] = 0
        elif geometry["padding"] == "same":
            geometry["padding"] = _symmetric_same_padding(geometry, label)
        layers.append({key: _square(value, key, label) for key, value in geometry.items()})
    return layers


def _symmetric_same_padding(geometry: dict[str, Any], label: str) -> int:
    """Per-side padding of ``Conv2d(padding='same')`` (stride 1: ``d(k-1)`` in total)."""
    kernel = _square(geometry["kernel_size"], "kernel_size", label)
    dilation = _square(geometry["dilation"], "dilation", label)
    total = _dilated_kernel_size(kernel, dilation) - 1
    if total % 2:
        raise ValueError(
            f"{label} has padding='same' with an even dilated kernel, which pads "
            f"asymmetrically ({total // 2}, {total - total // 2}); give padding as an int"
        )
    return total // 2


def _square(value: object, key: str, label: str) -> int:
    """One int from a layer attribute that torch stores as an int or an ``(h, w)`` pair."""
    if isinstance(value, str):
        raise ValueError(f"{label} has {key}={value!r}; give {key} as an int")
    height, width = as_pair(value, f"{label} {key}", minimum=0)
    if height != width:
        raise ValueError(
            f"{label} has {key}=({height}, {width}); receptive_field needs square layers "
            "(the same value for height and width)"
        )
    return height
