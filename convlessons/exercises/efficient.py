"""Checkers for ``08_efficient_implementations``.

- :func:`check_im2col_matrix` -- the im2col column matrix of a tiny input, built by hand.
- :func:`check_my_im2col` -- a learner's ``my_im2col(x, kernel_size, stride, padding)``,
  run on fresh random batches against ``torch.nn.functional.unfold``.
- :func:`check_multiplication_counts` -- multiplications of a 3x3 layer, direct vs Winograd.
- :func:`check_my_winograd_tile` -- a learner's ``my_winograd_tile(d, g)``: one 2x2 output
  tile of F(2x2, 3x3), run on fresh random tiles against the cross-correlation.

Each public checker validates the notebook's own arguments (a wrong one is a bug in the
notebook and raises ``ValueError``/``TypeError`` naming the parameter); the learner's
answer never raises: it gets a :class:`~convlessons.exercises.Verdict` with a hint aimed
at the typical mistake.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from convlessons._validation import as_array, as_int
from convlessons.arithmetic import conv_output_size
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import (
    learner_array,
    not_a_function,
    real_array,
    whole_numbers,
)
from convlessons.reference import im2col, multiplication_counts, winograd_matrices

__all__ = [
    "IM2COL_CASES",
    "WINOGRAD_TILE_CASES",
    "check_im2col_matrix",
    "check_multiplication_counts",
    "check_my_im2col",
    "check_my_winograd_tile",
]

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
    ``torch.nn.functional.unfold``), shape ``(C_in·k², L)`` with ``L = H_out·W_out``:
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
                       f"C_in·k² = {rows} rows: the {shape} matrix torch.nn.functional.unfold "
                       "gives.")
    if matrix.shape == expected.T.shape and np.allclose(matrix, expected.T, atol=_TOLERANCE):
        return wrong(f"Rows and columns are swapped: you put one window per row. In im2col each "
                     f"window is a COLUMN, so the matrix is (C_in·k²) × L = {shape} and the "
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
        return wrong(f"The matrix needs C_in·k² = {image.shape[0]}·{k}² = {rows} rows (one per "
                     f"input value in a window), you have {matrix.shape[0]}.")
    return wrong(f"The im2col matrix is (C_in·k²) × (H_out·W_out) = {shape}: one column per "
                 "window, each window flattened row by row.")


# -------------------------------------------------------------------- my_im2col


@dataclass(frozen=True)
class Im2colCase:
    """One call of the learner's ``my_im2col``: input shape, square kernel, stride, padding."""

    shape: tuple[int, int, int, int]
    kernel_size: int
    stride: int
    padding: int

    def describe(self) -> str:
        return (f"x of shape {self.shape}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


IM2COL_CASES = 5
"""How many random cases :func:`check_my_im2col` runs on each call."""


def _im2col_cases(rng: np.random.Generator) -> list[Im2colCase]:
    """Fresh random cases, one new idea each: a plain single-channel image, channels,
    stride, padding, then all of them with a batch of two and a non-square image."""

    def draw(batch: int, channels: int, stride: int, padding: int, square: bool) -> Im2colCase:
        k = int(rng.integers(2, 4))
        height = int(rng.integers(k + 2, k + 6))
        width = height if square else height + int(rng.integers(1, 3))
        return Im2colCase((batch, channels, height, width), k, stride, padding)

    def some(low: int, high: int) -> int:
        return int(rng.integers(low, high + 1))

    return [
        draw(1, 1, 1, 0, square=True),
        draw(1, some(2, 3), 1, 0, square=True),
        draw(1, some(2, 3), some(2, 3), 0, square=True),
        draw(some(1, 2), some(1, 3), 1, some(1, 2), square=True),
        draw(2, some(2, 3), some(2, 3), some(1, 2), square=False),
    ]


def _unfold(x: np.ndarray, kernel_size: int, stride: int, padding: int) -> np.ndarray:
    """``torch.nn.functional.unfold``: the oracle, (N, C_in·k², L)."""
    return F.unfold(torch.from_numpy(x), kernel_size, stride=stride, padding=padding).numpy()


def _im2col_hint(out: np.ndarray, x: np.ndarray, case: Im2colCase, expected: np.ndarray) -> str:
    """The slip ``out`` reproduces: shape first (padding, stride, batch axis, transposed
    matrix), then values (row order (i, j, c) or (c, j, i), window order column by column)."""
    n, c, height, width = case.shape
    k, s, p = case.kernel_size, case.stride, case.padding
    rows, positions = expected.shape[1:]
    got, want = "×".join(map(str, out.shape)), "×".join(map(str, expected.shape))
    start = f"With {case.describe()} your matrix is {got}"
    if out.shape != expected.shape:
        need = f", but it should be {want} (N, C_in·k², L)"

        def windows(stride: int, padding: int) -> int:
            sides = (conv_output_size(size, k, stride, padding) for size in (height, width))
            return math.prod(sides)

        if out.shape == (n, positions, rows):
            return (f"{start}{need}: rows and columns are swapped, one window per row. In "
                    "im2col each window is a COLUMN: transpose the last two axes.")
        if out.shape[-2:] == (rows, windows(s, 0)) and p > 0:
            return (f"{start}{need}: that is the number of windows without padding. Pad x "
                    "with `padding` zeros on all four sides before cutting out the windows.")
        if out.shape[-2:] == (rows, windows(1, p)) and s > 1:
            return (f"{start}{need}: that is the number of windows at stride 1. Windows "
                    "start every `stride` pixels: rows oy·stride, columns ox·stride.")
        if out.shape == (rows, positions):
            return f"{start}{need}: keep the batch axis, one column matrix per image."
        if len(out.shape) == 3 and out.shape[1] == k * k:
            return (f"{start}{need}: one row per kernel position only. Every channel brings "
                    f"its own k² = {k * k} rows: C_in·k² = {c}·{k}² = {rows}.")
        return (f"{start}{need}: C_in·k² rows, one per value in a window, and one column per "
                "window, L = H_out·W_out.")
    start = f"With {case.describe()} the shape is right but the values are not"
    blocks = expected.reshape(n, c, k, k, positions)
    h_out, w_out = (conv_output_size(size, k, s, p) for size in (height, width))
    candidates = [
        (blocks.transpose(0, 2, 3, 1, 4),
         "your rows are ordered (i, j, c), channel fastest. torch (and the weight matrix "
         "w.reshape(C_out, -1)) order them (c, i, j): all k² values of channel 0 first, "
         "row index c·k² + i·k + j."),
        (blocks.transpose(0, 1, 3, 2, 4),
         "inside each channel you read the window column by column. Read it row by row: "
         "row c·k² + i·k + j holds window row i, column j."),
        (expected.reshape(n, rows, h_out, w_out).transpose(0, 1, 3, 2),
         "your windows go down the columns first. Column oy·W_out + ox is window (oy, ox): "
         "the windows go row by row, like reading text."),
        (expected.transpose(0, 2, 1) if rows == positions else None,
         "rows and columns are swapped: each window must be a COLUMN."),
    ]
    for candidate, hint in candidates:
        if candidate is not None and np.allclose(out, candidate.reshape(out.shape),
                                                 atol=_TOLERANCE):
            return f"{start}: {hint}"
    edge_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="edge")
    if p > 0 and np.allclose(out, _unfold(edge_padded, k, s, 0), atol=_TOLERANCE):
        return f"{start}: your padding repeats the edge pixels; pad with zeros."
    b, r, col = np.unravel_index(np.argmax(np.abs(out - expected)), out.shape)
    ch, (i, j), (oy, ox) = r // (k * k), divmod(r % (k * k), k), divmod(int(col), w_out)
    return (f"{start}: entry [{b}, {r}, {col}] is channel {ch}, window ({oy}, {ox}), kernel "
            f"position ({i}, {j}), so x_pad[{b}, {ch}, {oy}·{s} + {i}, {ox}·{s} + {j}] = "
            f"{expected[b, r, col]:.4g}; yours is {out[b, r, col]:.4g}.")


