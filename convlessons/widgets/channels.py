"""ChannelExplorer: many input channels, several filters with biases, one output value at a time.

The view of :mod:`convlessons.channels` (the model: :func:`~convlessons.channels.channel_conv`).
The top row shows the input's channels side by side, zero-padded; below it, one row per
filter: its kernel for each input channel (under that channel), its bias and its output map.
Stepping (◀ / ▶ or a click on an output cell) highlights the window in every input channel
and writes the arithmetic out: each channel's products summed, plus the bias, equals the
output value.
"""

from __future__ import annotations

import functools
import html
import textwrap

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

from convlessons._format import format_number
from convlessons._validation import as_int
from convlessons.channels import INPUT_LEVELS, ChannelConv, channel_conv, example_layer
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._controls import int_slider
from convlessons.widgets._grid import (
    SIGNED_CMAP,
    NumberedGrid,
    highlight,
    symmetric_limits,
)

__all__ = ["RANGES", "ChannelExplorer"]

RANGES = {
    "in_channels": (1, 4),
    "out_channels": (1, 3),
    "size": (2, 7),
    "kernel_size": (1, 4),
    "stride": (1, 3),
    "padding": (0, 2),
}
"""Smallest and largest value of each constructor argument (the last two: of the sliders)."""

INPUT_CMAP = "gray"
"""Inputs are non-negative: 0 is black, larger values are brighter."""

_ACTIVE = "#e69f00"
_INACTIVE = "0.6"
_TITLE_POINTS = 9.0
_TITLE_FONT = FontProperties(family="DejaVu Sans")


