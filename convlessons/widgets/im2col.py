"""Im2col viewer: a convolution is one matrix product of the weights with the window columns.

Model first (:func:`example_arrays`, :func:`im2col_product`, :class:`Im2colProduct`: arrays
and text, no display), then the view (:class:`Im2colViewer`).

``reference.im2col`` lays every k×k window of the (padded) input out as one column of the
``(C·k²) × L`` column matrix (``L = H_out·W_out`` windows, rows ordered (channel, ky, kx) as
``torch.nn.functional.unfold``); the convolution is then the single product

.. math:: y = W_{row}\\,(1 \\times Ck^2) \\; @ \\; \\text{columns}\\,(Ck^2 \\times L)
          \\;=\\; (1 \\times L), \\text{ reshaped to } H_{out} \\times W_{out}.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.gridspec import GridSpec

from convlessons._validation import as_array, as_int
from convlessons.arithmetic import conv_output_size
from convlessons.reference import im2col
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._grid import SIGNED_CMAP, UNSIGNED_CMAP, NumberedGrid, highlight

__all__ = ["INPUT_LEVELS", "Im2colProduct", "Im2colViewer", "example_arrays", "im2col_product"]

INPUT_LEVELS = 4
"""Example inputs are the integers ``0 … INPUT_LEVELS - 1`` (small, so sums are readable)."""


def example_arrays(
    size: int, channels: int, kernel_size: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A small integer input ``(C, size, size)`` in ``0…3`` and kernel ``(C, k, k)`` in ``−1…1``.

    Deterministic for a given ``seed``; the kernel is never all zeros.
    """
    size = as_int(size, "size", minimum=1)
    channels = as_int(channels, "channels", minimum=1)
    kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
    rng = np.random.default_rng(as_int(seed, "seed", minimum=0))
    image = rng.integers(0, INPUT_LEVELS, (channels, size, size)).astype(np.float64)
    kernel = rng.integers(-1, 2, (channels, kernel_size, kernel_size)).astype(np.float64)
    kernel.flat[0] = kernel.flat[0] or 1.0
    return image, kernel


@dataclass(frozen=True)
class Im2colProduct:
    """Everything the im2col picture shows, for one input, kernel, stride and padding.

    Attributes
    ----------
    input, weight
        ``(C, H, W)`` input and ``(C, k, k)`` kernel (one output channel).
    stride, padding
        Square stride ``s >= 1`` and zero padding ``p >= 0``.
    columns
        ``reference.im2col(input, k, s, p)``: ``(C·k², L)``.
    weight_row
        The kernel flattened in the same (channel, ky, kx) order: ``(1, C·k²)``.
    product
        ``weight_row @ columns``: ``(1, L)``.
    output
        ``product`` reshaped to ``(H_out, W_out)``; equals ``reference.conv2d`` and
        ``torch.nn.functional.conv2d`` with the same stride and padding.
    """

    input: np.ndarray
    weight: np.ndarray
    stride: int
    padding: int
    columns: np.ndarray
    weight_row: np.ndarray
    product: np.ndarray
    output: np.ndarray

    @property
    def kernel_size(self) -> int:
        return self.weight.shape[-1]

    @property
    def positions(self) -> int:
        """``L = H_out·W_out``, the number of windows (columns)."""
        return self.columns.shape[1]

    @property
    def padded_input(self) -> np.ndarray:
        """The input with ``padding`` zeros on every side: ``(C, H + 2p, W + 2p)``."""
        p = self.padding
        return np.pad(self.input, ((0, 0), (p, p), (p, p)))

    @property
    def memory_factor(self) -> float:
        """Column-matrix elements per input element, ``C·k²·L / (C·H·W)`` (≈ k²/s²)."""
        return self.columns.size / self.input.size

    def window(self, position: int) -> tuple[int, int]:
        """Top-left input pixel ``(oy·s − p, ox·s − p)`` of window ``position = oy·W_out + ox``."""
        oy, ox = self.output_cell(position)
        return oy * self.stride - self.padding, ox * self.stride - self.padding

    def output_cell(self, position: int) -> tuple[int, int]:
        """``(oy, ox)`` of column ``position``; raises ``ValueError`` if out of range."""
        position = as_int(position, "position", minimum=0)
        if position >= self.positions:
            raise ValueError(
                f"position must be in 0…{self.positions - 1} (L = {self.positions} windows), "
                f"got {position}"
            )
        oy, ox = divmod(position, self.output.shape[1])
        return int(oy), int(ox)

    def shapes_text(self) -> str:
        """HTML: the product with its shapes, and the memory factor against k²/s²."""
        rows, positions = self.columns.shape
        h_out, w_out = self.output.shape
        k, s = self.kernel_size, self.stride
        return (
            f"<b>W_row</b> (1 × {rows}) @ <b>columns</b> ({rows} × {positions}) "
            f"= <b>output</b> (1 × {positions}) → reshape {h_out} × {w_out}<br>"
            f"rows = C·k² = {self.input.shape[0]}·{k}² = {rows}; "
            f"columns = L = H_out·W_out = {h_out}·{w_out} = {positions}<br>"
            f"memory: columns hold {self.columns.size} numbers for {self.input.size} input "
            f"numbers, factor <b>{self.memory_factor:.2f}</b> (≈ k²/s² = {k}²/{s}² = "
            f"{k * k / (s * s):.2f} for a large input)"
        )

    def sum_text(self, position: int) -> str:
        """HTML: output value at ``position`` as the dot product of W_row with one column."""
        oy, ox = self.output_cell(position)
        terms = " + ".join(
            f"({w:g})({x:g})" for w, x in zip(self.weight_row[0], self.columns[:, position],
                                               strict=True)
        )
        value = self.product[0, position]
        return f"output[{oy}, {ox}] = W_row · columns[:, {position}] = {terms} = <b>{value:g}</b>"