def _im2col_error_hint(error: BaseException | None) -> str:
    """A hint for the typical cause of an exception in an im2col implementation."""
    if isinstance(error, IndexError):
        return ("An index out of range often means the padding is missing (pad first, then "
                "cut out windows of the padded image) or H and W are swapped.")
    if isinstance(error, ValueError) and ("reshape" in str(error) or "broadcast" in str(error)):
        return ("A shape mismatch: a window of the padded input is x_pad[n, :, oy·s : oy·s + k, "
                "ox·s : ox·s + k] (C_in×k×k values), one column of C_in·k² rows.")
    return ""


@checker
def check_my_im2col(answer: object) -> Verdict:
    """Run the learner's ``my_im2col(x, kernel_size, stride=s, padding=p)`` on fresh cases.

    Each call draws :data:`IM2COL_CASES` new cases (:func:`_im2col_cases`: shapes, channels,
    kernel size 2–3, stride 1–3, padding 0–2, float64 standard normal values), each run under
    :data:`~convlessons.exercises._answers.TIME_LIMIT`; the result must equal
    ``torch.nn.functional.unfold(x, kernel_size, stride=s, padding=p)``, shape
    ``(N, C_in·k², L)`` with rows ``(c, i, j)`` and columns ``oy·W_out + ox``. Hints: returned
    None, the transposed matrix, padding or stride forgotten, no batch axis, rows ordered
    ``(i, j, c)`` or ``(c, j, i)``, windows column by column, edge instead of zero padding,
    else the first wrong entry; an exception or a time-out is reported with its case.
    """
    rng = np.random.default_rng()
    cases = _im2col_cases(rng)
    yield
    if (refusal := not_a_function(answer, "my_im2col")) is not None:
        return refusal
    for case in cases:
        x = rng.standard_normal(case.shape)
        expected = _unfold(x, case.kernel_size, case.stride, case.padding)
        out = learner_array(answer, (x.copy(), case.kernel_size),
                            {"stride": case.stride, "padding": case.padding},
                            case=case.describe(), returns="columns",
                            error_hint=_im2col_error_hint)
        if out.shape != expected.shape or not np.allclose(out, expected, atol=_TOLERANCE):
            return wrong(_im2col_hint(out, x, case, expected))
    return correct(f"Your columns equal torch.nn.functional.unfold on {len(cases)} fresh random "
                   "cases (one and several channels, stride 1–3, padding 1–2, a batch of two, "
                   "a non-square image): rows (c, i, j), one column per window, row by row.")


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

    The layer has ``in_channels`` (C_in) inputs, ``out_channels`` (C_out) outputs and an
    ``output_size x output_size`` output cut into ``T = (output_size / m)^2`` tiles of
    F(m x m, r x r). With ``(d, w) = reference.multiplication_counts(m, r)``
    (``d = m^2 r^2``, ``w = (m + r - 1)^2`` per tile and channel pair, Lavin & Gray 2016):
    direct ``= T·d·C_in·C_out`` (equal to ``output_size^2 r^2 C_in C_out``), Winograd
    ``= T·w·C_in·C_out`` (the element-wise stage; transforms are additions and constant
    scalings).

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
        return correct(f"{tiles} tiles × C_in·C_out = {c * k} channel pairs × ({direct_tile} vs "
                       f"{winograd_tile}) per tile: {direct} vs {winograd} multiplications, "
                       f"{direct / winograd:g}× fewer.")
    if pair == (winograd, direct):
        return wrong("The two numbers are swapped: give (direct, winograd); direct is larger.")
    if got_direct != direct:
        hints = _count_hints(direct_tile, m * r, tiles, c, k, "Direct")
        return wrong(hints.get(got_direct, "Direct: each output value is an r×r dot product "
                                           "per input channel; count outputs × r² × C_in × C_out."))
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
                           f"all input channels: multiply by C_in·C_out = {c}·{k}."),
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


