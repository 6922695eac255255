"""Convolution arithmetic against torch shapes and brute-force receptive fields."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from convlessons.arithmetic import (
    ReceptiveField,
    conv_output_size,
    conv_transpose_output_size,
    input_span,
    layers_from_module,
    padding_for,
    receptive_field,
    receptive_field_per_layer,
    same_padding,
)

FAST = settings(max_examples=60)

sizes = st.integers(1, 16)
kernels = st.integers(1, 6)
strides = st.integers(1, 4)
dilations = st.integers(1, 3)
paddings = st.integers(0, 3)
padding_pairs = st.tuples(paddings, paddings)


def _ones(n: int) -> torch.Tensor:
    return torch.ones(1, 1, n, n, dtype=torch.float64)


def _torch_conv_width(n: int, k: int, s: int, padding: int | tuple[int, int], d: int) -> int:
    """Output width of a real ``F.conv2d`` (asymmetric padding applied with ``F.pad``)."""
    x = _ones(n)
    if isinstance(padding, tuple):
        x = F.pad(x, (padding[0], padding[1], padding[0], padding[1]))
        padding = 0
    return F.conv2d(x, _ones(k), stride=s, padding=padding, dilation=d).shape[-1]


# --- conv_output_size ---------------------------------------------------------------------


@FAST
@given(sizes, kernels, strides, st.one_of(paddings, padding_pairs), dilations)
def test_conv_output_size_matches_torch(n, k, s, padding, d):
    try:
        expected = _torch_conv_width(n, k, s, padding, d)
    except RuntimeError:
        with pytest.raises(ValueError, match="kernel_size .*padded input size"):
            conv_output_size(n, k, s, padding, d)
    else:
        assert conv_output_size(n, k, s, padding, d) == expected


def test_conv_output_size_worked_examples():
    assert conv_output_size(7, 3, stride=1) == 5
    assert conv_output_size(7, 3, stride=2) == 3
    assert conv_output_size(224, 3, padding=1) == 224


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"input_size": 0}, ValueError, "input_size"),
        ({"input_size": 7.0}, TypeError, "input_size"),
        ({"kernel_size": 0}, ValueError, "kernel_size"),
        ({"kernel_size": True}, TypeError, "kernel_size"),
        ({"stride": 0}, ValueError, "stride"),
        ({"padding": -1}, ValueError, "padding"),
        ({"padding": (1, -1)}, ValueError, "padding"),
        ({"padding": (1, 2, 3)}, TypeError, "padding"),
        ({"padding": "same"}, TypeError, "padding"),
        ({"dilation": 0}, ValueError, "dilation"),
        ({"kernel_size": 8}, ValueError, "kernel_size 8 .* padded input size 7"),
        ({"kernel_size": 3, "dilation": 4}, ValueError, "kernel_size 3 with dilation 4 spans 9"),
    ],
)
def test_conv_output_size_errors_name_the_parameter(kwargs, error, name):
    args = {"input_size": 7, "kernel_size": 3} | kwargs
    with pytest.raises(error, match=name):
        conv_output_size(**args)


# --- conv_transpose_output_size ------------------------------------------------------------


@FAST
@given(st.integers(1, 8), kernels, strides, st.integers(0, 4), st.integers(0, 3), dilations)
def test_conv_transpose_output_size_matches_torch(n, k, s, p, op, d):
    try:
        expected = F.conv_transpose2d(
            _ones(n), _ones(k), stride=s, padding=p, output_padding=op, dilation=d
        ).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError, match="padding"):
            conv_transpose_output_size(n, k, s, p, op, d)
    else:
        assert conv_transpose_output_size(n, k, s, p, op, d) == expected


@FAST
@given(sizes, kernels, strides, paddings, dilations)
def test_conv_transpose_inverts_conv_output_size(n, k, s, p, d):
    """A transposed conv with the right output_padding restores the conv's input size."""
    if d * (k - 1) + 1 > n + 2 * p:
        return
    out = conv_output_size(n, k, s, p, d)
    skipped = (n + 2 * p - d * (k - 1) - 1) % s  # input pixels the last stride leaves out
    assert conv_transpose_output_size(out, k, s, p, skipped, d) == n


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"input_size": 0}, ValueError, "input_size"),
        ({"kernel_size": 0}, ValueError, "kernel_size"),
        ({"stride": 0}, ValueError, "stride"),
        ({"padding": -1}, ValueError, "padding"),
        ({"padding": (1, 1)}, TypeError, "padding"),
        ({"output_padding": -1}, ValueError, "output_padding"),
        ({"dilation": 0}, ValueError, "dilation"),
        ({"stride": 2, "output_padding": 2}, ValueError, r"output_padding must be < .* = 2"),
        ({"stride": 1, "dilation": 2, "output_padding": 2}, ValueError, "output_padding"),
        ({"padding": 3}, ValueError, "padding 3 is too large.* <= 1 here"),
    ],
)
def test_conv_transpose_output_size_errors_name_the_parameter(kwargs, error, name):
    args = {"input_size": 2, "kernel_size": 3} | kwargs
    with pytest.raises(error, match=name):
        conv_transpose_output_size(**args)


