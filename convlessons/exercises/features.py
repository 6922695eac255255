"""Checkers for ``09_feature_detection``: a diagonal edge kernel, a Gabor kernel, the bank.

- :func:`edge_image` / :func:`edge_responses` -- the four test edges (0°, 45°, 90°, 135°)
  and the peak response of a kernel to each.
- :func:`check_diagonal_edge_kernel` -- the learner's 3×3 kernel must respond most to the
  45° (or, as the notebook asks, the 135°) edge and sum to 0.
- :func:`check_my_gabor_kernel` -- the learner's ``my_gabor_kernel`` must equal
  :func:`convlessons.kernels.gabor_kernel` on fresh random parameters.
- :func:`stripes` / :func:`mystery_stripes` / :func:`gabor_bank_energy` -- striped images
  and the energy of each filter of a Gabor orientation bank on them.
- :func:`check_gabor_orientation` -- which orientation of the bank responds most.

Angles of *edges* are measured as you see them on screen: the boundary line turns
counter-clockwise from horizontal (0° horizontal, 90° vertical, 45° runs from bottom-left
to top-right, like ``/``). The Gabor angle ``theta`` is OpenCV's: the direction of the wave
vector in (x = column, y = row) coordinates, with rows growing downwards.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from convlessons._validation import as_array, as_choice, as_int, as_real
from convlessons.exercises import Verdict, checker, correct, wrong
from convlessons.exercises._answers import learner_array, not_a_function, real_array, real_number
from convlessons.kernels import gabor_kernel
from convlessons.reference import conv2d, correlate2d

__all__ = [
    "EDGE_ANGLES",
    "GABOR_CASES",
    "GABOR_ORIENTATIONS",
    "check_diagonal_edge_kernel",
    "check_gabor_orientation",
    "check_my_gabor_kernel",
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
"""The target edge's response must beat every other edge by 5 % to count as "responds most"."""


# -------------------------------------------------------------------- exercise 1: diagonal edges


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


@dataclasses.dataclass(frozen=True)
class _Diagonal:
    """How the hints name one diagonal edge (see :func:`edge_image`)."""

    name: str     # "45° (/)"
    line: str     # "/"
    runs: str     # where the boundary runs, in rows and columns
    sides: str    # the weights' signs across it
    corners: str  # the corners on the gradient's axis


_DIAGONALS = {
    45: _Diagonal("45° (/)", "/", "from the bottom-left (high row, low column) to the top-right",
                  "negative above-left, positive below-right", "top-left and bottom-right"),
    135: _Diagonal("135° (\\)", "\\", "from the top-left (low row, low column) to the "
                   "bottom-right", "negative below-left, positive above-right",
                   "top-right and bottom-left"),
}


