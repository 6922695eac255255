"""Winograd minimal filtering F(m, r): fewer multiplications for small-kernel convolution.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016
(https://arxiv.org/abs/1509.09308). In 1-D, ``F(m, r)`` computes ``m`` outputs of the valid
cross-correlation of an input tile ``d`` (length ``n = m + r - 1``) with a filter ``g``
(length ``r``) using only ``n`` multiplications:

.. math:: y = A^T \\left[ (G g) \\odot (B^T d) \\right]

Nesting it gives the 2-D algorithm ``F(m x m, r x r)`` on an ``n x n`` tile with
``n^2`` instead of ``m^2 r^2`` multiplications:

.. math:: Y = A^T \\left[ (G g G^T) \\odot (B^T d B) \\right] A

A sketch of F(2, 3) you will often find gets this wrong twice: it stores the paper's
``B^T`` and ``A^T`` in variables called ``B`` and ``A`` and then transposes them again
(``B.T @ tile @ B`` computes ``B d B^T``, and ``A.T @ M @ A`` does not even have matching
shapes), and it never splits an image into tiles. :func:`conv2d_winograd` does both right.

Layout used throughout: a transform acts on the *last two* axes of the public functions'
arguments (one tile or kernel is an ``(n, n)`` or ``(r, r)`` array), so ``transform_kernel``,
``transform_input`` and ``inverse_transform`` can be shown on a single tile in a notebook.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided

from convlessons._validation import as_array, as_int, as_pair
from convlessons.reference._args import conv2d_args, pad_zeros

__all__ = [
    "WINOGRAD_MAX_SIZE",
    "WINOGRAD_TILES",
    "interpolation_points",
    "winograd_matrices",
    "multiplication_counts",
    "transform_kernel",
    "transform_input",
    "inverse_transform",
    "check_winograd_supported",
    "conv2d_winograd",
    "conv2d_winograd_padded",
]

WINOGRAD_TILES = (2, 4, 6)
"""Output tile sizes ``m`` that :func:`conv2d_winograd` accepts for F(m x m, 3 x 3)."""

WINOGRAD_MAX_SIZE = 16
"""Largest ``m`` and ``r`` :func:`winograd_matrices` builds: its exact fractions take a
fraction of a second for ``m = r = 16`` and grow quickly with ``n = m + r - 1`` (``m = 64``:
seconds; ``10**6``: out of memory), while float64 loses all accuracy long before."""

_KERNEL = 3

Exact = tuple[tuple[Fraction, ...], ...]


def interpolation_points(count: int) -> list[Fraction]:
    """The first ``count`` finite Toom-Cook points: ``0, 1, -1, 2, -2, 1/2, -1/2, 3, -3, 1/3, …``.

    Small integers and their reciprocals keep the transform entries small; together with
    the point at infinity they are the points Lavin & Gray use for F(2, 3) and F(4, 3).
    """
    count = as_int(count, "count", minimum=0)
    points = [Fraction(0)]
    k = 1
    while len(points) < count:
        points += [Fraction(k), Fraction(-k)]
        if k > 1:
            points += [Fraction(1, k), Fraction(-1, k)]
        k += 1
    return points[:count]


def _product_of_roots(roots: list[Fraction]) -> list[Fraction]:
    """Coefficients (constant term first) of ``prod_l (x - roots[l])``."""
    coefficients = [Fraction(1)]
    for root in roots:
        shifted = [Fraction(0), *coefficients]
        scaled = [-root * c for c in coefficients] + [Fraction(0)]
        coefficients = [a + b for a, b in zip(shifted, scaled, strict=True)]
    return coefficients


@lru_cache(maxsize=32)
def _exact_matrices(m: int, r: int) -> tuple[Exact, Exact, Exact]:
    """``(B^T, G, A^T)`` of F(m, r) as exact fractions (see :func:`winograd_matrices`)."""
    n = m + r - 1
    points = interpolation_points(n - 1)
    bt = [[Fraction(0)] * n for _ in range(n)]
    g = [[Fraction(0)] * r for _ in range(n)]
    at = [[Fraction(0)] * n for _ in range(m)]
    for row, a in enumerate(points):
        others = [b for b in points if b != a]
        scale = math.prod((a - b for b in others), start=Fraction(1))  # N_j
        bt[row] = [*_product_of_roots(others), Fraction(0)]
        g[row] = [a**i / scale for i in range(r)]
        for i in range(m):
            at[i][row] = a**i
    bt[n - 1] = _product_of_roots(points)  # the point at infinity
    g[n - 1][r - 1] = Fraction(1)
    at[m - 1][n - 1] = Fraction(1)
    if points and bt[0][0] < 0:  # sign normalisation of the paper: B^T[0, 0] > 0
        bt[0] = [-v for v in bt[0]]
        g[0] = [-v for v in g[0]]
        bt[n - 1] = [-v for v in bt[n - 1]]
        for i in range(m):
            at[i][n - 1] = -at[i][n - 1]
    bt_exact, g_exact, at_exact = (tuple(map(tuple, matrix)) for matrix in (bt, g, at))
    return bt_exact, g_exact, at_exact


def winograd_matrices(m: int, r: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Transform matrices ``(B^T, G, A^T)`` of Winograd's minimal filtering F(m, r).

    For every input tile ``d`` of length ``n = m + r - 1`` and filter ``g`` of length ``r``,
    ``A^T @ ((G @ g) * (B^T @ d))[i] = sum_k d[i + k] g[k]`` (valid cross-correlation);
    in 2-D, ``Y = A^T [(G g G^T) * (B^T d B)] A`` on an ``n x n`` tile (the returned arrays
    already are the transposes ``B^T`` and ``A^T``: do not transpose them again).

    Toom-Cook construction (Lavin & Gray, section 4) from the finite points
    ``a_0..a_{n-2}`` of :func:`interpolation_points` plus the point at infinity: with
    ``N_j = prod_{l != j} (a_j - a_l)``,

    - column ``j`` of ``A^T`` is ``(1, a_j, ..., a_j^{m-1})``; for infinity ``(0, ..., 0, 1)``;
    - row ``j`` of ``G`` is ``(1, a_j, ..., a_j^{r-1}) / N_j``; for infinity ``(0, ..., 0, 1)``;
    - row ``j`` of ``B^T`` holds the coefficients of ``prod_{l != j} (x - a_l)``; for
      infinity those of ``prod_l (x - a_l)``;
    - signs: when ``B^T[0, 0] = N_0 < 0`` the point-0 row (of ``G`` and ``B^T``) and the
      infinity row/column (of ``B^T`` and ``A^T``) are negated, which changes nothing in
      the result and gives exactly the F(2, 3) and F(4, 3) tables printed in the paper.

    Built with exact fractions, then rounded to float64. Checked against the paper's tables
    and the 1-D identity above in exact arithmetic (``tests/reference/test_winograd.py``).
    Large ``m`` works but loses accuracy quickly in floating point (entries grow like
    ``a^m``).

    Parameters
    ----------
    m
        Outputs per tile, ``1 <= m <=`` :data:`WINOGRAD_MAX_SIZE`.
    r
        Filter length, ``1 <= r <=`` :data:`WINOGRAD_MAX_SIZE`.

    Returns
    -------
    tuple of numpy.ndarray
        ``B^T`` (n, n), ``G`` (n, r) and ``A^T`` (m, n), float64.
    """
    m = as_int(m, "m", minimum=1, maximum=WINOGRAD_MAX_SIZE)
    r = as_int(r, "r", minimum=1, maximum=WINOGRAD_MAX_SIZE)
    return tuple(np.array(matrix, dtype=np.float64) for matrix in _exact_matrices(m, r))