def im2col_product(
    input: np.ndarray, weight: np.ndarray, stride: int = 1, padding: int = 0
) -> Im2colProduct:
    """Compute a one-output-channel convolution as ``W_row @ im2col(input)``.

    ``columns = reference.im2col(input, k, stride, padding)`` (checked against
    ``torch.nn.functional.unfold``), ``W_row = weight.reshape(1, C·k²)``, and the output
    ``(W_row @ columns).reshape(H_out, W_out)`` with ``H_out = ⌊(H + 2p − k)/s⌋ + 1``;
    ``tests/test_widget_im2col.py`` checks it against ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    input
        ``(C, H, W)``.
    weight
        ``(C, k, k)``: one square filter over all input channels.
    stride, padding
        Ints, ``stride >= 1``, ``padding >= 0``.

    Raises
    ------
    ValueError, TypeError
        Naming the parameter: wrong dimensions, channel mismatch, non-square kernel, or a
        kernel larger than the padded input (message from ``arithmetic.conv_output_size``).
    """
    x = as_array(input, "input", ndim=3, layout="(C, H, W)")
    w = as_array(weight, "weight", ndim=3, layout="(C, k, k)")
    stride = as_int(stride, "stride", minimum=1)
    padding = as_int(padding, "padding", minimum=0)
    if w.shape[0] != x.shape[0] or w.shape[1] != w.shape[2]:
        raise ValueError(
            f"weight must be (C, k, k) with C = input channels = {x.shape[0]}, got {w.shape}"
        )
    k = w.shape[1]
    h_out, w_out = (conv_output_size(n, k, stride, padding) for n in x.shape[1:])
    columns = im2col(x, k, stride, padding)
    weight_row = w.reshape(1, -1)
    product = weight_row @ columns
    return Im2colProduct(x, w, stride, padding, columns, weight_row, product,
                         product.reshape(h_out, w_out))


class Im2colViewer(LessonWidget):
    """Interactive im2col: input windows, the column matrix, and the single matrix product.

    Controls (public attributes): ``size`` (input H = W, 4–6), ``channels`` (1–2),
    ``kernel_size`` (2–3), ``stride`` (1–3), ``padding`` (0–2) and ``position`` (which
    window / column is highlighted; clicking the output grid or a column also selects it).
    ``output`` is the current ``H_out × W_out`` result (``None`` when impossible) and
    ``problem`` the explanation shown instead ("" when fine).
    """

    def __init__(self, size: int = 5, channels: int = 2, kernel_size: int = 3, stride: int = 1,
                 padding: int = 0, seed: int = 0) -> None:
        size = as_int(size, "size", minimum=4, maximum=6)
        channels = as_int(channels, "channels", minimum=1, maximum=2)
        kernel_size = as_int(kernel_size, "kernel_size", minimum=2, maximum=3)
        stride = as_int(stride, "stride", minimum=1, maximum=3)
        padding = as_int(padding, "padding", minimum=0, maximum=2)
        self.seed = as_int(seed, "seed", minimum=0)
        self.size = widgets.IntSlider(value=size, min=4, max=6, description="size")
        self.channels = widgets.IntSlider(value=channels, min=1, max=2, description="channels")
        self.kernel_size = widgets.IntSlider(value=kernel_size, min=2, max=3,
                                             description="kernel_size")
        self.stride = widgets.IntSlider(value=stride, min=1, max=3, description="stride")
        self.padding = widgets.IntSlider(value=padding, min=0, max=2, description="padding")
        self.position = widgets.IntSlider(value=0, min=0, max=0, description="position")
        self.shapes_html = widgets.HTML()
        self.sum_html = widgets.HTML()
        self.output: np.ndarray | None = None
        self.problem = ""
        self.result: Im2colProduct | None = None
        self._build_figure()
        controls = [self.size, self.channels, self.kernel_size, self.stride, self.padding,
                    self.position]
        super().__init__([
            widgets.HBox([widgets.VBox(controls[:3]), widgets.VBox(controls[3:])]),
            self.figure_panel.widget, self.shapes_html, self.sum_html,
        ])
        self.add_class("convlessons-im2col")
        self._watch(*controls)
        self.figure_panel.on_click(self._on_click)
        self.refresh()
        self.figure_panel.store_static_image()

    def _build_figure(self) -> None:
        self.figure_panel = FigurePanel(figsize=(9, 5.6), css_class="convlessons-im2col-figure")
        fig = self.figure_panel.figure
        grid = GridSpec(4, 5, figure=fig, height_ratios=[3, 0.55, 2.4, 0.55], hspace=0.55,
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

    def _update(self) -> None:
        image, kernel = example_arrays(self.size.value, self.channels.value,
                                       self.kernel_size.value, self.seed)
        result = im2col_product(image, kernel, self.stride.value, self.padding.value)
        self.position.max = result.positions - 1  # may clamp position (a nested refresh)
        position = self.position.value
        self.result, self.output, self.problem = result, result.output, ""
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
        self.figure_panel.redraw()

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
        self.result, self.output, self.problem = None, None, message
        for artist in self._result_artists:
            artist.set_visible(False)
        self.problem_text.set_text(textwrap.fill(message, 90))
        self.sum_html.value = ""
        self.shapes_html.value = f"<span style='color:#b2182b'>⚠ {message}</span>"
        self.figure_panel.redraw()
