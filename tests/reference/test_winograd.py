"""Winograd F(m, r): paper tables, exact 1-D identity, tile transforms, conv vs torch."""

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from convlessons.reference.winograd import (
    WINOGRAD_TILES,
    check_winograd_supported,
    conv2d_winograd,
    interpolation_points,
    inverse_transform,
    multiplication_counts,
    transform_input,
    transform_kernel,
    winograd_matrices,
)

Fr = Fraction
# Lavin & Gray (CVPR 2016), equations (7)-(8) for F(2, 3) and (11)-(12) for F(4, 3).
PAPER = {
    2: (
        [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        [[1, 0, 0], [Fr(1, 2), Fr(1, 2), Fr(1, 2)], [Fr(1, 2), Fr(-1, 2), Fr(1, 2)], [0, 0, 1]],
        [[1, 1, 1, 0], [0, 1, -1, -1]],
    ),
    4: (
        [
            [4, 0, -5, 0, 1, 0],
            [0, -4, -4, 1, 1, 0],
            [0, 4, -4, -1, 1, 0],
            [0, -2, -1, 2, 1, 0],
            [0, 2, -1, -2, 1, 0],
            [0, 4, 0, -5, 0, 1],
        ],
        [
            [Fr(1, 4), 0, 0],
            [Fr(-1, 6), Fr(-1, 6), Fr(-1, 6)],
            [Fr(-1, 6), Fr(1, 6), Fr(-1, 6)],
            [Fr(1, 24), Fr(1, 12), Fr(1, 6)],
            [Fr(1, 24), Fr(-1, 12), Fr(1, 6)],
            [0, 0, 1],
        ],
        [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
    ),
}

small_ints = st.integers(-50, 50)


def _matvec(matrix, vector):
    return [sum(Fr(a) * b for a, b in zip(row, vector, strict=True)) for row in matrix]


def _correlate_1d(d, g):
    return [sum(d[i + k] * g[k] for k in range(len(g))) for i in range(len(d) - len(g) + 1)]


def _torch_conv(x, w, groups=1):
    return F.conv2d(torch.from_numpy(x), torch.from_numpy(w), groups=groups).numpy()


@pytest.mark.parametrize("m", sorted(PAPER))
@given(data=st.data())
@settings(max_examples=50)
def test_paper_matrices_satisfy_1d_identity_exactly(m, data):
    bt, g_matrix, at = PAPER[m]
    d = data.draw(st.lists(small_ints, min_size=m + 2, max_size=m + 2))
    g = data.draw(st.lists(small_ints, min_size=3, max_size=3))
    products = [u * v for u, v in zip(_matvec(g_matrix, g), _matvec(bt, d), strict=True)]
    assert _matvec(at, products) == _correlate_1d(d, g)


@pytest.mark.parametrize("m", sorted(PAPER))
def test_matrices_equal_the_paper_tables(m):
    for ours, paper in zip(winograd_matrices(m, 3), PAPER[m], strict=True):
        assert ours.dtype == np.float64
        np.testing.assert_array_equal(ours, np.array(paper, dtype=float))


@given(m=st.integers(1, 8), r=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60)
def test_toom_cook_matrices_compute_1d_correlation(m, r, seed):
    bt, g_matrix, at = winograd_matrices(m, r)
    n = m + r - 1
    assert (bt.shape, g_matrix.shape, at.shape) == ((n, n), (n, r), (m, n))
    rng = np.random.default_rng(seed)
    d, g = rng.standard_normal(n), rng.standard_normal(r)
    expected = np.correlate(d, g, mode="valid")
    np.testing.assert_allclose(at @ ((g_matrix @ g) * (bt @ d)), expected, rtol=1e-9, atol=1e-9)


def test_interpolation_points_start_with_the_papers_points():
    assert interpolation_points(5) == [0, 1, -1, 2, -2]
    assert interpolation_points(7)[5:] == [Fr(1, 2), Fr(-1, 2)]
    assert interpolation_points(0) == []


@pytest.mark.parametrize(("m", "counts"), [(2, (36, 16)), (4, (144, 36)), (6, (324, 64))])
def test_multiplication_counts_for_3x3(m, counts):
    assert multiplication_counts(m) == counts


@given(m=st.integers(1, 10), r=st.integers(1, 7))
def test_multiplication_counts_match_the_tile_shapes(m, r):
    direct, winograd = multiplication_counts(m, r)
    bt, _, at = winograd_matrices(m, r)
    assert direct == at.shape[0] ** 2 * r**2  # m^2 outputs, r^2 products each
    assert winograd == bt.shape[0] ** 2  # one product per transformed tile element


@given(m=st.integers(1, 6), r=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60)
def test_tile_transforms_compose_to_one_tile_of_conv2d(m, r, seed):
    rng = np.random.default_rng(seed)
    tile = rng.standard_normal((m + r - 1, m + r - 1))
    kernel = rng.standard_normal((r, r))
    products = transform_kernel(kernel, m) * transform_input(tile, m, r)
    out = inverse_transform(products, m, r)
    expected = _torch_conv(tile[None, None], kernel[None, None])[0, 0]
    np.testing.assert_allclose(out, expected, rtol=1e-8, atol=1e-8)


def test_transforms_act_on_the_last_two_axes_and_keep_float32():
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((5, 2, 3, 3)).astype(np.float32)
    u = transform_kernel(weight, 4)
    assert u.shape == (5, 2, 6, 6) and u.dtype == np.float32
    np.testing.assert_allclose(u[3, 1], transform_kernel(weight[3, 1], 4), rtol=1e-6)
    tiles = rng.standard_normal((2, 3, 4, 4))
    assert transform_input(tiles, 2).shape == (2, 3, 4, 4)
    assert inverse_transform(tiles, 2).shape == (2, 3, 2, 2)


@st.composite
def winograd_cases(draw):
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    batch = draw(st.integers(1, 2))
    height, width = draw(st.integers(3, 17)), draw(st.integers(3, 17))
    tile = draw(st.sampled_from(WINOGRAD_TILES))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, c_in, height, width))
    w = rng.standard_normal((c_out, c_in // groups, 3, 3))
    return x, w, groups, tile


@given(case=winograd_cases())
@settings(max_examples=80)
def test_conv2d_winograd_matches_torch_float64(case):
    x, w, groups, tile = case
    out = conv2d_winograd(x, w, groups=groups, tile=tile)
    expected = _torch_conv(x, w, groups)
    assert out.shape == expected.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


@given(case=winograd_cases())
@settings(max_examples=40)
def test_conv2d_winograd_float32_stays_float32_within_1e4(case):
    x, w, groups, tile = (*(a.astype(np.float32) for a in case[:2]), *case[2:])
    out = conv2d_winograd(x, w, groups=groups, tile=tile)
    assert out.dtype == np.float32
    expected = _torch_conv(x.astype(np.float64), w.astype(np.float64), groups)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-4 * scale)


def test_conv2d_winograd_unbatched_and_mixed_dtypes():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 9, 7)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3))
    out = conv2d_winograd(x, w, tile=4)
    assert out.shape == (3, 7, 5) and out.dtype == np.float64
    np.testing.assert_allclose(out, _torch_conv(x[None].astype(np.float64), w)[0], atol=1e-10)