@lru_cache(maxsize=32)
def _matrices(m: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`winograd_matrices` ``(m, 3)`` in ``dtype``, built once per ``(m, dtype)``,
    read-only (the exact fractions take longer to convert than a small layer to compute)."""
    matrices = tuple(a.astype(dtype) for a in winograd_matrices(m, _KERNEL))
    for matrix in matrices:
        matrix.flags.writeable = False
    return matrices


def multiplication_counts(m: int, r: int = 3) -> tuple[int, int]:
    """Multiplications per ``m x m`` output tile of a 2-D ``r x r`` convolution.

    Direct: ``m^2 r^2`` (each output is an ``r x r`` dot product). Winograd
    F(m x m, r x r): ``(m + r - 1)^2``, one per element of the transformed tile (the
    transforms use only additions and multiplications by constants, amortised over
    channels). F(2x2, 3x3): 36 -> 16 (2.25x); F(4x4, 3x3): 144 -> 36 (4x), as in
    Lavin & Gray, section 4.

    Returns
    -------
    tuple of int
        ``(direct, winograd)``.
    """
    m = as_int(m, "m", minimum=1)
    r = as_int(r, "r", minimum=1)
    return m * m * r * r, (m + r - 1) ** 2


def _tile_transform(matrix: np.ndarray, tiles: np.ndarray) -> np.ndarray:
    """``matrix @ d @ matrix.T`` for every tile ``d = tiles[:, :, ...]``, as two matrix products.

    ``tiles`` holds ``c x c`` tiles along its first two axes, shape ``(c, c, ...)``, for an
    ``r x c`` ``matrix`` ``M``. First along each tile column, for all tiles at once:
    ``(M d)[a, s] = sum_i M[a, i] d[i, s]``, one product of ``M`` with a (c, c·tiles)
    matrix; then along each tile row, ``(M d M^T)[a, b] = sum_s M[b, s] (M d)[a, s]``, one
    product of ``M`` with (c, tiles) per ``a``. Returns ``(r, r, ...)``; ``matrix`` is cast to
    ``tiles``' dtype so float32 stays float32.
    """
    matrix = matrix.astype(tiles.dtype, copy=False)
    rows, cols = matrix.shape
    half = matrix @ tiles.reshape(cols, -1)  # M d: (r, c·tiles)
    full = np.matmul(matrix, half.reshape(rows, cols, -1))  # (M d) M^T: (r, r, tiles)
    return full.reshape(rows, rows, *tiles.shape[2:])


def _transform_last(matrix: np.ndarray, data: np.ndarray) -> np.ndarray:
    """``matrix @ d @ matrix.T`` over the *last two* axes (the public transforms' layout)."""
    tiles = np.moveaxis(data, (-2, -1), (0, 1))
    return np.moveaxis(_tile_transform(matrix, tiles), (0, 1), (-2, -1))


def _square_array(value: object, name: str, size: int | None, what: str) -> np.ndarray:
    """Validate an array of ``(..., size, size)`` tiles (any square size if ``size`` is None)."""
    array = as_array(value, name, ndim=range(2, 7), layout=f"(..., {what}, {what})")
    rows, cols = array.shape[-2:]
    if size is None and rows != cols:
        raise ValueError(
            f"{name} must have square last two axes (..., {what}, {what}), got shape {array.shape}"
        )
    if size is not None and (rows, cols) != (size, size):
        raise ValueError(
            f"{name} must have shape (..., {size}, {size}) since {what} = m + r - 1 = {size}, "
            f"got shape {array.shape}"
        )
    return array


def transform_kernel(weight: np.ndarray, m: int) -> np.ndarray:
    """Kernel transform ``U = G g G^T`` of F(m x m, r x r), ``r`` read from ``weight``.

    Parameters
    ----------
    weight
        (..., r, r) kernels ``g``, e.g. one 3x3 kernel or a (K, C, 3, 3) weight.
    m
        Output tile size, ``>= 1``.

    Returns
    -------
    numpy.ndarray
        (..., n, n) with ``n = m + r - 1``; same float dtype as ``weight``.
    """
    g = _square_array(weight, "weight", None, "r")
    _, g_matrix, _ = winograd_matrices(m, g.shape[-1])
    return _transform_last(g_matrix, g)


def transform_input(tiles: np.ndarray, m: int, r: int = 3) -> np.ndarray:
    """Input-tile transform ``V = B^T d B`` of F(m x m, r x r).

    Parameters
    ----------
    tiles
        (..., n, n) input tiles ``d`` with ``n = m + r - 1`` (neighbouring tiles of an
        image overlap by ``r - 1`` rows and columns).
    m, r
        Output tile size and kernel size, ``>= 1``.

    Returns
    -------
    numpy.ndarray
        (..., n, n); same float dtype as ``tiles``.
    """
    bt, _, _ = winograd_matrices(m, r)
    return _transform_last(bt, _square_array(tiles, "tiles", bt.shape[0], "n"))


def inverse_transform(products: np.ndarray, m: int, r: int = 3) -> np.ndarray:
    """Output transform ``Y = A^T M A`` of F(m x m, r x r), back from the Winograd domain.

    Parameters
    ----------
    products
        (..., n, n) element-wise products ``M = U * V`` (summed over input channels when
        convolving multi-channel images), ``n = m + r - 1``.
    m, r
        Output tile size and kernel size, ``>= 1``.

    Returns
    -------
    numpy.ndarray
        (..., m, m) output tiles ``Y``.
    """
    _, _, at = winograd_matrices(m, r)
    return _transform_last(at, _square_array(products, "products", at.shape[1], "n"))


def check_winograd_supported(
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    dilation: int | tuple[int, int] = 1,
    tile: int = 4,
) -> None:
    """Raise ``ValueError`` unless :func:`conv2d_winograd` covers these settings.

    Covered: 3x3 kernels, stride 1, dilation 1, ``tile`` in :data:`WINOGRAD_TILES`.
    ``conv2d(..., method='winograd')`` calls this before padding the input.
    """
    kernel = as_pair(kernel_size, "kernel_size", minimum=1)
    stride_hw = as_pair(stride, "stride", minimum=1)
    dilation_hw = as_pair(dilation, "dilation", minimum=1)
    tile = as_int(tile, "tile", minimum=1)
    if kernel != (_KERNEL, _KERNEL):
        raise ValueError(
            f"weight must be 3×3 (kernel_size (3, 3)) for Winograd F(m×m, 3×3), "
            f"got kernel_size {kernel}; use another method for other kernel sizes"
        )
    if stride_hw != (1, 1):
        raise ValueError(f"stride must be 1 for Winograd convolution, got {stride_hw}")
    if dilation_hw != (1, 1):
        raise ValueError(f"dilation must be 1 for Winograd convolution, got {dilation_hw}")
    if tile not in WINOGRAD_TILES:
        raise ValueError(f"tile must be one of {WINOGRAD_TILES}, got {tile}")


def conv2d_winograd(
    x_padded: np.ndarray, weight: np.ndarray, groups: int = 1, tile: int = 2
) -> np.ndarray:
    """Valid 3x3 cross-correlation (stride 1) of a padded image by Winograd F(m x m, 3 x 3).

    Same result as ``torch.nn.functional.conv2d(x_padded, weight, groups=groups)``:
    output tile ``(t_y, t_x)`` of channel ``k`` in group ``g`` is

    .. math:: Y = A^T \\Big[ \\sum_c (G\\, w_{k,c}\\, G^T) \\odot
              (B^T\\, d_{c}\\, B) \\Big] A,
              \\qquad d_c = x[n, gC/G + c,\\; m t_y : m t_y + m + 2,\\; m t_x : m t_x + m + 2]

    The image is zero-padded at the bottom/right to a whole number of ``m x m`` output
    tiles and the result cropped. Summing over channels inside the brackets makes the
    element-wise stage one matrix product per transform position ``xi`` (``(m+2)^2`` of
    them): ``M[xi] = U[xi] (K x C) @ V[xi] (C x tiles)``, done by a single ``np.matmul``.
    Each 2-D transform of all tiles at once is two matrix products, along the tile rows
    and then along the tile columns (:func:`_tile_transform`); the output transform puts
    the tile's column index last, so that the output tiles go into the image in runs of
    whole rows. Checked against ``torch.nn.functional.conv2d`` (float64 to ~1e-10,
    float32 to ~1e-4 relative) in ``tests/reference/test_winograd.py``.

    Parameters
    ----------
    x_padded
        (N, C, H, W) or unbatched (C, H, W), already zero-padded, ``H, W >= 3``.
        Validated like ``conv2d``'s ``input`` (messages call it ``input``).
    weight
        (K, C/groups, 3, 3).
    groups
        Divides C and K.
    tile
        Output tile size ``m``, one of :data:`WINOGRAD_TILES`.

    Returns
    -------
    numpy.ndarray
        (N, K, H - 2, W - 2), dtype ``numpy.result_type(x_padded, weight)``.
    """
    args = conv2d_args(x_padded, weight, groups=groups)
    check_winograd_supported(args.weight.shape[2:], tile=tile)
    y = conv2d_winograd_padded(args.input, args.weight, groups=args.groups, tile=tile)
    return y[0] if args.unbatched else y


def conv2d_winograd_padded(x: np.ndarray, weight: np.ndarray, groups: int, tile: int) -> np.ndarray:
    """The kernel behind :func:`conv2d_winograd`, on trusted arguments.

    ``x`` (N, C, H, W) already padded, ``weight`` (K, C/groups, 3, 3) of the same dtype,
    ``tile`` one of :data:`WINOGRAD_TILES`; ``conv2d(..., method='winograd')`` calls it
    after validating once.
    """
    m = tile
    n = m + _KERNEL - 1
    batch, channels, height, width = x.shape
    c_out = weight.shape[0]
    out_h, out_w = height - _KERNEL + 1, width - _KERNEL + 1
    tiles_h, tiles_w = -(-out_h // m), -(-out_w // m)
    x = pad_zeros(x, (0, tiles_h * m + n - m - height, 0, tiles_w * m + n - m - width))
    bt, g_matrix, at = _matrices(m, x.dtype)

    n_step, c_step, y_step, x_step = x.strides
    d = as_strided(  # d[b, c, t_y, t_x, i, j] = x[b, c, m t_y + i, m t_x + j]: the tiles, a view
        x, (batch, channels, tiles_h, tiles_w, n, n),
        (n_step, c_step, m * y_step, m * x_step, y_step, x_step), writeable=False,
    )
    d = d.transpose(4, 5, 1, 0, 2, 3).reshape(n, n, channels, -1)  # (n, n, C, N·tiles): a copy
    v = _tile_transform(bt, d).reshape(n * n, groups, channels // groups, -1)
    u = _tile_transform(g_matrix, weight.transpose(2, 3, 0, 1))  # (n, n, K, C/G)
    u = u.reshape(n * n, groups, c_out // groups, channels // groups)
    products = np.matmul(u, v)  # channel sum, one matmul per position xi: (n², G, K/G, N·tiles)
    half = at @ products.reshape(n, -1)  # A^T M: (m, n·K·N·tiles)
    y = np.matmul(half.reshape(m, n, -1).transpose(0, 2, 1), at.T)  # (A^T M) A: (m, K·N·tiles, m)
    y = y.reshape(m, c_out, batch, tiles_h, tiles_w, m).transpose(2, 1, 3, 0, 4, 5)
    return y.reshape(batch, c_out, tiles_h * m, tiles_w * m)[:, :, :out_h, :out_w]
