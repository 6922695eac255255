"""Transposed convolution ("deconvolution"): every input pixel stamps a scaled kernel.

For input ``x`` (N, C_in, H, W), weight ``w`` (C_in, C_out/G, kH, kW) and ``G`` groups
(input channel ``c`` in group ``g = c // (C_in/G)`` feeds output channels
``g*C_out/G ... (g+1)*C_out/G - 1``), the uncropped ("full") output is

.. math::

    z[n, gC_{out}/G + o,\\; y s_h + i d_h,\\; x s_w + j d_w] \\mathrel{+}=
        x[n, c, y, x]\\; w[c, o, i, j]

of size ``F = (H - 1) s_h + d_h (kH - 1) + 1`` (same for W), and torch returns
``out[..., a, b] = z[..., a + p_h, b + p_w]`` for ``a < H_out = F - 2 p_h + op_h``, with
``z`` read as zero past its end (``output_padding`` adds rows/columns at the bottom/right).
This is the adjoint (gradient with respect to the input) of ``conv2d`` with the same
``stride``, ``padding``, ``dilation`` and ``groups``. Checked against
``torch.nn.functional.conv_transpose2d`` (float64, hypothesis) in ``tests/test_transposed.py``;
documentation: https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convlessons._validation import as_array, as_int, as_pair
from convlessons.arithmetic import conv_transpose_output_size
from convlessons.reference._args import check_transposed_groups, conv_transpose2d_args, pad_zeros
from convlessons.reference.conv import correlate2d
from convlessons.reference.im2col import col2im

__all__ = [
    "VALUES",
    "TransposedConv",
    "conv_transpose2d",
    "equivalent_conv_weight",
    "example_arrays",
    "transposed_conv",
    "zero_insert",
]

IntOrPair = int | tuple[int, int]


def conv_transpose2d(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    groups: int = 1,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """Transposed 2-D convolution, exactly as ``torch.nn.functional.conv_transpose2d``.

    Computed as the scatter the course teaches (formula: module docstring): the columns
    ``W_g^T x_g`` (one scaled copy of the kernel per input pixel, per group) are summed
    into the full output by ``col2im`` (``torch.nn.functional.fold``), then ``padding`` is
    cropped from every side and ``output_padding`` zero rows/columns are allowed at the
    bottom/right. Output size: ``H_out = (H - 1) s - 2p + d (kH - 1) + output_padding + 1``
    (``arithmetic.conv_transpose_output_size``).

    Parameters
    ----------
    input
        (N, C_in, H, W), or unbatched (C_in, H, W) giving an unbatched result.
    weight
        (C_in, C_out/groups, kH, kW) — note: input channels first, unlike ``conv2d``.
    bias
        (C_out,) or None.
    stride, dilation
        Int or (h, w) pair, >= 1.
    padding
        Int or (h, w) pair, >= 0: rows/columns cropped from each side of the full output.
    output_padding
        Int or (h, w) pair, ``0 <= output_padding < max(stride, dilation)`` per axis.
    groups
        Divides C_in.

    Returns
    -------
    numpy.ndarray
        (N, C_out, H_out, W_out), dtype ``numpy.result_type(input, weight)``.
    """
    args = conv_transpose2d_args(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)
    batch, c_in, height, width = args.input.shape
    groups = args.groups
    x_groups = args.input.reshape(batch, groups, c_in // groups, height * width)
    w_groups = args.weight.reshape(groups, c_in // groups, -1)
    columns = np.matmul(w_groups.transpose(0, 2, 1), x_groups)  # (N, G, C_out/G*kH*kW, H*W)
    full = col2im(columns.reshape(batch, -1, height * width), args.full_size,
                  args.weight.shape[2:], args.stride, 0, args.dilation)
    (top, _, left, _), (extra_h, extra_w) = args.padding, args.output_padding
    out = pad_zeros(full, (0, extra_h, 0, extra_w))
    out = out[:, :, top : top + args.output_size[0], left : left + args.output_size[1]]
    if args.bias is not None:
        out = out + args.bias[:, np.newaxis, np.newaxis]
    return out[0] if args.unbatched else out


def zero_insert(input: np.ndarray, stride: IntOrPair) -> np.ndarray:
    """Insert ``s - 1`` zeros between neighbouring pixels (the "fractional stride" view).

    ``out[..., y s_h, x s_w] = input[..., y, x]`` and zero elsewhere, shape
    ``(..., (H - 1) s_h + 1, (W - 1) s_w + 1)``. With it, for dilation 1,

    ``conv_transpose2d(x, w, stride=s, padding=p, output_padding=op, groups=G)``
    ``== conv2d(pad(zero_insert(x, s)), equivalent_conv_weight(w, G), groups=G)``

    where ``pad`` adds ``k - 1 - p`` zeros at the top/left and ``k - 1 - p + op`` at the
    bottom/right (a negative amount crops). Proved in ``tests/test_transposed.py``.

    Parameters
    ----------
    input
        (..., H, W) with 2 to 4 dimensions.
    stride
        Int or (h, w) pair, >= 1.
    """
    x = as_array(input, "input", ndim=(2, 3, 4), layout="(..., H, W)")
    sh, sw = as_pair(stride, "stride", minimum=1)
    height, width = x.shape[-2:]
    out = np.zeros((*x.shape[:-2], (height - 1) * sh + 1, (width - 1) * sw + 1), x.dtype)
    out[..., ::sh, ::sw] = x
    return out


def equivalent_conv_weight(weight: np.ndarray, groups: int = 1) -> np.ndarray:
    """The ``conv2d`` weight that makes a transposed convolution an ordinary one.

    Swaps the channel axes within each group and flips the kernel in both directions:
    ``(C_in, C_out/G, kH, kW) -> (C_out, C_in/G, kH, kW)`` with
    ``out[g C_out/G + o, c, i, j] = weight[g C_in/G + c, o, kH-1-i, kW-1-j]``
    (see :func:`zero_insert` for the full equivalence).

    Parameters
    ----------
    weight
        (C_in, C_out/groups, kH, kW), the ``conv_transpose2d`` layout.
    groups
        Divides C_in.
    """
    w = as_array(weight, "weight", ndim=4, layout="(C_in, C_out/groups, kH, kW)")
    groups = as_int(groups, "groups", minimum=1)
    check_transposed_groups(w, groups)
    c_in, c_out_group, kh, kw = w.shape
    swapped = w.reshape(groups, c_in // groups, c_out_group, kh, kw).transpose(0, 2, 1, 3, 4)
    flipped = swapped.reshape(groups * c_out_group, c_in // groups, kh, kw)[:, :, ::-1, ::-1]
    return flipped.copy()  # a fresh array with positive strides (torch.from_numpy accepts it)


# -------------------------------------------------------------------------------------------
# One single-channel transposed convolution, explained step by step (the lesson's model):
# the scatter of kernel copies, and the zero-insertion + flipped-kernel convolution.

VALUES = ("random", "ones")
"""Example values: small random integers, or all ones (shows the overlap counts directly)."""


def example_arrays(input_size: int, kernel_size: int, values: str = "random",
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Input ``(n, n)`` with integers 1…3 and kernel ``(k, k)`` with integers −1…2, or all ones."""
    n = as_int(input_size, "input_size", minimum=1)
    k = as_int(kernel_size, "kernel_size", minimum=1)
    if values not in VALUES:
        raise ValueError(f"values must be one of {VALUES}, got {values!r}")
    if values == "ones":
        return np.ones((n, n)), np.ones((k, k))
    rng = np.random.default_rng(as_int(seed, "seed", minimum=0))
    kernel = rng.integers(-1, 3, (k, k)).astype(np.float64)
    kernel.flat[0] = kernel.flat[0] or 1.0
    return rng.integers(1, 4, (n, n)).astype(np.float64), kernel


