"""One convolution explained: every output value as a window times the kernel.

:func:`explore` pads a small image (:func:`convlessons.reference.padding.pad_image`, any
``padding_mode`` of ``torch.nn.Conv2d``), slides a kernel over it and returns an
:class:`Exploration` with what the lesson says about each output value: the window it
reads, the multiply-and-sum written out, the equivalent PyTorch call
(:func:`torch_equivalent`) and whether flipping the kernel changes anything.
:func:`size_formulas` writes the size formulas with the numbers substituted.

What is computed, for input ``x`` padded by ``p`` and kernel ``w`` (``kH × kW``),
stride ``s``, dilation ``d``:

.. math:: y[r, c] = \\sum_{i,j} w[i, j]\\; x_{pad}[r s + i d,\\; c s + j d]

(cross-correlation, what ``torch.nn.functional.conv2d`` computes), or the same with
``w[kH-1-i, kW-1-j]`` (true convolution). ``tests/test_exploration.py`` checks it
against ``F.conv2d`` (after ``F.pad`` for the non-zero modes) in float64. The view is
:class:`convlessons.widgets.ConvExplorer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
import torch.nn.functional as F

from convlessons._format import format_number
from convlessons._validation import as_array, as_choice, as_int
from convlessons.arithmetic import conv_output_size, input_span, receptive_field
from convlessons.reference import conv2d
from convlessons.reference.padding import pad_image

__all__ = [
    "MODES",
    "Exploration",
    "explore",
    "ordinal",
    "size_formulas",
    "slid_kernel",
    "torch_equivalent",
]

MODES = ("cross-correlation", "convolution")
"""What deep-learning libraries compute, and the textbook operation (kernel flipped)."""

_TORCH_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
              "circular": "circular"}


def slid_kernel(kernel: np.ndarray, mode: str) -> np.ndarray:
    """The kernel actually slid over the input: itself for ``'cross-correlation'`` (what
    ``torch.nn.functional.conv2d`` computes), rotated by 180° for ``'convolution'``."""
    kernel = as_array(kernel, "kernel", ndim=2, layout="(kH, kW)")
    mode = as_choice(mode, "mode", MODES)
    return kernel[::-1, ::-1] if mode == "convolution" else kernel


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, …, ``11th``, ``12th``, ``13th``, ``21st``."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _span_text(first: int, last: int, step: int) -> str:
    text = f"{first}–{last}" if first >= 0 else f"{first} to {last}"
    return text + (f" (every {ordinal(step)} pixel)" if step > 1 else "")


def _check_fit(image_shape: tuple[int, int], kernel_shape: tuple[int, int], padding: int,
               dilation: int) -> None:
    """Raise ``ValueError`` with the explorer's arithmetic if the window does not fit.

    The dilated kernel spans ``d(k − 1) + 1`` pixels; the padded input has
    ``n + 2p``; the window fits iff the span is at most that.
    """
    for axis, n, k in (("height", image_shape[0], kernel_shape[0]),
                       ("width", image_shape[1], kernel_shape[1])):
        span, padded = dilation * (k - 1) + 1, n + 2 * padding
        if span > padded:
            raise ValueError(
                f"the kernel does not fit along the {axis}: kernel size {k} with dilation "
                f"{dilation} spans d(k − 1) + 1 = "
                f"{dilation}·({k} − 1) + 1 = {span} pixels, more than the padded input's "
                f"n + 2p = {n} + {padding} + {padding} = {padded}. Use a smaller kernel or "
                "dilation, or more padding."
            )


@dataclass(frozen=True)
class Exploration:
    """One convolution with everything the explorer shows about it (see :func:`explore`).

    ``weight`` is the kernel actually slid over the input: ``kernel`` itself for
    cross-correlation, ``kernel[::-1, ::-1]`` for convolution. ``padded`` is the padded
    input; input pixel ``(0, 0)`` is ``padded[padding, padding]``.
    """

    image: np.ndarray
    kernel: np.ndarray
    weight: np.ndarray
    padded: np.ndarray
    stride: int
    padding: int
    dilation: int
    padding_mode: str
    mode: str
    output: np.ndarray

    def cell(self, position: int) -> tuple[int, int]:
        """Output ``(row, col)`` of the raster index ``position`` (row by row)."""
        rows, cols = self.output.shape
        position = as_int(position, "position", minimum=0)
        if position >= rows * cols:
            raise ValueError(
                f"position must be < {rows * cols} (number of outputs), got {position}"
            )
        return divmod(position, cols)

    def window(self, row: int, col: int) -> tuple[np.ndarray, np.ndarray]:
        """Input rows and cols read by output ``(row, col)``: ``r s + i d - p``, ``c s + j d - p``.

        Negative indices and indices ``>= size`` are padding.
        """
        rows, cols = self.output.shape
        if not (0 <= row < rows and 0 <= col < cols):
            raise ValueError(
                f"(row, col) must be inside the {rows} × {cols} output, got ({row}, {col})"
            )
        k_rows, k_cols = self.weight.shape
        s, d, p = self.stride, self.dilation, self.padding
        return row * s + d * np.arange(k_rows) - p, col * s + d * np.arange(k_cols) - p

    def window_values(self, row: int, col: int) -> np.ndarray:
        """The ``kH × kW`` padded-input values that ``weight`` multiplies for ``(row, col)``."""
        return self.padded[self._window_index(row, col)]

    def _window_index(self, row: int, col: int) -> tuple[np.ndarray, np.ndarray]:
        """``np.ix_`` index of the window of ``(row, col)`` into the padded input."""
        rows, cols = self.window(row, col)
        return np.ix_(rows + self.padding, cols + self.padding)

    def sum_text(self, row: int, col: int) -> str:
        """The multiply-and-sum written out: ``(-1×0) + (0×1) + … = 3`` (weight × input)."""
        inputs = self._padded_labels[self._window_index(row, col)].ravel()
        terms = [f"({w}×{x})" for w, x in zip(self._weight_labels, inputs, strict=True)]
        return " + ".join(terms) + f" = {format_number(self.output[row, col])}"

    @cached_property
    def _weight_labels(self) -> list[str]:
        """``format_number`` of every weight, row by row (formatted once, not per step)."""
        return [format_number(w) for w in self.weight.ravel()]

    @cached_property
    def _padded_labels(self) -> np.ndarray:
        """``format_number`` of every padded-input value, as an array of strings."""
        labels = np.array([format_number(x) for x in self.padded.ravel()], dtype=object)
        return labels.reshape(self.padded.shape)

    def position_text(self, row: int, col: int) -> str:
        """E.g. ``output (0, 1) ← window at rows 0–2, cols 2–4``."""
        rows, cols = self.window(row, col)
        height, width = self.image.shape
        text = (
            f"output ({row}, {col}) ← window at rows "
            f"{_span_text(rows[0], rows[-1], self.dilation)}, "
            f"cols {_span_text(cols[0], cols[-1], self.dilation)}"
        )
        if rows[0] < 0 or cols[0] < 0 or rows[-1] >= height or cols[-1] >= width:
            text += f" (partly in the {self.padding_mode} padding)"
        return text

    def torch_call(self) -> tuple[str, bool]:
        """The equivalent PyTorch call, run on the same arrays, and whether it agrees.

        Returns the copyable code of :func:`torch_equivalent` and ``True`` when torch's
        result has the widget's shape and values within 1e-6.
        """
        code, result = torch_equivalent(self.image, self.kernel, self.stride, self.padding,
                                        self.dilation, self.padding_mode, self.mode)
        agrees = (
            not isinstance(result, str)
            and result.shape == self.output.shape
            and bool(np.allclose(result, self.output, rtol=0, atol=1e-6))
        )
        return code, agrees

    def mode_difference(self) -> str:
        """One line saying whether flipping the kernel (convolution) changes the output."""
        flipped = conv2d(self.padded[None, None], self.weight[::-1, ::-1][None, None],
                         stride=self.stride, dilation=self.dilation)[0, 0]
        largest = float(np.abs(flipped - self.output).max())
        if largest < 1e-12:
            return ("Convolution and cross-correlation give the same output here: the kernel "
                    "is unchanged by a 180° rotation.")
        return (f"Convolution and cross-correlation differ here: the kernel changes under a "
                f"180° rotation, and the outputs differ by up to {format_number(largest)}.")


def torch_equivalent(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    padding_mode: str = "zeros",
    mode: str = "cross-correlation",
) -> tuple[str, np.ndarray | str]:
    """The PyTorch call for these settings, ready to copy, and what torch returns for it.

    ``F.conv2d(x, w, stride=s, padding=p, dilation=d)`` for zero padding,
    ``F.conv2d(F.pad(x, (p, p, p, p), mode=...), w, stride=s, dilation=d)`` for the other
    modes, with ``w.flip(-1, -2)`` for true convolution. The call runs on the actual
    arrays (float64); the code ends with the shape torch returned.

    Returns
    -------
    tuple
        The code, and torch's ``(H_out, W_out)`` result, or torch's error message when
        torch refuses the settings.
    """
    image = as_array(image, "image", ndim=2, layout="(H, W)")
    kernel = as_array(kernel, "kernel", ndim=2, layout="(kH, kW)")
    padding_mode = as_choice(padding_mode, "padding_mode", tuple(_TORCH_PAD))
    mode = as_choice(mode, "mode", MODES)
    weight = "w.flip(-1, -2)" if mode == "convolution" else "w"
    x = torch.tensor(image, dtype=torch.float64)[None, None]
    w = torch.tensor(kernel, dtype=torch.float64)[None, None]
    if mode == "convolution":
        w = w.flip(-1, -2)
    code = (
        f"x = torch.tensor(image, dtype=torch.float64)[None, None]  # {tuple(x.shape)}\n"
        f"w = torch.tensor(kernel, dtype=torch.float64)[None, None]  # {tuple(w.shape)}\n"
    )
    zero_padding = padding_mode == "zeros" or padding == 0
    pads, torch_mode = (padding,) * 4, _TORCH_PAD[padding_mode]
    if zero_padding:
        code += f"F.conv2d(x, {weight}, stride={stride}, padding={padding}, dilation={dilation})"
    else:
        code += (f"F.conv2d(F.pad(x, {pads}, mode={torch_mode!r}), {weight}, stride={stride}, "
                 f"dilation={dilation})")
    try:
        if zero_padding:
            result = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
        else:
            result = F.conv2d(F.pad(x, pads, mode=torch_mode), w, stride=stride,
                              dilation=dilation)
    except RuntimeError as err:
        return code + "  # → RuntimeError", str(err).splitlines()[0]
    return f"{code}  # → {result.shape}", result[0, 0].numpy()


def explore(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    padding_mode: str = "zeros",
    mode: str = "cross-correlation",
) -> Exploration:
    """Pad ``image``, slide ``kernel`` over it and keep everything needed to explain it.

    The padding is done by :func:`pad_image`, the sliding by
    :func:`convlessons.reference.conv2d` with no further padding (formula in the module
    docstring; ``mode='convolution'`` flips the kernel first).

    Raises
    ------
    ValueError
        If an argument is out of range, the padding is too large for ``padding_mode``,
        or the dilated kernel is larger than the padded input (the message states
        d(k − 1) + 1 against n + 2p with the numbers).
    """
    image = as_array(image, "image", ndim=2, layout="(H, W)")
    kernel = as_array(kernel, "kernel", ndim=2, layout="(kH, kW)")
    padded = pad_image(image, padding, padding_mode)  # checks padding
    dilation = as_int(dilation, "dilation", minimum=1)
    _check_fit(image.shape, kernel.shape, (padded.shape[0] - image.shape[0]) // 2, dilation)
    weight = slid_kernel(kernel, mode)
    output = conv2d(padded[None, None], weight[None, None], stride=stride, dilation=dilation)
    return Exploration(image, kernel, weight, padded, stride, padding, dilation, padding_mode,
                       mode, output[0, 0])


def size_formulas(
    image_shape: tuple[int, int],
    kernel_shape: tuple[int, int],
    stride: int,
    padding: int,
    dilation: int,
) -> str:
    """HTML with the size formulas of the current setting, numbers substituted.

    - output size ``⌊(n + 2p − d(k−1) − 1)/s⌋ + 1`` (``arithmetic.conv_output_size``);
    - receptive field of one output unit, ``d(k−1) + 1`` (``arithmetic.receptive_field``);
    - input span of a whole output row, ``d(k−1) + 1 + (n_out − 1)s``
      (``arithmetic.input_span``), which a formula you will often find calls the receptive
      field (it is not one).

    Height and width get separate lines when their numbers differ.

    Raises
    ------
    ValueError, TypeError
        If ``stride``, ``padding`` or ``dilation`` is out of range (named in the message).
    """
    s = as_int(stride, "stride", minimum=1)
    p = as_int(padding, "padding", minimum=0)
    d = as_int(dilation, "dilation", minimum=1)
    axes = list(zip(("height", "width"), image_shape, kernel_shape, strict=True))
    if image_shape[0] == image_shape[1] and kernel_shape[0] == kernel_shape[1]:
        axes = [("height = width", image_shape[0], kernel_shape[0])]
    lines = []
    for name, n, k in axes:
        try:
            size = conv_output_size(n, k, s, p, d)
        except ValueError:
            size = None
        field = receptive_field([{"kernel_size": k, "stride": s, "padding": p, "dilation": d}])
        result = str(size) if size is not None else "less than 1: no output"
        lines.append(
            f"<b>{name}</b>: output size ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1 = "
            f"⌊({n} + 2·{p} − {d}·({k}−1) − 1)/{s}⌋ + 1 = <b>{result}</b>"
        )
        lines.append(
            f"&nbsp;&nbsp;receptive field of one output unit: d(k−1) + 1 = "
            f"{d}·({k}−1) + 1 = <b>{field.size}</b> input pixels"
        )
        if size is not None:
            lines.append(
                f"&nbsp;&nbsp;input span of a whole output row: d(k−1) + 1 + (n<sub>out</sub> − 1)s"
                f" = {d}·({k}−1) + 1 + ({size} − 1)·{s} = <b>{input_span(size, k, s, d)}</b> "
                "padded pixels (not a receptive field: it is the union of all the windows)"
            )
    return "<br>".join(lines)
