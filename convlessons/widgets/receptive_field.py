"""ReceptiveFieldExplorer: the theoretical and the effective receptive field of a stack.

A view of :mod:`convlessons.receptive_fields`: a small table of layers, a ``layer`` slider
and a figure: the input pixels that reach the centre unit (nested, layer by layer), the
effective receptive field as a heat map, and its profile against a Gaussian.
"""

from __future__ import annotations

import textwrap

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator

from convlessons.receptive_fields import (
    KINDS,
    PRESETS,
    WEIGHTS,
    Layer,
    describe_stack,
    effective_receptive_field,
    gaussian,
    gaussian_fit,
    nested_regions,
)
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._controls import choice, int_slider
from convlessons.widgets._grid import highlight

__all__ = ["INPUT_SIZES", "MAX_LAYERS", "ReceptiveFieldExplorer"]

MAX_LAYERS = 8
"""Rows of the layer table (built once; add/remove shows or hides them)."""

INPUT_SIZES = (8, 64)
"""Range of the ``input_size`` slider; 64 keeps one autograd pass at a few milliseconds."""


_COLUMN_WIDTH = "7em"
"""Width of a table column: the header's labels and the row controls share it."""

_LABEL_WIDTH = "4.5em"


class _LayerRow:
    """One row of the layer table: ``kind``, ``kernel_size``, ``stride``, ``dilation``."""

    def __init__(self, number: int) -> None:
        small = widgets.Layout(width=_COLUMN_WIDTH)
        self.kind = widgets.Dropdown(options=KINDS, value="conv", layout=small)
        self.kernel_size = widgets.BoundedIntText(value=3, min=1, max=9, layout=small)
        self.stride = widgets.BoundedIntText(value=1, min=1, max=4, layout=small)
        self.dilation = widgets.BoundedIntText(value=1, min=1, max=8, layout=small)
        label = widgets.Label(f"layer {number}", layout=widgets.Layout(width=_LABEL_WIDTH))
        self.box = widgets.HBox([label, self.kind, self.kernel_size, self.stride, self.dilation])

    @property
    def controls(self) -> tuple[widgets.Widget, ...]:
        return self.kind, self.kernel_size, self.stride, self.dilation

    @property
    def layer(self) -> Layer:
        return Layer(*(control.value for control in self.controls))

    @layer.setter
    def layer(self, layer: Layer) -> None:
        for control, value in zip(self.controls, layer, strict=True):
            control.value = value