@checker
def check_diagonal_edge_kernel(answer: object, angle: int = 45) -> Verdict:
    """Check a 3×3 kernel that detects diagonal edges: ``angle`` 45 (``/``) or 135 (``\\``).

    The edges are those of :func:`edge_image`. Correct when the kernel sums to 0 (up to
    ``1e-9`` times its L1 norm: a flat region gives 0) and its peak response
    (:func:`edge_responses`) to the ``angle`` edge is at least 5 % above its response to each
    of the three other edges. Hints, in this order: not a 3×3 array, values so large that the
    sums or responses overflow (never a pass), all zeros, a non-zero sum (it responds to
    brightness), the mirrored kernel (the other diagonal wins), equal responses to every
    edge, a horizontal or vertical edge detector (0° or 90° wins), equal responses to both
    diagonals (a kernel symmetric under a left-right flip, like the Laplacian), and a tie
    with 0° or 90°.

    Raises
    ------
    ValueError
        If ``angle`` is not 45 or 135 (a bug in the notebook, raised even before an answer).
    """
    target = as_choice(angle, "angle", tuple(_DIAGONALS))
    mirror = 180 - target
    wanted, other = _DIAGONALS[target], _DIAGONALS[mirror]
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
                     f"on one side of the {wanted.line} diagonal and positive weights on the "
                     "other.")
    total = float(kernel.sum())
    if abs(total) > 1e-9 * l1:
        return wrong(f"Your kernel sums to {total:g}, so on a flat region of brightness b it "
                     f"outputs {total:g}·b: it responds to brightness, not only to edges. "
                     "Make the weights sum to 0.")
    seen = f"Peak responses: {_describe(responses)}."
    r_target = responses[target]
    others = {edge: value for edge, value in responses.items() if edge != target}
    if r_target >= _MARGIN * max(others.values()):
        return correct(f"{seen} The {wanted.name} edge wins and flat regions give 0.")
    best = max(responses, key=responses.__getitem__)
    if best == mirror and responses[mirror] >= _MARGIN * r_target:
        return wrong(f"{seen} Your kernel detects {other.name} edges: it is the mirror image "
                     f"of a {target}° detector. Rows grow downwards, so a {wanted.line} edge "
                     f"runs {wanted.runs}: flip it left-right.")
    if max(responses.values()) <= _MARGIN * min(responses.values()):
        return wrong(f"{seen} It responds about equally to every edge: it has no preferred "
                     f"direction. Make it antisymmetric across the {wanted.line} diagonal: "
                     f"{wanted.sides}.")
    if best in (0, 90) and responses[best] >= _MARGIN * r_target:
        kind = "horizontal (0°)" if best == 0 else "vertical (90°)"
        return wrong(f"{seen} That is a {kind} edge detector, like Sobel "
                     f"{'y' if best == 0 else 'x'}. Turn the gradient by 45°: the weights "
                     f"should change from one of the {wanted.corners} corners to the other.")
    if max(r_target, responses[mirror]) <= _MARGIN * min(r_target, responses[mirror]):
        return wrong(f"{seen} It responds as strongly to {mirror}° as to {target}°: it is "
                     "symmetric under a left-right flip (like the Laplacian), so it cannot "
                     f"tell the two diagonals apart. Put the weights {wanted.sides} of the "
                     f"{wanted.line} diagonal.")
    rival = max(others, key=others.__getitem__)
    return wrong(f"{seen} The {target}° edge ties with the {rival}° edge. Weight the corners: "
                 f"the {wanted.corners} entries tell a {wanted.line} edge from the others "
                 "best.")


# -------------------------------------------------------------------- exercise 2: a Gabor kernel

GABOR_CASES = 5
"""Cases :func:`check_my_gabor_kernel` draws on every call."""

_GABOR_TOLERANCE = 1e-6
"""Largest difference allowed per entry (the entries lie in [-1, 1]; float32 arithmetic passes)."""


@dataclasses.dataclass(frozen=True)
class _GaborCase:
    """The arguments of one call ``fn(ksize, sigma, theta, lambd, gamma=..., psi=...)``."""

    ksize: int
    sigma: float
    theta: float
    lambd: float
    gamma: float
    psi: float

    def kernel(self, **changes: float) -> np.ndarray:
        """:func:`gabor_kernel` of these parameters, some of them replaced."""
        p = dataclasses.replace(self, **changes)
        return gabor_kernel(p.ksize, p.sigma, p.theta, p.lambd, p.gamma, p.psi)

    def describe(self) -> str:
        return (f"ksize={self.ksize}, sigma={self.sigma:.4g}, theta={self.theta:.4g}, "
                f"lambd={self.lambd:.4g}, gamma={self.gamma:.4g}, psi={self.psi:.4g}")


_GaborSlip = Callable[[_GaborCase, np.ndarray], np.ndarray]

