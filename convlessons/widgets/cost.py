"""ConvCostExplorer: how groups, depthwise and separable convs cut parameters and multiply-adds.

A view of :mod:`convlessons.costs` (formulas and counts): which input channels each output
channel sees, the multiply-adds relative to the standard conv, and the formulas with numbers.
"""

from __future__ import annotations

import html
import textwrap

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import ListedColormap

from convlessons.costs import (
    GROUP_COLOURS,
    build_layers,
    connectivity,
    conv_cost,
    cost_text,
    layer_kind,
    valid_groups,
)
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._controls import choice, int_slider

__all__ = ["CHANNEL_CHOICES", "FEATURE_MAP_SIZES", "ConvCostExplorer"]

CHANNEL_CHOICES = (1, 2, 3, 4, 8, 16, 32, 64, 128)
"""Channel counts the explorer offers (3 for an RGB input)."""

FEATURE_MAP_SIZES = (7, 14, 28, 56, 112, 224)
"""Output feature-map sides offered (ResNet stages on a 224 × 224 image)."""

_OKABE_ITO = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442",
              "#000000")  # colour-blind safe, one per group index of costs.connectivity
_GROUP_COLOURS = ["#ffffff", *_OKABE_ITO[:GROUP_COLOURS]]  # white = not connected
_GROUP_CMAP = ListedColormap(_GROUP_COLOURS)


