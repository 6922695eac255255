"""Checkers for ``09_feature_detection``: a 45° edge kernel and the Gabor bank's winner.

- :func:`edge_image` / :func:`edge_responses` -- the four test edges (0°, 45°, 90°, 135°)
  and the peak response of a kernel to each.
- :func:`check_diagonal_edge_kernel` -- the learner's 3×3 kernel must respond most to the
  45° edge and sum to 0.
- :func:`stripes` / :func:`mystery_stripes` / :func:`gabor_bank_energy` -- striped images
  and the energy of each filter of a Gabor orientation bank on them.
- :func:`check_gabor_orientation` -- which orientation of the bank responds most.

Angles of *edges* are measured as you see them on screen: the boundary line turns
counter-clockwise from horizontal (0° horizontal, 90° vertical, 45° runs from bottom-left
to top-right, like ``/``). The Gabor angle ``theta`` is OpenCV's: the direction of the wave
vector in (x = column, y = row) coordinates, with rows growing downwards.
"""

from __future__ import annotations

import math

import numpy as np

from convlessons._validation import as_array, as_int, as_real
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import real_array, real_number
from convlessons.kernels import gabor_kernel
from convlessons.reference import conv2d, correlate2d

__all__ = [
    "EDGE_ANGLES",
    "GABOR_ORIENTATIONS",
    "check_diagonal_edge_kernel",
    "check_gabor_orientation",
    "edge_image",
    "edge_responses",
    "gabor_bank_energy",
    "mystery_stripes",
    "stripes",
]

EDGE_ANGLES: tuple[int, ...] = (0, 45, 90, 135)
"""Angles (degrees, counter-clockwise on screen) of the test edges of the 45° exercise."""

GABOR_ORIENTATIONS: tuple[int, ...] = (0, 30, 60, 90, 120, 150)
"""Orientations ``theta`` (degrees) of the Gabor bank of :func:`check_gabor_orientation`."""

EDGE_SIZE = 15
"""Side of the test edge images (the valid output of a 3×3 kernel is 13×13)."""

_MARGIN = 1.05
"""The 45° response must beat every other edge by 5 % to count as "responds most"."""


# -------------------------------------------------------------------- exercise 1: 45° edges


def edge_image(angle: float, size: int = EDGE_SIZE) -> np.ndarray:
    """A dark-to-bright step edge through the image centre, its boundary at ``angle`` degrees.

    With ``d`` the signed distance (in pixels) from a pixel centre to the boundary line, the
    pixel is ``clip(1/2 + d, 0, 1)``: 0 on the dark side, 1 on the bright side, ½ on the line.
    The line turns counter-clockwise on screen from horizontal, and its bright side is the
    one its normal ``(x, y) = (sin a, cos a)`` points to (rows grow downwards): below a 0°
    edge, right of a 90° edge, below-right of a 45° (``/``) edge, above-right of a 135°
    (``\\``) edge.

    Raises
    ------
    TypeError, ValueError
        If ``angle`` is not a finite real number or ``size`` is not an int >= 3.
    """
    radians = math.radians(as_real(angle, "angle"))
    size = as_int(size, "size", minimum=3)
    rows, cols = np.indices((size, size), dtype=np.float64) - (size - 1) / 2
    distance = cols * math.sin(radians) + rows * math.cos(radians)
    return np.clip(0.5 + distance, 0.0, 1.0)


def edge_responses(kernel: np.ndarray) -> dict[int, float]:
    """Peak response ``max |correlate2d(edge_image(a), kernel)|`` for each ``a`` in EDGE_ANGLES.

    No padding, so the image border never looks like an edge; the absolute value makes a
    kernel and its negative (the same edge with the other polarity) score the same.

    Raises
    ------
    TypeError, ValueError
        If ``kernel`` is not a finite 2-D array smaller than the 15×15 test images.
    """
    kernel = as_array(kernel, "kernel", ndim=2, layout="(kH, kW)")
    if max(kernel.shape) > EDGE_SIZE:
        raise ValueError(f"kernel must be at most {EDGE_SIZE}×{EDGE_SIZE}, got "
                         f"{kernel.shape[0]}×{kernel.shape[1]}")
    return {angle: float(np.abs(correlate2d(edge_image(angle), kernel)).max())
            for angle in EDGE_ANGLES}


def _describe(responses: dict[int, float]) -> str:
    return ", ".join(f"{angle}°: {value:.3g}" for angle, value in responses.items())


