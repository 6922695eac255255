"""Checkers of notebook 09: right answers pass, each typical mistake gets its hint, and the
notebook's own solution blocks pass its own check cells."""

import math
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from notebook_solutions import assert_solution_passes, solution_cells

from convlessons.exercises import NOT_ANSWERED, _answers
from convlessons.exercises.features import (
    _GABOR_SLIPS,
    EDGE_ANGLES,
    GABOR_CASES,
    GABOR_ORIENTATIONS,
    _gabor_cases,
    check_diagonal_edge_kernel,
    check_gabor_orientation,
    check_my_gabor_kernel,
    edge_image,
    edge_responses,
    gabor_bank_energy,
    mystery_stripes,
    stripes,
)
from convlessons.kernels import KERNELS, gabor_kernel

DIAGONAL = KERNELS["diagonal_edge"]

# ------------------------------------------------------------------------ edge images


def test_edge_images_have_their_bright_side_where_documented():
    # bright below a 0° edge, right of 90°, below-right of 45° (/), above-right of 135° (\)
    corners = {0: (-1, 0), 90: (0, -1), 45: (-1, -1), 135: (0, -1)}
    for angle, (row, col) in corners.items():
        image = edge_image(angle)
        assert image[row, col] == 1 and image.min() == 0 and image.max() == 1
    assert np.allclose(edge_image(0), edge_image(90).T)
    # the mirror image of the 45° edge is the 135° edge with the other polarity
    assert np.allclose(edge_image(45)[:, ::-1], 1 - edge_image(135))


kernels = arrays(np.float64, (3, 3), elements=st.floats(-4, 4, allow_nan=False))


@settings(max_examples=25)
@given(kernel=kernels)
def test_edge_responses_match_torch(kernel):
    responses = edge_responses(kernel)
    for angle in EDGE_ANGLES:
        image = torch.from_numpy(edge_image(angle))[None, None]
        out = F.conv2d(image, torch.from_numpy(kernel)[None, None])
        assert math.isclose(responses[angle], out.abs().max().item(), rel_tol=1e-12,
                            abs_tol=1e-12)


# ------------------------------------------------------------------- 45° edge checker


@pytest.mark.parametrize(
    "kernel",
    [DIAGONAL, -DIAGONAL, 0.1 * DIAGONAL, [[0, 0, 0], [0, -1, 0], [0, 0, 1]],
     [[-1, -1, 0], [-1, 0, 1], [0, 1, 1]]],
)
def test_diagonal_kernels_pass(kernel):
    assert check_diagonal_edge_kernel(kernel)


@pytest.mark.parametrize(
    ("kernel", "hint"),
    [(DIAGONAL[:, ::-1], "mirror image"),                        # 135° detector
     (DIAGONAL.T[::-1], "mirror image"),                         # same, other way round
     (KERNELS["identity"], "sums to 1"),                          # brightness
     ([[0, 0, 1], [0, 1, 0], [1, 0, 0]], "responds to brightness"),  # a / line, sum 3
     (KERNELS["laplacian"], "as strongly to 135° as to 45°"),     # symmetric
     (KERNELS["sobel_x"], "vertical (90°) edge detector"),
     (KERNELS["prewitt_y"], "horizontal (0°) edge detector"),
     (np.zeros((3, 3)), "all zeros"),
     (np.ones((5, 5)) - 1 / 25, "3×3"),
     ([[-1, -1, -1], [-1, 0, 1], [1, 1, 1]], "ties with the 0° edge"),  # half-way turned
     ("kernel", "a string, not numbers"),
     (np.full((3, 3), 1e308), "overflow"),  # the sums overflow to inf: never a pass
     (np.array([[1e308, -1e308, 0], [0, 0, 0], [0, 0, 0]]), "overflow")],
)
def test_diagonal_kernel_hints(kernel, hint):
    verdict = check_diagonal_edge_kernel(kernel)
    assert not verdict and hint in verdict.message


def test_equal_responses_hint():
    # the centre minus one neighbour in each direction, weighted to tie every edge
    kernel = np.array([[0.0, 0, 0], [0, 0, 0], [0, 0, 0]])
    kernel[1, 1], kernel[0, 0], kernel[2, 2], kernel[0, 2], kernel[2, 0] = 4, -1, -1, -1, -1
    responses = edge_responses(kernel)
    assert max(responses.values()) <= 1.05 * min(responses.values())
    assert "about equally to every edge" in check_diagonal_edge_kernel(kernel).message


def test_diagonal_kernel_placeholder():
    assert check_diagonal_edge_kernel(...) is NOT_ANSWERED


zero_sum = kernels.map(lambda k: k - k.mean())