_GABOR_SLIPS: tuple[tuple[_GaborSlip, str], ...] = (
    (lambda case, right: right / right.sum(),
     "Your kernel is divided by its sum, the normalisation of a blur. The exercise asks for "
     "the raw kernel, and a Gabor kernel has positive and negative lobes: its sum can be "
     "close to 0, and dividing by it blows the values up."),
    (lambda case, right: right / np.abs(right).sum(),
     "Your kernel is divided by the sum of its absolute values. That is a safe "
     "normalisation, but the exercise asks for the raw kernel (no normalisation)."),
    (lambda case, right: case.kernel(gamma=1.0),
     "Your envelope is round: γ is ignored. γ sets the aspect ratio of the window, so it "
     "belongs in the Gaussian's exponent."),
    (lambda case, right: case.kernel(gamma=1 / case.gamma),
     "Your envelope is stretched the wrong way: you divide by γ² where the formula "
     "multiplies by it."),
    (lambda case, right: right[::-1, :],
     "Your kernel is the right one flipped upside down: your y axis points up. In an array "
     "the row index grows downwards, so the row below the centre is v = +1."),
    (lambda case, right: right[:, ::-1],
     "Your kernel is the right one flipped left-right: your u grows to the left. The column "
     "right of the centre is u = +1."),
    (lambda case, right: right[::-1, ::-1],
     "Your kernel is the right one turned by 180°, which is also what the phase with the "
     "wrong sign gives: OpenCV's source writes +ψ because it stores the value for (x, y) at "
     "[ymax − y, xmax − x]. Write the formula for the layout you store it in."),
    (lambda case, right: right.T,
     "Rows and columns are swapped: u counts columns (the second index), v rows (the first)."),
    (lambda case, right: case.kernel(theta=math.radians(case.theta)),
     "theta is already in radians (the checker passes radians, like OpenCV): do not convert "
     "it."),
    (lambda case, right: case.kernel(lambd=2 * math.pi * case.lambd),
     "Your stripes are 2π times too far apart: a cosine of u'/λ repeats every 2πλ pixels, "
     "and λ should be the period in pixels."),
    (lambda case, right: case.kernel(sigma=case.sigma / math.sqrt(2)),
     "Your envelope is √2 times too narrow: check the denominator of the Gaussian's "
     "exponent."),
    (lambda case, right: case.kernel(sigma=math.sqrt(case.sigma)),
     "Your envelope has the wrong width: the Gaussian's exponent divides by σ squared."),
    (lambda case, right: case.kernel(psi=case.psi + math.pi / 2),
     "Your kernel has a sine where the formula has a cosine (a phase off by π/2)."),
)
"""The learner's likely slips: what each makes of the right kernel, and its hint."""


def _gabor_close(kernel: np.ndarray, expected: np.ndarray) -> bool:
    return kernel.shape == expected.shape and np.allclose(kernel, expected, rtol=0,
                                                          atol=_GABOR_TOLERANCE)


