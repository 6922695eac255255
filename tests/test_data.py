"""Tests for convlessons.data: patterns, the sample photo, the generated shapes set."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convlessons.data import (
    PATTERNS,
    SHAPE_CLASSES,
    load_photo,
    make_pattern,
    make_shapes_dataset,
)

# --- make_pattern -------------------------------------------------------------------


@given(name=st.sampled_from(PATTERNS), size=st.integers(5, 12), seed=st.integers(0, 2**32))
def test_pattern_shape_range_and_determinism(name, size, seed):
    pattern = make_pattern(name, size, seed)
    assert pattern.shape == (size, size)
    assert pattern.dtype == np.float64
    assert pattern.min() >= 0.0 and pattern.max() <= 1.0
    assert pattern.max() > 0.0, "every pattern has something to see"
    np.testing.assert_array_equal(pattern, make_pattern(name, size, seed))


def test_patterns_worked_examples():
    edge = make_pattern("vertical_edge", 6)
    np.testing.assert_array_equal(edge[0], [0, 0, 0, 1, 1, 1])
    assert (edge == edge[0]).all(), "a vertical edge is the same on every row"
    np.testing.assert_array_equal(make_pattern("diagonal_line", 5), np.eye(5))
    board = make_pattern("checkerboard", 5)
    np.testing.assert_array_equal(board[:2, :3], [[0, 1, 0], [1, 0, 1]])
    square = make_pattern("square", 8)
    assert square[2:6, 2:6].min() == 1.0 and square.sum() == 16.0


def test_digit_is_a_seven():
    digit = make_pattern("digit", 12)
    top_row = digit[12 // 6]
    assert (top_row[2:10] == 1.0).all(), "the 7 has a solid top bar"
    bottom = digit[-1]
    assert bottom.argmax() < 6, "its stem ends in the left half"


def test_random_pattern_depends_on_seed():
    assert not np.array_equal(make_pattern("random", 7, 0), make_pattern("random", 7, 1))
    np.testing.assert_array_equal(make_pattern("square", 7, 0), make_pattern("square", 7, 1))


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"name": "circle"}, ValueError, ("name", "vertical_edge")),
        ({"name": 3}, TypeError, ("name", "digit")),
        ({"name": "square", "size": 4}, ValueError, ("size", ">= 5")),
        ({"name": "square", "size": 13}, ValueError, ("size", "5 to 12")),
        ({"name": "square", "size": 7.0}, TypeError, ("size",)),
        ({"name": "random", "seed": -1}, ValueError, ("seed", ">= 0")),
    ],
)
def test_make_pattern_errors_name_the_parameter(kwargs, error, words):
    with pytest.raises(error) as info:
        make_pattern(**kwargs)
    for word in words:
        assert word in str(info.value)


# --- load_photo ---------------------------------------------------------------------


def test_photo_gray_and_rgb():
    gray = load_photo()
    assert gray.shape == (512, 512) and gray.dtype == np.float64
    assert 0.0 <= gray.min() < 0.1 and 0.9 < gray.max() <= 1.0, "uses the full range"
    rgb = load_photo(gray=False, size=64)
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.float64
    assert 0.0 <= rgb.min() and rgb.max() <= 1.0
    assert not np.allclose(rgb[..., 0], rgb[..., 2]), "a colour photograph"


def test_photo_gray_is_luma_of_rgb():
    rgb, gray = load_photo(gray=False, size=32), load_photo(gray=True, size=32)
    luma = rgb @ np.array([0.299, 0.587, 0.114])
    assert np.abs(luma - gray).mean() < 0.01


def test_photo_is_cached_but_callers_get_their_own_copy():
    first = load_photo(size=16)
    first[:] = 0.0
    second = load_photo(size=16)
    assert second.max() > 0.0
    assert second is not load_photo(size=16)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"size": 0}, ValueError, "size"),
        ({"size": "big"}, TypeError, "size"),
        ({"gray": "yes"}, TypeError, "gray"),
        ({"size": 40000}, ValueError, r"^size=40000 implies a float64 photo of shape "
         r"\(40000, 40000\), 11.9 GiB, over the 2 GiB memory budget"),
        ({"size": 10**30, "gray": False}, ValueError, r"^size=10{30} implies .* over the 2 GiB"),
    ],
)
def test_load_photo_errors_name_the_parameter(kwargs, error, name):
    with pytest.raises(error, match=name):
        load_photo(**kwargs)


# --- make_shapes_dataset ------------------------------------------------------------


@settings(max_examples=20)
@given(n=st.integers(1, 50), seed=st.integers(0, 2**32), size=st.integers(12, 32))
def test_shapes_shapes_dtypes_and_balance(n, seed, size):
    images, labels = make_shapes_dataset(n, seed=seed, size=size)
    assert images.shape == (n, 1, size, size) and images.dtype == np.float32
    assert labels.shape == (n,) and labels.dtype == np.int64
    assert images.min() >= 0.0 and images.max() <= 1.0
    counts = np.bincount(labels, minlength=len(SHAPE_CLASSES))
    assert len(counts) == len(SHAPE_CLASSES)
    assert counts.max() - counts.min() <= 1


def test_shapes_same_seed_same_arrays_other_seed_other_arrays():
    images, labels = make_shapes_dataset(60, seed=3)
    again_images, again_labels = make_shapes_dataset(60, seed=3)
    np.testing.assert_array_equal(images, again_images)
    np.testing.assert_array_equal(labels, again_labels)
    other_images, _ = make_shapes_dataset(60, seed=4)
    assert not np.array_equal(images, other_images)


def test_shapes_background_noise_is_the_documented_gaussian():
    """Corner pixels are mostly background: clip(N(0, 0.2), 0, 1) has mean 0.2/√(2π), half 0."""
    images, _ = make_shapes_dataset(3000, seed=0)
    corners = images[:, 0, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners.mean() == pytest.approx(0.2 / np.sqrt(2 * np.pi), abs=0.004)
    assert (corners == 0).mean() == pytest.approx(0.5, abs=0.02)


def test_shapes_classes_look_like_their_names():
    """The mean image of each bar class is stretched along the named orientation."""
    images, labels = make_shapes_dataset(3000, seed=0)
    means = {name: images[labels == k, 0].mean(0) for k, name in enumerate(SHAPE_CLASSES)}
    # Ink along the middle column vs the middle row, and along the two diagonals.
    vertical, horizontal = means["vertical_bar"], means["horizontal_bar"]
    assert vertical[:, 14].sum() > vertical[14, :].sum()
    assert horizontal[14, :].sum() > horizontal[:, 14].sum()
    diagonal, anti = means["diagonal_bar"], means["anti_diagonal_bar"]
    assert np.trace(diagonal) > np.trace(np.fliplr(diagonal))
    assert np.trace(np.fliplr(anti)) > np.trace(anti)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n": 0}, ValueError, "n must"),
        ({"n": 2.5}, TypeError, "n must"),
        ({"n": 10, "seed": -1}, ValueError, "seed"),
        ({"n": 10, "size": 11}, ValueError, "size"),
        ({"n": 10**6}, ValueError, r"^n=1000000 with size=28 implies float64 working arrays of "
         r"shape \(5, 1000000, 28, 28\), 29.2 GiB, over the 2 GiB memory budget"),
        ({"n": 10, "size": 10**9}, ValueError, r"^n=10 with size=1000000000 implies"),
    ],
)
def test_make_shapes_dataset_errors_name_the_parameter(kwargs, error, name):
    with pytest.raises(error, match=name):
        make_shapes_dataset(**kwargs)
