"""KernelPlayground through its controls, headless (the filtering: tests/test_filtering.py)."""

import math

import numpy as np
import pytest
from ipympl_page import FakePage
from matplotlib.backends.backend_agg import FigureCanvasAgg
from oracles import torch_same

from convlessons.kernels import KERNELS, gabor_for
from convlessons.widgets._grid import SIGNED_CMAP
from convlessons.widgets.playground import (
    DIRECTION_THRESHOLD,
    KernelPlayground,
    display_scale,
    shrink_for_display,
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


def test_shrinking_averages_colours_of_whole_blocks():
    rgba = np.zeros((5, 4, 4), dtype=np.uint8)
    rgba[0::2, :, 0] = 255  # red rows and blue rows: an edge filter's +/- pair
    rgba[1::2, :, 2] = 255
    rgba[..., 3] = 255
    shrunk = shrink_for_display(rgba, 2)
    assert shrunk.shape == (2, 2, 4) and shrunk.dtype == np.uint8  # the 5th row is dropped
    assert np.all(shrunk == [128, 0, 128, 255])  # purple: the edge does not fade to white


def test_the_figure_shows_the_photo_and_result_shrunk_to_its_pixels_output_stays_full():
    playground = KernelPlayground(size=512, kernel="sobel_x")
    playground.figure_panel.render()
    assert playground.output.shape == (512, 512)
    np.testing.assert_allclose(playground.output,
                               torch_same(playground.photos[False].astype(float),
                                          KERNELS["sobel_x"]), rtol=1e-5, atol=1e-5)
    result_axes = playground.result_axes.get_window_extent()
    assert max(result_axes.width, result_axes.height) < 512 / 2  # 2 photo pixels per screen pixel
    for image in (playground.photo_image, playground.result_image):
        assert image.get_array().shape == (256, 256, 4)  # mean colours of 2 × 2 blocks
        assert image.get_extent() == [-0.5, 511.5, 511.5, -0.5]  # photo pixel coordinates
    colours = playground.result_image.to_rgba(playground.output, bytes=True)  # its cmap, clim
    np.testing.assert_array_equal(playground.result_image.get_array(),
                                  shrink_for_display(colours, 2))
    playground.color.value = True
    playground.figure_panel.render()
    assert playground.output.shape == (512, 512, 3)
    assert playground.result_image.get_array().shape == (256, 256, 4)
    playground.result_axes.set_xlim(99.5, 227.5)  # zoomed in: 128 photo pixels to show
    playground.result_axes.set_ylim(227.5, 99.5)
    playground.figure_panel.render()
    assert playground.result_image.get_array().shape == (512, 512, 3)  # every pixel
    assert playground.photo_image.get_array().shape == (256, 256, 4)  # not zoomed in
    playground.figure_panel.canvas._set_device_pixel_ratio(2)  # a HiDPI screen
    playground.figure_panel.render()
    assert playground.photo_image.get_array().shape == (512, 512, 3)


def test_a_fast_drag_ends_with_the_page_showing_the_last_setting(monkeypatch):
    playground = KernelPlayground(size=64)
    page = FakePage(playground.figure_panel.canvas, monkeypatch)
    page.connect()
    playground.view.value = "gabor bank"
    page.settle()
    sent = len(page.frames)
    for orientation in (15, 30, 45, 60, 75, 90):  # the page answers nothing meanwhile
        playground.orientation.value = orientation
    page.settle()
    assert len(page.frames) == sent + 2
    fresh = KernelPlayground(size=64)
    fresh.view.value, fresh.orientation.value = "gabor bank", 90
    FigureCanvasAgg.draw(fresh.figure_panel.canvas)
    np.testing.assert_array_equal(page.picture, np.asarray(fresh.figure_panel.canvas.buffer_rgba()))


@pytest.mark.parametrize("size", [20000, 7, 2.5, "big"])
def test_photo_size_is_bounded_before_anything_is_allocated(size):
    with pytest.raises((ValueError, TypeError), match="size"):
        KernelPlayground(size=size)