@checker
def check_diagonal_edge_kernel(answer: object) -> Verdict:
    """Check a 3×3 kernel that detects 45° edges (boundary ``/``, see :func:`edge_image`).

    Correct when the kernel sums to 0 (up to ``1e-9`` times its L1 norm: a flat region
    gives 0) and its peak response (:func:`edge_responses`) to the 45° edge is at least 5 %
    above its response to each of the 0°, 90° and 135° edges. Hints, in this order: not a
    3×3 array, all zeros, a non-zero sum (it responds to brightness), the mirrored kernel
    (135° wins), equal responses to every edge, a horizontal or vertical edge detector (0° or
    90° wins), equal responses to 45° and 135° (a kernel symmetric under a left-right flip,
    like the Laplacian), and a tie with 0° or 90°. Values so large that the sums overflow
    are refused.
    """
    yield
    kernel = real_array(answer, "a 3×3 kernel (a 2-D array)", ndim=2)
    if kernel.shape != (3, 3):
        return wrong(f"Give a 3×3 kernel, got {kernel.shape[0]}×{kernel.shape[1]}.")
    with np.errstate(over="ignore", invalid="ignore"):
        l1 = float(np.abs(kernel).sum())
        responses = edge_responses(kernel) if math.isfinite(l1) else {}
    if not all(map(math.isfinite, [l1, *responses.values()])):
        return wrong("Your kernel's values are so large that its sums overflow to infinity: "
                     "use moderate weights such as −1, 0 and 1.")
    if l1 == 0:
        return wrong("Your kernel is all zeros: it responds to nothing. Put negative weights "
                     "on one side of the / diagonal and positive weights on the other.")
    total = float(kernel.sum())
    if abs(total) > 1e-9 * l1:
        return wrong(f"Your kernel sums to {total:g}, so on a flat region of brightness b it "
                     f"outputs {total:g}·b: it responds to brightness, not only to edges. "
                     "Make the weights sum to 0.")
    seen = f"Peak responses: {_describe(responses)}."
    r45 = responses[45]
    others = {angle: value for angle, value in responses.items() if angle != 45}
    if r45 >= _MARGIN * max(others.values()):
        return correct(f"{seen} The 45° edge wins and flat regions give 0.")
    best = max(responses, key=responses.__getitem__)
    if best == 135 and responses[135] >= _MARGIN * r45:
        return wrong(f"{seen} Your kernel detects 135° (\\) edges: it is the mirror image of "
                     "a 45° detector. Rows grow downwards, so a / edge runs from the bottom-"
                     "left (high row, low column) to the top-right: flip it left-right.")
    if max(responses.values()) <= _MARGIN * min(responses.values()):
        return wrong(f"{seen} It responds about equally to every edge: it has no preferred "
                     "direction. Make it antisymmetric "
                     "across the / diagonal: negative above-left, positive below-right.")
    if best in (0, 90) and responses[best] >= _MARGIN * r45:
        kind = "horizontal (0°)" if best == 0 else "vertical (90°)"
        return wrong(f"{seen} That is a {kind} edge detector, like Sobel "
                     f"{'y' if best == 0 else 'x'}. Turn the gradient by 45°: the weights "
                     "should change from the top-left corner to the bottom-right one.")
    if max(r45, responses[135]) <= _MARGIN * min(r45, responses[135]):
        return wrong(f"{seen} It responds as strongly to 135° as to 45°: it is symmetric "
                     "under a left-right flip (like the Laplacian), so it cannot tell the two "
                     "diagonals apart. Put the negative weights above-left of the / diagonal, "
                     "positive below-right.")
    rival = max(others, key=others.__getitem__)
    return wrong(f"{seen} The 45° edge ties with the {rival}° edge. Weight the corners: the "
                 "top-left and bottom-right entries tell a / edge from the others best.")


# -------------------------------------------------------------------- exercise 2: Gabor bank


def _same_angle(a: float, b: float) -> bool:
    """Whether two orientations agree modulo 180°."""
    return abs((a - b + 90) % 180 - 90) < 1e-6


def stripes(theta: float, wavelength: float, size: int = 64, phase: float = 0.0) -> np.ndarray:
    """The plane wave ``1/2 + 1/2 cos(2π (x cos θ + y sin θ) / λ + phase)``, ``size × size``.

    ``x`` is the column and ``y`` the row (growing downwards), as in :func:`gabor_kernel`:
    ``theta`` (degrees) is the direction of the wave vector, across the stripes, so the
    stripes themselves run along ``theta + 90°``; ``theta = 0`` gives vertical stripes.

    Raises
    ------
    TypeError, ValueError
        If ``theta``/``phase`` are not finite, ``wavelength <= 0`` or ``size < 1``.
    """
    radians = math.radians(as_real(theta, "theta"))
    wavelength = as_real(wavelength, "wavelength", above=0)
    phase = as_real(phase, "phase")
    size = as_int(size, "size", minimum=1)
    rows, cols = np.indices((size, size), dtype=np.float64)
    wave = (cols * math.cos(radians) + rows * math.sin(radians)) / wavelength
    return 0.5 + 0.5 * np.cos(2 * math.pi * wave + phase)