class ConvCostExplorer(LessonWidget):
    """How groups, depthwise and separable convolutions cut parameters and multiply-adds.

    Controls (public attributes): ``in_channels``, ``out_channels`` (dropdowns of
    :data:`CHANNEL_CHOICES`), ``kernel_size`` (1–7), ``groups`` (exactly the valid
    values, the divisors of gcd(C, K); disabled when separable), ``separable``
    (depthwise then pointwise 1×1), ``bias`` and ``size`` (output side, for the totals).
    ``output`` is :meth:`ConvCost.as_dict` of the current setting (``None`` when
    impossible); ``problem`` the explanation shown instead ("" when fine).

    ``controls=`` names (:attr:`CONTROLS`): ``"in_channels"``, ``"out_channels"``,
    ``"kernel_size"``, ``"groups"``, ``"separable"``, ``"bias"``, ``"size"``;
    ``readouts=`` names (:attr:`READOUTS`): ``"costs"`` (formulas with numbers). Default:
    all; hidden controls keep their values and can still be set from code.
    :attr:`LEVELS`: ``"groups"`` (channels, kernel size, groups), ``"all"``.
    """

    CONTROLS = {name: (name,) for name in ("in_channels", "out_channels", "kernel_size",
                                           "groups", "separable", "bias", "size")}
    READOUTS = {"costs": ("text",)}
    LEVELS = {"groups": {"controls": ("in_channels", "out_channels", "kernel_size", "groups"),
                         "readouts": ("costs",)},
              "all": {"controls": tuple(CONTROLS), "readouts": tuple(READOUTS)}}

    def __init__(self, in_channels: int = 64, out_channels: int = 128, kernel_size: int = 3,
                 groups: int = 1, separable: bool = False, size: int = 56,
                 controls: tuple[str, ...] | None = None,
                 readouts: tuple[str, ...] | None = None) -> None:
        self.in_channels = choice(widgets.Dropdown, "in_channels", in_channels, CHANNEL_CHOICES)
        self.out_channels = choice(widgets.Dropdown, "out_channels", out_channels,
                                   CHANNEL_CHOICES)
        self.kernel_size = int_slider("kernel_size", kernel_size, 1, 7)
        self.size = choice(widgets.Dropdown, "size", size, FEATURE_MAP_SIZES)
        build_layers(in_channels, out_channels, kernel_size, groups, separable)  # validates
        self.groups = widgets.SelectionSlider(options=valid_groups(in_channels, out_channels),
                                              value=groups, description="groups")
        self.separable = widgets.Checkbox(value=separable, description="separable")
        self.bias = widgets.Checkbox(value=False, description="bias")
        self.text = widgets.HTML()
        self._build_figure()
        knobs = [self.in_channels, self.out_channels, self.kernel_size, self.groups,
                    self.separable, self.bias, self.size]
        super().__init__([
            widgets.HBox([widgets.VBox(knobs[:4]), widgets.VBox(knobs[4:])]),
            self.figure_panel.widget, self.text,
        ])
        self.add_class("convlessons-cost")
        self._watch(*knobs)
        self._start(controls, readouts)

    def _build_figure(self) -> None:
        self.figure_panel = FigurePanel(figsize=(8, 3.4), css_class="convlessons-cost-figure")
        fig = self.figure_panel.figure
        self.first_axes = fig.add_axes((0.04, 0.12, 0.28, 0.72))
        self.second_axes = fig.add_axes((0.36, 0.12, 0.28, 0.72))
        self.bar_axes = fig.add_axes((0.74, 0.2, 0.24, 0.6))
        self.maps = []
        for ax in (self.first_axes, self.second_axes):
            self.maps.append(ax.imshow(np.zeros((1, 1)), cmap=_GROUP_CMAP, vmin=-0.5,
                                       vmax=len(_GROUP_COLOURS) - 0.5, interpolation="nearest"))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel("input channels →", fontsize=8)
            ax.set_ylabel("← output channels", fontsize=8)
        self.bars = self.bar_axes.barh([1, 0], [1, 1], color=["0.6", "#0072b2"])
        self.bar_axes.set_yticks([1, 0], ["standard", "this"], fontsize=8)
        self.bar_axes.set_xlim(0, 1.05)
        self.bar_axes.tick_params(axis="x", labelsize=8)
        self.bar_axes.set_title("multiply-adds (relative)", fontsize=9)
        self.problem_text = self.bar_axes.text(
            0.5, 0.5, "", ha="center", va="center", fontsize=9, color="#b2182b",
            transform=self.bar_axes.transAxes)

    def _sync_groups(self) -> int:
        """Offer exactly the valid groups; keep the current value if still valid, else 1.

        Runs inside the update, where changing ``groups`` triggers no second update.
        """
        allowed = valid_groups(self.in_channels.value, self.out_channels.value)
        if list(self.groups.options) != allowed:
            keep = self.groups.value if self.groups.value in allowed else 1
            self.groups.options = allowed
            self.groups.value = keep
        self.groups.disabled = self.separable.value
        return 1 if self.separable.value else self.groups.value

    def _update(self) -> dict[str, float]:
        groups = self._sync_groups()
        c, k_out = self.in_channels.value, self.out_channels.value
        separable, size = self.separable.value, self.size.value
        cost = conv_cost(c, k_out, self.kernel_size.value, groups, separable, size,
                         self.bias.value)
        if separable:
            panels = [(connectivity(c, c, c), f"depthwise {self.kernel_size.value}×"
                       f"{self.kernel_size.value}: {c} → {c}"),
                      (connectivity(c, k_out, 1), f"then pointwise 1×1: {c} → {k_out}")]
        else:
            panels = [(connectivity(c, k_out, groups), f"{layer_kind(c, groups)}, "
                       f"groups={groups}: {c} → {k_out}")]
        for index, (ax, image) in enumerate(zip((self.first_axes, self.second_axes), self.maps,
                                                strict=True)):
            ax.set_visible(index < len(panels))
            if index < len(panels):
                matrix, title = panels[index]
                image.set_data(matrix)
                image.set_extent((-0.5, matrix.shape[1] - 0.5, matrix.shape[0] - 0.5, -0.5))
                ax.set_xlim(-0.5, matrix.shape[1] - 0.5)
                ax.set_ylim(matrix.shape[0] - 0.5, -0.5)
                ax.set_title(title, fontsize=9)
        self.bars[0].set_width(1.0)
        self.bars[1].set_width(cost.macs_ratio)
        for bar in self.bars:
            bar.set_visible(True)
        self.problem_text.set_text("")
        self.text.value = cost_text(c, k_out, self.kernel_size.value, groups, separable, size,
                                    self.bias.value, cost)
        return cost.as_dict()

    def _show_problem(self, message: str) -> None:
        for bar in self.bars:
            bar.set_visible(False)
        self.problem_text.set_text(textwrap.fill(message, 28))
        self.text.value = f"<span style='color:#b2182b'>⚠ {html.escape(message)}</span>"
