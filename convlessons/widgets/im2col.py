"""Im2colViewer: a convolution is one matrix product of the weights with the window columns.

A view of :func:`convlessons.reference.im2col.im2col_product` (the model,
:class:`~convlessons.reference.im2col.Im2colProduct`, computes every array and text):
``reference.im2col`` lays every k×k window of the (padded) input out as one column of the
``(C·k²) × L`` column matrix (``L = H_out·W_out`` windows, rows ordered (channel, ky, kx) as
``torch.nn.functional.unfold``); the convolution is then the single product

.. math:: y = W_{row}\\,(1 \\times Ck^2) \\; @ \\; \\text{columns}\\,(Ck^2 \\times L)
          \\;=\\; (1 \\times L), \\text{ reshaped to } H_{out} \\times W_{out}.
"""

from __future__ import annotations

import html
import textwrap

import ipywidgets as widgets
import numpy as np
from matplotlib.gridspec import GridSpec

from convlessons._validation import as_int
from convlessons.reference.im2col import (
    INPUT_LEVELS,
    Im2colProduct,
    example_arrays,
    im2col_product,
)
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._controls import int_slider
from convlessons.widgets._grid import SIGNED_CMAP, UNSIGNED_CMAP, NumberedGrid, highlight

__all__ = ["Im2colViewer"]


