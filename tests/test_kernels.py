"""Preset kernels and the Gabor factory (against a transcription of OpenCV's C++)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from convlessons.kernels import (
    GABOR_MAX_SIZE,
    KERNEL_DESCRIPTIONS,
    KERNELS,
    gabor_for,
    gabor_kernel,
)

REQUIRED = {
    "identity", "box_blur", "gaussian_blur", "sharpen", "edge", "sobel_x", "sobel_y",
    "prewitt_x", "prewitt_y", "laplacian", "emboss",
}  # fmt: skip
SUM_TO_ONE = {"identity", "box_blur", "gaussian_blur", "gaussian_blur_5x5", "sharpen", "emboss"}
SUM_TO_ZERO = {
    "edge", "sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "diagonal_edge", "laplacian",
}  # fmt: skip
BLURS = {"box_blur", "gaussian_blur", "gaussian_blur_5x5"}


# --- presets -------------------------------------------------------------------------------


def test_presets_are_read_only_2d_float64():
    assert REQUIRED <= KERNELS.keys()
    for name, kernel in KERNELS.items():
        assert kernel.dtype == np.float64 and kernel.ndim == 2, name
        with pytest.raises(ValueError, match="read-only"):
            kernel[0, 0] = 1.0


def test_every_preset_has_a_one_line_description():
    assert KERNEL_DESCRIPTIONS.keys() == KERNELS.keys()
    for name, text in KERNEL_DESCRIPTIONS.items():
        assert text.strip() and "\n" not in text and len(text) < 100, name


def test_kernel_sums():
    assert SUM_TO_ONE | SUM_TO_ZERO == KERNELS.keys() and not SUM_TO_ONE & SUM_TO_ZERO
    for name in SUM_TO_ONE:
        assert math.isclose(KERNELS[name].sum(), 1.0, abs_tol=1e-15), name
    for name in SUM_TO_ZERO:
        assert KERNELS[name].sum() == 0.0, name
    for name in BLURS:
        assert (KERNELS[name] >= 0).all(), name


def test_exact_values():
    sobel_x = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    np.testing.assert_array_equal(KERNELS["sobel_x"], sobel_x)
    np.testing.assert_array_equal(KERNELS["sobel_y"], [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    np.testing.assert_array_equal(KERNELS["prewitt_y"], KERNELS["prewitt_x"].T)
    np.testing.assert_array_equal(KERNELS["prewitt_y"], [[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
    np.testing.assert_array_equal(KERNELS["laplacian"], [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_array_equal(KERNELS["gaussian_blur"] * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    np.testing.assert_array_equal(KERNELS["box_blur"], np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(KERNELS["edge"], 9 * KERNELS["identity"] - 1)
    np.testing.assert_array_equal(KERNELS["sharpen"], KERNELS["identity"] - KERNELS["laplacian"])


def test_sobel_orientation_under_torch_conv2d():
    """conv2d is cross-correlation: sobel_x is positive where intensity grows rightwards."""
    grows_right = torch.arange(6, dtype=torch.float64).repeat(6, 1)[None, None]
    grows_down = grows_right.transpose(-1, -2)

    def response(image, name):
        return F.conv2d(image, torch.from_numpy(KERNELS[name].copy())[None, None])

    assert (response(grows_right, "sobel_x") == 8).all()
    assert (response(grows_down, "sobel_y") == 8).all()
    assert (response(grows_down, "sobel_x") == 0).all()
    assert (response(grows_right, "prewitt_x") == 6).all()


# --- Gabor ---------------------------------------------------------------------------------


def opencv_gabor(ksize, sigma, theta, lambd, gamma, psi):
    """Line-by-line transcription of cv::getGaborKernel (imgproc/src/gabor.cpp), CV_64F."""
    width, height = (ksize, ksize) if isinstance(ksize, int) else ksize
    sigma_x = sigma
    sigma_y = sigma / gamma
    c, s = math.cos(theta), math.sin(theta)
    xmax = width // 2
    ymax = height // 2
    xmin, ymin = -xmax, -ymax
    kernel = np.empty((ymax - ymin + 1, xmax - xmin + 1))
    scale = 1.0
    ex = -0.5 / (sigma_x * sigma_x)
    ey = -0.5 / (sigma_y * sigma_y)
    cscale = math.pi * 2 / lambd
    for y in range(ymin, ymax + 1):
        for x in range(xmin, xmax + 1):
            xr = x * c + y * s
            yr = -x * s + y * c
            v = scale * math.exp(ex * xr * xr + ey * yr * yr) * math.cos(cscale * xr + psi)
            kernel[ymax - y, xmax - x] = v
    return kernel


ksizes = st.one_of(st.integers(1, 15), st.tuples(st.integers(1, 15), st.integers(1, 15)))
sigmas = st.floats(0.3, 8.0)
angles = st.floats(-2 * math.pi, 2 * math.pi)
wavelengths = st.floats(1.0, 20.0)
gammas = st.floats(0.2, 2.0)


@settings(max_examples=60)
@given(ksizes, sigmas, angles, wavelengths, gammas, angles)
def test_gabor_matches_opencv_transcription(ksize, sigma, theta, lambd, gamma, psi):
    ours = gabor_kernel(ksize, sigma, theta, lambd, gamma, psi)
    expected = opencv_gabor(ksize, sigma, theta, lambd, gamma, psi)
    assert ours.shape == expected.shape and ours.dtype == np.float64
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)


def test_gabor_ksize_is_width_height_like_opencv_size():
    assert gabor_kernel((5, 9), 2.0, 0.0, 4.0).shape == (9, 5)
    assert gabor_kernel((4, 6), 2.0, 0.0, 4.0).shape == (7, 5)  # even sizes round up
    assert gabor_kernel(1, 2.0, 0.0, 4.0).tolist() == [[1.0]]


@settings(max_examples=40)
@given(st.integers(0, 7), sigmas, wavelengths, gammas, angles)
def test_gabor_quarter_turn_is_a_transpose(half, sigma, lambd, gamma, psi):
    ksize = 2 * half + 1
    quarter = gabor_kernel(ksize, sigma, math.pi / 2, lambd, gamma, psi)
    np.testing.assert_allclose(
        quarter, gabor_kernel(ksize, sigma, 0.0, lambd, gamma, psi).T, atol=1e-12
    )


@settings(max_examples=40)
@given(ksizes, sigmas, angles, wavelengths, gammas)
def test_gabor_phase_sets_parity(ksize, sigma, theta, lambd, gamma):
    even = gabor_kernel(ksize, sigma, theta, lambd, gamma, psi=0.0)
    odd = gabor_kernel(ksize, sigma, theta, lambd, gamma, psi=math.pi / 2)
    np.testing.assert_allclose(even[::-1, ::-1], even, atol=1e-12)
    np.testing.assert_allclose(odd[::-1, ::-1], -odd, atol=1e-12)


@settings(max_examples=40)
@given(ksizes, sigmas, angles, wavelengths, gammas, angles)
def test_gabor_normalize_divides_by_the_l1_norm(ksize, sigma, theta, lambd, gamma, psi):
    raw = gabor_kernel(ksize, sigma, theta, lambd, gamma, psi)
    normalized = gabor_kernel(ksize, sigma, theta, lambd, gamma, psi, normalize=True)
    assert np.isfinite(normalized).all()
    assert math.isclose(np.abs(normalized).sum(), 1.0, rel_tol=1e-12)
    np.testing.assert_allclose(normalized, raw / np.abs(raw).sum(), rtol=1e-15)


def test_normalisation_by_the_sum_explodes():
    """``kernel / kernel.sum()``, a normalisation often found, on an odd Gabor kernel (sum ~ 0)."""
    raw = gabor_kernel(31, 4.0, 0.0, 10.0, psi=math.pi / 2)
    assert abs(raw.sum()) < 1e-12 < np.abs(raw).max()
    with np.errstate(divide="ignore", invalid="ignore"):
        by_sum = raw / raw.sum()
    assert not np.isfinite(by_sum).all() or np.abs(by_sum).max() > 1e10
    safe = gabor_kernel(31, 4.0, 0.0, 10.0, psi=math.pi / 2, normalize=True)
    assert np.abs(safe).max() <= 1.0
    assert math.isclose(np.abs(safe).sum(), 1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"ksize": 0}, ValueError, "ksize must be a positive int or pair of ints"),
        ({"ksize": (3, 0)}, ValueError, "ksize"),
        ({"ksize": 3.0}, TypeError, "ksize"),
        ({"ksize": (3, 3, 3)}, TypeError, "ksize"),
        ({"sigma": 0.0}, ValueError, r"sigma must be a finite real number >= 1e-150"),
        ({"sigma": -1}, ValueError, "sigma"),
        ({"sigma": math.nan}, ValueError, "sigma"),
        ({"sigma": "2"}, TypeError, "sigma"),
        ({"sigma": True}, TypeError, "sigma"),
        ({"theta": math.inf}, ValueError, "theta must be a finite real number"),
        ({"theta": None}, TypeError, "theta"),
        ({"lambd": 0}, ValueError, "lambd"),
        ({"lambd": math.inf}, ValueError, "lambd"),
        ({"gamma": 0.0}, ValueError, "gamma"),
        ({"psi": math.nan}, ValueError, "psi"),
    ],
)
def test_gabor_errors_name_the_parameter(kwargs, error, message):
    args = {"ksize": 5, "sigma": 2.0, "theta": 0.0, "lambd": 4.0} | kwargs
    with pytest.raises(error, match=message):
        gabor_kernel(**args)


def test_gabor_for_is_the_bank_kernel_covering_three_sigma():
    kernel = gabor_for(30, 6, 3)
    assert kernel.shape == (19, 19)  # 2⌈3σ⌉ + 1
    np.testing.assert_allclose(
        kernel, gabor_kernel(19, 3, math.radians(30), 6, gamma=0.5, normalize=True))
    assert np.abs(kernel).sum() == pytest.approx(1.0)


@pytest.mark.parametrize(("call", "error", "name"),
                         [(lambda: gabor_for(0, 0, 2), ValueError, "lambd"),
                          (lambda: gabor_for(0, 8, -1), ValueError, "sigma"),
                          (lambda: gabor_for(0, 8, "2"), TypeError, "sigma")])
def test_gabor_for_errors_name_the_parameter(call, error, name):
    with pytest.raises(error, match=name):
        call()


# --- the layout the formula is written in; bounds; read-only presets ------------------------


@settings(max_examples=40)
@given(st.integers(0, 7), st.integers(0, 7), sigmas, angles, wavelengths, gammas, angles)
def test_gabor_is_the_documented_formula_with_rows_growing_downwards(
        xmax, ymax, sigma, theta, lambd, gamma, psi):
    """kernel[ymax + v, xmax + u] = exp(-(u'² + γ² v'²) / 2σ²) cos(2π u'/λ - ψ), v downwards."""
    kernel = gabor_kernel((2 * xmax + 1, 2 * ymax + 1), sigma, theta, lambd, gamma, psi)
    for v in range(-ymax, ymax + 1):
        for u in range(-xmax, xmax + 1):
            ur = u * math.cos(theta) + v * math.sin(theta)
            vr = -u * math.sin(theta) + v * math.cos(theta)
            value = (math.exp(-(ur**2 + gamma**2 * vr**2) / (2 * sigma**2))
                     * math.cos(2 * math.pi * ur / lambd - psi))
            assert math.isclose(kernel[ymax + v, xmax + u], value, rel_tol=1e-9, abs_tol=1e-12)


def test_odd_gabor_is_positive_where_its_wave_vector_points():
    right = gabor_kernel(3, 1.0, 0.0, 6.0, psi=math.pi / 2)        # θ = 0: towards the right
    down = gabor_kernel(3, 1.0, math.pi / 2, 6.0, psi=math.pi / 2)  # θ = 90°: rows downwards
    assert (right[:, 2] > 0).all() and (right[:, 0] < 0).all()  # like sobel_x
    np.testing.assert_allclose(right[:, 1], 0, atol=1e-15)
    np.testing.assert_allclose(down, right.T, atol=1e-15)  # like sobel_y


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [({"sigma": 10**400}, ValueError, "sigma"),        # too large for a float
     ({"sigma": 1e-300}, ValueError, "sigma"),         # σ² underflows to 0: NaN in the centre
     ({"lambd": 1e-300}, ValueError, "lambd"),         # 2π u'/λ overflows: cos(inf) is NaN
     ({"gamma": 1e200}, ValueError, "gamma"),          # γ² overflows: inf · 0 in the centre
     ({"ksize": GABOR_MAX_SIZE + 1}, ValueError, f"ksize must be at most {GABOR_MAX_SIZE}"),
     ({"ksize": (3, 10**9)}, ValueError, "ksize"),
     ({"normalize": "yes"}, TypeError, "normalize must be True or False"),
     ({"normalize": 1}, TypeError, "normalize")],
)
def test_gabor_refuses_extremes_before_building(kwargs, error, message):
    args = {"ksize": 7, "sigma": 2.0, "theta": 0.0, "lambd": 4.0} | kwargs
    with pytest.raises(error, match=message):
        gabor_kernel(**args)