class ChannelExplorer(LessonWidget):
    """Interactive multi-channel convolution: input channels, filters, biases, output maps.

    Parameters
    ----------
    in_channels, out_channels
        ``C_in`` (1–4) and ``C_out`` (1–3).
    size
        Input height = width (2–7).
    kernel_size
        ``k`` (1–4); a kernel larger than the padded input shows a problem until the
        padding slider makes room.
    stride, padding
        Initial slider values (1–3 and 0–2).
    seed
        Seed of :func:`convlessons.channels.example_layer` (small integers: input 0–2,
        weights −1…1, biases −2…2).

    Attributes
    ----------
    input, weight, bias : numpy.ndarray
        ``(C_in, H, W)``, ``(C_out, C_in, k, k)``, ``(C_out,)``; fixed for the widget.
    output : numpy.ndarray or None
        ``F.conv2d(input[None], weight, bias, stride, padding)[0]`` for the sliders'
        stride and padding, ``None`` when the setting is impossible.
    problem : str
        Why the setting is impossible, ``""`` otherwise.
    result : ChannelConv or None
        The model of the current setting.

    Controls (public): ``stride``, ``padding`` (sliders), ``position`` (the step: filter by
    filter, row by row), ``previous``, ``next`` (buttons). Text panels: ``position_label``,
    ``sum_html``.

    ``controls=`` names (:attr:`CONTROLS`): ``"stride"``, ``"padding"``, ``"step"``
    (previous / next / position); ``readouts=`` names (:attr:`READOUTS`): ``"position"``,
    ``"sum"``. Default: all; hidden controls keep their values and can still be set from code.
    """

    CONTROLS = {"stride": ("stride",), "padding": ("padding",),
                "step": ("previous", "next", "position")}
    READOUTS = {"position": ("position_label",), "sum": ("sum_html",)}

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 2,
        size: int = 5,
        kernel_size: int = 3,
        stride: int = 2,
        padding: int = 1,
        seed: int = 0,
        controls: tuple[str, ...] | None = None,
        readouts: tuple[str, ...] | None = None,
    ) -> None:
        shape = {"in_channels": in_channels, "out_channels": out_channels, "size": size,
                 "kernel_size": kernel_size}
        for name, value in shape.items():
            as_int(value, name, minimum=RANGES[name][0], maximum=RANGES[name][1])
        super().__init__()
        self.add_class("convlessons-channels")
        self.result: ChannelConv | None = None
        self._build_controls(stride, padding)
        self.input, self.weight, self.bias = example_layer(in_channels, out_channels, size,
                                                           kernel_size, seed)
        self._build_figure()
        self.children = [
            widgets.HBox([self.stride, self.padding]),
            self.figure_panel.widget,
            widgets.HBox([self.previous, self.next, self.position]),
            self.position_label,
            self.sum_html,
        ]
        self._watch(self.stride, self.padding)
        self._watch(self.position, then=self._show_step, refresh=False)
        self._start(controls, readouts)

    # -- construction -------------------------------------------------------------------

    def _build_controls(self, stride: int, padding: int) -> None:
        self.stride = int_slider("stride", stride, *RANGES["stride"])
        self.padding = int_slider("padding", padding, *RANGES["padding"])
        self.position = widgets.BoundedIntText(value=0, min=0, max=0, description="position",
                                               layout=widgets.Layout(width="11em"))
        self.previous = widgets.Button(description="◀ previous", layout={"width": "8em"})
        self.next = widgets.Button(description="next ▶", layout={"width": "8em"})
        self.previous.add_class("convlessons-previous")
        self.next.add_class("convlessons-next")
        self.previous.on_click(lambda _button: self._step(-1))
        self.next.on_click(lambda _button: self._step(+1))
        self.position_label = widgets.HTML().add_class("convlessons-position")
        self.sum_html = widgets.HTML().add_class("convlessons-sum")

    def _build_figure(self) -> None:
        c_out, c_in = self.weight.shape[:2]
        columns = c_in + 2  # input channels / kernels, bias, output
        self.figure_panel = FigurePanel((2.0 * (c_in + 1.8), 2.6 + 1.3 * c_out), dpi=80,
                                        css_class="convlessons-channels-figure")
        figure = self.figure_panel.figure
        grid = figure.add_gridspec(1 + c_out, columns, width_ratios=[1] * c_in + [0.4, 1.4],
                                   height_ratios=[2.2] + [1] * c_out, left=0.02, right=0.98,
                                   top=0.95, bottom=0.02, wspace=0.25, hspace=0.5)
        self.input_axes = [figure.add_subplot(grid[0, c]) for c in range(c_in)]
        self.kernel_axes = [[figure.add_subplot(grid[1 + o, c]) for c in range(c_in)]
                            for o in range(c_out)]
        self.bias_axes = [figure.add_subplot(grid[1 + o, c_in]) for o in range(c_out)]
        self.output_axes = [figure.add_subplot(grid[1 + o, c_in + 1]) for o in range(c_out)]
        self.input_grids = [NumberedGrid(ax, INPUT_CMAP) for ax in self.input_axes]
        for c, ax in enumerate(self.input_axes):
            _Label(ax).set_text(f"input channel {c}")
        self.window_boxes = [highlight(ax, color=_ACTIVE) for ax in self.input_axes]
        self.image_borders = [highlight(ax, color="#1b7837", linewidth=1.5)
                              for ax in self.input_axes]
        for border in self.image_borders:
            border.set_linestyle("--")
        k = self.weight.shape[-1]
        weight_limits = symmetric_limits(self.weight)
        self.kernel_titles, self.filter_frames = [], []
        for o in range(c_out):
            for c, ax in enumerate(self.kernel_axes[o]):
                NumberedGrid(ax, SIGNED_CMAP).set_values(self.weight[o, c], limits=weight_limits)
            bias = NumberedGrid(self.bias_axes[o], SIGNED_CMAP)
            bias.set_values(self.bias[o].reshape(1, 1), limits=symmetric_limits(self.bias))
            _Label(self.bias_axes[o]).set_text(f"b[{o}]")
            self.kernel_titles.append([_Label(ax) for ax in self.kernel_axes[o]])
            frames = [_frame(ax, k) for ax in self.kernel_axes[o]]
            self.filter_frames.append([*frames, _frame(self.bias_axes[o], 1)])
        self.output_grids = [NumberedGrid(ax, SIGNED_CMAP) for ax in self.output_axes]
        self.output_titles = [_Label(ax) for ax in self.output_axes]
        self.output_frames = [_frame(ax, 1) for ax in self.output_axes]
        self.output_boxes = [highlight(ax, color=_ACTIVE) for ax in self.output_axes]
        for ax in figure.axes:
            ax.set_axis_off()  # frames are drawn as single patches: cheaper than 4 spines
        note_axes = figure.add_subplot(grid[0, c_in:])
        note_axes.set_axis_off()
        self.note = _Label(note_axes, anchor=(0.5, 0.7))
        self.figure_panel.on_click(self._on_click)

    # -- updates ------------------------------------------------------------------------

    def _update(self) -> np.ndarray:
        result = channel_conv(self.input, self.weight, self.bias, self.stride.value,
                              self.padding.value)
        self.result = result
        p = result.padding
        height, width = result.input.shape[1:]
        for c, grid in enumerate(self.input_grids):
            grid.set_values(result.padded[c], limits=(0, INPUT_LEVELS - 1), origin=(-p, -p))
            self.image_borders[c].set_bounds(-0.5, -0.5, width, height)
            self.image_borders[c].set_visible(p > 0)
            self.window_boxes[c].set_visible(True)
        output_limits = symmetric_limits(result.output)
        rows, cols = result.output.shape[1:]
        for o, grid in enumerate(self.output_grids):
            grid.set_values(result.output[o], limits=output_limits)
            grid.image.set_visible(True)
            grid.numbers.set_visible(True)
            self.output_titles[o].set_text(f"output Y[{o}] ({rows}×{cols})")
            self.output_frames[o].set_bounds(-0.5, -0.5, cols, rows)
            self.output_frames[o].set_visible(True)
        self.note.set_text(f"Y[o, i, j] = b[o]\n+ Σ over input channels c\n"
                           f"of sum(K[o, c] × window of X[c])\n\n"
                           f"stride {result.stride}, padding {p} → output {rows}×{cols}")
        self.position.max = result.positions - 1  # may clamp the position (read just below)
        self._show_step()
        return result.output

    def _show_problem(self, message: str) -> None:
        self.result = None
        for c, grid in enumerate(self.input_grids):
            grid.set_values(self.input[c], limits=(0, INPUT_LEVELS - 1))
            self.window_boxes[c].set_visible(False)
            self.image_borders[c].set_visible(False)
        for o, grid in enumerate(self.output_grids):
            for artist in (grid.image, grid.numbers, self.output_boxes[o], self.output_frames[o]):
                artist.set_visible(False)
            self.output_titles[o].set_text("no output")
            self._mark_filter(o, active=False, sums=None)
        self.note.set_text(textwrap.fill(message, 34), color="#b2182b")
        self.position_label.value = "no output for these settings"
        self.sum_html.value = f"<span style='color:#b2182b'>⚠ {html.escape(message)}</span>"

    def _mark_filter(self, o: int, active: bool, sums: np.ndarray | None) -> None:
        """Frame filter ``o``'s kernels and bias; write each channel's window sum on top."""
        colour, width = (_ACTIVE, 2.5) if active else (_INACTIVE, 0.8)
        for frame in self.filter_frames[o]:
            frame.set_edgecolor(colour)
            frame.set_linewidth(width)
        for c, title in enumerate(self.kernel_titles[o]):
            total = f" → {format_number(sums[c])}" if sums is not None else ""
            title.set_text(f"K[{o}, {c}]{total}")

    def _show_step(self) -> None:
        """Highlight the window in every input channel and the output cell; write the sum."""
        result = self.result
        if result is None:
            return
        o, i, j = result.cell(self.position.value)
        rows, cols = result.window(i, j)
        k = len(rows)
        for box in self.window_boxes:
            box.set_bounds(cols[0] - 0.5, rows[0] - 0.5, k, k)
        sums = result.channel_sums(o, i, j)
        for f, box in enumerate(self.output_boxes):
            self._mark_filter(f, active=f == o, sums=sums if f == o else None)
            box.set_visible(f == o)
        self.output_boxes[o].set_bounds(j - 0.5, i - 0.5, 1, 1)
        self.position_label.value = html.escape(result.position_text(o, i, j))
        lines = [html.escape(line) for line in result.sum_lines(o, i, j)]
        lines[-1] = f"<b>{lines[-1]}</b>"
        self.sum_html.value = "<code>" + "<br>".join(lines) + "</code>"

    def _step(self, delta: int) -> None:
        self.position.value = min(max(self.position.value + delta, 0), self.position.max)

    def select_output_cell(self, o: int, i: int, j: int) -> None:
        """Step to output ``Y[o, i, j]`` (what a click on that output cell does)."""
        if self.result is not None:
            self.position.value = self.result.position(o, i, j)

    def _on_click(self, axes: object, x: float, y: float) -> None:
        if self.result is None or axes not in self.output_axes:
            return
        rows, cols = self.result.output.shape[1:]
        i, j = int(round(y)), int(round(x))
        if 0 <= i < rows and 0 <= j < cols:
            self.select_output_cell(self.output_axes.index(axes), i, j)


