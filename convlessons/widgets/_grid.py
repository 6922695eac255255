"""Drawing helpers shared by the widgets: colour-coded grids with numbers, and highlights.

Numbers are drawn as one :class:`~matplotlib.collections.PathCollection` built from
cached glyph outlines, not as one ``Text`` artist per cell: a figure with a hundred
numbered cells then redraws in a few milliseconds instead of ~50 ms.
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import Normalize
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

from convlessons._format import format_number

__all__ = [
    "SIGNED_CMAP",
    "UNSIGNED_CMAP",
    "NumberedGrid",
    "symmetric_limits",
    "number_path",
    "highlight",
]

SIGNED_CMAP = "RdBu_r"
"""Diverging map for signed values (kernels, outputs): blue < 0 < red, white at 0.
ColorBrewer's RdBu is marked safe for colour-blind readers."""

UNSIGNED_CMAP = "gray"
"""Sequential map for non-negative inputs: 0 is black, the largest value (1 for an image in
[0, 1]) is white, as in every other figure of the course ("bright" = large)."""

_FONT = FontProperties(family="DejaVu Sans")
_FONT_SIZE = 8.0  # points

MIN_DIGIT_PIXELS = 5.0
"""Smallest digit height (pixels) still drawn; smaller cells show their colour only."""


@functools.lru_cache(maxsize=64)
def _glyph(character: str) -> tuple[Path, float]:
    """Outline of one character at 1 pt, and its advance width."""
    path = TextPath((0, 0), character, size=1, prop=_FONT)
    width = TextPath((0, 0), character + "0", size=1, prop=_FONT).get_extents().x1
    width -= TextPath((0, 0), "0", size=1, prop=_FONT).get_extents().x1
    return path, width


@functools.lru_cache(maxsize=1)
def _digit_middle() -> float:
    """Height of the middle of a digit above the baseline, at 1 pt."""
    box = _glyph("0")[0].get_extents()
    return (box.y0 + box.y1) / 2


@functools.lru_cache(maxsize=1)
def _digit_height() -> float:
    """Height of a digit at 1 pt."""
    box = _glyph("0")[0].get_extents()
    return box.y1 - box.y0


@functools.lru_cache(maxsize=4096)
def _label_outline(label: str) -> tuple[Path, float]:
    """Outline of ``label`` in points centred on (0, 0), and its width in points."""
    pieces, x = [], 0.0
    for character in label:
        glyph, advance = _glyph(character)
        if len(glyph.vertices):
            pieces.append(glyph.transformed(Affine2D().translate(x, 0)))
        x += advance
    if not pieces:
        return Path(np.zeros((1, 2)), [Path.MOVETO]), 0.0
    centre = Affine2D().translate(-x / 2, -_digit_middle()).scale(_FONT_SIZE)
    return Path.make_compound_path(*pieces).transformed(centre), x * _FONT_SIZE


def number_path(label: str) -> Path:
    """Outline of ``label`` in points, centred on (0, 0), composed from cached glyphs."""
    return _label_outline(label)[0]


def symmetric_limits(values: np.ndarray) -> tuple[float, float]:
    """Colour limits ``(-m, m)`` so that zero sits at the centre of a diverging map."""
    finite = np.asarray(values)[np.isfinite(values)]
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    largest = largest or 1.0
    return -largest, largest


def highlight(axes: Axes, color: str = "#e69f00", linewidth: float = 2.5) -> Rectangle:
    """An (initially hidden) outline rectangle; move it with ``set_bounds``."""
    rect = Rectangle((0, 0), 1, 1, fill=False, edgecolor=color, linewidth=linewidth,
                     visible=False, zorder=5)
    axes.add_patch(rect)
    return rect