# --- padding modes -------------------------------------------------------------------------


@FAST
@given(st.integers(1, 30), kernels, strides, dilations)
def test_same_padding_gives_ceil_n_over_s_outputs(n, k, s, d):
    before, after = same_padding(n, k, s, d)
    assert before <= after <= before + 1
    assert conv_output_size(n, k, s, (before, after), d) == math.ceil(n / s)
    assert _torch_conv_width(n, k, s, (before, after), d) == math.ceil(n / s)
    if before + after:  # and it is the smallest such padding
        try:
            fewer = conv_output_size(n, k, s, (before, after - 1), d)
        except ValueError:  # the kernel no longer fits at all
            fewer = 0
        assert fewer < math.ceil(n / s)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
@FAST
@given(st.integers(1, 12), kernels, dilations, st.integers(0, 2**32 - 1))
def test_same_padding_matches_torch_padding_same_values(n, k, d, seed):
    """For stride 1, torch's padding='same' puts the odd pixel after, as we do."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(1, 1, n, n, dtype=torch.float64, generator=generator)
    w = torch.randn(1, 1, k, k, dtype=torch.float64, generator=generator)
    before, after = same_padding(n, k, 1, d)
    ours = F.conv2d(F.pad(x, (before, after, before, after)), w, dilation=d)
    torch.testing.assert_close(ours, F.conv2d(x, w, padding="same", dilation=d), rtol=0, atol=1e-12)


@FAST
@given(st.integers(1, 20), kernels)
def test_padding_modes_match_numpy_convolve_lengths(n, k):
    if k > n:  # numpy's 'same' returns max(n, k) values
        n, k = k, n
    for mode in ("valid", "same", "full"):
        expected = len(np.convolve(np.ones(n), np.ones(k), mode=mode))
        assert conv_output_size(n, k, 1, padding_for(mode, n, k)) == expected


def test_padding_for_values():
    assert padding_for("valid", 7, 3, 2, 2) == (0, 0)
    assert padding_for("full", 7, 3, 2, 2) == (4, 4)
    assert padding_for("same", 7, 3, 2, 2) == same_padding(7, 3, 2, 2) == (2, 2)


def _often_found_same_padding(input_size, kernel_size, stride):
    """A 'same' padding formula you will often find, kept here to show where it goes wrong."""
    return max(0, ((stride - 1) * input_size - stride + kernel_size) // 2)


def test_often_found_same_padding_formula_is_wrong():
    # stride 2: it pads 112 per side aiming at 224 outputs (and, flooring, misses:
    # 223); 'same' means ceil(224 / 2) = 112 outputs.
    assert _often_found_same_padding(224, 3, 2) == 112
    assert conv_output_size(224, 3, 2, 112) == 223
    assert same_padding(224, 3, 2) == (0, 1)
    assert conv_output_size(224, 3, 2, same_padding(224, 3, 2)) == 112
    # even kernel, stride 1: symmetric floor loses a pixel.
    assert conv_output_size(7, 2, 1, _often_found_same_padding(7, 2, 1)) == 6
    assert conv_output_size(7, 2, 1, same_padding(7, 2)) == 7


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("SAME", 7, 3), "mode must be one of 'valid', 'same', 'full', got 'SAME'"),
        (("same", 0, 3), "input_size"),
        (("same", 7, 0), "kernel_size"),
        (("same", 7, 3, 0), "stride"),
        (("same", 7, 3, 1, 0), "dilation"),
    ],
)
def test_padding_for_errors_name_the_parameter(args, name):
    with pytest.raises(ValueError, match=name):
        padding_for(*args)


def test_same_padding_errors_name_the_parameter():
    with pytest.raises(ValueError, match="stride"):
        same_padding(7, 3, stride=0)


# --- input span vs receptive field ---------------------------------------------------------


@FAST
@given(sizes, kernels, strides, paddings, dilations)
def test_input_span_is_the_region_a_whole_output_row_reads(n, k, s, p, d):
    padded = n + 2 * p
    if d * (k - 1) + 1 > padded:
        return
    out = conv_output_size(n, k, s, p, d)
    x = _ones(padded).requires_grad_()
    F.conv2d(x, _ones(k), stride=s, dilation=d).sum().backward()
    touched = np.flatnonzero(x.grad[0, 0].sum(dim=0).numpy())
    assert input_span(out, k, s, d) == touched[-1] + 1 == touched[-1] - touched[0] + 1
    assert padded - s < input_span(out, k, s, d) <= padded


def test_often_called_receptive_field_is_the_input_span_not_a_units_receptive_field():
    # Often written: "Receptive field = 3 + (5 - 1) * 1 = 7" for a 3x3 kernel on a 7x7 input.
    assert input_span(conv_output_size(7, 3), 3) == 7
    assert receptive_field([{"kernel_size": 3}]).size == 3


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((0, 3), "output_size"),
        ((5, 0), "kernel_size"),
        ((5, 3, 0), "stride"),
        ((5, 3, 1, 0), "dilation"),
    ],
)
def test_input_span_errors_name_the_parameter(args, name):
    with pytest.raises(ValueError, match=name):
        input_span(*args)


# --- receptive fields ----------------------------------------------------------------------

VGG_STYLE_STACK = [
    {"kernel_size": 3, "stride": 1},
    {"kernel_size": 3, "stride": 1},
    {"kernel_size": 2, "stride": 2},
    {"kernel_size": 3, "stride": 1},
    {"kernel_size": 3, "stride": 1},
    {"kernel_size": 2, "stride": 2},
]


@st.composite
def layer_stacks(draw) -> list[dict]:
    """1-4 conv or pool layers; pool padding obeys torch's ``padding <= kernel_size // 2``."""
    layers = []
    for _ in range(draw(st.integers(1, 4))):
        k, s = draw(st.integers(1, 4)), draw(st.integers(1, 3))
        if draw(st.booleans()):
            layers.append({"kernel_size": k, "stride": s, "padding": draw(st.integers(0, k // 2))})
        else:
            layers.append(
                {
                    "kernel_size": k,
                    "stride": s,
                    "padding": draw(st.integers(0, 3)),
                    "dilation": draw(st.integers(1, 2)),
                    "conv": True,
                }
            )
    return layers


def _geometry(layer: dict) -> dict:
    return {key: value for key, value in layer.items() if key != "conv"}


def _torch_stack(layers: list[dict]) -> torch.nn.Sequential:
    """All-ones Conv2d / AvgPool2d layers (AvgPool stands in for MaxPool: its gradient
    reaches every pixel of the window, MaxPool's only the argmax)."""
    modules = []
    for layer in layers:
        geometry = _geometry(layer)
        if layer.get("conv"):
            conv = torch.nn.Conv2d(1, 1, bias=False, dtype=torch.float64, **geometry)
            torch.nn.init.ones_(conv.weight)
            modules += [conv, torch.nn.ReLU()]
        else:
            modules.append(torch.nn.AvgPool2d(**geometry))
    return torch.nn.Sequential(*modules)


def _brute_force_extent(model: torch.nn.Module, n: int, unit: int) -> tuple[int, int]:
    """First and last input column whose gradient from output unit (unit, unit) is non-zero."""
    x = _ones(n).requires_grad_()
    y = model(x)
    assert y.shape[-1] > unit + 1, "input too small for an interior unit"
    y[0, 0, unit, unit].backward()
    touched = np.flatnonzero(x.grad[0, 0].sum(dim=0).numpy())
    return int(touched[0]), int(touched[-1])


@FAST
@given(layer_stacks())
def test_receptive_field_matches_brute_force_gradients(layers):
    per_layer = receptive_field_per_layer([_geometry(layer) for layer in layers])
    field = receptive_field([_geometry(layer) for layer in layers])
    assert field == per_layer[-1]
    model = _torch_stack(layers)
    assert receptive_field(model) == field
    # an interior unit: its whole receptive field lies inside the (unpadded) input
    half = (field.size - 1) / 2
    unit = max(0, math.ceil((half - field.start) / field.stride))
    n = math.ceil(field.start + (unit + 1) * field.stride + half) + field.stride + 1
    first, last = _brute_force_extent(model, n, unit)
    assert last - first + 1 == field.size
    assert (first + last) / 2 == field.start + unit * field.stride
    first_next, last_next = _brute_force_extent(model, n, unit + 1)
    assert (first_next + last_next) / 2 - (first + last) / 2 == field.stride


def test_receptive_field_per_layer_prefixes():
    per_layer = receptive_field_per_layer(VGG_STYLE_STACK)
    prefixes = [VGG_STYLE_STACK[: i + 1] for i in range(len(VGG_STYLE_STACK))]
    assert per_layer == [receptive_field(prefix) for prefix in prefixes]
    assert [field.size for field in per_layer] == [3, 5, 6, 10, 14, 16]


def test_vgg_style_stack_example():
    assert receptive_field(VGG_STYLE_STACK) == ReceptiveField(size=16, stride=4, start=7.5)


def test_receptive_field_of_no_layers_is_one_pixel():
    assert receptive_field([]) == ReceptiveField(1, 1, 0.0)
    assert receptive_field_per_layer([]) == []
    assert receptive_field(torch.nn.ReLU()) == ReceptiveField(1, 1, 0.0)


def test_receptive_field_start_can_be_negative_or_half():
    assert receptive_field([{"kernel_size": 3, "padding": 2}]).start == -1.0
    assert receptive_field([{"kernel_size": 2}]).start == 0.5


def test_layers_from_module_reads_conv_and_pool_layers():
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(3, stride=2, padding=1),
        torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, padding="same", dilation=2)),
        torch.nn.Conv2d(8, 8, 5, padding="valid"),
        torch.nn.AvgPool2d(2),
    )
    assert layers_from_module(model) == [
        {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": 1},
        {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1},
        {"kernel_size": 3, "stride": 1, "padding": 2, "dilation": 2},
        {"kernel_size": 5, "stride": 1, "padding": 0, "dilation": 1},
        {"kernel_size": 2, "stride": 2, "padding": 0, "dilation": 1},
    ]
    assert receptive_field(model) == receptive_field(layers_from_module(model))


def test_maxpool_and_avgpool_have_the_same_receptive_field():
    def stack(pool):
        return torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3), pool(2), torch.nn.Conv2d(1, 1, 3))

    assert receptive_field(stack(torch.nn.MaxPool2d)) == receptive_field(stack(torch.nn.AvgPool2d))
    assert receptive_field(stack(torch.nn.MaxPool2d)) == ReceptiveField(8, 2, 3.5)


