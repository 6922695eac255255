"""receptive_fields: regions vs arithmetic.receptive_field and torch gradients, the ERF."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from convlessons.arithmetic import receptive_field
from convlessons.receptive_fields import (
    PRESETS,
    Layer,
    centre_unit,
    describe_stack,
    effective_receptive_field,
    gaussian,
    gaussian_fit,
    nested_regions,
    output_sizes,
    theoretical_region,
)

layer_strategy = st.builds(
    Layer,
    kind=st.sampled_from(["conv", "pool"]),
    kernel_size=st.integers(1, 4),
    stride=st.integers(1, 2),
    dilation=st.integers(1, 3),
)


stacks = st.lists(layer_strategy, min_size=1, max_size=4).map(tuple)


def geometry(stack):
    return [{"kernel_size": k, "stride": s, "dilation": d} for _, k, s, d in stack]


def smallest_input(stack) -> int:
    """Input side giving each layer exactly 2 outputs at the end (computed backwards)."""
    size = 2
    for _, k, s, d in reversed(stack):
        size = (size - 1) * s + d * (k - 1) + 1
    return size


def torch_gradient_support(stack, input_size, unit):
    """Brute force: input pixels with a non-zero gradient of ``unit`` through all-ones layers."""
    x = torch.zeros(1, 1, input_size, input_size, dtype=torch.float64, requires_grad=True)
    y = x
    for _, k, s, d in stack:
        y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, dilation=d)
    y[0, 0, unit[0], unit[1]].backward()
    rows, cols = np.nonzero(x.grad[0, 0].numpy())
    return rows.min(), rows.max(), cols.min(), cols.max()


@settings(max_examples=40)
@given(stack=stacks, extra=st.integers(0, 5), data=st.data())
def test_theoretical_region_is_the_gradient_support_of_any_unit(stack, extra, data):
    n = smallest_input(stack) + extra
    last = output_sizes(stack, n)[-1]
    unit = (data.draw(st.integers(0, last - 1)), data.draw(st.integers(0, last - 1)))
    region = theoretical_region(stack, unit, n)
    assert region.height == region.width == receptive_field(geometry(stack)).size
    top, bottom, left, right = torch_gradient_support(stack, n, unit)
    assert (region.top, region.top + region.height - 1) == (top, bottom)
    assert (region.left, region.left + region.width - 1) == (left, right)


@settings(max_examples=30)
@given(stack=stacks, extra=st.integers(0, 4), weights=st.sampled_from(["uniform", "random"]))
def test_erf_support_is_the_theoretical_region(stack, extra, weights):
    n = smallest_input(stack) + extra
    erf = effective_receptive_field(stack, n, weights=weights, samples=4)
    region = theoretical_region(stack, None, n)
    assert erf.shape == (n, n) and erf.max() == pytest.approx(1.0)
    inside = np.zeros((n, n), dtype=bool)
    inside[region.slices] = True
    assert np.all(erf[~inside] == 0)
    # Holes appear with dilation, or where a stride skips past its kernel (k=1, s=2 then k=2).
    gapless = all(layer.dilation == 1 and layer.stride <= layer.kernel_size for layer in stack)
    if weights == "uniform" and gapless:
        assert np.all(erf[inside] > 0)  # positive weights, no holes: every pixel reached


@settings(max_examples=30)
@given(
    kernels=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    dilations=st.lists(st.integers(1, 3), min_size=4, max_size=4),
    extra=st.integers(0, 3),
)
def test_uniform_erf_of_stride_one_stack_is_product_of_box_convolutions(kernels, dilations, extra):
    """Independent oracle: a stride-1 average stack is a separable chain of dilated boxes."""
    stack = tuple(Layer("conv", k, 1, d) for k, d in zip(kernels, dilations, strict=False))
    n = smallest_input(stack) + extra
    profile = np.ones(1)
    for _, k, _, d in stack:
        box = np.zeros(d * (k - 1) + 1)
        box[::d] = 1.0 / k
        profile = np.convolve(profile, box)
    expected = np.zeros((n, n))
    region = theoretical_region(stack, None, n)
    expected[region.slices] = np.outer(profile, profile)
    np.testing.assert_allclose(
        effective_receptive_field(stack, n), expected / expected.max(), rtol=1e-12, atol=1e-14
    )


@settings(max_examples=40)
@given(stack=stacks, extra=st.integers(0, 4))
def test_nested_regions_shrink_layer_by_layer_down_to_one_unit(stack, extra):
    n = smallest_input(stack) + extra
    regions = nested_regions(stack, n)
    assert regions[-1] == theoretical_region(stack, None, n)
    sizes = [
        field.size
        for field in map(receptive_field, (geometry(stack[:i]) for i in range(1, len(stack) + 1)))
    ]
    assert [r.height for r in regions] == sizes
    for inner, outer in zip(regions, regions[1:], strict=False):
        assert outer.top <= inner.top and inner.top + inner.height <= outer.top + outer.height
        assert outer.left <= inner.left and inner.left + inner.width <= outer.left + outer.width


def test_vgg_block_worked_example():
    """Two VGG stages (two 3x3 convs, 2x2 pool, twice) -> receptive field 16, jump 4."""
    stack = PRESETS["VGG block"]
    assert output_sizes(stack, 32) == [30, 28, 14, 12, 10, 5]
    assert centre_unit(stack, 32) == 2
    assert theoretical_region(stack, None, 32) == (8, 8, 16, 16)
    html = describe_stack(stack, 32)
    assert "<td>16</td><td>4</td>" in html


def test_dilated_stack_grows_exponentially():
    assert [r.height for r in nested_regions(PRESETS["dilated stack"], 32)] == [3, 7, 15]


def test_uniform_erf_is_gaussian_like_not_uniform():
    stack = (Layer("conv", 3),) * 8
    erf = effective_receptive_field(stack, 40)
    profile = erf[theoretical_region(stack, None, 40).top + 8]
    centre, sigma, amplitude = gaussian_fit(profile)
    assert np.abs(profile - gaussian(np.arange(40), centre, sigma, amplitude)).max() < 0.03
    assert 2 * sigma < 17 / 2  # far narrower than the 17-pixel theoretical square


def test_gaussian_fit_recovers_parameters():
    x = np.arange(101)
    centre, sigma, amplitude = gaussian_fit(gaussian(x, 47.5, 6.0, 2.0))
    assert (centre, sigma, amplitude) == pytest.approx((47.5, 6.0, 2.0), rel=1e-6)


@pytest.mark.parametrize(
    ("call", "error", "names"),
    [
        (lambda: output_sizes((), 8), ValueError, "layers"),
        (lambda: output_sizes("conv", 8), TypeError, "layers"),
        (lambda: output_sizes((Layer("deconv", 3),), 8), ValueError, "layers[0].kind"),
        (lambda: output_sizes(((1, 2),), 8), TypeError, "layers[0]"),
        (lambda: output_sizes((Layer("conv", 0),), 8), ValueError, "layers[0].kernel_size"),
        (lambda: output_sizes((Layer("conv", 3, 0),), 8), ValueError, "layers[0].stride"),
        (lambda: output_sizes((Layer("conv", 3, 1, 0),), 8), ValueError, "layers[0].dilation"),
        (lambda: output_sizes((Layer("conv", 3),), 0), ValueError, "input_size"),
        (
            lambda: output_sizes((Layer("conv", 3), Layer("conv", 5)), 6),
            ValueError,
            "layer 2 (conv 5×5) has no output: kernel_size",
        ),
        (lambda: theoretical_region((Layer("conv", 3),), (0, 5), 7), ValueError, "unit"),
        (lambda: theoretical_region((Layer("conv", 3),), "c", 7), TypeError, "unit"),
        (lambda: theoretical_region((Layer("conv", 3),), -1, 7), ValueError, "unit"),
        (
            lambda: effective_receptive_field((Layer("conv", 3),), 7, weights="ones"),
            ValueError,
            "weights",
        ),
        (lambda: effective_receptive_field((Layer("conv", 3),), 7, seed=-1), ValueError, "seed"),
        (
            lambda: effective_receptive_field((Layer("conv", 3),), 7, samples=0),
            ValueError,
            "samples",
        ),
        (lambda: gaussian_fit(np.zeros(5)), ValueError, "profile"),
        (lambda: gaussian_fit(np.ones((2, 2))), ValueError, "profile"),
    ],
)
def test_errors_name_the_parameter(call, error, names):
    with pytest.raises(
        error,
        match=names.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]"),
    ):
        call()