class NumberedGrid:
    """A 2-D array shown as coloured cells with the value printed in each cell.

    Cell ``(i, j)`` covers ``[j - 0.5, j + 0.5] × [i - 0.5, i + 0.5]`` in data
    coordinates (matplotlib's ``imshow`` convention), row 0 at the top.

    Parameters
    ----------
    axes
        Where to draw; the grid owns its image and its number layer.
    cmap
        Colour map name.
    max_numbered
        Largest side (in cells) at which numbers are still printed; above it the
        cells are too small to read and only the colours are shown.
    """

    def __init__(self, axes: Axes, cmap: str = SIGNED_CMAP, max_numbered: int = 12) -> None:
        self.axes = axes
        self.max_numbered = max_numbered
        self.image = axes.imshow(np.zeros((1, 1)), cmap=cmap, interpolation="nearest")
        self.numbers = PathCollection([], offsets=np.zeros((0, 2)), transform=Affine2D(),
                                      offset_transform=axes.transData, edgecolors="none",
                                      zorder=4)
        axes.add_collection(self.numbers)
        axes.set_xticks([])
        axes.set_yticks([])
        self.values = np.zeros((1, 1))

    def set_values(self, values: np.ndarray, limits: tuple[float, float] | None = None,
                   origin: tuple[float, float] = (0.0, 0.0)) -> None:
        """Show ``values``; ``limits`` default to symmetric ones; ``origin`` shifts the cells.

        ``origin = (row, col)`` places cell ``(0, 0)`` at that position, e.g. ``(-p, -p)``
        to draw a padded input so that the original pixels keep their indices.
        """
        values = np.asarray(values, dtype=float)
        self.values = values
        rows, cols = values.shape
        top, left = origin
        vmin, vmax = limits if limits is not None else symmetric_limits(values)
        self.image.set_data(values)
        self.image.set_clim(vmin, vmax)
        self.image.set_extent((left - 0.5, left + cols - 0.5, top + rows - 0.5, top - 0.5))
        self.axes.set_xlim(left - 0.5, left + cols - 0.5)
        self.axes.set_ylim(top + rows - 0.5, top - 0.5)
        labels = ([format_number(v) for v in values.ravel()]
                  if max(rows, cols) <= self.max_numbered else [])
        scale = self._font_scale(labels, rows, cols) if labels else None
        if scale is None:  # too many cells, or too small for legible digits: colours only
            self.numbers.set_paths([])
            self.numbers.set_offsets(np.zeros((0, 2)))
            return
        ys, xs = np.mgrid[top:top + rows, left:left + cols]
        self.numbers.set_paths([number_path(label) for label in labels])
        self.numbers.set_transform(Affine2D().scale(scale))
        self.numbers.set_offsets(np.column_stack([xs.ravel(), ys.ravel()]))
        self.numbers.set_facecolor(self._text_colours(values.ravel(), vmin, vmax))

    def _font_scale(self, labels: list[str], rows: int, cols: int) -> float | None:
        """Points-to-pixels scale so every label fits its cell; ``None`` if then illegible.

        The widest label fits in 85% of a cell's width (and of its height, so square
        cells keep a margin), a digit's height in 80% of the cell's height; digits
        smaller than :data:`MIN_DIGIT_PIXELS` are not drawn.
        """
        box = self.axes.get_window_extent()
        width, height = box.width / cols, box.height / rows
        widest = max(_label_outline(label)[1] for label in labels)
        digit = _digit_height() * _FONT_SIZE
        scale = min(self.axes.figure.dpi / 72.0, 0.85 * min(width, height) / max(widest, 1e-9),
                    0.8 * height / digit)
        return scale if digit * scale >= MIN_DIGIT_PIXELS else None

    def _text_colours(self, flat: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
        """Black on light cells, white on dark ones (relative luminance < 0.45)."""
        rgba = self.image.get_cmap()(Normalize(vmin, vmax)(flat))
        luminance = rgba[:, :3] @ np.array([0.2126, 0.7152, 0.0722])
        dark = luminance < 0.45
        colours = np.zeros((flat.size, 4))
        colours[:, 3] = 1.0
        colours[dark, :3] = 1.0
        return colours
