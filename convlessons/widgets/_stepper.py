"""Step through precomputed positions in the page: a highlight over a figure, and its texts.

A widget that walks through positions (the explorer's output cells) usually changes only
*where a highlight is* and *which text is shown*; everything else stays. Done in Python,
each step is a kernel round trip plus a new rendering of the figure (~50–150 ms, more on a
slow network). Here Python computes every position once per settings change and sends
it; the page then steps, plays and answers clicks by itself, with no round trip:

- :class:`HighlightStepper` -- previous / play / next buttons, a play speed and the
  position counter; it draws the highlight of the current position as an overlay (an
  absolutely positioned ``<canvas>``) over the ipympl figure it is given, and a click on a
  position's *target* rectangle (the explorer's output cell) selects that position;
- :class:`StepText` -- one text of the current position (the explorer's "position" and
  "sum" readouts), drawn in the page from the stepper's state.

Python stays the single source of truth: ``stepper.value`` is a synced trait (the page
sets it on every step; code that sets it moves the page's highlight) and
``StepText.value`` is derived from it. The view code is in ``_stepper.js``,
``_step_text.js`` and ``_stepper.css`` beside this module (package data), loaded by
anywidget, which needs no JupyterLab extension of the course's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anywidget
import numpy as np
import traitlets
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from convlessons._validation import as_choice

__all__ = ["PLAY_SPEEDS", "HighlightStepper", "StepText", "Style", "pixel_boxes"]

_HERE = Path(__file__).parent

Style = dict[str, object]
"""How the page strokes one kind of rectangle: ``{"color": "#e69f00", "width": 2.5}``
(width in points, as matplotlib's ``linewidth``: it scales with the figure)."""

PLAY_SPEEDS = (1, 2, 5, 10, 25)
"""Steps per second the page offers for play; the fastest is the benchmark's."""


def pixel_boxes(axes: Axes, boxes: np.ndarray) -> np.ndarray:
    """Figure-pixel rectangles ``[x, y, w, h]`` (y down from the top) of data-space boxes.

    ``boxes`` holds rows ``[x0, y0, x1, y1]`` in ``axes``' data coordinates. They are
    mapped by ``axes.transData`` after ``axes.apply_aspect()`` (the box of an ``imshow``
    axes is fixed only at draw time), and ``y`` is flipped with the figure's height, so
    the result is where the figure's pixels show those boxes at the figure's dpi --
    what the overlay strokes after scaling by the canvas's displayed width.
    """
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    axes.apply_aspect()
    corners = axes.transData.transform(boxes.reshape(-1, 2)).reshape(-1, 4)
    x0, x1 = np.minimum(corners[:, 0], corners[:, 2]), np.maximum(corners[:, 0], corners[:, 2])
    y0, y1 = np.minimum(corners[:, 1], corners[:, 3]), np.maximum(corners[:, 1], corners[:, 3])
    height = axes.figure.bbox.height
    return np.column_stack([x0, height - y1, x1 - x0, y1 - y0])


class HighlightStepper(anywidget.AnyWidget):
    """Previous / play / next over precomputed positions, with a highlight drawn in the page.

    What Python sends, once per settings change (:meth:`set_steps`), and why: for every
    position, the rectangles to outline (figure pixels, :func:`pixel_boxes`), the
    rectangle a click selects it by, and its texts -- everything a step needs, so a step,
    a play tick or a click moves the highlight and the texts in the page at once. The
    page writes the new position back to :attr:`value`; Python needs to do nothing then
    (the figure is not rendered again: the highlight is not part of it).

    Parameters
    ----------
    figure
        The ipympl canvas widget (:attr:`FigurePanel.widget`) to draw over. The page finds
        its view as the nearest one around the stepper's view carrying a CSS class made
        for it.
    styles
        Stroke of each kind of rectangle, by index (see :data:`Style`).
    speed
        Steps per second when playing, one of :data:`PLAY_SPEEDS` (the page offers them
        all).

    Attributes
    ----------
    value : int
        The current position, ``0 … max`` (synced both ways).
    max : int
        The last position; ``0`` with no positions.
    steps : list of dict
        Per position: ``outlines`` (rows ``[style, x, y, w, h]``), ``target``
        (``[x, y, w, h]``: a click there selects the position) and ``texts`` (HTML by
        field name, for :class:`StepText`).
    idle_texts : dict
        The texts shown while there are no positions (e.g. why there is no output).
    interval_ms : int
        Milliseconds per step when playing (the page sets it from its speed menu).
    """

    _esm = _HERE / "_stepper.js"
    _css = _HERE / "_stepper.css"

    value = traitlets.Int(0).tag(sync=True)
    max = traitlets.Int(0).tag(sync=True)
    steps = traitlets.List().tag(sync=True)
    idle_texts = traitlets.Dict().tag(sync=True)
    styles = traitlets.List().tag(sync=True)
    figure_size = traitlets.List([1.0, 1.0]).tag(sync=True)
    pixels_per_point = traitlets.Float(1.0).tag(sync=True)
    figure_class = traitlets.Unicode("").tag(sync=True)
    interval_ms = traitlets.Int(1000).tag(sync=True)
    speeds = traitlets.List(list(PLAY_SPEEDS)).tag(sync=True)

    def __init__(self, figure, styles: Sequence[Style], speed: int = 1) -> None:
        interval_ms = round(1000 / as_choice(speed, "speed", PLAY_SPEEDS))
        figure_class = f"convlessons-stepper-figure-{figure.model_id}"
        figure.add_class(figure_class)
        super().__init__(styles=list(styles), figure_class=figure_class,
                         interval_ms=interval_ms)
        self.add_class("convlessons-stepper")

    @traitlets.validate("value")
    def _clamp(self, proposal: dict) -> int:
        return min(max(int(proposal["value"]), 0), self.max)

    @traitlets.observe("max")
    def _clamp_value(self, _change: dict) -> None:
        self.value = self.value  # re-validated against the new max

    def set_steps(self, steps: list[dict], figure: Figure) -> None:
        """Send every position's outlines, target and texts (see :attr:`steps`).

        The rectangles are in ``figure``'s pixels at its current dpi; its size in those
        pixels and its dpi go along, for the page to scale them and the line widths. The
        position is clamped to the new last one. One message reaches the page, with the
        steps, the size and the clamped position together.
        """
        with self.hold_sync():
            self.steps = steps
            self.figure_size = [float(size) for size in figure.bbox.size]
            self.pixels_per_point = figure.dpi / 72
            self.max = max(len(steps) - 1, 0)
            self.idle_texts = {}

    def clear(self, idle_texts: dict[str, str]) -> None:
        """No positions: the page hides the highlight and shows ``idle_texts`` instead."""
        with self.hold_sync():
            self.steps = []
            self.max = 0
            self.idle_texts = dict(idle_texts)

    def text(self, field: str) -> str:
        """The HTML text ``field`` shows now (the current position's, or the idle one)."""
        if self.steps:
            return self.steps[self.value]["texts"].get(field, "")
        return self.idle_texts.get(field, "")


class StepText(anywidget.AnyWidget):
    """One text of a :class:`HighlightStepper`'s current position, drawn by the page.

    The page re-draws it from the stepper's state on every step (no round trip);
    :attr:`value` gives the same HTML to code that reads it.

    Parameters
    ----------
    stepper
        Whose position this text follows.
    field
        Which of each position's ``texts`` it shows.
    """

    _esm = _HERE / "_step_text.js"

    stepper = anywidget.WidgetTrait().tag(sync=True)  # "anywidget:<model id>" in the page
    field = traitlets.Unicode().tag(sync=True)

    def __init__(self, stepper: HighlightStepper, field: str) -> None:
        super().__init__(stepper=stepper, field=field)

    @property
    def value(self) -> str:
        """The HTML shown now."""
        return self.stepper.text(self.field)
