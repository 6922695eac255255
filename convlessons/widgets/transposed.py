"""TransposedConvExplorer: scatter copies of the kernel, or zero-insert and convolve.

A view of :func:`convlessons.reference.transposed.transposed_conv` (the model,
:class:`~convlessons.reference.transposed.TransposedConv`, computes every array and text):

Scatter view: input pixel ``x[y, x]`` adds ``x[y, x] · w`` to the full output at rows
``y·s … y·s + k − 1`` (columns likewise); the result is the full canvas of side
``F = (n − 1)s + k`` cropped by ``p`` on each side, plus ``output_padding`` rows/columns
at the bottom/right, so ``H_out = (n − 1)s − 2p + k + output_padding``
(``arithmetic.conv_transpose_output_size``, the ``torch.nn.ConvTranspose2d`` formula).

Zero-insertion view: insert ``s − 1`` zeros between input pixels, pad by ``k − 1 − p``
(plus ``output_padding`` at the bottom/right; a negative amount crops), then an ordinary
correlation with the flipped kernel gives the same output (dilation 1; see
``reference.transposed.zero_insert``).

Overlaps: with a constant input and kernel the output is proportional to the number of
scatters that reach each pixel; away from the borders that count is the same everywhere iff
``s`` divides ``k`` — otherwise a checkerboard (Odena, Dumoulin & Olah, "Deconvolution and
Checkerboard Artifacts", Distill 2016). The explorer computes the counts, it does not assume.
"""

from __future__ import annotations

import html
import textwrap

import ipywidgets as widgets
import numpy as np
from matplotlib.gridspec import GridSpec

from convlessons._validation import as_int
from convlessons.reference.transposed import VALUES, TransposedConv, example_arrays, transposed_conv
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._controls import choice, int_slider
from convlessons.widgets._grid import SIGNED_CMAP, UNSIGNED_CMAP, NumberedGrid, highlight

__all__ = ["VIEWS", "TransposedConvExplorer"]

VIEWS = ("scatter", "zero insertion")


