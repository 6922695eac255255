"""Checkers of notebook 05: right answers pass, each typical mistake gets its hint."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convlessons.exercises import NOT_ANSWERED
from convlessons.exercises.features import (
    EDGE_ANGLES,
    GABOR_ORIENTATIONS,
    check_diagonal_edge_kernel,
    check_gabor_orientation,
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
