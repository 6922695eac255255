"""ConvExplorer: slide a kernel over a small image, one output value at a time.

Model first (:func:`pad_image`, :func:`explore` → :class:`Exploration`, :func:`size_formulas`;
pure numpy and text, no display), then the view (:class:`ConvExplorer`).

What is computed, for input ``x`` padded by ``p`` (zeros, or torch's ``reflect`` /
``replicate`` / ``circular``) and kernel ``w`` (``kH × kW``), stride ``s``, dilation ``d``:

.. math:: y[r, c] = \\sum_{i,j} w[i, j]\\; x_{pad}[r s + i d,\\; c s + j d]

(cross-correlation, what ``torch.nn.functional.conv2d`` computes), or the same with
``w[kH-1-i, kW-1-j]`` (true convolution). ``tests/test_widget_explorer.py`` checks it
against ``F.conv2d`` (after ``F.pad`` for the non-zero modes) in float64.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.collections import PolyCollection
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

from convlessons._validation import as_array, as_choice, as_int
from convlessons.arithmetic import conv_output_size, input_span, receptive_field
from convlessons.data import PATTERN_SIZES, PATTERNS, make_pattern
from convlessons.reference import conv2d
from convlessons.reference.padding import PADDING_MODES, pad_image
from convlessons.widgets._base import FigurePanel, LessonWidget
from convlessons.widgets._controls import KernelPicker
from convlessons.widgets._grid import (
    SIGNED_CMAP,
    UNSIGNED_CMAP,
    NumberedGrid,
    format_number,
    highlight,
)

__all__ = [
    "MODES",
    "ConvExplorer",
    "Exploration",
    "explore",
    "size_formulas",
    "slid_kernel",
    "torch_equivalent",
]

MODES = ("cross-correlation", "convolution")
"""What deep-learning libraries compute, and the textbook operation (kernel flipped)."""

_TORCH_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
              "circular": "circular"}
MAX_IMAGE_SIZE = 16
"""Largest side of a custom image (larger grids are unreadable in the explorer)."""


def slid_kernel(kernel: np.ndarray, mode: str) -> np.ndarray:
    """The kernel actually slid over the input: itself for ``'cross-correlation'`` (what
    ``torch.nn.functional.conv2d`` computes), rotated by 180° for ``'convolution'``."""
    mode = as_choice(mode, "mode", MODES)
    return kernel[::-1, ::-1] if mode == "convolution" else kernel


def _span_text(first: int, last: int, step: int) -> str:
    text = f"{first}–{last}" if first >= 0 else f"{first} to {last}"
    return text + (f" (every {step}{'nd' if step == 2 else 'rd'} pixel)" if step > 1 else "")


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
        rows, cols = self.window(row, col)
        return self.padded[np.ix_(rows + self.padding, cols + self.padding)]

    def sum_text(self, row: int, col: int) -> str:
        """The multiply-and-sum written out: ``(-1×0) + (0×1) + … = 3`` (weight × input)."""
        terms = [
            f"({format_number(w)}×{format_number(x)})"
            for w, x in zip(self.weight.ravel(), self.window_values(row, col).ravel(), strict=True)
        ]
        return " + ".join(terms) + f" = {format_number(self.output[row, col])}"

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
        or the dilated kernel is larger than the padded input (``conv2d``'s message).
    """
    image = as_array(image, "image", ndim=2, layout="(H, W)")
    kernel = as_array(kernel, "kernel", ndim=2, layout="(kH, kW)")
    padded = pad_image(image, padding, padding_mode)
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
      (``arithmetic.input_span``), which the seed lesson wrongly called receptive field.

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


