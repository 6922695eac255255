"""Checkers for ``08_efficient_implementations``.

- :func:`check_im2col_matrix` -- the im2col column matrix of a tiny input, built by hand.
- :func:`check_multiplication_counts` -- multiplications of a 3x3 layer, direct vs Winograd.

Each public checker validates the notebook's own arguments (a wrong one is a bug in the
notebook and raises ``ValueError``/``TypeError`` naming the parameter); the learner's
answer never raises: it gets a :class:`~convlessons.exercises.Verdict` with a hint aimed
at the typical mistake.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from convlessons._validation import as_array, as_int
from convlessons.arithmetic import conv_output_size
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import real_array, whole_numbers
from convlessons.reference import im2col, multiplication_counts

__all__ = ["check_im2col_matrix", "check_multiplication_counts"]

_TOLERANCE = 1e-9
"""Absolute tolerance for a learner's matrix entries (copies of the input values)."""


# -------------------------------------------------------------------- im2col matrix


def _same_multiset(got: np.ndarray, expected: np.ndarray) -> bool:
    """Whether the rows of ``got`` are the rows of ``expected`` in some order."""
    return Counter(map(tuple, got.tolist())) == Counter(map(tuple, expected.tolist()))


@checker
def check_im2col_matrix(answer: object, image: np.ndarray, kernel_size: int) -> Verdict:
    """Check a hand-built im2col matrix of ``image`` for a square kernel, stride 1, no padding.

    Expected: ``reference.im2col(image, kernel_size)`` (equal to
    ``torch.nn.functional.unfold``), shape ``(C·k², L)`` with ``L = H_out·W_out``:
    column ``oy·W_out + ox`` is window ``(oy, ox)`` read row by row,
    ``columns[c·k² + i·k + j, oy·W_out + ox] = image[c, oy + i, ox + j]``.

    Hints: transposed matrix (one window per row), windows in the wrong order (e.g. down
    the columns first), each window read in the wrong order (column by column), missing
    windows (naming them), and a wrong number of rows.

    Raises
    ------
    ValueError, TypeError
        If ``image`` is not a ``(C, H, W)`` array or ``kernel_size`` does not fit in it.
    """
    image = as_array(image, "image", ndim=3, layout="(C, H, W)")
    kernel_size = as_int(kernel_size, "kernel_size", minimum=1)
    h_out, w_out = (conv_output_size(n, kernel_size) for n in image.shape[1:])
    expected, k = im2col(image, kernel_size), kernel_size
    yield
    matrix = real_array(answer, "a 2-D array (e.g. np.array([[...], [...]])): one column per "
                                "window", ndim=2)
    rows, positions = expected.shape
    shape = "×".join(map(str, expected.shape))
    if matrix.shape == expected.shape and np.allclose(matrix, expected, atol=_TOLERANCE):
        return correct(f"{positions} windows, one per column, each read row by row into "
                       f"C·k² = {rows} rows: the {shape} matrix torch.nn.functional.unfold "
                       "gives.")
    if matrix.shape == expected.T.shape and np.allclose(matrix, expected.T, atol=_TOLERANCE):
        return wrong(f"Rows and columns are swapped: you put one window per row. In im2col each "
                     f"window is a COLUMN, so the matrix is (C·k²) × L = {shape} and the "
                     "convolution is W_row @ columns.")
    if matrix.shape == expected.shape:
        if _same_multiset(matrix.T, expected.T):
            return wrong(f"The right {positions} windows, but in the wrong order. Windows go "
                         "row by row over the output: window (oy, ox) is column "
                         f"oy·W_out + ox = oy·{w_out} + ox (so (0, 1) comes right after (0, 0)).")
        if _same_multiset(matrix, expected):
            return wrong("Each column holds the right numbers in the wrong order. Read a window "
                         "row by row: entry (i, j) of the window goes to row i·k + j "
                         f"(i·{k} + j), like window.reshape(-1).")
        return wrong(f"The shape {shape} is right but some entries are not. Column "
                     "oy·W_out + ox is the window image[:, oy : oy + k, ox : ox + k] "
                     "flattened row by row.")
    if matrix.shape[0] == rows and matrix.shape[1] < positions:
        present = Counter(map(tuple, matrix.T.tolist()))
        missing = []
        for position in range(positions):
            column = tuple(expected[:, position].tolist())
            if present[column]:
                present[column] -= 1
            else:
                missing.append(divmod(position, w_out))
        names = ", ".join(map(str, missing))
        return wrong(f"You have {matrix.shape[1]} columns but there are L = H_out·W_out = "
                     f"{h_out}·{w_out} = {positions} windows; missing: {names}. The last window "
                     "starts at column W − k (the window may touch the border).")
    if matrix.shape[1] == positions:
        return wrong(f"The matrix needs C·k² = {image.shape[0]}·{k}² = {rows} rows (one per "
                     f"input value in a window), you have {matrix.shape[0]}.")
    return wrong(f"The im2col matrix is (C·k²) × (H_out·W_out) = {shape}: one column per window, "
                 "each window flattened row by row.")


