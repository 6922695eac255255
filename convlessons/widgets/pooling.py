"""PoolingExplorer: max and average pooling, one window at a time.

The view of :mod:`convlessons.pooling` (the model: :func:`~convlessons.pooling.pooling`).
Left, the input with the window of the chosen output cell; right, the pooled output with
that cell outlined; below, the value written out and the output-size formula.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from convlessons._validation import as_int
from convlessons.pooling import INPUT_LEVELS, MAX_SIZE, POOL_MODES, Pooling, example_input, pooling
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._controls import choice, int_slider
from convlessons.widgets._grid import NumberedGrid, highlight

__all__ = ["KERNEL_SIZES", "STRIDES", "PoolingExplorer"]

KERNEL_SIZES = (1, 4)
"""Range of the ``kernel_size`` slider (the window side)."""

STRIDES = (1, 4)
"""Range of the ``stride`` slider."""

INPUT_CMAP = "gray"
"""Inputs are non-negative: 0 is black, 9 is white (and so are the pooled values)."""

_ACTIVE = "#e69f00"


class PoolingExplorer(LessonWidget):
    """Interactive max / average pooling of a small integer image.

    Parameters
    ----------
    size
        Input side (4 to 12); the input is :func:`convlessons.pooling.example_input`.
    kernel_size, stride
        Initial window side and stride (1–4 each).
    mode
        ``"max"`` or ``"average"``.
    seed
        Seed of the example input.

    Attributes
    ----------
    input : numpy.ndarray
        ``(size, size)`` integers 0–9, fixed for the widget.
    output : numpy.ndarray or None
        ``F.max_pool2d`` / ``F.avg_pool2d`` of the input for the current controls, ``None``
        when the window does not fit.
    problem : str
        Why the setting is impossible, ``""`` otherwise.
    result : Pooling or None
        The model of the current setting.

    Controls (public): ``mode`` (toggle), ``kernel_size``, ``stride`` (sliders) and
    ``position`` (which output cell is explained, row by row). Text: ``text``.

    ``controls=`` names (:attr:`CONTROLS`): ``"mode"``, ``"kernel_size"``, ``"stride"``,
    ``"position"``; ``readouts=`` names (:attr:`READOUTS`): ``"text"`` (the cell's value
    written out and the size formula). Default: all; hidden controls keep their values
    and can still be set from code.
    """

    CONTROLS = {name: (name,) for name in ("mode", "kernel_size", "stride", "position")}
    READOUTS = {"text": ("text",)}

    def __init__(self, size: int = 8, kernel_size: int = 2, stride: int = 2,
                 mode: str = "max", seed: int = 0,
                 controls: tuple[str, ...] | None = None,
                 readouts: tuple[str, ...] | None = None) -> None:
        size = as_int(size, "size", minimum=4, maximum=min(12, MAX_SIZE))
        self.input = example_input(size, seed)
        self.result: Pooling | None = None
        self.mode = choice(widgets.ToggleButtons, "mode", mode, POOL_MODES)
        self.kernel_size = int_slider("kernel_size", kernel_size, *KERNEL_SIZES)
        self.stride = int_slider("stride", stride, *STRIDES)
        self.position = widgets.IntSlider(value=0, min=0, max=0, description="output cell")
        self.text = widgets.HTML().add_class("convlessons-pooling-text")
        self._build_figure()
        super().__init__([
            widgets.HBox([self.mode]),
            widgets.HBox([self.kernel_size, self.stride]),
            self.figure_panel.widget,
            self.position,
            self.text,
        ])
        self.add_class("convlessons-pooling")
        self._watch(self.mode, self.kernel_size, self.stride)
        self._watch(self.position, then=self._show_cell, refresh=False)
        self._start(controls, readouts)

    def _build_figure(self) -> None:
        self.figure_panel = FigurePanel((7.0, 3.4), css_class="convlessons-pooling-figure")
        figure = self.figure_panel.figure
        self.input_axes = figure.add_axes((0.03, 0.04, 0.5, 0.84))
        self.output_axes = figure.add_axes((0.6, 0.04, 0.37, 0.84))
        limits = (0, INPUT_LEVELS - 1)
        self.input_grid = NumberedGrid(self.input_axes, INPUT_CMAP)
        self.input_grid.set_values(self.input, limits=limits)
        self.output_grid = NumberedGrid(self.output_axes, INPUT_CMAP)
        self.input_axes.set_title("input X", fontsize=10)
        self.output_title = self.output_axes.set_title("", fontsize=10)
        self.window_box = highlight(self.input_axes, color=_ACTIVE)
        self.cell_box = highlight(self.output_axes, color=_ACTIVE)
        self.unread_box = highlight(self.input_axes, color="#1b7837", linewidth=1.5)
        self.unread_box.set_linestyle("--")
        self.problem_text = self.output_axes.text(
            0.5, 0.5, "", ha="center", va="center", wrap=True, fontsize=9, color="#b2182b",
            transform=self.output_axes.transAxes)

    def _update(self) -> np.ndarray:
        result = pooling(self.input, self.kernel_size.value, self.stride.value, self.mode.value)
        self.result = result
        self.output_grid.set_values(result.output, limits=(0, INPUT_LEVELS - 1))
        rows, cols = result.output.shape
        self.output_title.set_text(f"{result.mode} pooling: output Y ({rows}×{cols})")
        for artist in (self.output_grid.image, self.output_grid.numbers, self.window_box,
                       self.cell_box):
            artist.set_visible(True)
        self.problem_text.set_text("")
        # the pixels no window reads (bottom rows, right columns), outlined
        extra_rows, extra_cols = result.unread()
        size = self.input.shape[0]
        self.unread_box.set_visible(bool(extra_rows or extra_cols))
        self.unread_box.set_bounds(-0.5, -0.5, size - extra_cols, size - extra_rows)
        self.position.max = result.positions - 1  # clamps the position quietly
        self._show_cell()
        return result.output

    def _show_cell(self) -> None:
        """Outline the window of the chosen output cell and write its value out."""
        result = self.result
        if result is None:
            return
        i, j = result.cell(self.position.value)
        rows, cols = result.window(i, j)
        k = result.kernel_size
        self.window_box.set_bounds(cols.start - 0.5, rows.start - 0.5, k, k)
        self.cell_box.set_bounds(j - 0.5, i - 0.5, 1, 1)
        lines = [result.cell_text(i, j), result.size_text()]
        extra_rows, extra_cols = result.unread()
        if extra_rows or extra_cols:
            lines.append(f"no window reads the last {extra_rows} row(s) and {extra_cols} "
                         "column(s) (outside the dashed frame): the floor drops them")
        self.text.value = "<code>" + "<br>".join(html.escape(line) for line in lines) + "</code>"

    def _show_problem(self, message: str) -> None:
        self.result = None
        for artist in (self.output_grid.image, self.output_grid.numbers, self.window_box,
                       self.cell_box, self.unread_box):
            artist.set_visible(False)
        self.output_title.set_text("no output")
        self.problem_text.set_text(message)
        self.text.value = f"<span style='color:#b2182b'>⚠ {html.escape(message)}</span>"
