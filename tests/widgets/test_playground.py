"""KernelPlayground: filtering against torch.nn.functional.conv2d; view driven headless."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convlessons.kernels import KERNELS, gabor_for
from convlessons.widgets._grid import SIGNED_CMAP
from convlessons.widgets.playground import (
    DIRECTION_THRESHOLD,
    KernelPlayground,
    choose_method,
    display_scale,
    filter_photo,
    sobel_gradients,
)

values = st.floats(-2, 2, allow_nan=False, width=64)


def torch_same(photo: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    planes = photo[None] if photo.ndim == 2 else np.moveaxis(photo, -1, 0)
    c = planes.shape[0]
    weight = torch.from_numpy(np.broadcast_to(kernel, (c, 1, *kernel.shape)).copy())
    out = F.conv2d(torch.from_numpy(planes.copy())[None], weight, padding="same", groups=c)
    out = out[0].numpy()
    return out[0] if photo.ndim == 2 else np.moveaxis(out, 0, -1)


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
    np.testing.assert_allclose(direction, np.arctan2(gy, gx), atol=1e-12)


def test_sobel_direction_of_a_horizontal_ramp_is_zero():
    ramp = np.tile(np.arange(8.0), (8, 1))  # brighter to the right
    magnitude, direction = sobel_gradients(ramp)
    assert np.allclose(direction[2:-2, 2:-2], 0) and np.allclose(magnitude[2:-2, 2:-2], 8)


def test_display_scale_signed_for_edges_gray_for_blurs():
    result = np.array([[-1.0, 2.0]])
    assert display_scale(np.asarray(KERNELS["sobel_x"]), result) == (SIGNED_CMAP, -2.0, 2.0)
    assert display_scale(-np.asarray(KERNELS["box_blur"]), result)[0] == SIGNED_CMAP
    cmap, vmin, vmax = display_scale(np.asarray(KERNELS["box_blur"]), result)
    assert (cmap, vmin) == ("gray", 0.0) and vmax == pytest.approx(1.0)
    assert display_scale(np.ones((3, 3)), result) == ("gray", 0.0, 9.0)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: filter_photo(np.zeros(5), np.ones((3, 3))), ValueError, "photo"),
        (lambda: filter_photo(np.zeros((5, 5)), np.ones(3)), ValueError, "kernel"),
        (lambda: filter_photo(np.full((5, 5), np.nan), np.ones((3, 3))), ValueError, "photo"),
        (lambda: sobel_gradients(np.zeros((5, 5, 3))), ValueError, "photo"),
        (lambda: gabor_for(0, 0, 2), ValueError, "lambd"),
        (lambda: gabor_for(0, 8, -1), ValueError, "sigma"),
    ],
)
def test_errors_name_the_parameter(call, error, name):
    with pytest.raises(error, match=name):
        call()


# -- view ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def playground():
    return KernelPlayground(size=64)


def artist_counts(widget):
    figure = widget.figure_panel.figure
    return len(figure.axes), sum(len(a.images) + len(a.texts) for a in figure.axes)


def test_default_shows_edge_kernel_on_gray_photo(playground):
    photo = playground.photos[False]
    assert playground.problem == "" and playground.output.shape == (64, 64)
    np.testing.assert_allclose(playground.output, torch_same(photo, KERNELS["edge"]), atol=1e-10)
    assert playground.result_image.get_cmap().name.startswith(SIGNED_CMAP)
    np.testing.assert_array_equal(playground.kernel_grid.values, KERNELS["edge"])
    assert "padding='same'" in playground.info.value


def test_controls_change_the_result_in_place(playground):
    before = artist_counts(playground)
    playground.kernel.preset.value = "box_blur"
    assert playground.result_image.get_cmap().name.startswith("gray")
    assert playground.result_image.get_clim() == pytest.approx((0, 1))
    playground.color.value = True
    assert playground.output.shape == (64, 64, 3)
    np.testing.assert_allclose(playground.output,
                               torch_same(playground.photos[True], KERNELS["box_blur"]),
                               atol=1e-10)
    assert "groups=3" in playground.info.value and not playground.colorbar.ax.get_visible()
    playground.kernel.preset.value = "custom"
    playground.kernel.custom.value = "0 0 0; 0 2 0; 0 0 0"
    np.testing.assert_allclose(playground.output, 2 * playground.photos[True], atol=1e-12)
    playground.view.value = "sobel magnitude"
    assert playground.output.shape == (64, 64)  # Sobel views use the gray photo
    np.testing.assert_allclose(playground.output, sobel_gradients(playground.photos[False])[0])
    playground.view.value = "sobel direction"
    magnitude, direction = sobel_gradients(playground.photos[False])
    weak = magnitude < DIRECTION_THRESHOLD * magnitude.max()
    assert np.all(np.isnan(playground.output[weak]))
    np.testing.assert_allclose(playground.output[~weak], direction[~weak])
    assert playground.result_image.get_clim() == pytest.approx((-math.pi, math.pi))
    playground.view.value = "gabor bank"
    assert not playground.orientation.disabled
    playground.orientation.value = 90.0
    playground.sigma.value = 2.0
    kernel = gabor_for(90.0, playground.wavelength.value, 2.0)
    np.testing.assert_array_equal(playground.kernel_grid.values, kernel)
    np.testing.assert_allclose(playground.output, torch_same(playground.photos[True], kernel),
                               atol=1e-10)
    playground.figure_panel.render()
    assert artist_counts(playground) == before


def test_problem_is_shown_not_raised(playground):
    playground._show_problem("kernel must be 1–5 × 1–5, got 6 × 6")
    assert playground.output is None and playground.problem.startswith("kernel must")
    assert playground.problem_text.get_visible() and not playground.result_image.get_visible()
    playground.view.value = "kernel"
    assert playground.problem == "" and playground.result_image.get_visible()
