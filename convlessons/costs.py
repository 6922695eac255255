"""Parameters and multiply-adds of standard, grouped, depthwise and separable convolutions.

For ``C_in`` input channels, ``C_out`` output channels, a ``k × k`` kernel, ``g`` groups
and an ``H × W`` output (stride 1, 'same' padding), a ``torch.nn.Conv2d`` holds
``C_out·(C_in/g)·k²`` weights (``+ C_out`` with bias) and performs ``C_out·(C_in/g)·k²``
multiply-adds per output pixel, ``C_out·(C_in/g)·k²·H·W`` in all. A depthwise-separable
conv (Howard et al., "MobileNets", 2017) is a depthwise ``k × k`` conv (``groups = C_in``)
followed by a pointwise ``1 × 1`` conv: ``C_in·k² + C_out·C_in`` multiply-adds per pixel, a
ratio ``1/C_out + 1/k²`` to the standard conv.

The numbers are read from real torch modules (:func:`build_layers`, on the ``meta``
device: no memory, no initialisation) with the course's one counting rule,
:func:`convlessons.models.count_parameters` and :func:`convlessons.models.count_macs`;
``tests/test_costs.py`` checks them against these formulas and
``torch.utils.flop_counter.FlopCounterMode``. The view is
:class:`convlessons.widgets.ConvCostExplorer`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import torch

from convlessons._validation import as_int
from convlessons.models import count_macs, count_parameters

__all__ = [
    "GROUP_COLOURS",
    "LARGEST_CHANNELS",
    "LARGEST_CONNECTIONS",
    "LARGEST_COUNT",
    "ConvCost",
    "build_layers",
    "connectivity",
    "conv_cost",
    "cost_text",
    "layer_kind",
    "valid_groups",
]

GROUP_COLOURS = 8
"""Distinct group indices :func:`connectivity` cycles through (the view colours each one)."""


LARGEST_CHANNELS = 2**40
"""Largest ``in_channels``/``out_channels`` accepted (real layers have at most a few thousand).

It bounds :func:`valid_groups`, which tries every candidate up to ``√gcd``: at most 2**20.
"""

LARGEST_COUNT = 2**53
"""Largest tensor (weight, input or output, in elements) :func:`conv_cost` builds to count.

Every count up to it is an exact float, and torch's meta tensors hold it without overflow.
"""

LARGEST_CONNECTIONS = 2**24
"""Largest ``in_channels·out_channels`` :func:`connectivity` returns a matrix for."""


def _channels(in_channels: int, out_channels: int) -> tuple[int, int]:
    return (as_int(in_channels, "in_channels", minimum=1, maximum=LARGEST_CHANNELS),
            as_int(out_channels, "out_channels", minimum=1, maximum=LARGEST_CHANNELS))


def _divisors(n: int) -> list[int]:
    """Divisors of ``n >= 1``, ascending: each ``d <= √n`` that divides ``n``, with ``n/d``."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    large = [n // d for d in reversed(small) if d * d != n]
    return small + large


def valid_groups(in_channels: int, out_channels: int) -> list[int]:
    """All ``groups`` a ``Conv2d(in_channels, out_channels, k, groups=…)`` accepts, ascending.

    ``groups`` must divide both channel counts, i.e. be a divisor of
    ``gcd(in_channels, out_channels)``: from 1 (standard) to ``in_channels`` (depthwise)
    when ``out_channels`` is a multiple of ``in_channels``. Found by trial division up to
    ``√gcd`` (channel counts up to :data:`LARGEST_CHANNELS`).
    """
    return _divisors(math.gcd(*_channels(in_channels, out_channels)))


def layer_kind(in_channels: int, groups: int, separable: bool = False) -> str:
    """``'separable'``, ``'standard'`` (g = 1), ``'depthwise'`` (g = C_in) or ``'grouped'``."""
    if separable:
        return "separable"
    if groups == 1:
        return "standard"
    return "depthwise" if groups == in_channels else "grouped"


def _check(in_channels: int, out_channels: int, kernel_size: int, groups: int,
           separable: bool) -> tuple[int, int, int, int]:
    """Validate once; return ``(C_in, C_out, k, g)``."""
    c_in, c_out = _channels(in_channels, out_channels)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    g = as_int(groups, "groups", minimum=1)
    if not isinstance(separable, bool):
        raise TypeError(f"separable must be True or False, got {separable!r}")
    if separable and g != 1:
        raise ValueError(f"groups must be 1 when separable=True (its depthwise step uses "
                         f"groups = in_channels), got {g}")
    common = math.gcd(c_in, c_out)
    if common % g:
        allowed = [str(d) for d in _divisors(common)]
        if len(allowed) > 12:
            allowed = [*allowed[:6], "…", *allowed[-6:]]
        raise ValueError(f"groups must divide gcd(in_channels, out_channels) = {common}: one "
                         f"of {', '.join(allowed)}, got {g}")
    return c_in, c_out, k, g