@settings(max_examples=30)
@given(st.sampled_from([1, 3, GABOR_MAX_SIZE]), st.floats(1e-150, 1e150), angles,
       st.floats(1e-150, 1e300), st.floats(1e-300, 1e150), st.floats(-1e300, 1e300),
       st.booleans())
def test_gabor_values_are_finite_over_the_accepted_ranges(ksize, sigma, theta, lambd, gamma,
                                                          psi, normalize):
    kernel = gabor_kernel((ksize, 3), sigma, theta, lambd, gamma, psi, normalize=normalize)
    assert np.isfinite(kernel).all()


@pytest.mark.parametrize(("args", "name"),
                         [((math.nan, 8, 3), "orientation"),
                          ((0, 8, 10**400), "sigma"),
                          ((0, 8, 1e-300), "sigma"),
                          ((0, 8, 200), "sigma")])  # 2⌈3σ⌉ + 1 beyond GABOR_MAX_SIZE
def test_gabor_for_names_orientation_and_sigma(args, name):
    with pytest.raises(ValueError, match=f"{name} must be"):
        gabor_for(*args)


def test_presets_cannot_be_replaced_or_changed():
    with pytest.raises(TypeError):
        KERNELS["sobel_x"] = np.zeros((3, 3))  # type: ignore[index]
    with pytest.raises(TypeError):
        del KERNELS["sobel_x"]  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        KERNEL_DESCRIPTIONS["edge"] = "changed"  # type: ignore[index]
    with pytest.raises(ValueError, match="read-only"):
        KERNELS["sobel_x"][0, 0] = 5.0
    edited = KERNELS["sobel_x"].copy()
    edited[0, 0] = 5.0  # a copy is the learner's own
    assert KERNELS["sobel_x"][0, 0] == -1