def _pad_or_crop(array: np.ndarray, before: int, after: int) -> np.ndarray:
    """Zero-pad both axes by ``before`` / ``after``; a negative amount crops instead."""
    padded = np.pad(array, [(max(before, 0), max(after, 0))] * 2)
    rows, cols = padded.shape
    return padded[max(-before, 0) : rows - max(-after, 0), max(-before, 0) : cols - max(-after, 0)]


def _transpose(x: np.ndarray, w: np.ndarray, stride: int, padding: int = 0,
               output_padding: int = 0) -> np.ndarray:
    """``reference.conv_transpose2d`` for one 2-D input and one 2-D kernel."""
    return conv_transpose2d(x[np.newaxis, np.newaxis], w[np.newaxis, np.newaxis], stride=stride,
                            padding=padding, output_padding=output_padding)[0, 0]


@dataclass(frozen=True)
class TransposedConv:
    """One single-channel transposed convolution, with what both views of it show.

    Attributes
    ----------
    input, kernel
        ``(n, n)`` and ``(k, k)``.
    stride, padding, output_padding
        ``s >= 1``, ``p >= 0``, ``0 <= output_padding < s``.
    output
        ``reference.conv_transpose2d`` (checked against torch), ``(H_out, H_out)``.
    """

    input: np.ndarray
    kernel: np.ndarray
    stride: int
    padding: int
    output_padding: int
    output: np.ndarray

    @property
    def input_size(self) -> int:
        return self.input.shape[0]

    @property
    def kernel_size(self) -> int:
        return self.kernel.shape[0]

    @property
    def positions(self) -> int:
        """Number of scatter steps, one per input pixel (row-major)."""
        return self.input.size

    def input_cell(self, position: int) -> tuple[int, int]:
        """``(y, x)`` of scatter step ``position``; ``ValueError`` if out of range."""
        position = as_int(position, "position", minimum=0)
        if position >= self.positions:
            raise ValueError(f"position must be in 0…{self.positions - 1} (one step per input "
                             f"pixel), got {position}")
        y, x = divmod(position, self.input_size)
        return int(y), int(x)

    def scatter_region(self, position: int) -> tuple[int, int]:
        """Top-left ``(y·s − p, x·s − p)``, in output coordinates, of the k×k block it writes."""
        y, x = self.input_cell(position)
        return y * self.stride - self.padding, x * self.stride - self.padding

    def partial_sum(self, position: int) -> np.ndarray:
        """Sum of scatters ``0 … position`` on the canvas (full output + output_padding).

        Canvas pixel ``(a, b)`` is output pixel ``(a − p, b − p)``; the output is its
        window ``[p, p + H_out)``.
        """
        mask = np.arange(self.positions) <= as_int(position, "position", minimum=0)
        partial = _transpose(self.input * mask.reshape(self.input.shape), self.kernel,
                             self.stride)
        return np.pad(partial, [(0, self.output_padding)] * 2)

    def partial_sum_bound(self) -> float:
        """``max |partial sum|`` over all steps is at most ``max(|x| scattered with |w|)``."""
        return float(_transpose(np.abs(self.input), np.abs(self.kernel), self.stride).max())

    def overlap_counts(self) -> np.ndarray:
        """How many scatters reach each output pixel: the output for an all-ones input/kernel."""
        return _transpose(np.ones_like(self.input), np.ones_like(self.kernel), self.stride,
                          self.padding, self.output_padding)

    def interior_counts(self) -> np.ndarray:
        """Overlap counts of the full canvas away from its borders, rows/cols ``k−1 … (n−1)s``.

        There every input pixel that could reach a canvas pixel exists, so the counts show
        the stride pattern alone (period ``s``); empty when the canvas is too small.
        """
        full = _transpose(np.ones_like(self.input), np.ones_like(self.kernel), self.stride)
        inner = slice(self.kernel_size - 1, (self.input_size - 1) * self.stride + 1)
        return full[inner, inner]

    @property
    def zero_padding(self) -> tuple[int, int]:
        """Padding of the zero-inserted input: ``(k − 1 − p, k − 1 − p + output_padding)``."""
        before = self.kernel_size - 1 - self.padding
        return before, before + self.output_padding

    def zero_inserted(self) -> np.ndarray:
        """``s − 1`` zeros between input pixels, then padded by :attr:`zero_padding`."""
        return _pad_or_crop(zero_insert(self.input, self.stride), *self.zero_padding)

    def flipped_kernel(self) -> np.ndarray:
        """The kernel rotated by 180° (``reference.transposed.equivalent_conv_weight``)."""
        return equivalent_conv_weight(self.kernel[np.newaxis, np.newaxis])[0, 0]

    def zero_insertion_output(self) -> np.ndarray:
        """``correlate2d(zero_inserted(), flipped_kernel())``: equals :attr:`output`."""
        return correlate2d(self.zero_inserted(), self.flipped_kernel())

    def size_text(self) -> str:
        """The output-size formula with the current numbers."""
        n, k, s, p, op = (self.input_size, self.kernel_size, self.stride, self.padding,
                          self.output_padding)
        return (f"H_out = (n − 1)·s − 2p + k + output_padding = ({n} − 1)·{s} − 2·{p} + {k} + "
                f"{op} = <b>{self.output.shape[0]}</b>")

    def scatter_text(self, position: int) -> str:
        """What scatter step ``position`` does, in output coordinates."""
        y, x = self.input_cell(position)
        top, left = self.scatter_region(position)
        k, last = self.kernel_size, self.output.shape[0] - 1
        cropped = top < 0 or left < 0 or max(top, left) + k - 1 > last
        return (f"step {position + 1} of {self.positions}: input[{y}, {x}] = "
                f"{self.input[y, x]:g} adds {self.input[y, x]:g} × kernel to output rows "
                f"{top}…{top + k - 1}, columns {left}…{left + k - 1}"
                + (f" (only 0…{last} is kept: the rest is cropped)" if cropped else ""))

    def zero_insertion_text(self) -> str:
        """The three steps of the zero-insertion view with their sizes."""
        n, s = self.input_size, self.stride
        before, after = self.zero_padding
        grid = self.zero_inserted().shape[0]
        return (f"insert s − 1 = {s - 1} zeros between pixels → {(n - 1) * s + 1} × "
                f"{(n - 1) * s + 1}; pad k − 1 − p = {before} (top/left) and k − 1 − p + "
                f"output_padding = {after} (bottom/right) → {grid} × {grid}; correlate with the "
                f"flipped kernel → {self.output.shape[0]} × {self.output.shape[1]}")

    def checkerboard_text(self) -> str:
        """Whether a constant input and kernel give a uniform interior, from the counts."""
        k, s = self.kernel_size, self.stride
        counts = self.interior_counts()
        divisible = f"k = {k} {'is' if k % s == 0 else 'is not'} divisible by s = {s}"
        if counts.shape[0] < s:
            return (f"{divisible}; this input is too small to have a full stride period "
                    f"({s} pixels) of interior pixels.")
        low, high = int(counts.min()), int(counts.max())
        if low == high:
            return (f"{divisible}: every interior pixel receives {low} scatters, so a constant "
                    "input and kernel give a uniform interior.")
        return (f"{divisible}: interior pixels receive between {low} and {high} scatters, so "
                "a constant input and kernel give a checkerboard.")

    def pytorch_call(self) -> str:
        return (f"F.conv_transpose2d(x, w, stride={self.stride}, padding={self.padding}, "
                f"output_padding={self.output_padding})")


def transposed_conv(input: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0,
                    output_padding: int = 0) -> TransposedConv:
    """A single-channel transposed convolution and the numbers both views show.

    Raises
    ------
    ValueError, TypeError
        Naming the parameter: non-square arrays, ``stride < 1``, ``padding < 0``,
        ``output_padding >= stride`` or a padding that leaves no output (messages from
        ``arithmetic.conv_transpose_output_size``).
    """
    x = as_array(input, "input", ndim=2, layout="(n, n)")
    w = as_array(kernel, "kernel", ndim=2, layout="(k, k)")
    for name, array in (("input", x), ("kernel", w)):
        if array.shape[0] != array.shape[1]:
            raise ValueError(f"{name} must be square, got shape {array.shape}")
    stride = as_int(stride, "stride", minimum=1)
    padding = as_int(padding, "padding", minimum=0)
    output_padding = as_int(output_padding, "output_padding", minimum=0)
    conv_transpose_output_size(x.shape[0], w.shape[0], stride, padding, output_padding)
    return TransposedConv(x, w, stride, padding, output_padding,
                          _transpose(x, w, stride, padding, output_padding))