def test_conv2d_winograd_on_the_course_size():
    rng = np.random.default_rng(2)
    x = np.pad(rng.standard_normal((1, 8, 56, 56)), ((0, 0), (0, 0), (1, 1), (1, 1)))
    w = rng.standard_normal((8, 8, 3, 3))
    for tile in WINOGRAD_TILES:
        out = conv2d_winograd(x, w, tile=tile)
        np.testing.assert_allclose(out, _torch_conv(x, w), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"kernel_size": 5}, ("weight", "3×3")),
        ({"kernel_size": (3, 1)}, ("weight", "3×3")),
        ({"kernel_size": 3, "stride": 2}, ("stride", "1")),
        ({"kernel_size": 3, "dilation": (1, 2)}, ("dilation", "1")),
        ({"kernel_size": 3, "tile": 3}, ("tile", str(WINOGRAD_TILES))),
        ({"kernel_size": 0}, ("kernel_size", ">= 1")),
        ({"kernel_size": 3, "stride": 0}, ("stride", ">= 1")),
        ({"kernel_size": 3, "tile": 0}, ("tile", ">= 1")),
    ],
)
def test_check_winograd_supported_rejects_what_it_does_not_cover(kwargs, names):
    with pytest.raises(ValueError) as info:
        check_winograd_supported(**kwargs)
    for name in names:
        assert name in str(info.value)


