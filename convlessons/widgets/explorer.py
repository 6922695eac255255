"""ConvExplorer: slide a kernel over a small image, one output value at a time.

A view of :mod:`convlessons.exploration` (:func:`~convlessons.exploration.explore` computes
the output, the windows, the written-out sums and the PyTorch call): input, kernel and
output grids, the current window highlighted, and step controls.

Stepping is done in the page (:mod:`convlessons.widgets._stepper`): for every output cell
the explorer sends, once per settings change, where its window, taps and output cell are
drawn (figure pixels) and its written-out sum; previous / play / next and a click on an
output cell then move the highlight and the texts without a kernel round trip, and the
figure is not rendered again. The figure itself draws the highlight only for pictures
(the ``image/png`` of the display, the stored static image).
"""

from __future__ import annotations

import contextlib
import html
import textwrap
from collections.abc import Iterator

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

from convlessons._validation import as_array, as_choice
from convlessons.data import PATTERN_SIZES, PATTERNS, make_pattern
from convlessons.exploration import (
    MODES,
    Exploration,
    explore,
    size_formulas,
    slid_kernel,
    torch_equivalent,
)
from convlessons.reference.padding import PADDING_MODES
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._controls import KernelPicker, choice, int_slider
from convlessons.widgets._grid import SIGNED_CMAP, UNSIGNED_CMAP, NumberedGrid, highlight
from convlessons.widgets._stepper import HighlightStepper, StepText, pixel_boxes

__all__ = ["MAX_IMAGE_SIZE", "ConvExplorer"]

MAX_IMAGE_SIZE = 16
"""Largest side of a custom image (larger grids are unreadable in the explorer)."""