class TransposedConvExplorer(LessonWidget):
    """Transposed convolution as a scatter of kernel copies, or as zero insertion + convolution.

    Controls (public attributes): ``input_size`` (2–4), ``kernel_size`` (2–4), ``stride``
    (1–3), ``padding`` (0–2), ``output_padding`` (0–2), ``values`` (``'random'`` or
    ``'ones'``), ``view`` (``'scatter'`` or ``'zero insertion'``) and ``position`` (which
    input pixel's scatter is shown; the running sum includes scatters 0…position).
    ``output`` is the transposed convolution (``None`` when the settings are impossible);
    ``problem`` the explanation shown instead ("" when fine).

    ``controls=`` names (:attr:`CONTROLS`): ``"input_size"``, ``"kernel_size"``,
    ``"stride"``, ``"padding"``, ``"output_padding"``, ``"values"``, ``"view"``,
    ``"position"``; ``readouts=`` names (:attr:`READOUTS`): ``"sizes"`` (output size and
    the PyTorch call), ``"step"`` (the current scatter or the zero-insertion recipe),
    ``"overlap"`` (what the overlap counts say). Default: all; hidden controls keep their
    values and can still be set from code. :attr:`LEVELS`: ``"scatter"`` (input and kernel
    size, stride, position; no padding, no view toggle), ``"all"``.
    """

    CONTROLS = {name: (name,) for name in ("input_size", "kernel_size", "stride", "padding",
                                           "output_padding", "values", "view", "position")}
    READOUTS = {"sizes": ("size_html",), "step": ("step_html",),
                "overlap": ("checkerboard_html",)}
    LEVELS = {"scatter": {"controls": ("input_size", "kernel_size", "stride", "position"),
                          "readouts": ("sizes", "step")},
              "all": {"controls": tuple(CONTROLS), "readouts": tuple(READOUTS)}}

    def __init__(self, input_size: int = 3, kernel_size: int = 3, stride: int = 2,
                 padding: int = 0, output_padding: int = 0, values: str = "random",
                 view: str = "scatter", seed: int = 0,
                 controls: tuple[str, ...] | None = None,
                 readouts: tuple[str, ...] | None = None) -> None:
        self.input_size = int_slider("input_size", input_size, 2, 4)
        self.kernel_size = int_slider("kernel_size", kernel_size, 2, 4)
        self.stride = int_slider("stride", stride, 1, 3)
        self.padding = int_slider("padding", padding, 0, 2)
        self.output_padding = int_slider("output_padding", output_padding, 0, 2)
        self.values = choice(widgets.ToggleButtons, "values", values, VALUES)
        self.view = choice(widgets.ToggleButtons, "view", view, VIEWS)
        self.seed = as_int(seed, "seed", minimum=0)
        self.position = widgets.IntSlider(value=0, min=0, max=0, description="position")
        self.size_html = widgets.HTML()
        self.step_html = widgets.HTML()
        self.checkerboard_html = widgets.HTML()
        self.result: TransposedConv | None = None
        self._build_figure()
        knobs = [self.input_size, self.kernel_size, self.stride, self.padding,
                    self.output_padding, self.position, self.values, self.view]
        super().__init__([
            widgets.HBox([widgets.VBox(knobs[:3]), widgets.VBox(knobs[3:6])]),
            widgets.HBox(knobs[6:]), self.figure_panel.widget, self.size_html,
            self.step_html, self.checkerboard_html,
        ])
        self.add_class("convlessons-transposed")
        self._watch(*knobs)
        self._start(controls, readouts)

    def _build_figure(self) -> None:
        self.figure_panel = FigurePanel(figsize=(7.5, 5.6),
                                        css_class="convlessons-transposed-figure")
        fig = self.figure_panel.figure
        grid = GridSpec(2, 6, figure=fig, height_ratios=[1, 1.6], left=0.03, right=0.97,
                        top=0.94, bottom=0.02, hspace=0.2, wspace=0.5)
        self.input_axes = fig.add_subplot(grid[0, 0:2])
        self.kernel_axes = fig.add_subplot(grid[0, 2:4])
        self.counts_axes = fig.add_subplot(grid[0, 4:6])
        self.scatter_axes = fig.add_subplot(grid[1, 0:3])
        self.zero_axes = fig.add_subplot(grid[1, 0:3])
        self.output_axes = fig.add_subplot(grid[1, 3:6])
        self.input_grid = NumberedGrid(self.input_axes, UNSIGNED_CMAP)
        self.kernel_grid = NumberedGrid(self.kernel_axes, SIGNED_CMAP)
        self.counts_grid = NumberedGrid(self.counts_axes, UNSIGNED_CMAP, max_numbered=16)
        self.scatter_grid = NumberedGrid(self.scatter_axes, SIGNED_CMAP, max_numbered=16)
        self.zero_grid = NumberedGrid(self.zero_axes, UNSIGNED_CMAP, max_numbered=18)
        self.output_grid = NumberedGrid(self.output_axes, SIGNED_CMAP, max_numbered=16)
        titles = {self.input_axes: "input", self.counts_axes: "overlap counts",
                  self.scatter_axes: "running sum (full canvas; dashed = output)",
                  self.zero_axes: "zero-inserted, padded input", self.output_axes: "output"}
        for ax, title in titles.items():
            ax.set_title(title, fontsize=9, pad=3)
        self.input_box = highlight(self.input_axes)
        self.scatter_box = highlight(self.scatter_axes)
        self.crop_box = highlight(self.scatter_axes, color="0.2", linewidth=1.5)
        self.crop_box.set_linestyle("--")
        self.zero_box = highlight(self.zero_axes)
        self.core_box = highlight(self.zero_axes, color="0.2", linewidth=1.5)
        self.core_box.set_linestyle("--")
        self.output_box = highlight(self.output_axes)
        self.problem_text = self.output_axes.text(
            0.5, 0.5, "", ha="center", va="center", fontsize=9, color="#b2182b",
            transform=self.output_axes.transAxes)
        self._result_artists = [self.output_grid.image, self.output_grid.numbers,
                                self.output_box, self.counts_grid.image, self.counts_grid.numbers,
                                self.scatter_box, self.zero_box, self.crop_box, self.core_box,
                                self.scatter_grid.image, self.scatter_grid.numbers,
                                self.zero_grid.image, self.zero_grid.numbers]

    def _update(self) -> np.ndarray:
        x, w = example_arrays(self.input_size.value, self.kernel_size.value, self.values.value,
                              self.seed)
        result = transposed_conv(x, w, self.stride.value, self.padding.value,
                                 self.output_padding.value)
        self.position.max = result.positions - 1  # may clamp the position (read just below)
        position = self.position.value
        self.result = result
        y, x_ = result.input_cell(position)
        top, left = result.scatter_region(position)
        k, p = result.kernel_size, result.padding
        self.input_grid.set_values(result.input, limits=(0, result.input.max()))
        self.input_box.set_bounds(x_ - 0.5, y - 0.5, 1, 1)
        self.input_box.set_visible(True)
        self.output_grid.set_values(result.output)
        self.output_box.set_bounds(left - 0.5, top - 0.5, k, k)
        counts = result.overlap_counts()
        self.counts_grid.set_values(counts, limits=(0, counts.max()))
        scatter = self.view.value == "scatter"
        self.scatter_axes.set_visible(scatter)
        self.zero_axes.set_visible(not scatter)
        if scatter:
            self.kernel_grid.set_values(result.kernel)
            self.kernel_axes.set_title("kernel", fontsize=9, pad=3)
            bound = result.partial_sum_bound() or 1.0
            self.scatter_grid.set_values(result.partial_sum(position), limits=(-bound, bound),
                                         origin=(-p, -p))
            self.scatter_box.set_bounds(left - 0.5, top - 0.5, k, k)
            self.crop_box.set_bounds(-0.5, -0.5, *result.output.shape[::-1])
            self.step_html.value = result.scatter_text(position)
        else:
            self.kernel_grid.set_values(result.flipped_kernel())
            self.kernel_axes.set_title("kernel flipped (180°)", fontsize=9, pad=3)
            before = result.zero_padding[0]
            core = (result.input_size - 1) * result.stride + 1
            self.zero_grid.set_values(result.zero_inserted(), limits=(0, result.input.max()))
            self.zero_box.set_bounds(x_ * result.stride + before - 0.5,
                                     y * result.stride + before - 0.5, 1, 1)
            self.core_box.set_bounds(before - 0.5, before - 0.5, core, core)
            self.step_html.value = result.zero_insertion_text()
        for artist in self._result_artists:
            artist.set_visible(True)
        self.problem_text.set_text("")
        self.size_html.value = f"{result.size_text()} &nbsp; <code>{result.pytorch_call()}</code>"
        self.checkerboard_html.value = f"Overlap counts: {result.checkerboard_text()}"
        return result.output

    def _show_problem(self, message: str) -> None:
        self.result = None
        for artist in self._result_artists:
            artist.set_visible(False)
        self.problem_text.set_text(textwrap.fill(message, 36))
        self.size_html.value = f"<span style='color:#b2182b'>⚠ {html.escape(message)}</span>"
        self.step_html.value = ""
        self.checkerboard_html.value = ""
