"""filtering: filter_photo and sobel_gradients against torch.nn.functional.conv2d 'same'."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from oracles import torch_same

from convlessons.filtering import choose_method, filter_photo, sobel_gradients
from convlessons.kernels import KERNELS, gabor_for

values = st.floats(-2, 2, allow_nan=False, width=64)


@settings(max_examples=40)
@given(
    photo=st.tuples(st.integers(4, 12), st.integers(4, 12), st.sampled_from([0, 3])).flatmap(
        lambda s: arrays(np.float64, s[:2] + ((s[2],) if s[2] else ()), elements=values)),
    kernel=st.tuples(st.integers(1, 5), st.integers(1, 5)).flatmap(
        lambda s: arrays(np.float64, s, elements=values)),
)
def test_filter_photo_matches_torch_same_padding(photo, kernel):
    np.testing.assert_allclose(filter_photo(photo, kernel), torch_same(photo, kernel),
                               rtol=1e-10, atol=1e-10)


def test_large_gabor_kernel_on_rgb_uses_fft_and_matches_torch():
    rng = np.random.default_rng(0)
    photo = rng.random((40, 40, 3))
    kernel = gabor_for(30, 6, 3)
    assert kernel.shape == (19, 19) and choose_method(kernel.shape, 3) == "fft"
    np.testing.assert_allclose(filter_photo(photo, kernel), torch_same(photo, kernel),
                               rtol=1e-10, atol=1e-10)


@settings(max_examples=20)
@given(photo=arrays(np.float64, (9, 11), elements=st.floats(0, 1, width=64)))
def test_sobel_gradients_match_torch(photo):
    magnitude, direction = sobel_gradients(photo)
    gx = torch_same(photo, np.asarray(KERNELS["sobel_x"]))
    gy = torch_same(photo, np.asarray(KERNELS["sobel_y"]))
    np.testing.assert_allclose(magnitude, np.hypot(gx, gy), atol=1e-12)
    # The direction is defined where there is a gradient: on a flat patch g is round-off
    # (torch's -1e-17 against an exact 0 gives -π/2 against 0), and a gradient pointing
    # left is π or -π depending on the sign of a zero g_y. So compare angles modulo 2π,
    # where the magnitude is well above round-off.
    turn = np.angle(np.exp(1j * (direction - np.arctan2(gy, gx))))
    assert np.all(np.abs(turn[magnitude > 1e-6]) < 1e-9)


def test_sobel_direction_of_a_horizontal_ramp_is_zero():
    ramp = np.tile(np.arange(8.0), (8, 1))  # brighter to the right
    magnitude, direction = sobel_gradients(ramp)
    assert np.allclose(direction[2:-2, 2:-2], 0) and np.allclose(magnitude[2:-2, 2:-2], 8)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: filter_photo(np.zeros(5), np.ones((3, 3))), ValueError, "photo"),
        (lambda: filter_photo(np.zeros((5, 5)), np.ones(3)), ValueError, "kernel"),
        (lambda: filter_photo(np.full((5, 5), np.nan), np.ones((3, 3))), ValueError, "photo"),
        (lambda: sobel_gradients(np.zeros((5, 5, 3))), ValueError, "photo"),
    ],
)
def test_errors_name_the_parameter(call, error, name):
    with pytest.raises(error, match=name):
        call()