def mystery_stripes(seed: int = 0) -> np.ndarray:
    """A 64×64 striped image (wavelength 8) for the orientation exercise.

    ``theta`` is drawn with ``numpy.random.default_rng(seed)`` from 30°, 60°, 120° and 150°,
    the orientations whose typical wrong answers (stripe direction, mirrored y axis) are all
    different bank orientations; the phase is random too.
    """
    rng = np.random.default_rng(as_int(seed, "seed", minimum=0))
    theta = float(rng.choice([30, 60, 120, 150]))
    return stripes(theta, 8.0, 64, phase=float(rng.uniform(0, 2 * math.pi)))


def gabor_bank_energy(
    image: np.ndarray, wavelength: float = 8.0, orientations: tuple[float, ...] = GABOR_ORIENTATIONS
) -> np.ndarray:
    """Mean squared response of each even Gabor filter of an orientation bank.

    Filter ``t`` is ``gabor_kernel(ksize, σ, θ_t, λ, γ = 0.5, ψ = 0)`` with ``λ = wavelength``,
    ``σ = λ / 2`` and ``ksize = 2·round(1.5 λ) + 1``; the energy is
    ``mean((image ⋆ g_t)²)`` over the valid (unpadded) output, computed with
    :func:`convlessons.reference.conv2d` (``method='fft'``; checked against
    ``torch.nn.functional.conv2d`` in the tests).

    Raises
    ------
    TypeError, ValueError
        If ``image`` is not a finite 2-D array at least one kernel wide, ``wavelength`` is
        not > 0 or ``orientations`` is empty.
    """
    image = as_array(image, "image", ndim=2, layout="(H, W)")
    wavelength = as_real(wavelength, "wavelength", above=0)
    thetas = [math.radians(as_real(theta, "orientations")) for theta in orientations]
    if not thetas:
        raise ValueError("orientations must hold at least one angle, got none")
    ksize = 2 * round(1.5 * wavelength) + 1
    if min(image.shape) < ksize:
        raise ValueError(f"image must be at least {ksize}×{ksize} for wavelength "
                         f"{wavelength:g}, got {image.shape[0]}×{image.shape[1]}")
    bank = np.stack([gabor_kernel(ksize, wavelength / 2, theta, wavelength) for theta in thetas])
    responses = conv2d(image[np.newaxis].astype(np.float64), bank[:, np.newaxis], method="fft")
    return np.mean(responses**2, axis=(1, 2))


@checker
def check_gabor_orientation(answer: object, image: np.ndarray, wavelength: float = 8.0) -> Verdict:
    """Check which orientation of :data:`GABOR_ORIENTATIONS` responds most to ``image``.

    The right answer is computed, not assumed: the ``argmax`` of
    :func:`gabor_bank_energy`. ``answer`` is in degrees; ``θ`` and ``θ + 180°`` name the same
    even filter. Hints for the direction the stripes run along (``θ + 90°``), a y axis
    pointing up (``180° − θ``), both at once (``90° − θ``), an answer in radians, and an
    angle that is not in the bank.

    Raises
    ------
    TypeError, ValueError
        If ``image`` or ``wavelength`` is unusable (see :func:`gabor_bank_energy`).
    """
    energy = gabor_bank_energy(image, wavelength)
    best = GABOR_ORIENTATIONS[int(np.argmax(energy))]
    yield
    value = real_number(answer, "one angle in degrees, e.g. answer = 30")
    if _same_angle(value, best):
        return correct(f"θ = {best}°: the wave vector points across the stripes, and θ is "
                       "measured with rows growing downwards (clockwise on screen).")
    confusions = [
        (best + 90, f"{value:g}° is the direction the stripes run along. θ is the direction "
                    "of the wave vector, across the stripes (their normal): turn by 90°."),
        (180 - best, f"{value:g}° is the mirror image: you measured with the y axis pointing "
                     "up. In images y is the row index and grows downwards, so a positive θ "
                     "turns clockwise on screen."),
        (90 - best, f"{value:g}° mixes up two things: that is the stripes' direction with the "
                    "y axis pointing up. θ is across the stripes, and rows grow downwards."),
    ]
    for angle, hint in confusions:
        if _same_angle(value, angle):
            return wrong(hint)
    if abs(value) <= 2 * math.pi and _same_angle(math.degrees(value), best):
        return wrong(f"{value:g} looks like radians; give the angle in degrees.")
    if not any(_same_angle(value, theta) for theta in GABOR_ORIENTATIONS):
        return wrong(f"The bank only holds θ in {GABOR_ORIENTATIONS} (degrees); pick one.")
    return wrong("Find the direction across the stripes (the wave vector), measured from "
                 "the x axis (columns) towards the y axis (rows, downwards).")
