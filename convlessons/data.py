"""Images for the lessons: small patterns, a sample photograph, a generated training set.

Everything is generated or read from files that installed packages ship; nothing is
downloaded at run time.

- :func:`make_pattern` -- tiny grayscale patterns (5x5 to 12x12) to convolve by hand.
- :func:`load_photo` -- the Grace Hopper photograph shipped with matplotlib's sample data.
- :func:`make_shapes_dataset` -- a labelled set of oriented bars, rings and crosses for
  training the small CNN of :mod:`convlessons.models`.
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib import cbook
from PIL import Image

from convlessons._validation import as_int, check_memory

__all__ = [
    "PATTERNS",
    "SHAPE_CLASSES",
    "load_photo",
    "make_pattern",
    "make_shapes_dataset",
]

PATTERNS: tuple[str, ...] = (
    "vertical_edge",
    "square",
    "diagonal_line",
    "checkerboard",
    "digit",
    "random",
)
"""Names accepted by :func:`make_pattern`."""

SHAPE_CLASSES: tuple[str, ...] = (
    "vertical_bar",
    "horizontal_bar",
    "diagonal_bar",
    "anti_diagonal_bar",
    "ring",
    "cross",
)
"""Class names of :func:`make_shapes_dataset`; label ``k`` is ``SHAPE_CLASSES[k]``.