@functools.lru_cache(maxsize=256)
def _text_path(text: str) -> Path:
    """Outline of ``text`` in points: lines centred on x = 0, the first baseline at 0 (cached)."""
    lines = []
    for number, line in enumerate(text.splitlines()):
        if line.strip():  # (TextPath cannot make the path of blank text)
            path = TextPath((0, 0), line, size=_TITLE_POINTS, prop=_TITLE_FONT)
            shift = Affine2D().translate(-path.get_extents().x1 / 2,
                                         -1.35 * _TITLE_POINTS * number)
            lines.append(path.transformed(shift))
    return Path.make_compound_path(*lines) if lines else Path(np.zeros((1, 2)), [Path.MOVETO])


class _Label:
    """Text drawn as a filled glyph outline (one path collection) at a point of an axes.

    Rendering it costs a fraction of a ``Text`` (no layout, no glyph rasterisation per
    draw), which matters with a dozen titles redrawn on every step.

    Parameters
    ----------
    axes
        Where to draw.
    anchor
        Axes coordinates of the first line's centre; ``(0.5, 1.0)`` (default) puts it just
        above the axes, as a title.
    """

    def __init__(self, axes: Axes, anchor: tuple[float, float] = (0.5, 1.0)) -> None:
        scale = axes.figure.dpi / 72.0
        self.collection = PathCollection([], offsets=np.array([anchor]),
                                         transform=Affine2D().translate(0, 4).scale(scale),
                                         offset_transform=axes.transAxes, facecolors="black",
                                         edgecolors="none", clip_on=False)
        axes.add_collection(self.collection, autolim=False)

        self.text = ""

    def set_text(self, text: str, color: str = "black") -> None:
        self.text = text
        self.collection.set_paths([_text_path(text)])
        self.collection.set_facecolor(color)


def _frame(axes: Axes, size: int) -> Rectangle:
    """A thin grey outline around a ``size × size`` grid (kernels have white zero cells)."""
    frame = Rectangle((-0.5, -0.5), size, size, fill=False, edgecolor=_INACTIVE, linewidth=0.8,
                      zorder=5, clip_on=False)
    axes.add_patch(frame)
    return frame
