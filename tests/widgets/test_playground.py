"""KernelPlayground through its controls, headless (the filtering: tests/test_filtering.py)."""

import math

import numpy as np
import pytest
from oracles import torch_same

from convlessons.kernels import KERNELS, gabor_for
from convlessons.widgets._grid import SIGNED_CMAP
from convlessons.widgets.playground import (
    DIRECTION_THRESHOLD,
    KernelPlayground,
    display_scale,
    sobel_gradients,
)


def test_display_scale_signed_for_edges_gray_for_blurs():
    result = np.array([[-1.0, 2.0]])
    assert display_scale(np.asarray(KERNELS["sobel_x"]), result) == (SIGNED_CMAP, -2.0, 2.0)
    assert display_scale(-np.asarray(KERNELS["box_blur"]), result)[0] == SIGNED_CMAP
    cmap, vmin, vmax = display_scale(np.asarray(KERNELS["box_blur"]), result)
    assert (cmap, vmin) == ("gray", 0.0) and vmax == pytest.approx(1.0)
    assert display_scale(np.ones((3, 3)), result) == ("gray", 0.0, 9.0)


@pytest.fixture(scope="module")
def playground():
    return KernelPlayground(size=64)


def artist_counts(widget):
    figure = widget.figure_panel.figure
    return len(figure.axes), sum(len(a.images) + len(a.texts) for a in figure.axes)


def test_default_shows_edge_kernel_on_gray_photo(playground):
    photo = playground.photos[False]
    assert playground.problem == "" and playground.output.shape == (64, 64)
    np.testing.assert_allclose(playground.output, torch_same(photo.astype(float), KERNELS["edge"]),
                               rtol=1e-5, atol=1e-6)
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
    colour = playground.photos[True].astype(float)
    np.testing.assert_allclose(playground.output,
                               torch_same(colour, KERNELS["box_blur"]),
                               rtol=1e-5, atol=1e-6)
    assert "groups=3" in playground.info.value and not playground.colorbar.ax.get_visible()
    playground.kernel.preset.value = "custom"
    playground.kernel.custom.value = "0 0 0; 0 2 0; 0 0 0"
    np.testing.assert_allclose(playground.output, 2 * playground.photos[True], rtol=1e-6, atol=1e-6)
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
    np.testing.assert_allclose(playground.output,
                               torch_same(playground.photos[True].astype(float), kernel),
                               rtol=1e-5, atol=1e-6)
    playground.figure_panel.render()
    assert artist_counts(playground) == before


def test_an_overflowing_kernel_is_shown_and_the_next_preset_recovers(playground):
    playground.view.value = "kernel"
    playground.kernel.preset.value = "custom"
    playground.kernel.custom.value = "1e308 1e308"  # sums overflow to inf
    assert playground.output is None and "overflows to infinity" in playground.problem
    assert playground.problem_text.get_visible() and not playground.result_image.get_visible()
    playground.figure_panel.render()
    playground.kernel.preset.value = "edge"
    assert playground.problem == "" and playground.result_image.get_visible()
    assert np.all(np.isfinite(playground.result_image.get_clim()))
    playground.figure_panel.render()


def test_photo_is_float32_and_the_colour_bar_updates_once_per_change(playground, monkeypatch):
    assert playground.photos[False].dtype == playground.photos[True].dtype == np.float32
    calls = []
    update = playground.colorbar.update_normal
    monkeypatch.setattr(playground.colorbar, "update_normal",
                        lambda mappable: (calls.append(1), update(mappable)))
    playground.view.value = "kernel"
    playground.kernel.preset.value = "sharpen"
    assert len(calls) == 1
    assert playground.colorbar.norm.vmax == playground.result_image.get_clim()[1]


@pytest.mark.parametrize("size", [20000, 7, 2.5, "big"])
def test_photo_size_is_bounded_before_anything_is_allocated(size):
    with pytest.raises((ValueError, TypeError), match="size"):
        KernelPlayground(size=size)