@settings(max_examples=40)
@given(noise=zero_sum)
def test_mirror_of_an_accepted_kernel_is_refused_as_mirrored(noise):
    kernel = DIAGONAL + 0.3 * noise
    if check_diagonal_edge_kernel(kernel):
        verdict = check_diagonal_edge_kernel(kernel[:, ::-1])
        assert not verdict and "mirror image" in verdict.message


@settings(max_examples=40)
@given(kernel=zero_sum)
def test_left_right_symmetric_kernels_never_pass(kernel):
    assert not check_diagonal_edge_kernel(kernel + kernel[:, ::-1])


@settings(max_examples=25)
@given(kernel=zero_sum, scale=st.floats(0.01, 100))
def test_verdict_ignores_scale_and_sign(kernel, scale):
    assert bool(check_diagonal_edge_kernel(kernel)) == bool(
        check_diagonal_edge_kernel(-scale * kernel))


# the 135° exercise of the notebook: the mirror images of the 45° cases


@pytest.mark.parametrize("kernel", [DIAGONAL[:, ::-1], -DIAGONAL[::-1], [[0, 1, 2], [-1, 0, 1],
                                                                          [-2, -1, 0]]])
def test_135_degree_kernels_pass(kernel):
    verdict = check_diagonal_edge_kernel(kernel, angle=135)
    assert verdict and "135° (\\) edge wins" in verdict.message


@pytest.mark.parametrize(
    ("kernel", "hint"),
    [(DIAGONAL, "detects 45° (/) edges"),             # the preset: the other diagonal
     (DIAGONAL.T, "detects 45° (/) edges"),           # a transpose keeps the / diagonal
     (KERNELS["laplacian"], "as strongly to 45° as to 135°"),
     (KERNELS["sobel_x"], "top-right and bottom-left corners"),
     (np.ones((3, 3)), "responds to brightness"),
     (np.full((3, 3), 1e308), "overflow")],
)
def test_135_degree_hints(kernel, hint):
    verdict = check_diagonal_edge_kernel(kernel, angle=135)
    assert not verdict and hint in verdict.message, verdict.message


def test_diagonal_checker_refuses_another_target_angle():
    for answer in (DIAGONAL, ...):
        with pytest.raises(ValueError, match=r"angle must be one of \(45, 135\)"):
            check_diagonal_edge_kernel(answer, angle=90)


@settings(max_examples=25)
@given(noise=zero_sum)
def test_the_two_diagonals_are_mirror_images(noise):
    kernel = DIAGONAL + 0.5 * noise
    assert bool(check_diagonal_edge_kernel(kernel)) == bool(
        check_diagonal_edge_kernel(kernel[:, ::-1], angle=135))


# ---------------------------------------------------------------------- my_gabor_kernel


def my_gabor_kernel(ksize, sigma, theta, lambd, gamma=0.5, psi=0.0):
    """The formula as the notebook writes it: u columns right, v rows down, cos(... − ψ)."""
    half = ksize // 2
    v, u = np.mgrid[-half : half + 1, -half : half + 1]
    ur = u * np.cos(theta) + v * np.sin(theta)
    vr = -u * np.sin(theta) + v * np.cos(theta)
    return np.exp(-(ur**2 + gamma**2 * vr**2) / (2 * sigma**2)) * np.cos(
        2 * np.pi * ur / lambd - psi)


def opencv_layout(ksize, sigma, theta, lambd, gamma=0.5, psi=0.0):
    """OpenCV's +ψ with x, y pointing left and up, stored as OpenCV stores it: also right."""
    half = ksize // 2
    y, x = np.mgrid[half : -half - 1 : -1, half : -half - 1 : -1]
    xr = x * math.cos(theta) + y * math.sin(theta)
    yr = -x * math.sin(theta) + y * math.cos(theta)
    return np.exp(-(xr**2 + gamma**2 * yr**2) / (2 * sigma**2)) * np.cos(
        2 * math.pi * xr / lambd + psi)


def torch_float32(ksize, sigma, theta, lambd, gamma=0.5, psi=0.0):
    half = ksize // 2
    v, u = torch.meshgrid(torch.arange(-half, half + 1.0), torch.arange(-half, half + 1.0),
                          indexing="ij")
    ur = u * math.cos(theta) + v * math.sin(theta)
    vr = -u * math.sin(theta) + v * math.cos(theta)
    return torch.exp(-(ur**2 + gamma**2 * vr**2) / (2 * sigma**2)) * torch.cos(
        2 * math.pi * ur / lambd - psi)


@pytest.mark.parametrize("function", [my_gabor_kernel, opencv_layout, torch_float32,
                                      gabor_kernel])
