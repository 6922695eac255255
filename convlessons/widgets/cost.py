"""Cost explorer: parameters and multiply-adds of standard, grouped, depthwise and separable convs.

Model first (:func:`valid_groups`, :func:`build_layers`, :func:`connectivity`,
:func:`conv_cost`, :class:`ConvCost`: numbers and text, no display), then the view
(:class:`ConvCostExplorer`).

For ``C`` input channels, ``K`` output channels, a ``k × k`` kernel, ``g`` groups and an
``H × W`` output (stride 1, 'same' padding), a ``torch.nn.Conv2d`` holds
``K·(C/g)·k²`` weights (``+ K`` with bias) and performs ``K·(C/g)·k²`` multiply-adds per
output pixel, ``K·(C/g)·k²·H·W`` in all. A depthwise-separable conv (Howard et al.,
"MobileNets", 2017) is a depthwise ``k × k`` conv (``groups = C``) followed by a pointwise
``1 × 1`` conv: ``C·k² + K·C`` multiply-adds per pixel, a ratio ``1/K + 1/k²`` to the
standard conv. The numbers are read from real torch modules (built on the ``meta`` device:
no memory, no initialisation) and checked in ``tests/test_widget_cost.py`` against these
formulas and ``torch.utils.flop_counter.FlopCounterMode``.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from dataclasses import asdict, dataclass

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.colors import ListedColormap

from convlessons._validation import as_choice, as_int
from convlessons.widgets._base import FigurePanel, LessonWidget

__all__ = [
    "CHANNEL_CHOICES",
    "FEATURE_MAP_SIZES",
    "ConvCost",
    "ConvCostExplorer",
    "build_layers",
    "connectivity",
    "conv_cost",
    "cost_text",
    "layer_kind",
    "valid_groups",
]

CHANNEL_CHOICES = (1, 2, 3, 4, 8, 16, 32, 64, 128)
"""Channel counts the explorer offers (3 for an RGB input)."""

FEATURE_MAP_SIZES = (7, 14, 28, 56, 112, 224)
"""Output feature-map sides offered (ResNet stages on a 224 × 224 image)."""

_GROUP_COLOURS = ["#ffffff", "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
                  "#f0e442", "#000000"]  # white = not connected, then Okabe–Ito (colour-blind safe)
_GROUP_CMAP = ListedColormap(_GROUP_COLOURS)


def _channels(in_channels: int, out_channels: int) -> tuple[int, int]:
    return (as_int(in_channels, "in_channels", minimum=1),
            as_int(out_channels, "out_channels", minimum=1))


def valid_groups(in_channels: int, out_channels: int) -> list[int]:
    """All ``groups`` a ``Conv2d(in_channels, out_channels, k, groups=…)`` accepts, ascending.

    ``groups`` must divide both channel counts, i.e. be a divisor of
    ``gcd(in_channels, out_channels)``: from 1 (standard) to ``in_channels`` (depthwise)
    when ``out_channels`` is a multiple of ``in_channels``.
    """
    common = math.gcd(*_channels(in_channels, out_channels))
    return [g for g in range(1, common + 1) if common % g == 0]


def layer_kind(in_channels: int, groups: int, separable: bool = False) -> str:
    """``'separable'``, ``'standard'`` (g = 1), ``'depthwise'`` (g = C) or ``'grouped'``."""
    if separable:
        return "separable"
    if groups == 1:
        return "standard"
    return "depthwise" if groups == in_channels else "grouped"


def _check(in_channels: int, out_channels: int, kernel_size: int, groups: int,
           separable: bool) -> tuple[int, int, int, int]:
    """Validate once; return ``(C, K, k, g)``."""
    c_in, c_out = _channels(in_channels, out_channels)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    g = as_int(groups, "groups", minimum=1)
    if not isinstance(separable, bool):
        raise TypeError(f"separable must be True or False, got {separable!r}")
    if separable and g != 1:
        raise ValueError(f"groups must be 1 when separable=True (its depthwise step uses "
                         f"groups = in_channels), got {g}")
    allowed = valid_groups(c_in, c_out)
    if g not in allowed:
        raise ValueError(f"groups must divide gcd(in_channels, out_channels) = "
                         f"{math.gcd(c_in, c_out)}: one of {allowed}, got {g}")
    return c_in, c_out, k, g


def build_layers(in_channels: int, out_channels: int, kernel_size: int, groups: int = 1,
                 separable: bool = False, bias: bool = False,
                 device: str = "meta") -> list[torch.nn.Conv2d]:
    """The torch layer(s): one ``Conv2d``, or depthwise ``k × k`` + pointwise ``1 × 1``.

    All use stride 1 and ``padding='same'``, so the output is as large as the input.
    ``device='meta'`` builds them without memory or initialisation (enough to count).
    """
    c_in, c_out, k, g = _check(in_channels, out_channels, kernel_size, groups, separable)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    options = {"padding": "same", "bias": bias, "device": device}
    if separable:
        return [torch.nn.Conv2d(c_in, c_in, k, groups=c_in, **options),
                torch.nn.Conv2d(c_in, c_out, 1, **options)]
    return [torch.nn.Conv2d(c_in, c_out, k, groups=g, **options)]


def connectivity(in_channels: int, out_channels: int, groups: int) -> np.ndarray:
    """Which input channels each output channel sees: ``(K, C)`` array.

    Entry ``[o, c]`` is 0 if output channel ``o`` does not read input channel ``c``,
    otherwise ``1 + (group mod 8)`` (a colour index): output ``o`` belongs to group
    ``o // (K/g)`` and reads inputs ``group·C/g … (group+1)·C/g − 1``, as in
    ``torch.nn.Conv2d``.
    """
    c_in, c_out, _, g = _check(in_channels, out_channels, 1, groups, False)
    out_group = np.arange(c_out) // (c_out // g)
    in_group = np.arange(c_in) // (c_in // g)
    seen = out_group[:, np.newaxis] == in_group[np.newaxis, :]
    return np.where(seen, 1 + out_group[:, np.newaxis] % (len(_GROUP_COLOURS) - 1), 0)


def _counts(layers: list[torch.nn.Conv2d], size: int) -> tuple[int, int, int]:
    """``(params, macs_per_pixel, macs)`` of a stack of convs on a ``size × size`` input.

    ``params = Σ p.numel()`` over the modules' parameters; each layer adds
    ``K·(C/g)·kH·kW`` multiply-adds per output pixel, times its output ``H·W`` (read from a
    forward pass on a meta tensor).
    """
    params = sum(p.numel() for layer in layers for p in layer.parameters())
    per_pixel = macs = 0
    x = torch.empty(1, layers[0].in_channels, size, size, device="meta")
    for layer in layers:
        with warnings.catch_warnings():  # even k: torch warns it may copy the input; no data
            warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
            x = layer(x)
        kh, kw = layer.kernel_size
        per_layer = layer.out_channels * (layer.in_channels // layer.groups) * kh * kw
        per_pixel += per_layer
        macs += per_layer * x.shape[-2] * x.shape[-1]
    return params, per_pixel, macs


@dataclass(frozen=True)
class ConvCost:
    """Parameter and multiply-add counts of one layer setting, and of the standard conv.

    ``macs_per_pixel`` counts all output channels at one output position.
    """

    params: int
    macs_per_pixel: int
    macs: int
    standard_params: int
    standard_macs: int

    @property
    def params_ratio(self) -> float:
        """``params / standard_params``."""
        return self.params / self.standard_params

    @property
    def macs_ratio(self) -> float:
        """``macs / standard_macs``."""
        return self.macs / self.standard_macs

    def as_dict(self) -> dict[str, float]:
        """All counts plus both ratios."""
        return asdict(self) | {"params_ratio": self.params_ratio, "macs_ratio": self.macs_ratio}


def conv_cost(in_channels: int, out_channels: int, kernel_size: int, groups: int = 1,
              separable: bool = False, size: int = 56, bias: bool = False) -> ConvCost:
    """Count parameters and multiply-adds of the layer(s) :func:`build_layers` makes.

    Formulas (module docstring): ``K·(C/g)·k²`` weights and multiply-adds per output
    pixel for a conv, ``C·k² + K·C`` for a separable pair; the totals multiply by the
    ``size × size`` output. Ratios are to ``Conv2d(C, K, k)`` with the same ``bias``.

    Raises
    ------
    ValueError, TypeError
        Naming the parameter (``in_channels``, ``out_channels``, ``kernel_size``,
        ``groups`` — which must divide gcd(C, K) —, ``separable``, ``size``, ``bias``).
    """
    size = as_int(size, "size", minimum=1)
    params, per_pixel, macs = _counts(
        build_layers(in_channels, out_channels, kernel_size, groups, separable, bias), size)
    standard_params, _, standard_macs = _counts(
        build_layers(in_channels, out_channels, kernel_size, bias=bias), size)
    return ConvCost(params, per_pixel, macs, standard_params, standard_macs)


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def cost_text(in_channels: int, out_channels: int, kernel_size: int, groups: int,
              separable: bool, size: int, bias: bool, cost: ConvCost) -> str:
    """HTML: the formulas with numbers, the ratios, and the PyTorch code of the layer(s)."""
    c, k_out, k, g = in_channels, out_channels, kernel_size, groups
    bias_term = f" + {k_out}" if bias else ""
    if separable:
        bias_term = f" + {c} + {k_out}" if bias else ""
        params = f"C·k² + K·C{' + C + K' if bias else ''} = {c}·{k}² + {k_out}·{c}{bias_term}"
        per_pixel = f"C·k² + K·C = {c}·{k}² + {k_out}·{c}"
        code = (f"nn.Conv2d({c}, {c}, {k}, groups={c}, padding='same', bias={bias}), "
                f"nn.Conv2d({c}, {k_out}, 1, bias={bias})")
        ratio_hint = f" (≈ 1/K + 1/k² = 1/{k_out} + 1/{k}² = {1 / k_out + 1 / k**2:.4f})"
    else:
        params = f"K·(C/g)·k²{' + K' if bias else ''} = {k_out}·({c}/{g})·{k}²{bias_term}"
        per_pixel = f"K·(C/g)·k² = {k_out}·({c}/{g})·{k}²"
        code = f"nn.Conv2d({c}, {k_out}, {k}, groups={g}, padding='same', bias={bias})"
        ratio_hint = f" (= 1/g = 1/{g})" if g > 1 else ""
    return (
        f"<b>{layer_kind(c, g, separable)}</b>: <code>{code}</code><br>"
        f"parameters = {params} = <b>{_n(cost.params)}</b><br>"
        f"multiply-adds per output pixel = {per_pixel} = <b>{_n(cost.macs_per_pixel)}</b><br>"
        f"multiply-adds on a {size}×{size} output = {_n(cost.macs_per_pixel)}·{size}·{size} = "
        f"<b>{_n(cost.macs)}</b><br>"
        f"vs standard conv ({_n(cost.standard_params)} parameters, {_n(cost.standard_macs)} "
        f"multiply-adds): parameters × <b>{cost.params_ratio:.4f}</b>, multiply-adds × "
        f"<b>{cost.macs_ratio:.4f}</b>{ratio_hint}"
    )


class ConvCostExplorer(LessonWidget):
    """How groups, depthwise and separable convolutions cut parameters and multiply-adds.

    Controls (public attributes): ``in_channels``, ``out_channels`` (dropdowns of
    :data:`CHANNEL_CHOICES`), ``kernel_size`` (1–7), ``groups`` (exactly the valid
    values, the divisors of gcd(C, K); disabled when separable), ``separable``
    (depthwise then pointwise 1×1), ``bias`` and ``size`` (output side, for the totals).
    ``output`` is :meth:`ConvCost.as_dict` of the current setting (``None`` when
    impossible); ``problem`` the explanation shown instead ("" when fine).
    """

    def __init__(self, in_channels: int = 64, out_channels: int = 128, kernel_size: int = 3,
                 groups: int = 1, separable: bool = False, size: int = 56) -> None:
        as_choice(in_channels, "in_channels", CHANNEL_CHOICES)
        as_choice(out_channels, "out_channels", CHANNEL_CHOICES)
        as_choice(kernel_size, "kernel_size", tuple(range(1, 8)))
        as_choice(size, "size", FEATURE_MAP_SIZES)
        _check(in_channels, out_channels, kernel_size, groups, separable)
        self.in_channels = widgets.Dropdown(options=CHANNEL_CHOICES, value=in_channels,
                                            description="in_channels")
        self.out_channels = widgets.Dropdown(options=CHANNEL_CHOICES, value=out_channels,
                                             description="out_channels")
        self.kernel_size = widgets.IntSlider(value=kernel_size, min=1, max=7,
                                             description="kernel_size")
        self.groups = widgets.SelectionSlider(options=valid_groups(in_channels, out_channels),
                                              value=groups, description="groups")
        self.separable = widgets.Checkbox(value=separable, description="separable")
        self.bias = widgets.Checkbox(value=False, description="bias")
        self.size = widgets.Dropdown(options=FEATURE_MAP_SIZES, value=size, description="size")
        self.text = widgets.HTML()
        self.output: dict[str, float] | None = None
        self.problem = ""
        self._syncing = False
        self._build_figure()
        controls = [self.in_channels, self.out_channels, self.kernel_size, self.groups,
                    self.separable, self.bias, self.size]
        super().__init__([
            widgets.HBox([widgets.VBox(controls[:4]), widgets.VBox(controls[4:])]),
            self.figure_panel.widget, self.text,
        ])
        self.add_class("convlessons-cost")
        self._watch(*controls)
        self.refresh()
        self.figure_panel.store_static_image()

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

    def _on_change(self, change: dict | None = None) -> None:
        if not self._syncing:
            super()._on_change(change)

    def _sync_groups(self) -> int:
        """Offer exactly the valid groups; keep the current value if still valid, else 1."""
        allowed = valid_groups(self.in_channels.value, self.out_channels.value)
        if list(self.groups.options) != allowed:
            keep = self.groups.value if self.groups.value in allowed else 1
            self._syncing = True
            try:
                self.groups.options = allowed
                self.groups.value = keep
            finally:
                self._syncing = False
        self.groups.disabled = self.separable.value
        return 1 if self.separable.value else self.groups.value

    def _update(self) -> None:
        groups = self._sync_groups()
        c, k_out = self.in_channels.value, self.out_channels.value
        separable, size = self.separable.value, self.size.value
        cost = conv_cost(c, k_out, self.kernel_size.value, groups, separable, size,
                         self.bias.value)
        self.output, self.problem = cost.as_dict(), ""
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
        self.figure_panel.redraw()

    def _show_problem(self, message: str) -> None:
        self.output, self.problem = None, message
        for bar in self.bars:
            bar.set_visible(False)
        self.problem_text.set_text(textwrap.fill(message, 28))
        self.text.value = f"<span style='color:#b2182b'>⚠ {message}</span>"
        self.figure_panel.redraw()
