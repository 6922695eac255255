"""Named image kernels, the Gabor kernel factory and the Gabor bank of the course.

Kernels are written for cross-correlation, which is what ``torch.nn.functional.conv2d``
computes (no flip): ``sobel_x`` gives a positive response where intensity increases
from left to right.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from convlessons._validation import as_pair, as_real, shown

__all__ = ["GABOR_MAX_SIZE", "KERNELS", "KERNEL_DESCRIPTIONS", "gabor_for", "gabor_kernel"]


def _frozen(rows: list[list[float]], scale: float = 1.0) -> np.ndarray:
    """A read-only float64 copy of ``rows * scale``."""
    kernel = np.array(rows, dtype=np.float64) * scale
    kernel.setflags(write=False)
    return kernel


_SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
_PREWITT_X = [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]
_BINOMIAL_5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]).tolist()

KERNELS: Mapping[str, np.ndarray] = MappingProxyType({
    "identity": _frozen([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "box_blur": _frozen([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 1 / 9),
    "gaussian_blur": _frozen([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
    "gaussian_blur_5x5": _frozen(_BINOMIAL_5, 1 / 256),
    "sharpen": _frozen([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "edge": _frozen([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
    "sobel_x": _frozen(_SOBEL_X),
    "sobel_y": _frozen(np.transpose(_SOBEL_X).tolist()),
    "prewitt_x": _frozen(_PREWITT_X),
    "prewitt_y": _frozen(np.transpose(_PREWITT_X).tolist()),
    "diagonal_edge": _frozen([[-2, -1, 0], [-1, 0, 1], [0, 1, 2]]),
    "laplacian": _frozen([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "emboss": _frozen([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
})
"""Preset kernels: a read-only mapping of read-only float64 arrays (``KERNELS["sobel_x"] =
...`` and ``KERNELS["sobel_x"][0, 0] = ...`` raise, so no cell can change a preset for the
cells after it; take a ``.copy()`` to edit one). Blurs, ``identity``, ``sharpen`` and
``emboss`` sum to 1 (they keep the mean brightness); edge and derivative kernels sum to 0
(flat regions give 0)."""

KERNEL_DESCRIPTIONS: Mapping[str, str] = MappingProxyType({
    "identity": "Copies the input unchanged: a single 1 at the centre.",
    "box_blur": "Blurs: every output is the plain average of a 3×3 neighbourhood.",
    "gaussian_blur": "Blurs smoothly: a 1-2-1 binomial weighting (≈ Gaussian, σ ≈ 0.71).",
    "gaussian_blur_5x5": "Blurs more: 5×5 binomial 1-4-6-4-1 weighting (≈ Gaussian, σ = 1).",
    "sharpen": "Sharpens: adds the fine detail (centre minus its 4 neighbours) back in.",
    "edge": "Outlines edges in every direction: 8 × centre minus the 8 neighbours.",
    "sobel_x": "Vertical edges: horizontal gradient (left→right), smoothed vertically.",
    "sobel_y": "Horizontal edges: vertical gradient (top→bottom), smoothed horizontally.",
    "prewitt_x": "Vertical edges: horizontal gradient with plain (unweighted) smoothing.",
    "prewitt_y": "Horizontal edges: vertical gradient (top→bottom) with plain smoothing.",
    "diagonal_edge": "Diagonal edges: gradient from top-left to bottom-right (Sobel at 45°).",
    "laplacian": "Finds edges and fine detail in every direction: second derivative.",
    "emboss": "Embosses: adds a diagonal gradient, so the image looks carved in relief.",
})
"""One line per preset of :data:`KERNELS` (read-only too)."""

GABOR_MAX_SIZE = 1025
"""Largest side :func:`gabor_kernel` builds (8 MiB per float64 array); ``sigma`` up to 170 in
:func:`gabor_for`."""

_SCALE_LIMIT = 1e150
"""``sigma`` and ``lambd`` at least ``1 / _SCALE_LIMIT``, ``gamma`` at most ``_SCALE_LIMIT``:
beyond, ``σ²`` underflows to 0 or ``γ²`` overflows and the kernel would hold NaN."""


def gabor_kernel(
    ksize: int | tuple[int, int],
    sigma: float,
    theta: float,
    lambd: float,
    gamma: float = 0.5,
    psi: float = 0.0,
    normalize: bool = False,
) -> np.ndarray:
    """Gabor kernel, the same values as OpenCV's ``cv::getGaborKernel`` (``CV_64F``).

    Entry ``kernel[ymax + v, xmax + u]`` holds the value at ``u`` columns right of and ``v``
    rows below the centre (``|u| <= xmax``, ``|v| <= ymax``; rows grow downwards):

    .. math::
        u' = u\\cos\\theta + v\\sin\\theta, \\quad v' = -u\\sin\\theta + v\\cos\\theta,
        \\quad K[y_{max} + v,\\, x_{max} + u] = \\exp\\Big(-\\frac{u'^2 + \\gamma^2 v'^2}
        {2\\sigma^2}\\Big) \\cos\\Big(\\frac{2\\pi u'}{\\lambda} - \\psi\\Big)

    So ``theta`` is the direction of the wave vector, from the column axis towards the row
    axis (clockwise on screen), and ``psi = pi/2`` gives an odd kernel that is positive on
    the side the wave vector points to (``theta = 0``: negative left, positive right, like
    Sobel x). OpenCV's source writes ``cos(2π x'/λ + ψ)`` for offsets ``(x, y)`` and stores it
    at ``kernel[ymax - y, xmax - x]``, a 180° turn: ``(x, y) = (-u, -v)`` gives ``x' = -u'``,
    ``y' = -v'``, and the two agree (the envelope is even, ``cos(-a + ψ) = cos(a - ψ)``).
    Checked against a line-by-line transcription of OpenCV's C++ source
    (``modules/imgproc/src/gabor.cpp``) and against the formula above.

    Parameters
    ----------
    ksize
        An int, or ``(width, height)`` in OpenCV's ``Size`` order (not numpy's), each side at
        most :data:`GABOR_MAX_SIZE`. Then ``xmax = width // 2``, ``ymax = height // 2`` and
        the result has shape ``(2*ymax + 1, 2*xmax + 1)``: an even size gives one more (odd
        sizes recommended).
    sigma
        Standard deviation of the Gaussian envelope across the stripes, ``>= 1e-150``.
    theta
        Direction of the wave vector (the normal to the stripes), in radians.
    lambd
        Wavelength of the cosine, in pixels, ``>= 1e-150``.
    gamma
        Spatial aspect ratio, in ``(0, 1e150]``: the envelope has std ``sigma / gamma``
        along the stripes.
    psi
        Phase offset in radians: 0 gives an even (symmetric) kernel, ``pi/2`` an odd one.
    normalize
        ``True`` divides by the sum of absolute values, so the kernel has L1 norm 1 (OpenCV
        has no such option). Not by the plain sum, the normalisation of a blur: a Gabor
        kernel has positive and negative lobes, so its sum can be about 0 and dividing by it
        blows the values up. With ``psi = pi/2`` the sum is 0 up to rounding:
        ``gabor_kernel(31, 4, 0, 10, psi=pi/2).sum()`` is about 2e-15, and dividing by it
        gives values about 5e14 (inf if it rounds to exactly 0). The L1 norm is never
        smaller than the largest absolute value, so normalised values stay in [-1, 1].

    Raises
    ------
    TypeError, ValueError
        If ``ksize`` is not a positive int or pair (at most :data:`GABOR_MAX_SIZE`), a real
        parameter is not finite or out of its range above (the message names it), or
        ``normalize`` is not a bool.
    """
    width, height = as_pair(ksize, "ksize", minimum=1)
    if max(width, height) > GABOR_MAX_SIZE:
        raise ValueError(f"ksize must be at most {GABOR_MAX_SIZE} on each side, got "
                         f"{shown(ksize)}")
    sigma = as_real(sigma, "sigma", at_least=1 / _SCALE_LIMIT)
    theta = as_real(theta, "theta")
    lambd = as_real(lambd, "lambd", at_least=1 / _SCALE_LIMIT)
    gamma = as_real(gamma, "gamma", above=0, at_most=_SCALE_LIMIT)
    psi = as_real(psi, "psi")
    if not isinstance(normalize, bool | np.bool_):
        raise TypeError(f"normalize must be True or False, got {shown(normalize)}")
    xmax, ymax = width // 2, height // 2
    v = np.arange(-ymax, ymax + 1, dtype=np.float64)[:, None]  # rows below the centre
    u = np.arange(-xmax, xmax + 1, dtype=np.float64)[None, :]  # columns right of it
    ur = u * math.cos(theta) + v * math.sin(theta)
    vr = -u * math.sin(theta) + v * math.cos(theta)
    with np.errstate(over="ignore"):  # far outside a tiny envelope: exp(-inf) = 0
        envelope = np.exp(-(ur**2 + gamma**2 * vr**2) / (2 * sigma**2))
    kernel = envelope * np.cos(2 * math.pi * ur / lambd - psi)
    if normalize:
        kernel /= np.abs(kernel).sum()
    return kernel


def gabor_for(orientation: float, wavelength: float, sigma: float) -> np.ndarray:
    """The Gabor kernel of the bank: ``gabor_kernel(2⌈3σ⌉+1, σ, θ, λ, γ=0.5, normalize=True)``.

    ``orientation`` is in degrees (the direction of the stripes' normal). The size covers
    ±3σ of the envelope, so ``sigma`` is at most ``(GABOR_MAX_SIZE - 1) / 6`` (about 170);
    L1-normalised so responses stay within the photo's range.

    Raises
    ------
    TypeError, ValueError
        If ``orientation`` is not a finite real number, ``sigma`` not in
        ``[1e-150, (GABOR_MAX_SIZE - 1) / 6]`` or ``wavelength`` not ``>= 1e-150`` (the message
        names ``orientation``, ``sigma`` or, as in :func:`gabor_kernel`, ``lambd``).
    """
    sigma = as_real(sigma, "sigma", at_least=1 / _SCALE_LIMIT, at_most=(GABOR_MAX_SIZE - 1) / 6)
    orientation = as_real(orientation, "orientation")
    size = 2 * math.ceil(3 * sigma) + 1
    return gabor_kernel(size, sigma, math.radians(orientation), wavelength, gamma=0.5,
                        normalize=True)
