"""What every widget shares: a figure redrawn in place, and a safe refresh.

Every widget of the course is two layers (see ``STYLE.md``): a *model* — plain
functions or classes, no display — and a *view* that builds its controls and its
figure once and, on every control change, asks the model and updates the existing
artists. This module holds the two pieces of the view that all widgets need.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import ipywidgets as widgets
from matplotlib.figure import Figure

from convlessons.widgets._ipympl import Canvas, FigureManager

__all__ = ["FigurePanel", "LessonWidget"]


class FigurePanel:
    """A matplotlib figure shown as an interactive ipympl canvas widget.

    The figure is a plain :class:`matplotlib.figure.Figure` with its own ipympl
    canvas, so it works whatever backend the notebook selected (no pyplot state, no
    figure leaks) and the learner can zoom, pan and click in JupyterLab.

    Parameters
    ----------
    figsize
        Width and height in inches.
    dpi
        Resolution; 80 keeps a redraw cheap on a 2-core machine.
    css_class
        Extra CSS class on the canvas widget (the browser tests find figures by it).
    """

    def __init__(self, figsize: tuple[float, float], dpi: int = 80, css_class: str = "") -> None:
        self.figure = Figure(figsize=figsize, dpi=dpi, layout=None)
        self.canvas = Canvas(self.figure)
        self._manager = FigureManager(self.canvas, num=id(self.figure))
        self.canvas.header_visible = False
        self.canvas.resizable = False
        self.canvas.toolbar_position = "right"
        if css_class:
            self.canvas.add_class(css_class)

    @property
    def widget(self) -> widgets.DOMWidget:
        """The ipywidgets view of the figure."""
        return self.canvas

    def redraw(self) -> None:
        """Ask the front end to fetch a fresh rendering (artists were changed in place)."""
        self.canvas.draw_idle()

    def render(self) -> None:
        """Render the figure now (what the front end triggers; used by benchmarks and tests)."""
        self.canvas.draw()

    def store_static_image(self) -> None:
        """Keep a PNG of the current figure in the widget state.

        A notebook saved with its widget state then shows this picture when it is
        opened or rendered without a kernel.
        """
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.figure.dpi)
        encoded = base64.b64encode(buffer.getvalue()).decode()
        self.canvas._data_url = "data:image/png;base64," + encoded

    def on_click(self, callback: Callable[[object, float, float], None]) -> None:
        """Call ``callback(axes, x, y)`` (data coordinates) when the learner clicks an axes."""

        def handle(event) -> None:  # a matplotlib MouseEvent
            if event.inaxes is not None and event.xdata is not None:
                callback(event.inaxes, event.xdata, event.ydata)

        self.canvas.mpl_connect("button_press_event", handle)


class LessonWidget(widgets.VBox):
    """Base of the course's widgets: an ipywidgets container with a guarded refresh.

    Subclasses build their controls and figure, then call :meth:`_watch` with the
    controls that should trigger an update, and implement:

    ``_update()``
        ask the model and change the artists in place (may raise ``ValueError`` or
        ``TypeError`` for an impossible combination of settings);
    ``_show_problem(message)``
        show that short explanation in place of the result.

    A widget never raises from a control change: the message is shown instead.
    """

    def _watch(self, *controls: widgets.Widget) -> None:
        for control in controls:
            control.observe(self._on_change, names="value")

    def _on_change(self, _change: dict | None = None) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute and redraw; an impossible setting shows its explanation instead."""
        try:
            self._update()
        except (ValueError, TypeError) as err:
            self._show_problem(str(err))

    def _update(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _show_problem(self, message: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
