"""hooks: captured activations against a plain forward pass, filters, mosaics."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn

from convlessons.hooks import (
    COLUMNS,
    capture_activations,
    filters_for,
    listed_layers,
    mosaic,
    tile_origin,
)
from convlessons.models import SmallCNN


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    net = SmallCNN(channels=(8, 16, 40))
    net.train()  # capture_activations must switch to eval for the pass and back afterwards
    return net


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(0).random((1, 20, 20)).astype(np.float32)


def test_listed_layers_in_forward_order(model):
    names = listed_layers(model)
    assert names[:4] == ["features.conv1", "features.bn1", "features.relu1", "features.pool1"]
    assert names[-1] == "features.relu3" and "classifier" not in names


def test_capture_matches_stepwise_forward_and_removes_hooks(model, image):
    activations = capture_activations(model, image)
    assert model.training  # mode restored
    assert all(not m._forward_hooks for m in model.modules())  # no hook leaks
    model.eval()
    x = torch.from_numpy(image)[None]
    with torch.no_grad():
        for name, module in model.features.named_children():
            x = module(x)
            np.testing.assert_array_equal(activations[f"features.{name}"], x[0].numpy())
    model.train()
    assert list(activations) == listed_layers(model)


def test_inplace_relu_does_not_overwrite_the_conv_output():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True))
    activations = capture_activations(net, np.random.default_rng(1).normal(size=(6, 6)))
    assert activations["0"].min() < 0 and activations["1"].min() >= 0


def test_filters_for_reads_the_last_conv_before_the_layer(model):
    conv2 = model.features.conv2.weight.detach().double().mean(dim=1).numpy()
    np.testing.assert_array_equal(filters_for(model, "features.relu2"), conv2)
    np.testing.assert_array_equal(filters_for(model, "features.conv2"), conv2)
    assert filters_for(nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(1, 1, 3)), "0") is None


@settings(max_examples=40)
@given(maps=st.tuples(st.integers(1, 20), st.integers(1, 5), st.integers(1, 5)).flatmap(
    lambda s: arrays(np.float64, s, elements=st.floats(-5, 5, width=64))))
def test_mosaic_places_each_map_scaled_at_its_tile(maps):
    image = mosaic(maps)
    height, width = maps.shape[1:]
    for index, plane in enumerate(maps):
        top, left = tile_origin(index, (height, width))
        scale = np.abs(plane).max() or 1.0
        np.testing.assert_allclose(image[top:top + height, left:left + width], plane / scale)
    assert np.isnan(image).sum() == image.size - maps.size  # gutters and empty tiles only
    assert image.shape[1] == min(len(maps), COLUMNS) * (width + 1) - 1


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda m: listed_layers("net"), TypeError, "model"),
        (lambda m: capture_activations(m, np.zeros((2, 1, 8, 8))), ValueError, "image"),
        (lambda m: capture_activations(m, np.zeros((3, 8, 8))), ValueError, "image"),
        (lambda m: capture_activations(m, np.zeros(8)), ValueError, "image"),
        (lambda m: filters_for(m, "nope"), ValueError, "name"),
        (lambda m: mosaic(np.zeros((2, 2))), ValueError, "maps"),
        (lambda m: mosaic(np.ones((0, 3, 3))), ValueError, "maps must hold at least one"),
        (lambda m: capture_activations(m, np.zeros((3, 8, 8))), ValueError,
         r"image of shape \(3, 8, 8\) has 3 channel\(s\), but the model's first Conv2d"),
        (lambda m: capture_activations(m, np.zeros((2, 2))), ValueError,
         r"image of shape \(2, 2\) does not go through the model: "),
        (lambda m: capture_activations(m, np.zeros((0, 28))), ValueError, "image must have"),
    ],
)
def test_errors_name_the_parameter(model, call, error, name):
    with pytest.raises(error, match=name):
        call(model)
