"""Receptive field of a stack of layers: the theoretical region and the effective one.

Beside :mod:`convlessons.arithmetic` (which gives the receptive-field size ``r``, jump ``j``
and start of a stack), this module answers *which* input pixels a unit sees:

- :class:`Layer` (a square conv or average-pool layer without padding), :data:`PRESETS`;
- :func:`output_sizes`, :func:`centre_unit`, :func:`describe_stack` (an HTML table);
- :func:`theoretical_region`, :func:`nested_regions` -> :class:`Region`;
- :func:`effective_receptive_field` (gradient magnitude, Luo et al. 2016), :func:`gaussian`,
  :func:`gaussian_fit`.

Layers have no padding, so every output unit sees only real input pixels; ``pool``
layers are average pools (same geometry as max pooling, and a gradient that does not
depend on the input). The view is :class:`convlessons.widgets.ReceptiveFieldExplorer`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from convlessons._validation import as_int
from convlessons.arithmetic import conv_output_size, receptive_field_per_layer

__all__ = [
    "KINDS",
    "PRESETS",
    "WEIGHTS",
    "Layer",
    "Region",
    "centre_unit",
    "describe_stack",
    "effective_receptive_field",
    "gaussian",
    "gaussian_fit",
    "nested_regions",
    "output_sizes",
    "theoretical_region",
]

KINDS = ("conv", "pool")
"""Layer kinds: a convolution, or an average pool (fixed weights ``1/k²``)."""

WEIGHTS = ("uniform", "random")
"""Conv weights of the effective receptive field: all ``1/k²``, or seeded Gaussian draws."""


class Layer(NamedTuple):
    """One square layer without padding: ``kind`` in :data:`KINDS`, kernel, stride, dilation."""

    kind: str
    kernel_size: int
    stride: int = 1
    dilation: int = 1


class Region(NamedTuple):
    """Input pixels in rows ``top .. top+height-1`` and columns ``left .. left+width-1``."""

    top: int
    left: int
    height: int
    width: int

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` slices selecting the region from an ``(H, W)`` array."""
        return slice(self.top, self.top + self.height), slice(self.left, self.left + self.width)


_CONV3 = Layer("conv", 3)
_POOL2 = Layer("pool", 2, stride=2)
PRESETS: dict[str, tuple[Layer, ...]] = {
    "3 × conv3×3": (_CONV3, _CONV3, _CONV3),
    "VGG block": (_CONV3, _CONV3, _POOL2, _CONV3, _CONV3, _POOL2),
    "dilated stack": (Layer("conv", 3, 1, 1), Layer("conv", 3, 1, 2), Layer("conv", 3, 1, 4)),
}
"""Stacks to start from; "VGG block" is two VGG stages of 3×3 convs and 2×2 pools
(receptive field 16, jump 4)."""


def _checked_layers(layers: Sequence[Layer]) -> tuple[Layer, ...]:
    """Validate a stack once; raise naming ``layers[i]`` and the field."""
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise TypeError(f"layers must be a sequence of Layer, got {type(layers).__name__}")
    if not layers:
        raise ValueError("layers must hold at least 1 layer, got none: add a layer")
    checked = []
    for index, layer in enumerate(layers):
        name = f"layers[{index}]"
        if not isinstance(layer, tuple) or len(layer) != len(Layer._fields):
            raise TypeError(f"{name} must be a Layer(kind, kernel_size, stride, dilation)")
        kind, kernel_size, stride, dilation = layer
        if kind not in KINDS:
            raise ValueError(f"{name}.kind must be one of {KINDS}, got {kind!r}")
        checked.append(Layer(
            kind,
            as_int(kernel_size, f"{name}.kernel_size", minimum=1),
            as_int(stride, f"{name}.stride", minimum=1),
            as_int(dilation, f"{name}.dilation", minimum=1),
        ))
    return tuple(checked)


def _geometry(layers: tuple[Layer, ...]) -> list[dict[str, int]]:
    """The mappings :func:`convlessons.arithmetic.receptive_field_per_layer` reads."""
    return [{"kernel_size": k, "stride": s, "dilation": d} for _, k, s, d in layers]


def _sizes_until_impossible(stack: tuple[Layer, ...], input_size: int):
    """Yield each layer's output side; raise at the first layer that has no output."""
    size = input_size
    for number, (kind, k, s, d) in enumerate(stack, start=1):
        try:
            size = conv_output_size(size, k, stride=s, dilation=d)
        except ValueError as err:
            raise ValueError(f"layer {number} ({kind} {k}×{k}) has no output: {err}") from err
        yield size