class ReceptiveFieldExplorer(LessonWidget):
    """Theoretical vs effective receptive field of a stack of conv / pool layers.

    Controls: ``preset`` (loads a stack of :data:`PRESETS`; editing a row clears it),
    ``rows`` (one :class:`_LayerRow` per layer: ``kind``, ``kernel_size``, ``stride``,
    ``dilation``), ``add_layer`` / ``remove_layer`` buttons, ``layer`` (which layer's
    centre unit is inspected), ``input_size`` and ``weights`` (of the ERF). ``info``
    lists the output size, receptive field and jump after every layer.

    ``erf_html`` says what the ``weights`` toggle changes: the effective field's width
    (2σ of the Gaussian fit, against the theoretical field) and how well the fit matches.

    ``output`` is the effective receptive field (see :func:`effective_receptive_field`)
    of the inspected unit, ``None`` when the stack is impossible; ``problem`` says why.

    Parameters
    ----------
    preset
        A name of :data:`PRESETS`.
    input_size
        Side of the input (8–64).
    controls, readouts
        Names of the controls and text readouts to show (default: all). ``controls=``
        names (:attr:`CONTROLS`): ``"preset"``, ``"layers"`` (the table and its buttons),
        ``"layer"``, ``"input_size"``, ``"weights"``; ``readouts=`` names
        (:attr:`READOUTS`): ``"stack"`` (size, field and jump per layer), ``"erf"`` (the
        effective field's width and fit). Hidden controls keep their values and can still
        be set from code. :attr:`LEVELS`: ``"theory"`` (preset, table, layer; the stack
        table), ``"all"``.
    """

    CONTROLS = {"preset": ("preset",), "layers": ("table",), "layer": ("layer",),
                "input_size": ("input_size",), "weights": ("weights",)}
    READOUTS = {"stack": ("info",), "erf": ("erf_html",)}
    LEVELS = {"theory": {"controls": ("preset", "layers", "layer"), "readouts": ("stack",)},
              "all": {"controls": tuple(CONTROLS), "readouts": tuple(READOUTS)}}

    def __init__(self, preset: str = "VGG block", input_size: int = 32,
                 controls: tuple[str, ...] | None = None,
                 readouts: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.preset = choice(widgets.Dropdown, "preset", preset, list(PRESETS))
        self.rows = [_LayerRow(number) for number in range(1, MAX_LAYERS + 1)]
        header = widgets.HBox(
            [widgets.Label("", layout=widgets.Layout(width=_LABEL_WIDTH))]
            + [widgets.HTML(f"<b>{name}</b>", layout=widgets.Layout(width=_COLUMN_WIDTH))
               for name in ("kind", "kernel_size", "stride", "dilation")]
        )
        self.add_layer = widgets.Button(description="+ layer", layout=widgets.Layout(width="7em"))
        self.remove_layer = widgets.Button(description="− layer",
                                           layout=widgets.Layout(width="7em"))
        self.layer = widgets.IntSlider(value=1, min=1, max=1, description="layer")
        self.input_size = int_slider("input_size", input_size, *INPUT_SIZES)
        self.weights = widgets.ToggleButtons(options=WEIGHTS, value="uniform",
                                             description="weights")
        self.info = widgets.HTML()
        self.erf_html = widgets.HTML().add_class("convlessons-erf")
        self._build_figure()
        self.n_layers = 0
        self._load_preset()
        self.table = widgets.VBox([header, *(row.box for row in self.rows),
                                   widgets.HBox([self.add_layer, self.remove_layer])])
        settings = widgets.VBox([self.preset, self.layer, self.input_size, self.weights])
        self.children = [widgets.HBox([settings, self.table]), self.figure_panel.widget,
                         self.erf_html, self.info]
        self.add_class("convlessons-receptive-field")

        self._watch(self.preset, then=self._load_preset)
        self._watch(*(control for row in self.rows for control in row.controls),
                    then=self._forget_preset)
        self._watch(self.layer, self.input_size, self.weights)
        self.add_layer.on_click(
            lambda _button: self._run(lambda: self._set_layer_count(self.n_layers + 1)))
        self.remove_layer.on_click(
            lambda _button: self._run(lambda: self._set_layer_count(self.n_layers - 1)))
        self._start(controls, readouts)

    # -- controls ---------------------------------------------------------------------------

    @property
    def layers(self) -> tuple[Layer, ...]:
        """The stack as the table shows it (all visible rows)."""
        return tuple(row.layer for row in self.rows[: self.n_layers])

    def _forget_preset(self) -> None:
        """A row was edited: the stack no longer is the preset."""
        self.preset.value = None

    def _load_preset(self) -> None:
        """Fill the rows with the chosen preset's layers (nothing when no preset is chosen)."""
        if self.preset.value is None:
            return
        stack = PRESETS[self.preset.value]
        for row, layer in zip(self.rows, stack, strict=False):
            row.layer = layer
        self._set_layer_count(len(stack))

    def _set_layer_count(self, count: int) -> None:
        """Show ``count`` rows (0 .. MAX_LAYERS) and inspect the last one."""
        count = min(max(count, 0), MAX_LAYERS)
        for number, row in enumerate(self.rows):
            row.box.layout.display = None if number < count else "none"
        self.n_layers = count
        self.layer.max = max(count, 1)
        self.layer.value = max(count, 1)
        self.add_layer.disabled = count == MAX_LAYERS
        self.remove_layer.disabled = count == 0

    # -- figure -----------------------------------------------------------------------------

    def _build_figure(self) -> None:
        self.figure_panel = FigurePanel(figsize=(10.5, 3.5), css_class="convlessons-rf-figure")
        figure = self.figure_panel.figure
        self.region_axes, self.erf_axes, self.profile_axes = figure.subplots(
            1, 3, gridspec_kw={"width_ratios": [1, 1, 1.25]})
        figure.subplots_adjust(left=0.02, right=0.98, bottom=0.14, top=0.9, wspace=0.15)
        blank = np.zeros((1, 1))
        layer_map = colormaps["viridis"].with_extremes(bad="#eeeeee")
        self.region_image = self.region_axes.imshow(blank, cmap=layer_map,
                                                    interpolation="nearest")
        self.erf_image = self.erf_axes.imshow(blank, cmap="magma", vmin=0, vmax=1,
                                              interpolation="nearest")
        self.region_outline = highlight(self.region_axes, color="#e69f00")
        self.erf_outline = highlight(self.erf_axes, color="#56b4e9", linewidth=1.5)
        self.profile_row = self.erf_axes.axhline(0, color="#56b4e9", linewidth=0.8,
                                                 linestyle=":")
        for axes in (self.region_axes, self.erf_axes):
            axes.set_xticks([])
            axes.set_yticks([])
        self.region_axes.set_title("RF; colour = innermost layer", fontsize=9)
        self.erf_axes.set_title("effective RF |∂y/∂x| (max = 1)", fontsize=9)
        (self.box_line,) = self.profile_axes.step([], [], where="mid", color="#e69f00",
                                                  label="theoretical RF (uniform)")
        (self.fit_line,) = self.profile_axes.plot([], [], color="#000000", linewidth=1,
                                                  label="Gaussian fit")
        (self.erf_line,) = self.profile_axes.plot([], [], "o", color="#56b4e9", markersize=3,
                                                  label="ERF, centre row")
        self.legend = self.profile_axes.legend(loc="upper right", fontsize=7, frameon=False)
        self.profile_axes.set_xlabel("input column", fontsize=8)
        self.profile_axes.tick_params(labelsize=7)
        self.profile_axes.set_yticks([0, 1])
        self.profile_axes.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        self.profile_axes.set_ylim(-0.02, 1.3)
        self.profile_title = self.profile_axes.set_title("", fontsize=9)
        self.problem_text = figure.text(0.5, 0.5, "", ha="center", va="center",
                                        bbox={"facecolor": "white", "edgecolor": "#b2182b"},
                                        fontsize=10, color="#b2182b", visible=False)
        self._result_artists = (self.region_image, self.erf_image, self.region_outline,
                                self.erf_outline, self.profile_row, self.box_line,
                                self.fit_line, self.erf_line, self.legend)

    # -- update -----------------------------------------------------------------------------

    def _update(self) -> np.ndarray:
        if self.n_layers == 0:
            raise ValueError("the stack has no layers: press “+ layer” or pick a preset")
        stack = self.layers[: self.layer.value]
        n = self.input_size.value
        layer_colours = colormaps["viridis"].resampled(len(stack))
        self.info.value = describe_stack(  # first: readable even when impossible
            stack, n, [to_hex(layer_colours(i)) for i in range(len(stack))])
        regions = nested_regions(stack, n)
        erf = effective_receptive_field(stack, n, weights=self.weights.value)
        region = regions[-1]

        layer_map = np.full((n, n), np.nan)
        for number, inner in reversed(list(enumerate(regions, start=1))):
            layer_map[inner.slices] = number
        self.region_image.set_data(layer_map)
        self.region_image.set_cmap(layer_colours.with_extremes(bad="#eeeeee"))
        self.region_image.set_clim(0.5, len(stack) + 0.5)
        self.erf_image.set_data(erf)
        for axes, image in ((self.region_axes, self.region_image), (self.erf_axes, self.erf_image)):
            image.set_extent((-0.5, n - 0.5, n - 0.5, -0.5))
            axes.set_xlim(-0.5, n - 0.5)
            axes.set_ylim(n - 0.5, -0.5)
        for outline in (self.region_outline, self.erf_outline):
            outline.set_bounds(region.left - 0.5, region.top - 0.5, region.width, region.height)

        row = region.top + (region.height - 1) // 2
        profile = erf[row]
        centre, sigma, amplitude = gaussian_fit(profile)
        columns = np.arange(n)
        box = np.zeros(n)
        box[region.slices[1]] = 1.0
        fine = np.linspace(0, n - 1, 8 * n)
        self.profile_row.set_ydata([row, row])
        self.erf_line.set_data(columns, profile)
        self.fit_line.set_data(fine, gaussian(fine, centre, sigma, amplitude))
        self.box_line.set_data(columns, box)
        self.profile_axes.set_xlim(-0.5, n - 0.5)
        misfit = np.abs(profile - gaussian(columns, centre, sigma, amplitude)).max()
        self.profile_title.set_text(
            f"RF {region.width} px, ERF 2σ = {2 * sigma:.1f} px, max |ERF − fit| = {misfit:.2f}"
        )
        self.erf_html.value = (
            f"<b>Effective field with {self.weights.value} weights</b>: width 2σ = "
            f"{2 * sigma:.1f} px of the {region.width} px theoretical field "
            f"({2 * sigma / region.width:.0%}); the Gaussian fit is off by at most "
            f"{misfit:.2f} (the ERF's maximum is 1). Switch <code>weights</code> to see both "
            "numbers change."
        )
        for artist in self._result_artists:
            artist.set_visible(True)
        self.problem_text.set_visible(False)
        return erf

    def _show_problem(self, message: str) -> None:
        for artist in self._result_artists:
            artist.set_visible(False)
        self.profile_title.set_text("")
        self.erf_html.value = ""
        self.problem_text.set_text(textwrap.fill(message, 100))
        self.problem_text.set_visible(True)