# -------------------------------------------------------------------- multiplication counts


@checker
def check_multiplication_counts(
    answer: object,
    output_size: int = 12,
    in_channels: int = 16,
    out_channels: int = 32,
    m: int = 2,
    r: int = 3,
) -> Verdict:
    """Check ``(direct, winograd)`` multiplications of one ``r x r`` convolution layer.

    The layer has ``in_channels`` (C) inputs, ``out_channels`` (K) outputs and an
    ``output_size x output_size`` output cut into ``T = (output_size / m)^2`` tiles of
    F(m x m, r x r). With ``(d, w) = reference.multiplication_counts(m, r)``
    (``d = m^2 r^2``, ``w = (m + r - 1)^2`` per tile and channel pair, Lavin & Gray 2016):
    direct ``= T·d·C·K`` (equal to ``output_size^2 r^2 C K``), Winograd ``= T·w·C·K``
    (the element-wise stage; transforms are additions and constant scalings).

    Hints for each count: no channels, only one channel factor, one tile only, the 1-D
    counts (``m·r`` and ``m + r - 1``), ``(m + r)^2``; and the two counts swapped.

    Raises
    ------
    ValueError, TypeError
        If a parameter is not a positive int or ``output_size`` is not a multiple of ``m``.
    """
    output_size = as_int(output_size, "output_size", minimum=1)
    in_channels = as_int(in_channels, "in_channels", minimum=1)
    out_channels = as_int(out_channels, "out_channels", minimum=1)
    m = as_int(m, "m", minimum=1)
    r = as_int(r, "r", minimum=1)
    if output_size % m:
        raise ValueError(f"output_size must be a multiple of m = {m} (whole tiles), "
                         f"got {output_size}")
    tiles, c, k = (output_size // m) ** 2, in_channels, out_channels
    direct_tile, winograd_tile = multiplication_counts(m, r)
    direct, winograd = tiles * direct_tile * c * k, tiles * winograd_tile * c * k
    yield
    pair = whole_numbers(answer, 2, "two whole numbers: answer = (direct, winograd)")
    got_direct, got_winograd = pair
    if pair == (direct, winograd):
        return correct(f"{tiles} tiles × C·K = {c * k} channel pairs × ({direct_tile} vs "
                       f"{winograd_tile}) per tile: {direct} vs {winograd} multiplications, "
                       f"{direct / winograd:g}× fewer.")
    if pair == (winograd, direct):
        return wrong("The two numbers are swapped: give (direct, winograd); direct is larger.")
    if got_direct != direct:
        hints = _count_hints(direct_tile, m * r, tiles, c, k, "Direct")
        return wrong(hints.get(got_direct, "Direct: each output value is an r×r dot product "
                                           "per input channel; count outputs × r² × C × K."))
    hints = _count_hints(winograd_tile, m + r - 1, tiles, c, k, "Winograd")
    hints.setdefault(tiles * (m + r) ** 2 * c * k,
                     f"Winograd: an input tile has n = m + r − 1 = {m + r - 1} values per side, "
                     "not m + r.")
    return wrong(hints.get(got_winograd, f"Winograd: each of the {tiles} tiles costs "
                                         "(m + r − 1)² element-wise products per channel "
                                         "pair."))


def _count_hints(per_tile: int, per_tile_1d: int, tiles: int, c: int, k: int,
                 name: str) -> dict[int, str]:
    """Wrong totals a learner typically gives for one method, mapped to their hint.

    Earlier entries win when two mistakes give the same number.
    """
    candidates = [
        (tiles * per_tile, f"{name}: you forgot the channels. Every output channel sums over "
                           f"all input channels: multiply by C·K = {c}·{k}."),
        (tiles * per_tile * c, f"{name}: you counted the input channels but not the {k} "
                               "output channels (each has its own filter)."),
        (tiles * per_tile * k, f"{name}: you counted the output channels but not the {c} "
                               "input channels (each filter sums over all of them)."),
        (per_tile * c * k, f"{name}: that is one tile; the output has {tiles} tiles."),
        (tiles * per_tile_1d * c * k, f"{name}: you used the 1-D count per tile. In 2-D a tile "
                                      "needs the square of it (m²r² direct, (m+r−1)² Winograd)."),
    ]
    hints: dict[int, str] = {}
    for value, hint in candidates:
        hints.setdefault(value, hint)
    return hints