def output_sizes(layers: Sequence[Layer], input_size: int) -> list[int]:
    """Side of the output of every layer for a square ``input_size`` input (no padding).

    ``n_l = floor((n_{l-1} - d_l(k_l - 1) - 1) / s_l) + 1`` per layer, from
    :func:`convlessons.arithmetic.conv_output_size`.

    Raises
    ------
    ValueError
        If a layer's dilated kernel is larger than its input; the message names the
        layer and repeats ``conv_output_size``'s explanation.
    """
    stack = _checked_layers(layers)
    return list(_sizes_until_impossible(stack, as_int(input_size, "input_size", minimum=1)))


def _swatch(colours: Sequence[str], index: int) -> str:
    """CSS for a table cell in ``colours[index]`` with readable text (none if absent)."""
    if index >= len(colours):
        return ""
    return f"background:{colours[index]};color:white;font-weight:bold"


def describe_stack(
    layers: Sequence[Layer], input_size: int, colours: Sequence[str] = ()
) -> str:
    """HTML table: output size, receptive field ``r`` and jump ``j`` after every layer.

    ``r`` and ``j`` come from :func:`convlessons.arithmetic.receptive_field_per_layer`;
    an output size is "—" from the first layer that has no output on. ``colours``
    (CSS colours, one per layer) mark the layer numbers, as a legend for a figure.
    """
    stack = _checked_layers(layers)
    sizes: list[int] = []
    try:
        for size in _sizes_until_impossible(stack, as_int(input_size, "input_size", minimum=1)):
            sizes.append(size)
    except ValueError:
        pass
    fields = receptive_field_per_layer(_geometry(stack))
    rows = "".join(
        f"<tr><td style='{_swatch(colours, number - 1)}'>{number}</td>"
        f"<td>{kind} {k}×{k}</td><td>{s}</td><td>{d}</td>"
        f"<td>{sizes[number - 1] if number <= len(sizes) else '—'}</td>"
        f"<td>{field.size}</td><td>{field.stride}</td></tr>"
        for number, ((kind, k, s, d), field) in enumerate(zip(stack, fields, strict=True), 1)
    )
    return (
        "<table style='border-collapse:collapse;text-align:center'>"
        "<tr><th>layer</th><th>kind</th><th>stride s</th><th>dilation d</th>"
        "<th>output size</th><th>RF r</th><th>jump j</th></tr>" + rows
        + "</table><p>r<sub>l</sub> = r<sub>l−1</sub> + d<sub>l</sub>(k<sub>l</sub> − 1)"
        " · j<sub>l−1</sub>, j<sub>l</sub> = j<sub>l−1</sub> · s<sub>l</sub>"
        " (r<sub>0</sub> = j<sub>0</sub> = 1); no padding.</p>"
    )


def centre_unit(layers: Sequence[Layer], input_size: int) -> int:
    """Index (row = column) of the centre unit of the last layer: ``(n_L - 1) // 2``."""
    return (output_sizes(layers, input_size)[-1] - 1) // 2


def _unit_region(field, unit_row: int, unit_col: int) -> Region:
    """Input pixels seen by unit ``(row, col)`` of a layer with receptive field ``field``.

    The unit is centred on ``start + unit * jump`` and covers ``size`` pixels.
    """
    half = (field.size - 1) / 2
    top = int(field.start + unit_row * field.stride - half)
    left = int(field.start + unit_col * field.stride - half)
    return Region(top, left, field.size, field.size)


def _unit_pair(unit: int | tuple[int, int] | None, default: int, size: int) -> tuple[int, int]:
    """``unit`` as ``(row, col)`` inside ``0 .. size-1``; ``None`` means the centre unit."""
    if unit is None:
        return default, default
    pair = (unit, unit) if isinstance(unit, int) and not isinstance(unit, bool) else unit
    if not isinstance(pair, tuple) or len(pair) != 2:
        raise TypeError(f"unit must be an int or a (row, col) pair, got {unit!r}")
    row, col = (as_int(value, "unit", minimum=0) for value in pair)
    if max(row, col) >= size:
        raise ValueError(f"unit must be in 0 .. {size - 1} (the last output size), got {unit!r}")
    return row, col


