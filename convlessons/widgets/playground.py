"""KernelPlayground: kernels on a real photograph, presets or your own, Sobel and Gabor views.

A view of :mod:`convlessons.filtering` (:func:`~convlessons.filtering.filter_photo`,
:func:`~convlessons.filtering.sobel_gradients`) and :func:`convlessons.kernels.gabor_for`:
photo and result side by side, a colour bar for the result, a ``view`` toggle (kernel /
Sobel magnitude / Sobel direction / Gabor bank). :func:`display_scale` picks the colours;
:func:`shrink_for_display` makes the pictures no larger than the screen can show.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.image import AxesImage

from convlessons._validation import as_int
from convlessons.data import load_photo
from convlessons.filtering import filter_photo, sobel_gradients
from convlessons.kernels import KERNELS, gabor_for
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._controls import KernelPicker, choice
from convlessons.widgets._grid import SIGNED_CMAP, NumberedGrid, symmetric_limits

__all__ = ["DIRECTION_THRESHOLD", "MAX_PHOTO_SIZE", "VIEWS", "KernelPlayground", "display_scale",
           "shrink_for_display"]

MAX_PHOTO_SIZE = 512
"""Largest photo side (the default): the result axes are ~260 px wide on screen, so a
larger photo shows nothing more and only makes every change slower."""

VIEWS = ("kernel", "sobel magnitude", "sobel direction", "gabor bank")
"""What the result panel shows."""

DIRECTION_THRESHOLD = 0.1
"""Directions are hidden where the Sobel magnitude is below this fraction of its maximum."""


def display_scale(kernel: np.ndarray, result: np.ndarray) -> tuple[str, float, float]:
    """Colour map and limits for a filtered gray image: ``(cmap, vmin, vmax)``.

    A kernel whose sum is about 0 (edges, derivatives) or negative gives signed output:
    :data:`SIGNED_CMAP`, symmetric limits (0 is white). A positive sum ``s`` (blurs,
    sharpen) keeps brightness: ``'gray'`` from 0 to ``s`` (a white area's value).
    """
    total = float(np.sum(kernel))
    if total <= 1e-6 * float(np.abs(kernel).sum()):
        return (SIGNED_CMAP, *symmetric_limits(result))
    return "gray", 0.0, total


def shrink_for_display(rgba: np.ndarray, factor: int) -> np.ndarray:
    """Colours ``(H, W, C)`` (uint8) at ``1/factor`` of their resolution, for display.

    Each ``factor × factor`` block becomes its mean colour: what matplotlib's own
    anti-aliasing of a downsampled image does (``interpolation_stage="rgba"``), so a
    one-pixel edge stays visible, as a thinner line, and a red-blue pair of an edge
    filter does not cancel to white. Rows and columns beyond the last whole block are
    dropped.
    """
    whole = rgba[:rgba.shape[0] // factor * factor, :rgba.shape[1] // factor * factor]
    total = np.zeros((whole.shape[0] // factor, whole.shape[1] // factor, whole.shape[2]),
                     dtype=np.uint32)
    for row in range(factor):  # k² strided sums: ~8× faster than a mean over a reshape
        for col in range(factor):
            total += whole[row::factor, col::factor]
    return ((total + factor * factor // 2) // (factor * factor)).astype(np.uint8)


def _rgb_for_display(result: np.ndarray, cmap: str, vmin: float, vmax: float) -> np.ndarray:
    """An ``(H, W, 3)`` result as displayable RGB: signed ones around mid-grey."""
    if cmap == SIGNED_CMAP:
        return np.clip(0.5 + result / (2 * vmax), 0, 1)
    return np.clip(result / vmax, 0, 1)


class _BeforeDrawing(Artist):
    """An invisible figure artist that calls ``prepare()`` before the axes are drawn."""

    def __init__(self, prepare: Callable[[], None]) -> None:
        super().__init__()
        self._prepare = prepare
        self.set_zorder(-math.inf)  # the figure draws its artists and axes by zorder
        self.set_in_layout(False)

    def draw(self, renderer: object) -> None:
        self._prepare()


class KernelPlayground(LessonWidget):
    """Apply a kernel to a photograph and see the result beside the original.

    Controls: ``kernel`` (:class:`KernelPicker`: preset or typed), ``color`` (RGB: the
    kernel on each channel, a depthwise conv), ``view`` (:data:`VIEWS`), and for the
    Gabor bank ``orientation`` (degrees), ``wavelength`` and ``sigma`` (pixels).
    ``output`` is the result at the photo's full resolution: ``(H, W)`` or ``(H, W, 3)``
    filtered photo, Sobel magnitude or direction (gray photo), or Gabor response. The
    figure shows photo and result shrunk (:func:`shrink_for_display`) to about the pixels
    their axes have on the screen: a 512-pixel photo in 230 screen pixels is drawn from
    256 × 256 mean colours, 4× less for matplotlib to resample on every change.

    Parameters
    ----------
    size
        Side of the photo in pixels, 8 to :data:`MAX_PHOTO_SIZE`
        (:func:`convlessons.data.load_photo`); the photo is kept in float32, which is
        plenty for the screen and halves the work per change.
    kernel
        Initial preset name.
    controls, readouts
        Names of the controls and text readouts to show (default: all; see above). Hidden
        controls keep their values and can still be set from code.

    Names for ``controls=`` (:attr:`CONTROLS`): ``"kernel"``, ``"color"``, ``"view"``,
    ``"gabor"`` (orientation, wavelength, sigma); for ``readouts=`` (:attr:`READOUTS`):
    ``"call"`` (the PyTorch call). :attr:`LEVELS`: ``"kernel"`` (the kernel and the
    call), ``"all"``.
    """

    CONTROLS = {"kernel": ("kernel",), "color": ("color",), "view": ("view",),
                "gabor": ("orientation", "wavelength", "sigma")}
    READOUTS = {"call": ("info",)}
    LEVELS = {"kernel": {"controls": ("kernel",), "readouts": ("call",)},
              "all": {"controls": tuple(CONTROLS), "readouts": tuple(READOUTS)}}

    def __init__(self, size: int = 512, kernel: str = "edge",
                 controls: tuple[str, ...] | None = None,
                 readouts: tuple[str, ...] | None = None) -> None:
        size = as_int(size, "size", minimum=8, maximum=MAX_PHOTO_SIZE)
        super().__init__()
        self.photos = {gray_or_colour: load_photo(gray=not gray_or_colour, size=size)
                       .astype(np.float32) for gray_or_colour in (False, True)}
        self.kernel = KernelPicker(kernel)
        self.color = widgets.Checkbox(value=False, description="color")
        self.view = choice(widgets.ToggleButtons, "view", "kernel", VIEWS)
        self.orientation = widgets.FloatSlider(value=0, min=0, max=165, step=15,
                                               description="orientation")
        self.wavelength = widgets.FloatSlider(value=8, min=3, max=24, step=1,
                                              description="wavelength")
        self.sigma = widgets.FloatSlider(value=3, min=1, max=8, step=0.5, description="sigma")
        self.info = widgets.HTML()
        self._build_figure()
        gabor = widgets.VBox([self.orientation, self.wavelength, self.sigma])
        self.children = [
            widgets.HBox([self.kernel, widgets.VBox([self.view, self.color, gabor])]),
            self.figure_panel.widget, self.info,
        ]
        self.add_class("convlessons-playground")
        self._watch(self.kernel, self.color, self.view, self.orientation, self.wavelength,
                    self.sigma)
        self._start(controls, readouts)

    def _build_figure(self) -> None:
        self.figure_panel = FigurePanel(figsize=(9.0, 3.3),
                                        css_class="convlessons-playground-figure")
        figure = self.figure_panel.figure
        self.kernel_axes = figure.add_axes((0.01, 0.25, 0.17, 0.5))
        self.photo_axes = figure.add_axes((0.20, 0.02, 0.37, 0.88))
        self.result_axes = figure.add_axes((0.58, 0.02, 0.37, 0.88))
        colorbar_axes = figure.add_axes((0.955, 0.1, 0.012, 0.72))
        self.kernel_grid = NumberedGrid(self.kernel_axes, cmap=SIGNED_CMAP, max_numbered=5)
        # titles at a fixed height: matplotlib's automatic placement (above tick labels,
        # which these axes do not have) costs ~8 % of every rendering
        self.kernel_title = self.kernel_axes.set_title("", fontsize=9, y=1.0)
        self.photo_image = self.photo_axes.imshow(self.photos[False], cmap="gray", vmin=0,
                                                  vmax=1)
        self.result_image = self.result_axes.imshow(self.photos[False], cmap="gray")
        self._pictures: dict[AxesImage, np.ndarray] = {}  # image -> its full-resolution data
        self._shown: dict[AxesImage, tuple[np.ndarray, int]] = {}  # image -> (data, factor)
        self.colorbar = figure.colorbar(self.result_image, cax=colorbar_axes)
        # the view updates the colour bar once per change, not on every cmap/clim setter
        self.result_image.callbacks.disconnect(self.result_image.colorbar_cid)
        self.colorbar.ax.tick_params(labelsize=7)
        for axes in (self.kernel_axes, self.photo_axes, self.result_axes):
            axes.xaxis.set_visible(False)  # no ticks: skip laying out empty axes
            axes.yaxis.set_visible(False)
        figure.add_artist(_BeforeDrawing(self._show_pictures))
        self.photo_axes.set_title("photo", fontsize=9, y=1.0)
        self.result_title = self.result_axes.set_title("", fontsize=9, y=1.0)
        self.problem_text = self.result_axes.text(
            0.5, 0.5, "", transform=self.result_axes.transAxes, ha="center", va="center",
            bbox={"facecolor": "white", "edgecolor": "#b2182b"}, color="#b2182b", visible=False)

    def _update(self) -> np.ndarray:
        view, color = self.view.value, self.color.value
        for control in (self.orientation, self.wavelength, self.sigma):
            control.disabled = view != "gabor bank"
        uses_gray = view.startswith("sobel")
        photo = self.photos[color and not uses_gray]
        kernel = self._kernel_for(view)
        if view in ("kernel", "gabor bank"):
            with np.errstate(over="ignore", invalid="ignore"):  # refused just below
                weight = np.asarray(kernel, dtype=np.float32)
                result = filter_photo(photo, weight) if np.all(np.isfinite(weight)) else None
            if result is None or not (np.isfinite(kernel.sum()) and np.all(np.isfinite(result))):
                raise ValueError("the kernel's values are so large that the filtered photo "
                                 "overflows to infinity: use smaller values")
            cmap, vmin, vmax = display_scale(kernel, result)
            if view == "gabor bank":  # a band-pass response: signed, whatever its small sum
                cmap, vmin, vmax = SIGNED_CMAP, *symmetric_limits(result)
            title = f"{'gabor response' if view == 'gabor bank' else 'kernel ⋆ photo'}"
        else:
            magnitude, direction = sobel_gradients(photo)
            if view == "sobel magnitude":
                result, cmap, vmin, vmax = magnitude, "gray", 0.0, float(magnitude.max()) or 1.0
                title = "√(g_x² + g_y²)"
            else:
                result = np.where(magnitude >= DIRECTION_THRESHOLD * magnitude.max(), direction,
                                  np.nan)
                cmap, vmin, vmax = "twilight", -math.pi, math.pi
                title = f"atan2(g_y, g_x), where magnitude ≥ {DIRECTION_THRESHOLD:.0%} of max"
        self._pictures = {self.photo_image: photo, self.result_image: (
            _rgb_for_display(result, cmap, vmin, vmax) if result.ndim == 3 else result)}
        self.result_image.set_cmap(colormaps[cmap].with_extremes(bad="black"))
        self.result_image.set_clim(vmin, vmax)
        self.colorbar.update_normal(self.result_image)  # once (not per set_cmap/set_clim)
        self.colorbar.ax.set_visible(result.ndim == 2)
        self.result_title.set_text(f"{title}{' (per channel)' if result.ndim == 3 else ''}, "
                                   f"range {np.nanmin(result):.2f} … {np.nanmax(result):.2f}")
        self.kernel_grid.set_values(kernel)
        self.kernel_title.set_text("sobel_x; sobel_y = sobel_xᵀ" if uses_gray else
                                   f"kernel {kernel.shape[0]}×{kernel.shape[1]}, "
                                   f"sum {kernel.sum():.3g}")
        self.result_image.set_visible(True)
        self.problem_text.set_visible(False)
        self.info.value = (f"<code>F.conv2d(photo, kernel, padding='same'"
                           f"{', groups=3' if result.ndim == 3 else ''})</code>"
                           + (" — Sobel views use the gray photo." if uses_gray else ""))
        return result

    def _show_pictures(self) -> None:
        """Give the photo and result images their pictures shrunk for their axes' pixels.

        Runs at the start of every rendering, when the screen's resolution (a HiDPI page
        doubles the figure's dpi) and the view (a zoom) are known; shrinks again only where
        the data or the factor changed (a pan keeps the factor; the colours change only
        with the data). ``factor`` is the largest divisor of the picture's sides with at
        most ``factor`` picture pixels per screen pixel in the axes's view, so every block
        is whole and the image keeps its extent. Factor 1 leaves the data to matplotlib.
        """
        for image, picture in self._pictures.items():
            axes = image.axes
            box = axes.get_position(original=True).transformed(axes.figure.transFigure)
            (left, right), (bottom, top) = axes.get_xlim(), axes.get_ylim()
            most = max(abs(right - left) / box.width, abs(top - bottom) / box.height)
            factor = next(factor for factor in range(max(1, int(most)), 0, -1)
                          if picture.shape[0] % factor == 0 == picture.shape[1] % factor)
            shown, shown_factor = self._shown.get(image, (None, 0))
            if shown is not picture or shown_factor != factor:
                image.set_data(picture if factor == 1 else
                               shrink_for_display(image.to_rgba(picture, bytes=True), factor))
                self._shown[image] = (picture, factor)

    def _kernel_for(self, view: str) -> np.ndarray:
        if view == "gabor bank":
            return gabor_for(self.orientation.value, self.wavelength.value, self.sigma.value)
        if view == "kernel":
            return self.kernel.value
        return KERNELS["sobel_x"]  # and its transpose, sobel_y

    def _show_problem(self, message: str) -> None:
        self.result_image.set_visible(False)
        self.problem_text.set_text(textwrap.fill(message, 50))
        self.problem_text.set_visible(True)