def _check_counts(counts: dict[str, int], limit: int, purpose: str) -> None:
    """Refuse when any named element count exceeds ``limit``, before anything is built."""
    for what, count in counts.items():
        if count > limit:
            raise ValueError(f"{what} = {count} elements is more than {purpose} ({limit}); "
                             "use smaller values")


def build_layers(in_channels: int, out_channels: int, kernel_size: int, groups: int = 1,
                 separable: bool = False, bias: bool = False,
                 device: str = "meta") -> list[torch.nn.Conv2d]:
    """The torch layer(s): one ``Conv2d``, or depthwise ``k × k`` + pointwise ``1 × 1``.

    All use stride 1 and ``padding='same'``, so the output is as large as the input.
    ``device='meta'`` builds them without memory or initialisation (enough to count).
    """
    c_in, c_out, k, g = _check(in_channels, out_channels, kernel_size, groups, separable)
    _check_counts({"in_channels·out_channels·kernel_size² (a standard conv's weight)":
                   c_in * c_out * k * k}, LARGEST_COUNT, "build_layers builds (2**53)")
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    options = {"padding": "same", "bias": bias, "device": device}
    if separable:
        return [torch.nn.Conv2d(c_in, c_in, k, groups=c_in, **options),
                torch.nn.Conv2d(c_in, c_out, 1, **options)]
    return [torch.nn.Conv2d(c_in, c_out, k, groups=g, **options)]


def connectivity(in_channels: int, out_channels: int, groups: int) -> np.ndarray:
    """Which input channels each output channel sees: ``(C_out, C_in)`` array.

    Entry ``[o, c]`` is 0 if output channel ``o`` does not read input channel ``c``,
    otherwise ``1 + (group mod GROUP_COLOURS)`` (a colour index): output ``o`` belongs to group
    ``o // (C_out/g)`` and reads inputs ``group·C_in/g … (group+1)·C_in/g − 1``, as in
    ``torch.nn.Conv2d``.
    """
    c_in, c_out, _, g = _check(in_channels, out_channels, 1, groups, False)
    _check_counts({"in_channels·out_channels (the connection matrix)": c_in * c_out},
                  LARGEST_CONNECTIONS, "connectivity draws (2**24)")
    out_group = np.arange(c_out) // (c_out // g)
    in_group = np.arange(c_in) // (c_in // g)
    seen = out_group[:, np.newaxis] == in_group[np.newaxis, :]
    return np.where(seen, 1 + out_group[:, np.newaxis] % GROUP_COLOURS, 0)


def _counts(layers: list[torch.nn.Conv2d], size: int) -> tuple[int, int, int]:
    """``(params, macs_per_pixel, macs)`` of a stack of stride-1 'same' convs on ``size × size``.

    :func:`convlessons.models.count_parameters` and :func:`convlessons.models.count_macs`
    (per layer ``C_out·(C_in/g)·kH·kW`` per output pixel, :func:`convlessons.models.layer_macs`);
    every layer's output is ``size × size``, so the count per pixel is ``macs / size²``.
    """
    stack = torch.nn.Sequential(*layers)
    with warnings.catch_warnings():  # even k: torch warns it may copy the input; no data
        warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
        macs = count_macs(stack, (layers[0].in_channels, size, size))
    return count_parameters(stack), macs // (size * size), macs


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

    Formulas (module docstring): ``C_out·(C_in/g)·k²`` weights and multiply-adds per
    output pixel for a conv, ``C_in·k² + C_out·C_in`` for a separable pair; the totals
    multiply by the ``size × size`` output. Ratios are to ``Conv2d(C_in, C_out, k)`` with the
    same ``bias``.

    Raises
    ------
    ValueError, TypeError
        Naming the parameter (``in_channels``, ``out_channels``, ``kernel_size``,
        ``groups`` — which must divide gcd(C_in, C_out) —, ``separable``, ``size``,
        ``bias``), also when a weight, input or output tensor would hold more than
        :data:`LARGEST_COUNT` elements.
    """
    size = as_int(size, "size", minimum=1)
    c_in, c_out = _channels(in_channels, out_channels)
    _check_counts({"in_channels·size² (the input)": c_in * size * size,
                   "out_channels·size² (the output)": c_out * size * size},
                  LARGEST_COUNT, "conv_cost counts (2**53)")
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
        params = (f"C_in·k² + C_out·C_in{' + C_in + C_out' if bias else ''} = {c}·{k}² + "
                  f"{k_out}·{c}{bias_term}")
        per_pixel = f"C_in·k² + C_out·C_in = {c}·{k}² + {k_out}·{c}"
        code = (f"nn.Conv2d({c}, {c}, {k}, groups={c}, padding='same', bias={bias}), "
                f"nn.Conv2d({c}, {k_out}, 1, bias={bias})")
        ratio_hint = f" (≈ 1/C_out + 1/k² = 1/{k_out} + 1/{k}² = {1 / k_out + 1 / k**2:.4f})"
    else:
        params = (f"C_out·(C_in/g)·k²{' + C_out' if bias else ''} = {k_out}·({c}/{g})·{k}²"
                  f"{bias_term}")
        per_pixel = f"C_out·(C_in/g)·k² = {k_out}·({c}/{g})·{k}²"
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
