"""Padding an image as ``torch.nn.Conv2d``'s ``padding_mode`` does, in numpy.

:func:`pad_image` adds ``p`` pixels on every side of a 2-D image: zeros, a mirror image
without the edge pixel (``reflect``), copies of the edge pixel (``replicate``) or the
opposite side (``circular``); ``tests/reference/test_padding.py`` checks it against
``torch.nn.functional.pad``.
"""

from __future__ import annotations

import numpy as np

from convlessons._validation import as_array, as_choice, as_int

__all__ = ["PADDING_MODES", "pad_image"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
"""``padding_mode`` names of ``torch.nn.Conv2d``."""

_NUMPY_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_image(image: np.ndarray, padding: int, padding_mode: str = "zeros") -> np.ndarray:
    """Pad a 2-D image by ``padding`` pixels on every side, as ``torch.nn.Conv2d`` does.

    ``'zeros'`` adds zeros; ``'reflect'`` mirrors without repeating the edge pixel
    (``[a b c] → b | a b c | b``); ``'replicate'`` repeats the edge pixel; ``'circular'``
    wraps around. Same values as ``torch.nn.functional.pad(..., mode=...)`` (checked in the
    tests), including torch's limits: ``reflect`` needs ``padding < size`` and
    ``circular`` ``padding <= size`` along each axis.

    Raises
    ------
    ValueError
        If ``padding < 0``, ``padding_mode`` is unknown, or the padding is too large for
        ``reflect`` / ``circular``; the message names ``padding`` and the limit.
    """
    image = as_array(image, "image", ndim=2, layout="(H, W)")
    padding = as_int(padding, "padding", minimum=0)
    padding_mode = as_choice(padding_mode, "padding_mode", PADDING_MODES)
    smallest = min(image.shape)
    if padding_mode == "reflect" and padding >= smallest:
        raise ValueError(
            f"padding must be < {smallest} (the smallest input side) with padding_mode "
            f"'reflect': a pixel cannot be mirrored further than the image, got {padding}"
        )
    if padding_mode == "circular" and padding > smallest:
        raise ValueError(
            f"padding must be <= {smallest} (the smallest input side) with padding_mode "
            f"'circular': it would wrap around more than once, got {padding}"
        )
    if padding == 0:
        return image
    return np.pad(image, padding, mode=_NUMPY_PAD[padding_mode])