class ConvExplorer(LessonWidget):
    """Interactive convolution explorer: input, kernel and output, step by step.

    Controls (public, named after what they set): ``pattern``, ``size`` (input),
    ``kernel`` (:class:`~convlessons.widgets._controls.KernelPicker`), ``stride``,
    ``padding``, ``dilation``, ``padding_mode``, ``mode`` and the step controls
    ``position``, ``previous``, ``next``, ``play``. Text panels: ``position_label``,
    ``sum_html``, ``formula_html``, ``torch_html``, ``mode_html``.

    Parameters
    ----------
    image
        A 2-D array (sides 1–16) to use instead of the patterns (``pattern`` then starts on
        ``"custom"``).
    kernel
        A preset name of :data:`convlessons.kernels.KERNELS` or a 2-D array (sides 1–5).
    stride, padding, dilation, padding_mode, mode
        Initial control values (1–4, 0–3, 1–3, one of :data:`PADDING_MODES`, :data:`MODES`).
    pattern, size
        Initial pattern name (:data:`convlessons.data.PATTERNS`) and side (5–12).

    Attributes
    ----------
    output : numpy.ndarray or None
        The current output, ``None`` when the settings are impossible.
    problem : str
        Why the settings are impossible, ``""`` otherwise.
    exploration : Exploration or None
        The model of the current setting.
    """

    def __init__(
        self,
        image: np.ndarray | None = None,
        kernel: str | np.ndarray = "edge",
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        padding_mode: str = "zeros",
        mode: str = "cross-correlation",
        pattern: str = "vertical_edge",
        size: int = 7,
    ) -> None:
        stride = as_int(stride, "stride", minimum=1, maximum=4)
        padding = as_int(padding, "padding", minimum=0, maximum=3)
        dilation = as_int(dilation, "dilation", minimum=1, maximum=3)
        size = as_int(size, "size", minimum=PATTERN_SIZES[0], maximum=PATTERN_SIZES[1])
        as_choice(padding_mode, "padding_mode", PADDING_MODES)
        as_choice(mode, "mode", MODES)
        as_choice(pattern, "pattern", PATTERNS)
        super().__init__()
        self.add_class("convlessons-explorer")
        self.output: np.ndarray | None = None
        self.problem = ""
        self.exploration: Exploration | None = None
        self._custom_image = None if image is None else self._check_image(image)
        self._build_controls(kernel, stride, padding, dilation, padding_mode, mode, pattern, size)
        self._build_figure()
        self.children = [
            widgets.HBox([widgets.VBox([self.pattern, self.size]), self.kernel]),
            widgets.HBox([widgets.VBox([self.stride, self.padding, self.dilation]),
                          widgets.VBox([self.padding_mode, self.mode])]),
            self.figure_panel.widget,
            widgets.HBox([self.previous, self.play, self.next, self.position]),
            self.position_label,
            self.sum_html,
            self.mode_html,
            self.formula_html,
            self.torch_html,
        ]
        self._watch(self.pattern, self.size, self.kernel, self.stride, self.padding,
                    self.dilation, self.padding_mode, self.mode)
        self.position.observe(self._on_position, names="value")
        self.refresh()
        self.figure_panel.store_static_image()

    @staticmethod
    def _check_image(image: np.ndarray) -> np.ndarray:
        image = as_array(image, "image", ndim=2, layout="(H, W)")
        if max(image.shape) > MAX_IMAGE_SIZE or min(image.shape) < 1:
            raise ValueError(
                f"image must be 1–{MAX_IMAGE_SIZE} × 1–{MAX_IMAGE_SIZE} pixels, "
                f"got {image.shape[0]} × {image.shape[1]}"
            )
        return image

    # -- construction -------------------------------------------------------------------

    def _build_controls(self, kernel, stride, padding, dilation, padding_mode, mode, pattern,
                        size) -> None:
        options = [(name.replace("_", " "), name) for name in PATTERNS]
        if self._custom_image is not None:
            options.insert(0, ("custom", "custom"))
            pattern = "custom"
        self.pattern = widgets.Dropdown(options=options, value=pattern, description="pattern")
        low, high = PATTERN_SIZES
        self.size = widgets.IntSlider(value=size, min=low, max=high, description="size",
                                      disabled=self._custom_image is not None)
        self.kernel = KernelPicker(kernel, max_size=5)
        self.stride = widgets.IntSlider(value=stride, min=1, max=4, description="stride")
        self.padding = widgets.IntSlider(value=padding, min=0, max=3, description="padding")
        self.dilation = widgets.IntSlider(value=dilation, min=1, max=3, description="dilation")
        self.padding_mode = widgets.Dropdown(options=PADDING_MODES, value=padding_mode,
                                             description="padding_mode",
                                             style={"description_width": "initial"})
        self.mode = widgets.ToggleButtons(options=MODES, value=mode, description="mode")
        self.position = widgets.BoundedIntText(value=0, min=0, max=0, description="position",
                                               layout=widgets.Layout(width="11em"))
        self.play = widgets.Play(value=0, min=0, max=0, interval=800, description="play")
        widgets.link((self.play, "value"), (self.position, "value"))
        widgets.link((self.play, "max"), (self.position, "max"))
        self.previous = widgets.Button(description="◀ previous", layout={"width": "8em"})
        self.next = widgets.Button(description="next ▶", layout={"width": "8em"})
        self.previous.on_click(lambda _button: self._step(-1))
        self.next.on_click(lambda _button: self._step(+1))
        self.position_label = widgets.HTML().add_class("convlessons-position")
        self.sum_html = widgets.HTML()
        self.formula_html = widgets.HTML().add_class("convlessons-formula")
        self.torch_html = widgets.HTML()
        self.mode_html = widgets.HTML()

    def _build_figure(self) -> None:
        self.figure_panel = FigurePanel((8.8, 3.4), dpi=80, css_class="convlessons-figure")
        figure = self.figure_panel.figure
        grid = figure.add_gridspec(1, 3, width_ratios=[1, 0.45, 1], left=0.02, right=0.98,
                                   top=0.9, bottom=0.03, wspace=0.12)
        self.input_axes, self.kernel_axes, self.output_axes = (
            figure.add_subplot(grid[0, i]) for i in range(3)
        )
        self.input_grid = NumberedGrid(self.input_axes, UNSIGNED_CMAP, max_numbered=18)
        self._input_origin: tuple[int, int] | None = None
        self.padding_ring = PathPatch(Path(np.zeros((1, 2))), facecolor=(0.55, 0.55, 0.55, 0.35),
                                      edgecolor="none", hatch="//", zorder=3)
        self.input_axes.add_patch(self.padding_ring)
        self.image_border = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="#1b7837",
                                      linewidth=2, linestyle="--", zorder=4)
        self.input_axes.add_patch(self.image_border)
        self.window_box = highlight(self.input_axes)
        self.taps = PolyCollection([], facecolors="none", edgecolors="#e69f00", linewidths=1.5,
                                   zorder=5)
        self.input_axes.add_collection(self.taps)
        self.kernel_grid = NumberedGrid(self.kernel_axes, SIGNED_CMAP, max_numbered=5)
        self.output_grid = NumberedGrid(self.output_axes, SIGNED_CMAP, max_numbered=18)
        self.output_box = highlight(self.output_axes)
        self.problem_text = self.output_axes.text(
            0.5, 0.5, "", transform=self.output_axes.transAxes, ha="center", va="center",
            fontsize=10, color="#b2182b", visible=False, zorder=6,
        )
        self.figure_panel.on_click(self._on_click)

    # -- updates ------------------------------------------------------------------------

    def _image(self) -> np.ndarray:
        if self.pattern.value == "custom":
            return self._custom_image
        return make_pattern(self.pattern.value, self.size.value)

    def _update(self) -> None:
        self.size.disabled = self.pattern.value == "custom"
        image, kernel = self._image(), self.kernel.value
        self.formula_html.value = size_formulas(image.shape, kernel.shape, self.stride.value,
                                                self.padding.value, self.dilation.value)
        result = explore(image, kernel, self.stride.value, self.padding.value,
                         self.dilation.value, self.padding_mode.value, self.mode.value)
        self.exploration, self.output, self.problem = result, result.output, ""
        self._draw_input(result.padded, result.padding)
        self._draw_kernel(result.weight)
        rows, cols = result.output.shape
        self.output_grid.set_values(result.output)
        self.output_axes.title.set_text(f"output {rows}×{cols}")
        for artist in (self.output_grid.image, self.output_grid.numbers, self.window_box,
                       self.taps, self.output_box):
            artist.set_visible(True)
        self.problem_text.set_visible(False)
        code, agrees = result.torch_call()
        verdict = ("✓ torch gives the same output" if agrees
                   else "✗ torch's output differs from the widget's")
        self.torch_html.value = f"<pre>{code}</pre>{verdict}"
        self.mode_html.value = result.mode_difference()
        self.position.max = rows * cols - 1  # may clamp the position (→ _on_position)
        self._show_step()

    def _show_problem(self, message: str) -> None:
        self.exploration, self.output, self.problem = None, None, message
        image = self._image()
        self._draw_input(image, 0)
        self._draw_kernel(slid_kernel(self.kernel.value, self.mode.value))
        for artist in (self.output_grid.image, self.output_grid.numbers, self.window_box,
                       self.taps, self.output_box):
            artist.set_visible(False)
        self.output_axes.title.set_text("no output")
        self.problem_text.set_text(textwrap.fill(message, 34))
        self.problem_text.set_visible(True)
        self.position_label.value = "no output for these settings"
        self.sum_html.value = f"<span style='color:#b2182b'>⚠ {message}</span>"
        code, result = torch_equivalent(image, self.kernel.value, self.stride.value,
                                        self.padding.value, self.dilation.value,
                                        self.padding_mode.value, self.mode.value)
        verdict = (f"✓ torch refuses too: {html.escape(result)}" if isinstance(result, str)
                   else f"✗ torch computes a {result.shape[0]}×{result.shape[1]} output")
        self.torch_html.value = f"<pre>{code}</pre>{verdict}"
        self.mode_html.value = ""
        self.figure_panel.redraw()

    def _draw_input(self, padded: np.ndarray, padding: int) -> None:
        """Padded input, ring and border; the cells are left alone when nothing changed."""
        height, width = padded.shape[0] - 2 * padding, padded.shape[1] - 2 * padding
        origin = (-padding, -padding)
        if origin != self._input_origin or not np.array_equal(padded, self.input_grid.values):
            low, high = min(0.0, float(padded.min())), max(1.0, float(padded.max()))
            self.input_grid.set_values(padded, limits=(low, high), origin=origin)
            self._input_origin = origin
            self.image_border.set_bounds(-0.5, -0.5, width, height)
            outer = _box(-padding, -padding, height + 2 * padding, width + 2 * padding)
            inner = _box(0, 0, height, width)
            vertices = np.concatenate([outer.transform(_SQUARE), inner.transform(_SQUARE[::-1])])
            self.padding_ring.set_path(Path(vertices, _RING_CODES))
            self.padding_ring.set_visible(padding > 0)
        mode = f" ({self.padding_mode.value})" if padding else ""
        self.input_axes.title.set_text(f"input {height}×{width} + padding {padding}{mode}")

    def _draw_kernel(self, weight: np.ndarray) -> None:
        if not np.array_equal(weight, self.kernel_grid.values):
            self.kernel_grid.set_values(weight)
        flipped = " flipped 180°" if self.mode.value == "convolution" else ""
        self.kernel_axes.title.set_text(f"kernel {weight.shape[0]}×{weight.shape[1]}{flipped}")

    def _show_step(self) -> None:
        """Highlight the window and output cell of ``position``; write the sum out."""
        result = self.exploration
        if result is None:
            return
        row, col = result.cell(self.position.value)
        rows, cols = result.window(row, col)
        taps = [_box(r, c, 1, 1, shrink=0.18).transform(_SQUARE) for r in rows for c in cols]
        self.taps.set_verts(taps)
        self.window_box.set_bounds(cols[0] - 0.5, rows[0] - 0.5, cols[-1] - cols[0] + 1,
                                   rows[-1] - rows[0] + 1)
        self.output_box.set_bounds(col - 0.5, row - 0.5, 1, 1)
        self.position_label.value = result.position_text(row, col)
        self.sum_html.value = f"<code>{result.sum_text(row, col)}</code>"
        self.figure_panel.redraw()

    def _on_position(self, _change: dict) -> None:
        self._show_step()

    def _step(self, delta: int) -> None:
        self.position.value = min(max(self.position.value + delta, 0), self.position.max)

    def select_output_cell(self, row: int, col: int) -> None:
        """Move the step to output cell ``(row, col)`` (what a click on the output does)."""
        if self.exploration is None:
            return
        rows, cols = self.exploration.output.shape
        if 0 <= row < rows and 0 <= col < cols:
            self.position.value = row * cols + col

    def _on_click(self, axes, x: float, y: float) -> None:
        if axes is self.output_axes:
            self.select_output_cell(int(round(y)), int(round(x)))


_SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
_RING_CODES = np.array([Path.MOVETO, *[Path.LINETO] * 3] * 2, dtype=Path.code_type)


def _box(row: float, col: float, height: float, width: float, shrink: float = 0.0) -> Affine2D:
    """Affine map of the unit square onto cells ``row..row+height-1, col..col+width-1``."""
    return Affine2D().scale(width - 2 * shrink, height - 2 * shrink).translate(
        col - 0.5 + shrink, row - 0.5 + shrink
    )