``diagonal_bar`` runs from top-left to bottom-right (like the main diagonal of a
matrix), ``anti_diagonal_bar`` from bottom-left to top-right, ``cross`` is a ``+``.
"""

PATTERN_SIZES = (5, 12)
"""Smallest and largest side accepted by :func:`make_pattern`."""

MIN_SHAPE_SIZE = 12
"""Smallest image side accepted by :func:`make_shapes_dataset`."""

_WORKING_ARRAYS = 5
"""float64 ``(n, size, size)`` arrays :func:`make_shapes_dataset` holds at its peak (4.6,
measured with ``tracemalloc``)."""


def _ink(distance: np.ndarray, width: np.ndarray | float) -> np.ndarray:
    """Anti-aliased ink ``clip(width / 2 + 1/2 - distance, 0, 1)`` of a stroke.

    ``distance`` is from a pixel centre to the stroke's centre line: a pixel is fully
    inked inside the stroke and fades to 0 over one pixel at its border.
    """
    return np.clip(np.asarray(width) / 2 + 0.5 - distance, 0.0, 1.0)


def _segment_distance(
    rows: np.ndarray,
    cols: np.ndarray,
    start: tuple[np.ndarray, np.ndarray],
    end: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Distance from each pixel centre ``(rows, cols)`` to the segment ``start``-``end``.

    All arguments broadcast: a ``(size, size)`` grid with scalar end points gives one
    image, ``(n, 1, 1)`` end points give ``n`` images at once.
    """
    (r0, c0), (r1, c1) = start, end
    dr, dc = r1 - r0, c1 - c0
    length2 = np.maximum(dr * dr + dc * dc, 1e-12)
    t = np.clip(((rows - r0) * dr + (cols - c0) * dc) / length2, 0.0, 1.0)
    return np.hypot(rows - (r0 + t * dr), cols - (c0 + t * dc))


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column index grids of shape ``(size, size)``, as float64."""
    rows, cols = np.indices((size, size), dtype=np.float64)
    return rows, cols


def _digit_seven(size: int) -> np.ndarray:
    """A ``7``: a top bar and a slanted stem, scaled to the image, strokes one pixel wide."""
    rows, cols = _grid(size)
    top = left = size // 6
    right, bottom, foot = size - 1 - size // 6, size - 1, size // 3
    bar = _segment_distance(rows, cols, (top, left), (top, right))
    stem = _segment_distance(rows, cols, (top, right), (bottom, foot))
    return _ink(np.minimum(bar, stem), 1.0)


def make_pattern(name: str, size: int = 7, seed: int = 0) -> np.ndarray:
    """Return a small grayscale pattern to convolve by hand.

    Parameters
    ----------
    name
        One of :data:`PATTERNS`:

        - ``"vertical_edge"``: left half 0, right half 1 (a step along the columns);
        - ``"square"``: a bright filled square in the middle of a dark image;
        - ``"diagonal_line"``: ones on the main diagonal (top-left to bottom-right);
        - ``"checkerboard"``: ``(row + col) % 2``, the highest frequency an image holds;
        - ``"digit"``: a hand-drawn-looking ``7`` with anti-aliased strokes;
        - ``"random"``: uniform noise in [0, 1) drawn with ``seed``.
    size
        Side of the square image, from 5 to 12.
    seed
        Seed of ``numpy.random.default_rng``; only ``"random"`` uses it.

    Returns
    -------
    numpy.ndarray
        ``(size, size)`` float64 array with values in [0, 1]. The same arguments always
        give the same array.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be one of {PATTERNS}, got {name!r}")
    if name not in PATTERNS:
        raise ValueError(f"name must be one of {PATTERNS}, got {name!r}")
    size = as_int(size, "size", minimum=PATTERN_SIZES[0])
    if size > PATTERN_SIZES[1]:
        low, high = PATTERN_SIZES
        raise ValueError(f"size must be an int from {low} to {high}, got {size}")
    seed = as_int(seed, "seed", minimum=0)

    rows, cols = _grid(size)
    if name == "vertical_edge":
        return (cols >= size // 2).astype(np.float64)
    if name == "square":
        margin = size // 4
        inside = slice(margin, size - margin)
        image = np.zeros((size, size))
        image[inside, inside] = 1.0
        return image
    if name == "diagonal_line":
        return np.eye(size)
    if name == "checkerboard":
        return ((rows + cols) % 2).astype(np.float64)
    if name == "digit":
        return _digit_seven(size)
    return np.random.default_rng(seed).random((size, size))


@functools.lru_cache(maxsize=8)
def _decoded_photo(gray: bool, size: int) -> np.ndarray:
    """Decode, crop and resize the photo once per ``(gray, size)``; read-only result."""
    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    with Image.open(path) as photo:
        photo = photo.convert("L" if gray else "RGB")
        width, height = photo.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        photo = photo.crop((left, top, left + side, top + side))
        photo = photo.resize((size, size), Image.Resampling.LANCZOS)
        array = np.asarray(photo, dtype=np.float64) / 255.0
    array.setflags(write=False)
    return array


def load_photo(gray: bool = True, size: int = 512) -> np.ndarray:
    """Return the Grace Hopper portrait that ships with matplotlib's sample data.

    The JPEG (``matplotlib.cbook.get_sample_data("grace_hopper.jpg")``, 512 x 600 pixels)
    is centre-cropped to a square and resized with Pillow's Lanczos filter. Gray uses
    Pillow's ``"L"`` conversion, ``L = 0.299 R + 0.587 G + 0.114 B`` (ITU-R 601-2).

    Parameters
    ----------
    gray
        ``True`` for one channel, ``False`` for RGB.
    size
        Side of the returned square image in pixels (>= 1), refused (``ValueError``) when
        the float64 image would pass ``_validation.MEMORY_BUDGET`` (2 GiB: 16384 gray).

    Returns
    -------
    numpy.ndarray
        float64 in [0, 1]; shape ``(size, size)`` if ``gray`` else ``(size, size, 3)``.
        The decoded image is cached; each call returns a fresh writable copy.
    """
    if not isinstance(gray, (bool, np.bool_)):
        raise TypeError(f"gray must be True or False, got {gray!r}")
    size = as_int(size, "size", minimum=1)
    check_memory((size, size) if gray else (size, size, 3), 8, f"size={size}",
                 "a float64 photo")
    return _decoded_photo(bool(gray), size).copy()


def make_shapes_dataset(n: int, seed: int = 0, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Generate a labelled image set of oriented bars, rings and crosses.

    Each image holds one white shape of class ``SHAPE_CLASSES[label]`` on a dark
    background, drawn with anti-aliased strokes. Per image, at random: the centre
    (anywhere in the middle half of the image), the length (40-75 % of ``size``), the
    stroke width (1-2.5 px), the orientation (jittered by up to +-15 degrees), the
    intensity (0.35-1) and additive Gaussian noise (sigma 0.2); pixels are then clipped
    to [0, 1]. Noise, faint strokes and near-diagonal jitter keep the task from being
    trivially perfect while a small CNN still reaches high accuracy.

    Parameters
    ----------
    n
        Number of images (>= 1). The images are drawn all at once in float64 working
        arrays, about five of shape ``(n, size, size)``; a request whose arrays would pass
        ``_validation.MEMORY_BUDGET`` (2 GiB: about 68 000 images of 28 x 28) is refused
        with a ``ValueError`` (generate several smaller sets with different seeds).
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives identical arrays.
    size
        Side of each square image (>= 12).

    Returns
    -------
    images : numpy.ndarray
        float32, shape ``(n, 1, size, size)`` (NCHW, ready for ``torch.from_numpy``).
    labels : numpy.ndarray
        int64, shape ``(n,)``, in ``range(len(SHAPE_CLASSES))``. Classes are balanced:
        the counts of any two classes differ by at most one.
    """
    n = as_int(n, "n", minimum=1)
    seed = as_int(seed, "seed", minimum=0)
    size = as_int(size, "size", minimum=MIN_SHAPE_SIZE)
    check_memory((_WORKING_ARRAYS, n, size, size), 8, f"n={n} with size={size}",
                 "float64 working arrays", "; generate several smaller sets with different seeds")
    rng = np.random.default_rng(seed)
    n_classes = len(SHAPE_CLASSES)
    labels = rng.permutation(np.arange(n) % n_classes).astype(np.int64)

    def per_image(low: float, high: float) -> np.ndarray:
        return rng.uniform(low, high, size=(n, 1, 1))

    centre_r = per_image(0.25 * size, 0.75 * size)
    centre_c = per_image(0.25 * size, 0.75 * size)
    half = per_image(0.2 * size, 0.375 * size)
    width = per_image(1.0, 2.5)
    intensity = per_image(0.35, 1.0)
    jitter = np.deg2rad(per_image(-15.0, 15.0))
    # Direction (row, col) of each bar class; a cross adds a perpendicular bar.
    base_angle = np.deg2rad(np.array([90.0, 0.0, 45.0, -45.0, 0.0, 0.0]))
    angle = base_angle[labels][:, None, None] + jitter
    rows, cols = _grid(size)

    def bar_distance(pick: np.ndarray, turn: float) -> np.ndarray:
        theta = angle[pick] + turn
        dr, dc = half[pick] * np.sin(theta), half[pick] * np.cos(theta)
        r, c = centre_r[pick], centre_c[pick]
        return _segment_distance(rows, cols, (r - dr, c - dc), (r + dr, c + dc))

    is_ring = labels == SHAPE_CLASSES.index("ring")
    is_cross = labels == SHAPE_CLASSES.index("cross")
    distance = np.empty((n, size, size))
    distance[~is_ring] = bar_distance(~is_ring, 0.0)
    distance[is_cross] = np.minimum(distance[is_cross], bar_distance(is_cross, np.pi / 2))
    radius = 0.6 * half[is_ring]
    distance[is_ring] = np.abs(
        np.hypot(rows - centre_r[is_ring], cols - centre_c[is_ring]) - radius
    )
    ink = _ink(distance, width)

    images = intensity * ink + rng.normal(0.0, 0.2, size=ink.shape)
    images = np.clip(images, 0.0, 1.0).astype(np.float32)[:, None]
    return images, labels
