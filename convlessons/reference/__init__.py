"""numpy reference implementations with ``torch.nn.functional`` semantics.

- :mod:`.conv`: ``conv2d`` by nested loops, sliding windows, im2col, Winograd or FFT.
- :mod:`.im2col`: ``im2col`` / ``col2im`` (``torch.nn.functional.unfold`` / ``fold``), and
  ``im2col_product``, one output channel as one matrix product.
- :mod:`.winograd`: Winograd F(m x m, 3 x 3) matrices and multiplication counts.
- :mod:`.transposed`: ``conv_transpose2d``, and ``transposed_conv``, one channel as
  scatter steps and as zero insertion.
- :mod:`.padding`: ``pad_image`` (``torch.nn.Conv2d``'s four ``padding_mode`` values).
"""

from convlessons.reference.conv import (
    METHODS,
    conv2d,
    conv2d_direct,
    conv2d_fft,
    conv2d_im2col,
    conv2d_loops,
    conv2d_loops_padded,
    convolve2d,
    correlate2d,
)
from convlessons.reference.im2col import col2im, im2col
from convlessons.reference.padding import PADDING_MODES, pad_image
from convlessons.reference.transposed import conv_transpose2d
from convlessons.reference.winograd import multiplication_counts, winograd_matrices

__all__ = [
    "METHODS",
    "PADDING_MODES",
    "col2im",
    "conv2d",
    "conv2d_direct",
    "conv2d_fft",
    "conv2d_im2col",
    "conv2d_loops",
    "conv2d_loops_padded",
    "conv_transpose2d",
    "convolve2d",
    "correlate2d",
    "im2col",
    "multiplication_counts",
    "pad_image",
    "winograd_matrices",
]
