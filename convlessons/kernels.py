"""Named image kernels, the Gabor kernel factory and the Gabor bank of the course.

Kernels are written for cross-correlation, which is what ``torch.nn.functional.conv2d``
computes (no flip): ``sobel_x`` gives a positive response where intensity increases
from left to right.
"""

from __future__ import annotations

import math

import numpy as np

from convlessons._validation import as_pair, as_real

__all__ = ["KERNELS", "KERNEL_DESCRIPTIONS", "gabor_for", "gabor_kernel"]


def _frozen(rows: list[list[float]], scale: float = 1.0) -> np.ndarray:
    """A read-only float64 copy of ``rows * scale``."""
    kernel = np.array(rows, dtype=np.float64) * scale
    kernel.setflags(write=False)
    return kernel


_SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
_PREWITT_X = [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]
_BINOMIAL_5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]).tolist()

KERNELS: dict[str, np.ndarray] = {
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
}
"""Preset kernels (read-only float64 arrays). Blurs, ``identity``, ``sharpen`` and
``emboss`` sum to 1 (they keep the mean brightness); edge and derivative kernels sum to 0
(flat regions give 0)."""

KERNEL_DESCRIPTIONS: dict[str, str] = {
    "identity": "Copies the input unchanged: a single 1 at the centre.",
    "box_blur": "Blurs: every output is the plain average of a 3×3 neighbourhood.",
    "gaussian_blur": "Blurs smoothly: a 1-2-1 binomial weighting (≈ Gaussian, σ ≈ 0.71).",
    "gaussian_blur_5x5": "Blurs more: 5×5 binomial 1-4-6-4-1 weighting (≈ Gaussian, σ = 1).",
    "sharpen": "Sharpens: adds the fine detail (centre minus its 4 neighbours) back in.",
    "edge": "Outlines edges in every direction: 8 × centre minus the 8 neighbours.",
    "sobel_x": "Vertical edges: horizontal gradient (left→right), smoothed vertically.",
    "sobel_y": "Horizontal edges: vertical gradient (top→bottom), smoothed horizontally.",
    "prewitt_x": "Vertical edges: horizontal gradient with plain (unweighted) smoothing.",
    "prewitt_y": "Horizontal edges: vertical gradient with plain smoothing (the seed's "
    "edge-detection kernel).",
    "diagonal_edge": "Diagonal edges: gradient from top-left to bottom-right (Sobel at 45°).",
    "laplacian": "Finds edges and fine detail in every direction: second derivative.",
    "emboss": "Embosses: adds a diagonal gradient, so the image looks carved in relief.",
}


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

    For integer offsets ``x in [-xmax, xmax]``, ``y in [-ymax, ymax]``:

    .. math::
        x_r = x\\cos\\theta + y\\sin\\theta, \\quad y_r = -x\\sin\\theta + y\\cos\\theta,
        \\quad g = \\exp\\Big(-\\frac{x_r^2 + \\gamma^2 y_r^2}{2\\sigma^2}\\Big)
        \\cos\\Big(\\frac{2\\pi x_r}{\\lambda} + \\psi\\Big)

    stored, as OpenCV does, at ``kernel[ymax - y, xmax - x]`` (so the kernel is the
    function rotated by 180°). Checked against a line-by-line transcription of
    OpenCV's C++ source (``modules/imgproc/src/gabor.cpp``).

    Parameters
    ----------
    ksize
        An int, or ``(width, height)`` in OpenCV's ``Size`` order (not numpy's). Then
        ``xmax = width // 2``, ``ymax = height // 2`` and the result has shape
        ``(2*ymax + 1, 2*xmax + 1)``: an even size gives one more (odd sizes
        recommended).
    sigma
        Standard deviation of the Gaussian envelope, ``> 0``.
    theta
        Orientation of the normal to the stripes, in radians.
    lambd
        Wavelength of the cosine, in pixels, ``> 0``.
    gamma
        Spatial aspect ratio, ``> 0``: the envelope has std ``sigma / gamma`` along
        the stripes.
    psi
        Phase offset in radians: 0 gives an even (symmetric) kernel, ``pi/2`` an odd one.
    normalize
        Divide by the sum of absolute values, so the kernel has L1 norm 1 (OpenCV has
        no such option). Not by the plain sum, as the seed lesson does: a Gabor kernel
        has positive and negative lobes, so its sum can be about 0 and dividing by it
        blows the values up. With ``psi = pi/2`` the sum is 0 up to rounding:
        ``gabor_kernel(31, 4, 0, 10, psi=pi/2).sum()`` is about 2e-15, and dividing by
        it gives values about 5e14 (inf if it rounds to exactly 0). The L1 norm is never
        smaller than the largest absolute value, so normalised values stay in [-1, 1].

    Raises
    ------
    TypeError, ValueError
        If ``ksize`` is not a positive int or pair, or a real parameter is not finite
        (``sigma``, ``lambd``, ``gamma`` must also be ``> 0``).
    """
    width, height = as_pair(ksize, "ksize", minimum=1)
    sigma = as_real(sigma, "sigma", above=0)
    theta = as_real(theta, "theta")
    lambd = as_real(lambd, "lambd", above=0)
    gamma = as_real(gamma, "gamma", above=0)
    psi = as_real(psi, "psi")
    xmax, ymax = width // 2, height // 2
    # index [i, j] holds the value for y = ymax - i, x = xmax - j
    y = np.arange(ymax, -ymax - 1, -1, dtype=np.float64)[:, None]
    x = np.arange(xmax, -xmax - 1, -1, dtype=np.float64)[None, :]
    xr = x * math.cos(theta) + y * math.sin(theta)
    yr = -x * math.sin(theta) + y * math.cos(theta)
    kernel = np.exp(-(xr**2 + gamma**2 * yr**2) / (2 * sigma**2)) * np.cos(
        2 * math.pi * xr / lambd + psi
    )
    if normalize:
        kernel /= np.abs(kernel).sum()
    return kernel


def gabor_for(orientation: float, wavelength: float, sigma: float) -> np.ndarray:
    """The Gabor kernel of the bank: ``gabor_kernel(2⌈3σ⌉+1, σ, θ, λ, γ=0.5, normalize=True)``.

    ``orientation`` is in degrees (the direction of the stripes' normal). The size covers
    ±3σ of the envelope; L1-normalised so responses stay within the photo's range.

    Raises
    ------
    TypeError, ValueError
        If ``orientation`` is not a finite real number, or ``sigma`` or ``wavelength`` not
        one ``> 0`` (the message names ``orientation``, ``sigma`` or, as in
        :func:`gabor_kernel`, ``lambd``).
    """
    sigma = as_real(sigma, "sigma", above=0)
    orientation = as_real(orientation, "orientation")
    size = 2 * math.ceil(3 * sigma) + 1
    return gabor_kernel(size, sigma, math.radians(orientation), wavelength, gamma=0.5,
                        normalize=True)