def test_right_gabor_functions_pass(function):
    verdict = check_my_gabor_kernel(function)
    assert verdict, verdict.message
    assert f"{GABOR_CASES} fresh cases" in verdict.message and "odd (ψ = π/2)" in verdict.message


def _with(**changes):
    """my_gabor_kernel with some of its arguments replaced (a function of the others)."""
    def slipped(ksize, sigma, theta, lambd, gamma=0.5, psi=0.0):
        args = {"ksize": ksize, "sigma": sigma, "theta": theta, "lambd": lambd, "gamma": gamma,
                "psi": psi}
        return my_gabor_kernel(**args | {name: change(args) for name, change in changes.items()})
    return slipped


def _then(change):
    """my_gabor_kernel with its result changed."""
    return lambda *args, **kwargs: change(my_gabor_kernel(*args, **kwargs))


@pytest.mark.parametrize(
    ("function", "hint"),
    [(_then(lambda k: k / k.sum()), "divided by its sum"),
     (_then(lambda k: k / np.abs(k).sum()), "sum of its absolute values"),
     (_with(gamma=lambda a: 1.0), "γ is ignored"),
     (_with(gamma=lambda a: 1 / a["gamma"]), "divide by γ²"),
     (_then(lambda k: k[::-1]), "your y axis points up"),
     (_then(lambda k: k[:, ::-1]), "flipped left-right"),
     (_with(psi=lambda a: -a["psi"]), "turned by 180°"),                 # + ψ, rows down
     (_then(lambda k: k.T), "Rows and columns are swapped"),
     (_with(theta=lambda a: math.radians(a["theta"])), "already in radians"),
     (_with(lambd=lambda a: 2 * math.pi * a["lambd"]), "2π times too far apart"),
     (_with(sigma=lambda a: a["sigma"] / math.sqrt(2)), "√2 times too narrow"),
     (_with(sigma=lambda a: math.sqrt(a["sigma"])), "divides by σ squared"),
     (_with(psi=lambda a: a["psi"] + math.pi / 2), "a sine where the formula has a cosine"),
     (_then(lambda k: 2 * k), "2 times the right one"),
     (_then(lambda k: k[1:]), "your kernel has shape"),
     (_with(theta=lambda a: a["theta"] + 0.1), "largest difference"),
     (_then(lambda k: k + 0.5), "Start at the centre"),
     (lambda *args, **kwargs: None, "did you forget `return kernel`"),
     (lambda *args, **kwargs: 1 / 0, "ZeroDivisionError"),
     (lambda ksize, sigma, theta, lambd: my_gabor_kernel(ksize, sigma, theta, lambd),
      "TypeError"),                                                      # no gamma, psi
     (_then(lambda k: k + 1j), "return real numbers"),
     (_then(lambda k: np.full_like(k, np.nan)), "NaN"),
     (lambda *args, **kwargs: "kernel", "numpy array of real numbers"),
     (my_gabor_kernel(5, 2, 0, 4), "your function itself"),
     ("my_gabor_kernel", "your function itself")],
)
def test_gabor_kernel_slips_get_their_hint(function, hint):
    verdict = check_my_gabor_kernel(function)
    assert not verdict and hint in verdict.message, verdict.message


def test_gabor_kernel_placeholder():
    assert check_my_gabor_kernel(...) is NOT_ANSWERED


def test_gabor_cases_are_fresh_on_every_call():
    seen = []

    def spy(*args, **kwargs):
        seen.append((args, kwargs))
        return my_gabor_kernel(*args, **kwargs)

    check_my_gabor_kernel(spy)
    check_my_gabor_kernel(spy)
    assert len(seen) == 2 * GABOR_CASES
    assert seen[:GABOR_CASES] != seen[GABOR_CASES:]
    assert all(set(kwargs) == {"gamma", "psi"} and len(args) == 4 for args, kwargs in seen)
    assert all(isinstance(args[0], int) and args[0] % 2 == 1 for args, _ in seen)
    assert {kwargs["psi"] for _, kwargs in seen} >= {0.0, math.pi / 2}  # even and odd


@pytest.mark.parametrize("seed", range(20))
def test_every_slip_shows_on_the_first_case(seed):
    case = _gabor_cases(np.random.default_rng(seed))[0]
    right = case.kernel()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        kernels = [right, *(slip(case, right) for slip, _hint in _GABOR_SLIPS)]
    for index, kernel in enumerate(kernels):
        assert np.isfinite(kernel).all()
        for other in kernels[:index]:
            assert np.abs(kernel - other).max() > 1e-3