def _odd_size(rng: np.random.Generator, low: int, high: int) -> int:
    return 2 * int(rng.integers(low // 2, high // 2 + 1)) + 1


def _generic_gabor_case(rng: np.random.Generator) -> _GaborCase:
    """A case on which the right kernel and every slip of :data:`_GABOR_SLIPS` differ by at
    least 1e-3 somewhere (θ off the axes and diagonals, γ well away from 1, ψ from 0 and
    π/2), drawn again in the rare case they do not."""
    for _attempt in range(100):
        case = _GaborCase(
            ksize=_odd_size(rng, 11, 21), sigma=float(rng.uniform(2, 4)),
            theta=math.radians(float(rng.uniform(15, 35) + rng.choice([0, 40, 90, 130]))),
            lambd=float(rng.uniform(4, 10)), gamma=float(rng.uniform(0.3, 0.7)),
            psi=float(rng.uniform(0.3, 1.2) * rng.choice([-1, 1])))
        right = case.kernel()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            kernels = [right, *(slip(case, right) for slip, _hint in _GABOR_SLIPS)]
        if all(np.isfinite(k).all() for k in kernels) and all(
                np.abs(a - b).max() > 1e-3 for i, a in enumerate(kernels) for b in kernels[:i]):
            return case
    return case


def _gabor_cases(rng: np.random.Generator) -> list[_GaborCase]:
    """:data:`GABOR_CASES` fresh cases, odd sizes 5–21: a generic one first (every slip
    shows there), then the even filter (ψ = 0, γ above 1), the odd one (ψ = π/2, θ anywhere
    in (−π, 2π)), θ = 90° (horizontal stripes), and a window wider than the kernel."""
    def uniform(low: float, high: float) -> float:
        return float(rng.uniform(low, high))

    return [
        _generic_gabor_case(rng),
        _GaborCase(_odd_size(rng, 7, 15), uniform(1.5, 3), uniform(0, math.pi), uniform(3, 8),
                   uniform(1.2, 2), 0.0),
        _GaborCase(_odd_size(rng, 7, 15), uniform(1.5, 3), uniform(-math.pi, 2 * math.pi),
                   uniform(3, 8), uniform(0.3, 1), math.pi / 2),
        _GaborCase(_odd_size(rng, 9, 15), uniform(2, 3), math.pi / 2, uniform(4, 8),
                   uniform(0.3, 0.8), uniform(-math.pi, math.pi)),
        _GaborCase(_odd_size(rng, 5, 7), uniform(3, 5), uniform(0, math.pi), uniform(3, 6),
                   uniform(0.3, 0.8), uniform(-math.pi, math.pi)),
    ]


def _gabor_hint(kernel: np.ndarray, case: _GaborCase, right: np.ndarray) -> str:
    """The hint for a kernel of the right shape and wrong values."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for slip, hint in _GABOR_SLIPS:
            if _gabor_close(kernel, slip(case, right)):
                return hint
    scale = float(np.vdot(kernel, right) / np.vdot(right, right))
    if _gabor_close(kernel, scale * right):
        return (f"Your kernel is {scale:.4g} times the right one: the raw kernel has no "
                "factor in front and no normalisation.")
    centre = kernel[case.ksize // 2, case.ksize // 2]
    if not math.isclose(centre, math.cos(case.psi), abs_tol=_GABOR_TOLERANCE):
        return (f"Start at the centre (u = v = 0), where the envelope is 1: your entry is "
                f"{centre:.4g}, the formula gives {math.cos(case.psi):.4g}.")
    row, col = np.unravel_index(int(np.argmax(np.abs(kernel - right))), right.shape)
    u, v = int(col) - case.ksize // 2, int(row) - case.ksize // 2
    return (f"Your centre is right; the largest difference is at row {row}, column {col} "
            f"(u = {u}, v = {v}): {kernel[row, col]:.4g} instead of {right[row, col]:.4g}. "
            "Check u', v', the envelope and the cosine one at a time.")


@checker
def check_my_gabor_kernel(answer: object) -> Verdict:
    """Run the learner's ``my_gabor_kernel(ksize, sigma, theta, lambd, gamma=…, psi=…)``.

    Each call draws :data:`GABOR_CASES` fresh cases (:func:`_gabor_cases`: odd int sizes
    5–21, θ in radians, γ below and above 1, the even and odd filters, θ = 90°, a window
    wider than the kernel), each run under :data:`~convlessons.exercises._answers.TIME_LIMIT`;
    the result must equal :func:`convlessons.kernels.gabor_kernel` (unnormalised, OpenCV's
    values) within 1e-6 per entry. Hints: returned None, an exception or a time-out, a wrong
    shape; divided by its sum or by its L1 norm, γ ignored or inverted, the y axis up, the
    x axis reversed, the kernel turned by 180° (the phase's sign), rows and columns swapped,
    θ converted as if in degrees, 2π left out of the cosine, σ² instead of 2σ² or σ instead
    of σ², a sine for the cosine, a constant factor; else the centre entry or the largest
    difference.
    """
    cases = _gabor_cases(np.random.default_rng())
    yield
    if (refusal := not_a_function(answer, "my_gabor_kernel")) is not None:
        return refusal
    for case in cases:
        right = case.kernel()
        kernel = learner_array(answer, (case.ksize, case.sigma, case.theta, case.lambd),
                               {"gamma": case.gamma, "psi": case.psi}, case=case.describe(),
                               returns="kernel")
        if kernel.shape != right.shape:
            return wrong(f"On {case.describe()} your kernel has shape {kernel.shape}; for an "
                         f"odd ksize it is {case.ksize}×{case.ksize}, offsets "
                         f"−{case.ksize // 2} … {case.ksize // 2} from the centre on each axis.")
        if not _gabor_close(kernel, right):
            return wrong(f"On {case.describe()}: {_gabor_hint(kernel, case, right)}")
    return correct(f"Your kernel equals gabor_kernel (OpenCV's values) on {len(cases)} fresh "
                   "cases: a generic one, the even (ψ = 0) and odd (ψ = π/2) filters, θ = 90°, "
                   "a window wider than the kernel, γ below and above 1.")


# -------------------------------------------------------------------- exercise 3: Gabor bank


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