class Im2colViewer(LessonWidget):
    """Interactive im2col: input windows, the column matrix, and the single matrix product.

    Controls (public attributes): ``size`` (input H = W, 4–6), ``channels`` (1–2),
    ``kernel_size`` (2–3), ``stride`` (1–3), ``padding`` (0–2) and ``position`` (which
    window / column is highlighted; clicking the output grid or a column also selects it).
    ``output`` is the current ``H_out × W_out`` result (``None`` when impossible) and
    ``problem`` the explanation shown instead ("" when fine).

    ``controls=`` names (:attr:`CONTROLS`): ``"size"``, ``"channels"``, ``"kernel_size"``,
    ``"stride"``, ``"padding"``, ``"position"``; ``readouts=`` names (:attr:`READOUTS`):
    ``"shapes"`` (the matrix shapes), ``"sum"`` (the highlighted product written out).
    Default: all; hidden controls keep their values and can still be set from code.
    """

    CONTROLS = {name: (name,) for name in ("size", "channels", "kernel_size", "stride",
                                           "padding", "position")}
    READOUTS = {"shapes": ("shapes_html",), "sum": ("sum_html",)}

    def __init__(self, size: int = 5, channels: int = 2, kernel_size: int = 3, stride: int = 1,
                 padding: int = 0, seed: int = 0,
                 controls: tuple[str, ...] | None = None,
                 readouts: tuple[str, ...] | None = None) -> None:
        self.size = int_slider("size", size, 4, 6)
        self.channels = int_slider("channels", channels, 1, 2)
        self.kernel_size = int_slider("kernel_size", kernel_size, 2, 3)
        self.stride = int_slider("stride", stride, 1, 3)
        self.padding = int_slider("padding", padding, 0, 2)
        self.seed = as_int(seed, "seed", minimum=0)
        self.position = widgets.IntSlider(value=0, min=0, max=0, description="position")
        self.shapes_html = widgets.HTML()
        self.sum_html = widgets.HTML()
        self.result: Im2colProduct | None = None
        self._build_figure()
        knobs = [self.size, self.channels, self.kernel_size, self.stride, self.padding,
                    self.position]
        super().__init__([
            widgets.HBox([widgets.VBox(knobs[:3]), widgets.VBox(knobs[3:])]),
            self.figure_panel.widget, self.shapes_html, self.sum_html,
        ])
        self.add_class("convlessons-im2col")
        self._watch(*knobs)
        self.figure_panel.on_click(self._on_click)
        self._start(controls, readouts)

    def _build_figure(self) -> None:
        # the columns matrix has up to 18 rows: tall enough for a legible digit in each
        self.figure_panel = FigurePanel(figsize=(9, 7.2), css_class="convlessons-im2col-figure")
        fig = self.figure_panel.figure
        grid = GridSpec(4, 5, figure=fig, height_ratios=[2.6, 0.45, 4.4, 0.45], hspace=0.45,
                        left=0.03, right=0.97, top=0.94, bottom=0.03)
        self.input_axes = [fig.add_subplot(grid[0, c]) for c in range(2)]
        self.kernel_axes = [fig.add_subplot(grid[0, c]) for c in range(2, 4)]
        self.output_axes = fig.add_subplot(grid[0, 4])
        self.row_axes = fig.add_subplot(grid[1, :])
        self.columns_axes = fig.add_subplot(grid[2, :])
        self.product_axes = fig.add_subplot(grid[3, :])
        self.input_grids = [NumberedGrid(ax, UNSIGNED_CMAP) for ax in self.input_axes]
        self.kernel_grids = [NumberedGrid(ax, SIGNED_CMAP) for ax in self.kernel_axes]
        self.output_grid = NumberedGrid(self.output_axes, SIGNED_CMAP)
        self.row_grid = NumberedGrid(self.row_axes, SIGNED_CMAP, max_numbered=40)
        self.columns_grid = NumberedGrid(self.columns_axes, UNSIGNED_CMAP, max_numbered=40)
        self.product_grid = NumberedGrid(self.product_axes, SIGNED_CMAP, max_numbered=40)
        for ax in (self.row_axes, self.columns_axes, self.product_axes):
            ax.set_aspect("auto")
        titles = {self.output_axes: "output", self.row_axes: "W_row (kernel flattened)",
                  self.columns_axes: "columns = im2col(x)", self.product_axes: "W_row @ columns"}
        for c in range(2):
            titles[self.input_axes[c]] = f"input c{c}"
            titles[self.kernel_axes[c]] = f"kernel c{c}"
        for ax, title in titles.items():
            ax.set_title(title, fontsize=9, pad=3)
        self.window_boxes = [highlight(ax) for ax in self.input_axes]
        self.border_boxes = [highlight(ax, color="0.35", linewidth=1.2) for ax in self.input_axes]
        for box in self.border_boxes:
            box.set_linestyle("--")
        self.output_box = highlight(self.output_axes)
        self.column_box = highlight(self.columns_axes)
        self.product_box = highlight(self.product_axes)
        self.problem_text = self.columns_axes.text(
            0.5, 0.5, "", ha="center", va="center", fontsize=9, color="#b2182b",
            transform=self.columns_axes.transAxes)
        self._result_artists = [self.output_grid.image, self.output_grid.numbers, self.output_box,
                                self.product_grid.image, self.product_grid.numbers,
                                self.product_box, self.columns_grid.image,
                                self.columns_grid.numbers, self.column_box]

    def _on_click(self, axes: object, x: float, y: float) -> None:
        if self.result is None:
            return
        if axes is self.output_axes:
            position = round(y) * self.result.output.shape[1] + round(x)
        elif axes in (self.columns_axes, self.product_axes):
            position = round(x)
        else:
            return
        self.position.value = min(max(position, 0), self.position.max)

    def _update(self) -> np.ndarray:
        image, kernel = example_arrays(self.size.value, self.channels.value,
                                       self.kernel_size.value, self.seed)
        result = im2col_product(image, kernel, self.stride.value, self.padding.value)
        self.position.max = result.positions - 1  # may clamp the position (read just below)
        position = self.position.value
        self.result = result
        self._draw_inputs(result, position)
        self.row_grid.set_values(result.weight_row)
        self.columns_grid.set_values(result.columns, limits=(0, INPUT_LEVELS - 1))
        self.column_box.set_bounds(position - 0.5, -0.5, 1, result.columns.shape[0])
        self.column_box.set_visible(True)
        self.product_grid.set_values(result.product)
        self.product_box.set_bounds(position - 0.5, -0.5, 1, 1)
        oy, ox = result.output_cell(position)
        self.output_grid.set_values(result.output)
        self.output_box.set_bounds(ox - 0.5, oy - 0.5, 1, 1)
        for artist in self._result_artists:
            artist.set_visible(True)
        self.problem_text.set_text("")
        self.shapes_html.value = result.shapes_text()
        self.sum_html.value = result.sum_text(position)
        return result.output

    def _draw_inputs(self, result: Im2colProduct, position: int) -> None:
        """Padded input channels with the window, and the kernel channels."""
        top, left = result.window(position)
        k, p = result.kernel_size, result.padding
        height, width = result.input.shape[1:]
        limits = (-np.abs(result.weight).max(), np.abs(result.weight).max())
        padded = result.padded_input
        for c, (in_ax, k_ax) in enumerate(zip(self.input_axes, self.kernel_axes, strict=True)):
            shown = c < result.input.shape[0]
            in_ax.set_visible(shown)
            k_ax.set_visible(shown)
            if not shown:
                continue
            self.input_grids[c].set_values(padded[c], limits=(0, INPUT_LEVELS - 1),
                                           origin=(-p, -p))
            self.window_boxes[c].set_bounds(left - 0.5, top - 0.5, k, k)
            self.window_boxes[c].set_visible(True)
            self.border_boxes[c].set_bounds(-0.5, -0.5, width, height)
            self.border_boxes[c].set_visible(p > 0)
            self.kernel_grids[c].set_values(result.weight[c], limits=limits)

    def _show_problem(self, message: str) -> None:
        self.result = None
        for artist in self._result_artists:
            artist.set_visible(False)
        self.problem_text.set_text(textwrap.fill(message, 90))
        self.sum_html.value = ""
        self.shapes_html.value = f"<span style='color:#b2182b'>⚠ {html.escape(message)}</span>"