def test_gabor_kernel_stops_a_function_that_hangs(monkeypatch):
    monkeypatch.setattr(_answers, "TIME_LIMIT", 0.2)
    started = time.monotonic()
    verdict = check_my_gabor_kernel(lambda *args, **kwargs: time.sleep(10))
    assert not verdict and "took longer than 0.2 s" in verdict.message
    assert time.monotonic() - started < 5


# ---------------------------------------------------------------------- Gabor bank


def test_stripes_follow_the_gabor_convention():
    vertical = stripes(0, 8, size=16)
    assert np.allclose(vertical, vertical[0])            # constant down each column
    assert np.allclose(stripes(90, 8, size=16), vertical.T)
    assert math.isclose(stripes(30, 8, size=8)[0, 0], 1.0)


@settings(max_examples=10)
@given(theta=st.sampled_from(GABOR_ORIENTATIONS), wavelength=st.floats(4, 10))
def test_bank_energy_matches_torch(theta, wavelength):
    image = stripes(theta, wavelength, size=40) + 0.1 * np.random.default_rng(0).random((40, 40))
    ksize = 2 * round(1.5 * wavelength) + 1
    bank = np.stack([gabor_kernel(ksize, wavelength / 2, math.radians(t), wavelength)
                     for t in GABOR_ORIENTATIONS])
    out = F.conv2d(torch.from_numpy(image)[None, None], torch.from_numpy(bank)[:, None])
    expected = (out[0] ** 2).mean(dim=(1, 2)).numpy()
    assert np.allclose(gabor_bank_energy(image, wavelength), expected, rtol=1e-9, atol=1e-12)


@settings(max_examples=12)
@given(theta=st.sampled_from(GABOR_ORIENTATIONS), phase=st.floats(0, 2 * math.pi))
def test_matching_orientation_responds_most(theta, phase):
    image = stripes(theta, 8, phase=phase)
    energy = gabor_bank_energy(image)
    assert GABOR_ORIENTATIONS[int(np.argmax(energy))] == theta
    assert check_gabor_orientation(theta, image)
    assert check_gabor_orientation(theta + 180, image)


@pytest.mark.parametrize("seed", range(6))
def test_mystery_stripes_hints(seed):
    image = mystery_stripes(seed)
    theta = GABOR_ORIENTATIONS[int(np.argmax(gabor_bank_energy(image)))]
    assert theta in (30, 60, 120, 150)
    assert check_gabor_orientation(theta, image)
    cases = [((theta + 90) % 180, "direction the stripes run along"),
             ((180 - theta) % 180, "mirror image"),
             ((90 - theta) % 180, "mixes up two things"),
             (math.radians(theta), "radians"),
             (45, "only holds"),
             ("thirty", "one angle in degrees"),
             (True, "one angle in degrees")]
    for answer, hint in cases:
        verdict = check_gabor_orientation(answer, image)
        assert not verdict and hint in verdict.message, (answer, verdict.message)
    assert check_gabor_orientation(..., image) is NOT_ANSWERED


def test_generic_orientation_hint():
    verdict = check_gabor_orientation(90, stripes(30, 8))  # 90 is none of the confusions
    assert not verdict and "across the stripes" in verdict.message


# ---------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("call", "name"),
    [(lambda: edge_image("45"), "angle"),
     (lambda: edge_image(math.inf), "angle"),
     (lambda: edge_image(45, size=2), "size"),
     (lambda: edge_responses(np.ones((16, 16))), "kernel"),
     (lambda: edge_responses(np.ones(3)), "kernel"),
     (lambda: stripes(0, 0), "wavelength"),
     (lambda: stripes(None, 8), "theta"),
     (lambda: stripes(0, 8, phase=math.nan), "phase"),
     (lambda: stripes(0, 8, size=0), "size"),
     (lambda: mystery_stripes(-1), "seed"),
     (lambda: gabor_bank_energy(np.ones((10, 10))), "image"),
     (lambda: gabor_bank_energy(np.ones(64)), "image"),
     (lambda: gabor_bank_energy(np.ones((64, 64)), wavelength=-1), "wavelength"),
     (lambda: gabor_bank_energy(np.ones((64, 64)), orientations=()), "orientations"),
     (lambda: check_gabor_orientation(30, np.ones((64, 64)), wavelength="8"), "wavelength"),
     (lambda: check_gabor_orientation(30, [[np.nan] * 64] * 64), "image")],
)
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


# ---------------------------------------------------------------------- the notebook

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "09_feature_detection.ipynb"


SOLUTIONS = solution_cells("09_feature_detection")


def test_notebook_has_three_solutions():
    assert len(SOLUTIONS) == 3


@pytest.mark.parametrize("cell", SOLUTIONS)
def test_notebook_solution_passes_its_check_cell(cell):
    assert_solution_passes(cell)