@pytest.mark.parametrize(
    ("layers", "error", "name"),
    [
        (5, TypeError, "layers must be a sequence of mappings or a torch.nn.Module, got int"),
        ("kernel_size", TypeError, "layers must be"),
        ({"kernel_size": 3}, TypeError, "layers must be"),
        ([3], TypeError, r"layers\[0\] must be a mapping"),
        ([{"kernel": 3}], ValueError, r"layers\[0\] has unknown key\(s\) \['kernel'\]"),
        ([{}, {"kernel_size": 0}], ValueError, r"layers\[1\]\['kernel_size'\] must be an int >= 1"),
        ([{"stride": 0}], ValueError, r"layers\[0\]\['stride'\]"),
        ([{"padding": -1}], ValueError, r"layers\[0\]\['padding'\]"),
        ([{"dilation": 0}], ValueError, r"layers\[0\]\['dilation'\]"),
        ([{"stride": 1.5}], TypeError, r"layers\[0\]\['stride'\]"),
    ],
)
def test_receptive_field_errors_name_the_layer(layers, error, name):
    with pytest.raises(error, match=name):
        receptive_field(layers)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (torch.nn.Conv2d(1, 1, (3, 5)), r"layer '0' \(Conv2d\) has kernel_size=\(3, 5\)"),
        (torch.nn.Conv2d(1, 1, 3, stride=(1, 2)), r"layer '0' \(Conv2d\) has stride"),
        (torch.nn.Conv2d(1, 1, 3, padding=(0, 1)), r"layer '0' \(Conv2d\) has padding"),
        (torch.nn.Conv2d(1, 1, 3, dilation=(1, 2)), r"layer '0' \(Conv2d\) has dilation"),
        (torch.nn.MaxPool2d((2, 3)), r"layer '0' \(MaxPool2d\) has kernel_size"),
        (torch.nn.Conv2d(1, 1, 2, padding="same"), r"layer '0' \(Conv2d\) has padding='same'"),
        (torch.nn.ConvTranspose2d(1, 1, 2), r"layer '0' \(ConvTranspose2d\) is not supported"),
        (torch.nn.AdaptiveAvgPool2d(1), r"layer '0' \(AdaptiveAvgPool2d\) is not supported"),
    ],
)
def test_layers_from_module_errors_name_the_layer(module, name):
    with pytest.raises(ValueError, match=name):
        receptive_field(torch.nn.Sequential(module))


def test_layers_from_module_rejects_non_modules():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module, got list"):
        layers_from_module([{"kernel_size": 3}])


def test_arithmetic_does_not_import_torch():
    code = "import sys, convlessons.arithmetic; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