def test_check_winograd_supported_accepts_the_covered_case():
    for tile in WINOGRAD_TILES:
        assert check_winograd_supported((3, 3), 1, (1, 1), tile) is None


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "kwargs", "error", "names"),
    [
        ((1, 2, 8, 8), (4, 2, 5, 5), {}, ValueError, ("weight", "3×3")),
        ((1, 2, 8, 8), (4, 2, 3, 3), {"tile": 5}, ValueError, ("tile",)),
        ((1, 2, 8, 8), (4, 2, 3, 3), {"tile": 2.0}, TypeError, ("tile",)),
        ((1, 3, 8, 8), (4, 1, 3, 3), {"groups": 2}, ValueError, ("groups",)),
        ((1, 2, 8, 8), (4, 2, 3, 3), {"groups": 0}, ValueError, ("groups", ">= 1")),
        ((1, 2, 8, 8), (4, 3, 3, 3), {}, ValueError, ("weight.shape[1]",)),
        ((1, 2, 2, 8), (4, 2, 3, 3), {}, ValueError, ("weight", "height")),
        ((2, 8, 8), (4, 2, 3), {}, ValueError, ("weight", "dimensions")),
        ((8, 8), (4, 2, 3, 3), {}, ValueError, ("input", "dimensions")),
    ],
)
def test_conv2d_winograd_errors_name_the_parameter(x_shape, w_shape, kwargs, error, names):
    with pytest.raises(error) as info:
        conv2d_winograd(np.ones(x_shape), np.ones(w_shape), **kwargs)
    for name in names:
        assert name in str(info.value)


def test_conv2d_winograd_rejects_non_finite_input():
    x = np.ones((1, 1, 5, 5))
    x[0, 0, 2, 2] = np.nan
    with pytest.raises(ValueError, match="input must contain only finite"):
        conv2d_winograd(x, np.ones((1, 1, 3, 3)))


@pytest.mark.parametrize(
    ("call", "error", "names"),
    [
        (lambda: winograd_matrices(0), ValueError, ("m", "in 1…16")),
        (lambda: winograd_matrices(2, 0), ValueError, ("r", "in 1…16")),
        (lambda: winograd_matrices(10**6), ValueError, ("m", "in 1…16")),
        (lambda: winograd_matrices(2, 17), ValueError, ("r", "in 1…16")),
        (lambda: winograd_matrices(2.5), TypeError, ("m",)),
        (lambda: multiplication_counts(0), ValueError, ("m", ">= 1")),
        (lambda: multiplication_counts(2, -1), ValueError, ("r", ">= 1")),
        (lambda: interpolation_points(-1), ValueError, ("count", ">= 0")),
        (lambda: transform_kernel(np.ones((3, 2)), 2), ValueError, ("weight", "square")),
        (lambda: transform_kernel(np.ones(3), 2), ValueError, ("weight", "dimensions")),
        (lambda: transform_kernel(np.ones((3, 3)), 0), ValueError, ("m", "in 1…16")),
        (lambda: transform_input(np.ones((6, 6)), 2), ValueError, ("tiles", "4, 4")),
        (lambda: inverse_transform(np.ones((4, 4)), 4), ValueError, ("products", "6, 6")),
        (lambda: transform_input([[np.inf] * 4] * 4, 2), ValueError, ("tiles", "finite")),
    ],
)
def test_transform_errors_name_the_parameter(call, error, names):
    with pytest.raises(error) as info:
        call()
    for name in names:
        assert name in str(info.value)