class ConvExplorer(LessonWidget):
    """Interactive convolution explorer: input, kernel and output, step by step.

    Controls (public, named after what they set): ``pattern``, ``size`` (input),
    ``kernel`` (:class:`~convlessons.widgets._controls.KernelPicker`), ``stride``,
    ``padding``, ``dilation``, ``padding_mode``, ``mode`` and the step control ``position``
    (a :class:`~convlessons.widgets._stepper.HighlightStepper`: previous / play / next,
    play speed, a click on an output cell; ``position.value`` is the output cell's raster
    index). Text panels: ``position_label`` and ``sum_html`` (drawn by the page at each
    step; ``.value`` holds their HTML), ``formula_html``, ``torch_html``, ``mode_html``.

    Names for ``controls=`` (:attr:`CONTROLS`): ``"pattern"``, ``"size"``, ``"kernel"``,
    ``"stride"``, ``"padding"``, ``"dilation"``, ``"padding_mode"``, ``"mode"``,
    ``"step"`` (previous / play / next, speed, position). Names for ``readouts=``
    (:attr:`READOUTS`): ``"position"`` (which window), ``"sum"`` (the sum written out),
    ``"mode"`` (does flipping change the output), ``"sizes"`` (output-size formula,
    receptive field of one unit, input span of a row), ``"torch"`` (the PyTorch call).
    :attr:`LEVELS`: ``"window"`` (the window and the sum: pattern, size, kernel, step),
    ``"flip"`` (adds the convolution / cross-correlation toggle), ``"parameters"``
    (adds stride, padding, dilation, padding_mode and the size formulas), ``"all"``.

    Parameters
    ----------
    image
        A 2-D array (sides 1–16) to use instead of the patterns (``pattern`` then starts on
        ``"custom"``).
    kernel
        A preset name of :data:`convlessons.kernels.KERNELS` or a 2-D array (sides 1–5).
    stride, padding, dilation, padding_mode, mode
        Initial control values (1–4, 0–3, 1–3, one of :data:`PADDING_MODES`, :data:`MODES`).
    pattern, size
        Initial pattern name (:data:`convlessons.data.PATTERNS`) and side (5–12).
    controls, readouts
        Names of the controls and text readouts to show (default: all; see above). Hidden
        controls keep their values and can still be set from code.

    Attributes
    ----------
    output : numpy.ndarray or None
        The current output, ``None`` when the settings are impossible.
    problem : str
        Why the settings are impossible, ``""`` otherwise.
    exploration : Exploration or None
        The model of the current setting.
    """

    CONTROLS = {"pattern": ("pattern",), "size": ("size",), "kernel": ("kernel",),
                "stride": ("stride",), "padding": ("padding",), "dilation": ("dilation",),
                "padding_mode": ("padding_mode",), "mode": ("mode",),
                "step": ("position",)}
    READOUTS = {"position": ("position_label",), "sum": ("sum_html",), "mode": ("mode_html",),
                "sizes": ("formula_html",), "torch": ("torch_html",)}
    LEVELS = {
        "window": {"controls": ("pattern", "size", "kernel", "step"),
                   "readouts": ("position", "sum")},
        "flip": {"controls": ("pattern", "size", "kernel", "mode", "step"),
                 "readouts": ("position", "sum", "mode")},
        "parameters": {"controls": ("pattern", "size", "kernel", "stride", "padding",
                                    "dilation", "padding_mode", "step"),
                       "readouts": ("position", "sum", "sizes", "torch")},
        "all": {"controls": tuple(CONTROLS), "readouts": tuple(READOUTS)},
    }

    def __init__(
        self,
        image: np.ndarray | None = None,
        kernel: str | np.ndarray = "edge",
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        padding_mode: str = "zeros",
        mode: str = "cross-correlation",
        pattern: str = "vertical_edge",
        size: int = 7,
        controls: tuple[str, ...] | None = None,
        readouts: tuple[str, ...] | None = None,
    ) -> None:
        as_choice(pattern, "pattern", PATTERNS)
        super().__init__()
        self.add_class("convlessons-explorer")
        self.exploration: Exploration | None = None
        self._custom_image = None if image is None else self._check_image(image)
        self._build_controls(kernel, stride, padding, dilation, padding_mode, mode, pattern, size)
        self._build_figure()
        self._build_stepper()
        self.children = [
            widgets.HBox([widgets.VBox([self.pattern, self.size]), self.kernel]),
            widgets.HBox([widgets.VBox([self.stride, self.padding, self.dilation]),
                          widgets.VBox([self.padding_mode, self.mode])]),
            self.figure_panel.widget,
            self.position,
            self.position_label,
            self.sum_html,
            self.mode_html,
            self.formula_html,
            self.torch_html,
        ]
        self._watch(self.pattern, self.size, self.kernel, self.stride, self.padding,
                    self.dilation, self.padding_mode, self.mode)
        with self._highlight_in_figure():  # for the picture _start stores
            self._start(controls, readouts)

    @staticmethod
    def _check_image(image: np.ndarray) -> np.ndarray:
        image = as_array(image, "image", ndim=2, layout="(H, W)")
        if max(image.shape) > MAX_IMAGE_SIZE or min(image.shape) < 1:
            raise ValueError(
                f"image must be 1–{MAX_IMAGE_SIZE} × 1–{MAX_IMAGE_SIZE} pixels, "
                f"got {image.shape[0]} × {image.shape[1]}"
            )
        return image

    # -- construction -------------------------------------------------------------------

    def _build_controls(self, kernel, stride, padding, dilation, padding_mode, mode, pattern,
                        size) -> None:
        options = [(name.replace("_", " "), name) for name in PATTERNS]
        if self._custom_image is not None:
            options.insert(0, ("custom", "custom"))
            pattern = "custom"
        self.pattern = widgets.Dropdown(options=options, value=pattern, description="pattern")
        self.size = int_slider("size", size, *PATTERN_SIZES,
                               disabled=self._custom_image is not None)
        self.kernel = KernelPicker(kernel, max_size=5)
        self.stride = int_slider("stride", stride, 1, 4)
        self.padding = int_slider("padding", padding, 0, 3)
        self.dilation = int_slider("dilation", dilation, 1, 3)
        self.padding_mode = choice(widgets.Dropdown, "padding_mode", padding_mode, PADDING_MODES,
                                   style={"description_width": "initial"})
        self.mode = choice(widgets.ToggleButtons, "mode", mode, MODES)
        self.formula_html = widgets.HTML().add_class("convlessons-formula")
        self.torch_html = widgets.HTML()
        self.mode_html = widgets.HTML()

    def _build_figure(self) -> None:
        self.figure_panel = FigurePanel((8.8, 3.4), dpi=80, css_class="convlessons-figure")
        figure = self.figure_panel.figure
        grid = figure.add_gridspec(1, 3, width_ratios=[1, 0.45, 1], left=0.02, right=0.98,
                                   top=0.9, bottom=0.03, wspace=0.12)
        self.input_axes, self.kernel_axes, self.output_axes = (
            figure.add_subplot(grid[0, i]) for i in range(3)
        )
        for axes in (self.input_axes, self.kernel_axes, self.output_axes):
            axes.set_title("", y=1.0, pad=4)  # a fixed y: no title placement at every draw
        self.input_grid = NumberedGrid(self.input_axes, UNSIGNED_CMAP, max_numbered=18)
        self._input_origin: tuple[int, int] | None = None
        self.padding_ring = PathPatch(Path(np.zeros((1, 2))), facecolor=(0.55, 0.55, 0.55, 0.35),
                                      edgecolor="none", hatch="//", zorder=3)
        self.input_axes.add_patch(self.padding_ring)
        self.image_border = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="#1b7837",
                                      linewidth=2, linestyle="--", zorder=4)
        self.input_axes.add_patch(self.image_border)
        self.window_box = highlight(self.input_axes)
        self.taps = PolyCollection([], facecolors="none", edgecolors="#e69f00", linewidths=1.5,
                                   zorder=5)
        self.input_axes.add_collection(self.taps)
        self.kernel_grid = NumberedGrid(self.kernel_axes, SIGNED_CMAP, max_numbered=5)
        self.output_grid = NumberedGrid(self.output_axes, SIGNED_CMAP, max_numbered=18)
        self.output_box = highlight(self.output_axes)
        self.problem_text = self.output_axes.text(
            0.5, 0.5, "", transform=self.output_axes.transAxes, ha="center", va="center",
            fontsize=10, color="#b2182b", visible=False, zorder=6,
        )
        self._highlight_drawn = False
        for axes in (self.input_axes, self.output_axes):  # a zoom or pan moves the cells
            axes.callbacks.connect("xlim_changed", self._on_view_change)
            axes.callbacks.connect("ylim_changed", self._on_view_change)

    def _build_stepper(self) -> None:
        """The step control and its two readouts, drawn in the page with the figure's styles."""
        styles = [{"color": to_hex(artist.get_edgecolor()),
                   "width": float(np.ravel(artist.get_linewidth())[0])}
                  for artist in (self.window_box, self.taps, self.output_box)]
        self.position = HighlightStepper(self.figure_panel.widget, styles, speed=1)
        self.position_label = StepText(self.position, "position").add_class(
            "convlessons-position")
        self.sum_html = StepText(self.position, "sum")

    # -- updates ------------------------------------------------------------------------

    def _image(self) -> np.ndarray:
        if self.pattern.value == "custom":
            return self._custom_image
        return make_pattern(as_choice(self.pattern.value, "pattern", PATTERNS), self.size.value)

    def _kernel(self) -> np.ndarray:
        """The picker's kernel, checked: code may set ``kernel.value`` to anything."""
        kernel = as_array(self.kernel.value, "kernel", ndim=2, layout="(kH, kW)")
        if min(kernel.shape) < 1:
            raise ValueError(f"kernel must have at least one row and one column, got shape "
                             f"{kernel.shape}")
        return kernel

    def _update(self) -> np.ndarray:
        self.size.disabled = self.pattern.value == "custom"
        image, kernel = self._image(), self._kernel()
        self.formula_html.value = size_formulas(image.shape, kernel.shape, self.stride.value,
                                                self.padding.value, self.dilation.value)
        result = explore(image, kernel, self.stride.value, self.padding.value,
                         self.dilation.value, self.padding_mode.value, self.mode.value)
        self.exploration = result
        self._draw_input(result.padded, result.padding)
        self._draw_kernel(result.weight)
        rows, cols = result.output.shape
        self.output_grid.set_values(result.output)
        self.output_axes.title.set_text(f"output {rows}×{cols}")
        for artist in (self.output_grid.image, self.output_grid.numbers):
            artist.set_visible(True)
        self.problem_text.set_visible(False)
        code, agrees = result.torch_call()
        verdict = ("✓ torch gives the same output" if agrees
                   else "✗ torch's output differs from the widget's")
        self.torch_html.value = f"<pre>{code}</pre>{verdict}"
        self.mode_html.value = result.mode_difference()
        self._send_steps()  # may clamp the position (read just below)
        self._draw_highlight()
        return result.output

    def _show_problem(self, message: str) -> None:
        self.exploration = None
        self.position.clear({
            "position": "no output for these settings",
            "sum": f"<span style='color:#b2182b'>⚠ {html.escape(message)}</span>",
        })
        self._draw_highlight()
        for artist in (self.output_grid.image, self.output_grid.numbers):
            artist.set_visible(False)
        self.output_axes.title.set_text("no output")
        self.problem_text.set_text(textwrap.fill(message, 34))
        self.problem_text.set_visible(True)
        self.mode_html.value = self.torch_html.value = ""
        try:  # the input and kernel, unless they are what is wrong (the message says so)
            image, kernel = self._image(), self._kernel()
            self._draw_input(image, 0)
            self._draw_kernel(slid_kernel(kernel, self.mode.value))
        except (ValueError, TypeError):
            return
        code, result = torch_equivalent(image, kernel, self.stride.value, self.padding.value,
                                        self.dilation.value, self.padding_mode.value,
                                        self.mode.value)
        verdict = (f"✓ torch refuses too: {html.escape(result)}" if isinstance(result, str)
                   else f"✗ torch computes a {result.shape[0]}×{result.shape[1]} output")
        self.torch_html.value = f"<pre>{code}</pre>{verdict}"

    def _draw_input(self, padded: np.ndarray, padding: int) -> None:
        """Padded input, ring and border; the cells are left alone when nothing changed."""
        height, width = padded.shape[0] - 2 * padding, padded.shape[1] - 2 * padding
        origin = (-padding, -padding)
        if origin != self._input_origin or not np.array_equal(padded, self.input_grid.values):
            low, high = min(0.0, float(padded.min())), max(1.0, float(padded.max()))
            self.input_grid.set_values(padded, limits=(low, high), origin=origin)
            self._input_origin = origin
            self.image_border.set_bounds(-0.5, -0.5, width, height)
            outer = _box(-padding, -padding, height + 2 * padding, width + 2 * padding)
            inner = _box(0, 0, height, width)
            vertices = np.concatenate([outer.transform(_SQUARE), inner.transform(_SQUARE[::-1])])
            self.padding_ring.set_path(Path(vertices, _RING_CODES))
            self.padding_ring.set_visible(padding > 0)
        padded_by = f" + padding {padding} ({self.padding_mode.value})" if padding else ""
        self.input_axes.title.set_text(f"input {height}×{width}{padded_by}")

    def _draw_kernel(self, weight: np.ndarray) -> None:
        if not np.array_equal(weight, self.kernel_grid.values):
            self.kernel_grid.set_values(weight)
        flipped = " flipped 180°" if self.mode.value == "convolution" else ""
        self.kernel_axes.title.set_text(f"kernel {weight.shape[0]}×{weight.shape[1]}{flipped}")

    def _highlight_boxes(self, position: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Data-space boxes ``[x0, y0, x1, y1]`` of ``position``: window, taps, output cell.

        The window and the taps are in the input axes, the cell in the output axes; the
        taps are inset by :data:`_TAP_INSET` of a cell. The picture's artists and the
        page's overlay are both drawn from these.
        """
        row, col = self.exploration.cell(position)
        rows, cols = self.exploration.window(row, col)
        window = np.array([cols[0] - 0.5, rows[0] - 0.5, cols[-1] + 0.5, rows[-1] + 0.5])
        r, c = (grid.ravel() for grid in np.meshgrid(rows, cols, indexing="ij"))
        inset = 0.5 - _TAP_INSET
        taps = np.column_stack([c - inset, r - inset, c + inset, r + inset])
        cell = np.array([col - 0.5, row - 0.5, col + 0.5, row + 0.5])
        return window, taps, cell

    def _send_steps(self) -> None:
        """Send the page every position's outlines (figure pixels), output cell and texts.

        Outlines are rows ``[style, x, y, w, h]`` with styles 0 window, 1 tap, 2 output
        cell (those of the picture's ``window_box``, ``taps``, ``output_box``); the
        output cell is also the position's click target.
        """
        result = self.exploration
        boxes = [self._highlight_boxes(position) for position in range(result.output.size)]
        taps_per_step = len(boxes[0][1])
        inputs = pixel_boxes(self.input_axes, [np.vstack([window, taps])
                                               for window, taps, _cell in boxes])
        cells = pixel_boxes(self.output_axes, [cell for _window, _taps, cell in boxes])
        inputs = np.round(inputs, 2).reshape(len(boxes), taps_per_step + 1, 4).tolist()
        cells = np.round(cells, 2).tolist()
        style = [0] + [1] * taps_per_step
        steps = []
        for position, (box, cell) in enumerate(zip(inputs, cells, strict=True)):
            row, col = result.cell(position)
            steps.append({
                "outlines": [[s, *b] for s, b in zip(style, box, strict=True)] + [[2, *cell]],
                "target": cell,
                "texts": {"position": html.escape(result.position_text(row, col)),
                          "sum": f"<code>{html.escape(result.sum_text(row, col))}</code>"},
            })
        self.position.set_steps(steps, self.figure_panel.figure)

    def _on_view_change(self, _axes) -> None:
        """A zoom or pan (not a settings change) moved the cells: send their new boxes."""
        if not self._silenced and self.exploration is not None:
            self._send_steps()

    def _draw_highlight(self) -> None:
        """Show the current highlight in the figure while pictures are taken, else hide it.

        The live figure never draws it: the page's overlay does, so a step needs no new
        rendering (and no stale copy shows under the overlay).
        """
        shown = self._highlight_drawn and self.exploration is not None
        for artist in (self.window_box, self.taps, self.output_box):
            artist.set_visible(shown)
        if not shown:
            return
        window, taps, cell = self._highlight_boxes(self.position.value)
        self.window_box.set_bounds(window[0], window[1], *(window[2:] - window[:2]))
        self.taps.set_verts([[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
                             for x0, y0, x1, y1 in taps])
        self.output_box.set_bounds(cell[0], cell[1], 1, 1)

    @contextlib.contextmanager
    def _highlight_in_figure(self) -> Iterator[None]:
        """Within the block the figure draws the current highlight (for a picture)."""
        self._highlight_drawn = True
        self._draw_highlight()
        try:
            yield
        finally:
            self._highlight_drawn = False
            self._draw_highlight()

    def _repr_mimebundle_(self, **kwargs: object) -> dict[str, object]:
        """The base's bundle, its picture showing the current position's highlight."""
        with self._highlight_in_figure():
            return super()._repr_mimebundle_(**kwargs)

    def select_output_cell(self, row: int, col: int) -> None:
        """Move the step to output cell ``(row, col)`` (what a click on the output does)."""
        if self.exploration is None:
            return
        rows, cols = self.exploration.output.shape
        if 0 <= row < rows and 0 <= col < cols:
            self.position.value = row * cols + col


_TAP_INSET = 0.18
"""Inset of a tap's outline inside its cell, in cells (the taps stay apart)."""

_SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
_RING_CODES = np.array([Path.MOVETO, *[Path.LINETO] * 3] * 2, dtype=Path.code_type)


def _box(row: float, col: float, height: float, width: float) -> Affine2D:
    """Affine map of the unit square onto cells ``row..row+height-1, col..col+width-1``."""
    return Affine2D().scale(width, height).translate(col - 0.5, row - 0.5)