def theoretical_region(
    layers: Sequence[Layer], unit: int | tuple[int, int] | None, input_size: int
) -> Region:
    """Input pixels that can affect unit ``(row, col)`` of the last layer.

    With :func:`convlessons.arithmetic.receptive_field` ``(r, j, start)`` of the stack the
    unit covers ``start + unit·j - (r-1)/2 .. start + unit·j + (r-1)/2`` on each axis
    (Araujo, Norris & Sim, Distill 2019). ``unit=None`` picks :func:`centre_unit`.
    Checked against the non-zero gradient of that unit (``tests``).
    """
    sizes = output_sizes(layers, input_size)
    row, col = _unit_pair(unit, (sizes[-1] - 1) // 2, sizes[-1])
    field = receptive_field_per_layer(_geometry(_checked_layers(layers)))[-1]
    return _unit_region(field, row, col)


def nested_regions(
    layers: Sequence[Layer], input_size: int, unit: int | tuple[int, int] | None = None
) -> list[Region]:
    """Regions of the units on a path down from ``unit`` of the last layer, one per layer.

    From the last layer down, layer ``l-1``'s unit is the middle of the window that
    layer ``l``'s unit reads: ``u_{l-1} = u_l s_l + d_l ⌊(k_l - 1)/2⌋``. Each region is
    therefore inside the next one, and the last is :func:`theoretical_region`.
    """
    stack = _checked_layers(layers)
    sizes = output_sizes(stack, input_size)
    row, col = _unit_pair(unit, (sizes[-1] - 1) // 2, sizes[-1])
    fields = receptive_field_per_layer(_geometry(stack))
    regions = []
    for (_, k, s, d), field in zip(reversed(stack), reversed(fields), strict=True):
        regions.append(_unit_region(field, row, col))
        row, col = row * s + d * ((k - 1) // 2), col * s + d * ((k - 1) // 2)
    return regions[::-1]


@functools.lru_cache(maxsize=64)
def _erf(stack: tuple[Layer, ...], input_size: int, weights: str, seed: int,
         samples: int) -> np.ndarray:
    """Cached body of :func:`effective_receptive_field` (validated arguments)."""
    generator = torch.Generator().manual_seed(seed)
    copies = samples if weights == "random" else 1
    x = torch.zeros(1, copies, input_size, input_size, dtype=torch.float64, requires_grad=True)
    y = x
    for kind, k, s, d in stack:
        if kind == "conv" and weights == "random":
            w = torch.randn(copies, 1, k, k, generator=generator, dtype=torch.float64)
        else:
            w = torch.full((copies, 1, k, k), 1.0 / (k * k), dtype=torch.float64)
        y = F.conv2d(y, w, stride=s, dilation=d, groups=copies)
    centre_row, centre_col = (y.shape[-2] - 1) // 2, (y.shape[-1] - 1) // 2
    y[0, :, centre_row, centre_col].sum().backward()
    gradient = x.grad[0]
    magnitude = gradient.pow(2).mean(dim=0).sqrt().numpy()
    magnitude /= magnitude.max()
    magnitude.setflags(write=False)
    return magnitude


def effective_receptive_field(
    layers: Sequence[Layer],
    input_size: int,
    weights: str = "uniform",
    seed: int = 0,
    samples: int = 16,
) -> np.ndarray:
    """Gradient magnitude of the centre unit of the last layer w.r.t. the input.

    ``ERF(x) = |∂y_c / ∂x|``, normalised to a maximum of 1, computed with torch autograd
    through the (linear) stack, as in Luo, Li, Urtasun & Zemel, "Understanding the
    Effective Receptive Field in Deep Convolutional Neural Networks", NeurIPS 2016.
    ``weights='uniform'`` uses ``1/k²`` everywhere (the ERF is then the number of paths
    from each pixel to the unit); ``'random'`` draws ``samples`` stacks of standard
    normal conv weights from ``seed`` and takes the root mean square of their gradients.
    Pools always average. Its non-zero support is :func:`theoretical_region` (tested).

    Returns
    -------
    numpy.ndarray
        ``(input_size, input_size)`` float64 in [0, 1].
    """
    stack = _checked_layers(layers)
    output_sizes(stack, input_size)
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    seed = as_int(seed, "seed", minimum=0)
    samples = as_int(samples, "samples", minimum=1)
    return _erf(stack, int(input_size), weights, seed, samples).copy()


def gaussian(x: np.ndarray, centre: float, sigma: float, amplitude: float) -> np.ndarray:
    """``amplitude · exp(-(x - centre)² / (2 sigma²))``."""
    return amplitude * np.exp(-((np.asarray(x, dtype=float) - centre) ** 2) / (2 * sigma**2))


def gaussian_fit(profile: np.ndarray) -> tuple[float, float, float]:
    """Gaussian with the same mass, mean and variance as a non-negative 1-D profile.

    Moments of ``p`` over pixel positions ``x``: ``μ = Σxp / Σp``,
    ``σ² = Σ(x - μ)²p / Σp``, amplitude ``Σp / (σ√(2π))`` (the Gaussian's area equals the
    profile's). A single-pixel profile gets ``σ = 1/√(2π)`` (unit amplitude per unit area).

    Returns
    -------
    centre, sigma, amplitude
    """
    p = np.asarray(profile, dtype=float)
    if p.ndim != 1 or p.size == 0 or np.any(p < 0) or not np.all(np.isfinite(p)) or p.sum() == 0:
        raise ValueError("profile must be a non-empty 1-D array of finite values >= 0, not all 0")
    x = np.arange(p.size)
    mass = p.sum()
    centre = float((x * p).sum() / mass)
    variance = float(((x - centre) ** 2 * p).sum() / mass)
    sigma = np.sqrt(variance) if variance > 0 else 1 / np.sqrt(2 * np.pi)
    return centre, float(sigma), float(mass / (sigma * np.sqrt(2 * np.pi)))
