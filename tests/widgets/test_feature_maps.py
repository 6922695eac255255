"""FeatureMapViewer driven headless through its controls (the model: tests/test_hooks.py)."""

import numpy as np
import pytest
import torch
from torch import nn

from convlessons.hooks import capture_activations, filters_for, listed_layers, tile_origin
from convlessons.models import SmallCNN
from convlessons.widgets.feature_maps import MAX_CHANNELS, FeatureMapViewer


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return SmallCNN(channels=(8, 16, 40)).train()  # relu3: 40 channels, more than are shown


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(1).random((20, 20)).astype(np.float32)


def artist_counts(widget):
    figure = widget.figure_panel.figure
    return (len(figure.axes), sum(len(a.images) + len(a.patches) + len(a.texts)
                                  for a in figure.axes))


def test_viewer_follows_layer_and_channel(model, image):
    viewer = FeatureMapViewer(model, image)
    expected = capture_activations(model, image)
    assert viewer.problem == "" and list(viewer.layer.options) == listed_layers(model)
    np.testing.assert_array_equal(viewer.output, expected["features.conv1"])
    before = artist_counts(viewer)

    viewer.layer.value = "features.relu3"  # 40 channels of 5x5: the first 32 are shown
    assert viewer.output.shape == (40, 5, 5) and viewer.channel.max == MAX_CHANNELS - 1
    assert "32 of 40 channels" in viewer.maps_title.get_text()
    viewer.channel.value = 11
    top, left = tile_origin(11, (5, 5))
    assert viewer.maps_outline.get_bbox().bounds == (left - 0.5, top - 0.5, 5, 5)
    top, left = tile_origin(11, (3, 3))
    assert viewer.filters_outline.get_bbox().bounds == (left - 0.5, top - 0.5, 3, 3)
    np.testing.assert_array_equal(viewer.channel_image.get_array(), expected["features.relu3"][11])
    np.testing.assert_array_equal(viewer.filter_grid.values,
                                  filters_for(model, "features.conv3")[11])

    viewer.layer.value = "features.pool1"  # 8 channels: the slider shrinks, channel clamps
    assert viewer.channel.max == 7 and viewer.channel.value == 7
    np.testing.assert_array_equal(viewer.channel_image.get_array(), expected["features.pool1"][7])
    viewer.figure_panel.render()
    assert artist_counts(viewer) == before


def test_set_input_reruns_the_model(model, image):
    viewer = FeatureMapViewer(model, image)
    other = np.ones((20, 20), dtype=np.float32)
    viewer.set_input(other)
    expected = capture_activations(model, other)["features.conv1"]
    np.testing.assert_array_equal(viewer.output, expected)


def test_layer_without_feature_map_shows_message():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.ReLU())
    viewer = FeatureMapViewer(net, np.zeros((6, 6)))
    viewer.layer.value = "2"
    assert viewer.output is None and "not a feature map" in viewer.problem
    assert viewer.problem_text.get_visible() and not viewer.maps_image.get_visible()
    viewer.layer.value = "0"
    assert viewer.problem == "" and viewer.maps_image.get_visible()


def test_a_model_without_listed_layers_is_refused():
    with pytest.raises(ValueError, match="model"):
        FeatureMapViewer(nn.Linear(2, 2), np.zeros((2, 2)))


@pytest.mark.parametrize("bad, words", [
    (np.zeros((2, 2)), "image of shape (2, 2) does not go through the model"),  # < kernel/pool
    (np.zeros((0, 28)), "image must have at least one channel, row and column"),
])
def test_an_image_the_model_cannot_take_is_shown_and_the_next_recovers(model, image, bad, words):
    viewer = FeatureMapViewer(model, image)
    viewer.set_input(bad)
    assert viewer.output is None and words in viewer.problem
    viewer.set_input(image)
    assert viewer.problem == "" and viewer.output is not None


def test_a_registered_but_unused_conv_says_so(image):
    torch.manual_seed(0)
    model = SmallCNN()
    model.unused = nn.Conv2d(1, 1, 3)
    viewer = FeatureMapViewer(model, image)
    viewer.layer.value = "unused"
    assert "never calls it" in viewer.problem
    viewer.layer.value = viewer.layer.options[0]
    assert viewer.problem == ""


def test_a_bfloat16_model_is_shown_in_float32(image):
    torch.manual_seed(0)
    viewer = FeatureMapViewer(SmallCNN().to(torch.bfloat16), image)
    assert viewer.problem == "" and viewer.output.dtype == np.float32