# -------------------------------------------------------------------- my_winograd_tile

WINOGRAD_TILE_CASES = 4
"""How many random tiles :func:`check_my_winograd_tile` runs on each call."""


def _correlate_tile(d: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Valid cross-correlation of a 4x4 tile with a 3x3 kernel (``F.conv2d``): the oracle."""
    tile, kernel = (torch.from_numpy(np.ascontiguousarray(a))[None, None] for a in (d, g))
    return F.conv2d(tile, kernel)[0, 0].numpy()


def _winograd_slips(d: np.ndarray, g: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """What typical slips in F(2x2, 3x3) return for ``d``, ``g``, each with its hint."""
    bt, g_matrix, at = winograd_matrices(2)
    u, v = g_matrix @ g @ g_matrix.T, bt @ d @ bt.T
    whole = np.sign(g_matrix)  # G with its entries 1/2 replaced by 1
    u_whole = whole @ g @ whole.T
    return [
        (_correlate_tile(d, g[::-1, ::-1]),
         "that is a true convolution (the kernel flipped). CNNs cross-correlate: "
         "y[i, j] = sum over a, b of d[i + a, j + b]·g[a, b], no flip; the paper's matrices "
         "already compute exactly that."),
        (at @ (u * (bt.T @ d @ bt)) @ at.T,
         "the input transform is transposed: you computed B d Bᵀ where Winograd needs "
         "Bᵀ d B. winograd_matrices returns Bᵀ itself (not B): mind which matrix your name "
         "holds."),
        (at @ (u @ v) @ at.T,
         "you multiplied U and V as matrices (U @ V). Winograd multiplies them element by "
         "element, U * V: that is where the 16 multiplications are."),
        (at @ (u_whole * v) @ at.T,
         "the kernel transform lost its halves: G has entries 1/2 (use the G that "
         "winograd_matrices returns, U = G @ g @ G.T)."),
    ]


def _winograd_hint(out: np.ndarray, d: np.ndarray, g: np.ndarray, expected: np.ndarray) -> str:
    """The slip ``out`` reproduces (shape first, then values)."""
    start = f"With the tile d = {d.tolist()} and the kernel g = {g.tolist()} you return"
    if out.shape != (2, 2):
        if out.shape == (4, 4):
            return (f"{start} a 4×4 array, but F(2×2, 3×3) gives a 2×2 output tile: did you "
                    "return M = U ⊙ V without the output transform, or use A in place of Aᵀ?")
        return f"{start} an array of shape {out.shape}; the output tile is 2×2."
    start = f"{start} {out.tolist()}, but the cross-correlation is {expected.tolist()}"
    for candidate, hint in _winograd_slips(d, g):
        if np.allclose(out, candidate, atol=_TOLERANCE):
            return f"{start}: {hint}"
    if np.allclose(out, expected.T, atol=_TOLERANCE):
        return f"{start}: rows and columns are swapped."
    return (f"{start}. Check each transform on its own: the kernel's (4×4), the tile's (4×4), "
            "then the output transform back to 2×2.")


def _winograd_tile_case(index: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Case ``index``: small integers first (easy to read in a hint), then real values."""
    if index < 2:
        return (rng.integers(-4, 5, (4, 4)).astype(np.float64),
                rng.integers(-3, 4, (3, 3)).astype(np.float64))
    return rng.standard_normal((4, 4)), rng.standard_normal((3, 3))


def _winograd_error_hint(error: BaseException | None) -> str:
    """A hint for a shape mismatch in the transforms (a matrix used in the wrong place)."""
    if isinstance(error, ValueError) and ("matmul" in str(error) or "broadcast" in str(error)):
        return ("A shape mismatch in a product: winograd_matrices returns Bᵀ (4×4), G (4×3) "
                "and Aᵀ (2×4); check on which side of g, d and M each one goes, and where a "
                "transpose belongs.")
    return ""


@checker
def check_my_winograd_tile(answer: object) -> Verdict:
    """Run the learner's ``my_winograd_tile(d, g)`` on fresh random tiles.

    ``d`` is a 4x4 input tile, ``g`` a 3x3 kernel (:data:`WINOGRAD_TILE_CASES` per call,
    small integers then standard normal values, drawn afresh on every call); the result
    must be the 2x2 valid cross-correlation ``F.conv2d(d, g)`` within 1e-9, as
    F(2x2, 3x3) computes it, ``A^T [(G g G^T) * (B^T d B)] A`` (Lavin & Gray 2016). Each
    call runs under :data:`~convlessons.exercises._answers.TIME_LIMIT`. Hints: returned
    None, a 4x4 result (no output transform, or ``A`` for ``A^T``), a true convolution (the
    kernel flipped), the input transform transposed (``B d B^T``), a matrix product instead
    of the element-wise one, ``G`` without its halves, rows and columns swapped; an
    exception or a time-out is reported with its case.
    """
    rng = np.random.default_rng()
    cases = [_winograd_tile_case(index, rng) for index in range(WINOGRAD_TILE_CASES)]
    yield
    if (refusal := not_a_function(answer, "my_winograd_tile")) is not None:
        return refusal
    for d, g in cases:
        expected = _correlate_tile(d, g)
        case = f"d = {np.round(d, 3).tolist()}, g = {np.round(g, 3).tolist()}"
        out = learner_array(answer, (d.copy(), g.copy()), case=case, returns="tile",
                            error_hint=_winograd_error_hint)
        if out.shape != expected.shape or not np.allclose(out, expected, atol=_TOLERANCE):
            return wrong(_winograd_hint(out, d, g, expected))
    return correct(f"Your tile equals the cross-correlation on {len(cases)} fresh random tiles "
                   "(integers and real values): 16 multiplications instead of 36.")
