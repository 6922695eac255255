"""The widget contract: what every lesson widget shares, and what a new one implements.

Every widget of the course is two layers (see ``CONTRIBUTING.md``): a *model* -- plain
functions or classes beside the maths, no display -- and a *view* in ``widgets/`` that
builds its controls and its figure once and, on every control change, asks the model once
and updates the existing artists. :class:`LessonWidget` runs that loop for every view;
:class:`FigurePanel` is the figure.

Writing a widget
----------------
Subclass :class:`LessonWidget` and:

1. in ``__init__``: call ``super().__init__()``, build the controls (a range or a list of
   choices is declared once: :func:`~convlessons.widgets._controls.int_slider` and
   :func:`~convlessons.widgets._controls.choice` check the argument and build the control
   from the same declaration), build ``self.figure_panel = FigurePanel(...)``, set
   ``self.children``, register the controls with :meth:`LessonWidget._watch`, and end with
   :meth:`LessonWidget._start` (which controls and readouts to show, first refresh,
   picture for kernel-less copies);
2. implement ``_update()``: ask the model **once**, change the artists in place, return the
   result (it becomes ``output``); raise ``ValueError`` (or anything) for an impossible
   setting;
3. implement ``_show_problem(message)``: hide the result artists and show the message.

Progressive disclosure: declare :attr:`LessonWidget.CONTROLS` and
:attr:`LessonWidget.READOUTS` (public name -> attributes that make it up), take
``controls=None, readouts=None`` in ``__init__`` and pass them to ``_start``. A notebook
then shows only what the learner has met, e.g. ``ConvExplorer(controls=("kernel",
"pattern"), readouts=("sum",))`` or ``ConvExplorer(**ConvExplorer.LEVELS["window"])``;
hidden controls keep their values and code can still set them (the objects exist, they
are only not displayed).

Do not call ``redraw`` (the base redraws every panel once per control change) and do not
set ``output``/``problem`` (the base does). A control changed by the code while the widget
updates (a slider whose ``max`` shrinks clamps its value) does not trigger a second
update; wrap other code-driven changes in ``with self._quietly():``. A widget with several
figures overrides :attr:`LessonWidget.figure_panels`.

What the base guarantees: a control change never raises (any ``Exception`` from the model
or the view becomes ``problem``, shown by ``_show_problem``; the next valid setting
recovers), runs the model once and redraws once; and displaying a widget emits, besides
the live view, a PNG of its figures (:meth:`LessonWidget._repr_mimebundle_`), so exported
notebooks, nbviewer and static sites show the picture.
"""

from __future__ import annotations

import base64
import contextlib
import io
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import ClassVar

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import imread, imsave

from convlessons.widgets._ipympl import PNG_COMPRESS_LEVEL, Canvas, FigureManager

__all__ = ["FigurePanel", "LessonWidget"]


class FigurePanel:
    """A matplotlib figure shown as an interactive ipympl canvas widget.

    The figure is a plain :class:`matplotlib.figure.Figure` with its own ipympl
    canvas, so it works whatever backend the notebook selected (no pyplot state, no
    figure leaks) and the learner can zoom, pan and click in JupyterLab. The canvas
    (:class:`convlessons.widgets._ipympl.Canvas`) sends a new frame to the page as soon as
    the figure changes, one frame at a time.

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
        """Show the changed artists: render and send a frame to the page if one is attached.

        While the page has not acknowledged the previous frame, only the latest state is
        sent, when it does; without a page nothing is rendered.
        """
        self.canvas.draw_idle()

    def render(self) -> None:
        """Render the figure now, and send the frame if a page is attached (tests, benchmarks)."""
        self.canvas.draw()

    def png(self) -> bytes:
        """The current figure as PNG bytes, at the figure's resolution.

        zlib level :data:`~convlessons.widgets._ipympl.PNG_COMPRESS_LEVEL`, like the live
        frames.
        """
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.figure.dpi,
                            pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
        return buffer.getvalue()

    def store_static_image(self, png: bytes | None = None) -> None:
        """Keep a PNG of the current figure (or ``png``) in the canvas's widget state.

        A notebook saved with its widget state then shows this picture where no kernel
        runs. This is the one place that touches ipympl's private ``_data_url`` trait (the
        image its front end shows before the first live rendering; ipympl 0.9-0.10).
        """
        encoded = base64.b64encode(self.png() if png is None else png).decode("ascii")
        self.canvas._data_url = "data:image/png;base64," + encoded

    def close(self) -> None:
        """Release the figure (its artists and arrays) and close the canvas widget."""
        self.canvas.callbacks.callbacks.clear()  # click handlers hold their widget
        toolbar = self.canvas.toolbar
        for widget in (toolbar, toolbar.layout, self.canvas.layout, self.canvas):
            widget.close()
        self.figure.clear()

    def on_click(self, callback: Callable[[object, float, float], None]) -> None:
        """Call ``callback(axes, x, y)`` (data coordinates) when the learner clicks an axes."""

        def handle(event) -> None:  # a matplotlib MouseEvent
            if event.inaxes is not None and event.xdata is not None:
                callback(event.inaxes, event.xdata, event.ydata)

        self.canvas.mpl_connect("button_press_event", handle)


class LessonWidget(widgets.VBox):
    """Base of the course's widgets: guarded refresh, one model call per change, picture.

    See the module docstring for what a subclass implements (``_update``,
    ``_show_problem``) and calls (``_watch``, ``_start``).

    Attributes
    ----------
    output : object or None
        What the last successful ``_update`` returned (the widget's result, e.g. the output
        array), ``None`` while the settings are impossible.
    problem : str
        Why the settings are impossible (the message shown), ``""`` otherwise.
    """

    CONTROLS: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """Name of each control a notebook may show -> the attributes that make it up."""

    READOUTS: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """Name of each text readout a notebook may show -> the attributes that make it up."""

    LEVELS: ClassVar[Mapping[str, Mapping[str, tuple[str, ...]]]] = {}
    """Named sets of ``controls`` and ``readouts`` for the course's stages:
    ``Widget(**Widget.LEVELS[name])``."""

    output: object | None = None
    problem: str = ""
    shown_controls: tuple[str, ...] = ()
    shown_readouts: tuple[str, ...] = ()
    _silenced: bool = False

    @property
    def figure_panels(self) -> Sequence[FigurePanel]:
        """The widget's figures: ``(self.figure_panel,)``; override for several."""
        panel = getattr(self, "figure_panel", None)
        return () if panel is None else (panel,)

    # -- what subclasses call ---------------------------------------------------------------

    def _watch(self, *controls: widgets.Widget, then: Callable[[], None] | None = None,
               refresh: bool = True) -> None:
        """On a change of a control's ``value``: run ``then`` (if given), then refresh.

        Both run as one guarded step (:meth:`_run`). ``refresh=False`` for controls that
        only move within the current result (a step ``position``): ``then`` alone runs.
        """

        def on_change(_change: dict) -> None:
            if not self._silenced:
                self._run(then, refresh=refresh)

        for control in controls:
            control.observe(on_change, names="value")

    def _start(self, controls: Iterable[str] | None = None,
               readouts: Iterable[str] | None = None) -> None:
        """Show the named controls and readouts (default: all), first refresh, picture.

        The picture is stored for copies of the notebook opened without a kernel. Last,
        the widgets of this class created by an earlier run of the same cell are closed.
        """
        self.shown_controls = self._disclose("controls", controls, self.CONTROLS)
        self.shown_readouts = self._disclose("readouts", readouts, self.READOUTS)
        self.refresh()
        for panel in self.figure_panels:
            panel.store_static_image()
        _replace_earlier_run(self)

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        """Within the block, control changes trigger nothing (the re-entry guard)."""
        outer, self._silenced = self._silenced, True
        try:
            yield
        finally:
            self._silenced = outer

    def _run(self, action: Callable[[], None] | None = None, refresh: bool = True) -> None:
        """Run ``action`` and/or recompute, never raising; then redraw every panel once.

        Inside, control changes are quiet (a clamped slider does not update again). Any
        ``Exception`` -- a ``ValueError`` for an impossible setting, or an unexpected error
        of the model -- sets ``output = None`` and ``problem`` and shows the message.
        """
        with self._quietly():
            try:
                if action is not None:
                    action()
                if refresh:
                    self.output, self.problem = self._update(), ""
            except Exception as err:  # a control change never raises: show the message
                self._fail(err)
        for panel in self.figure_panels:
            panel.redraw()

    def _disclose(self, kind: str, names: Iterable[str] | None,
                  parts: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
        """Display the parts named in ``names`` (all when ``None``), hide the others.

        Raises
        ------
        TypeError, ValueError
            Naming ``kind`` (``controls`` / ``readouts``) and the valid names.
        """
        if names is None:
            return tuple(parts)
        if isinstance(names, str):
            names = (names,)
        try:
            wanted = set(names)
        except TypeError:
            raise TypeError(f"{kind} must be a tuple of names from {tuple(parts)}, "
                            f"got {type(names).__name__}") from None
        unknown = sorted(repr(name) for name in wanted if name not in parts)
        if unknown:
            raise ValueError(f"{kind} must be names from {tuple(parts)}, got {', '.join(unknown)}")
        for name, attributes in parts.items():
            for attribute in attributes:
                getattr(self, attribute).layout.display = None if name in wanted else "none"
        return tuple(name for name in parts if name in wanted)

    # -- public ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Recompute and redraw; an impossible setting shows its explanation instead."""
        self._run()

    def close(self) -> None:
        """Release the widget: figure, canvas, every control and its observers.

        Its views disappear from the notebook and the memory it held (figure, arrays,
        ~2–20 MB) can be freed; the object is unusable afterwards. Running a notebook cell
        again closes the widgets of this class that the cell's previous run created, so
        re-running a cell does not pile up instances.
        """
        for panel in self.figure_panels:
            panel.close()
        for control in (*_descendants(self), self):
            for part in (getattr(control, "layout", None), getattr(control, "style", None)):
                if isinstance(part, widgets.Widget):
                    part.close()
            if control is not self:
                control.close()
        self.output = None
        super().close()

    def _repr_mimebundle_(self, **kwargs: object) -> dict[str, object]:
        """ipywidgets' bundle (the live view, ``text/plain``) plus ``image/png`` of the figures.

        JupyterLab renders the live widget; nbconvert, nbviewer and static sites, which
        have no kernel, show the PNG. The same picture is stored in the canvas state.
        """
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        pictures = [panel.png() for panel in self.figure_panels]
        for panel, png in zip(self.figure_panels, pictures, strict=True):
            panel.store_static_image(png)
        if pictures:
            bundle["image/png"] = base64.b64encode(_stacked(pictures)).decode("ascii")
        return bundle

    # -- what subclasses implement ------------------------------------------------------------

    def _update(self) -> object:  # pragma: no cover - abstract
        """Ask the model once, update the artists in place, return the result."""
        raise NotImplementedError

    def _show_problem(self, message: str) -> None:  # pragma: no cover - abstract
        """Hide the result artists and show ``message``."""
        raise NotImplementedError

    # -- internals -----------------------------------------------------------------------------

    def _fail(self, error: Exception) -> None:
        message = str(error).strip()
        if not isinstance(error, ValueError | TypeError) or not message:
            message = f"{type(error).__name__}: {message}" if message else type(error).__name__
        self.output, self.problem = None, message
        try:
            self._show_problem(message)
        except Exception as again:  # the view cannot show it: keep the message at least
            self.problem = f"{message} (not shown: {type(again).__name__}: {again})"


def _descendants(box: widgets.Widget) -> Iterator[widgets.Widget]:
    """Every widget inside ``box`` (children of children...), not ``box`` itself."""
    for child in getattr(box, "children", ()):
        yield from _descendants(child)
        yield child


def _current_cell() -> tuple[str, int] | None:
    """``(cell id, execution count)`` of the notebook cell running now; ``None`` elsewhere.

    JupyterLab, Notebook 7, VS Code and nbclient send the cell's id in the metadata of
    the execute request (``cellId``); a plain script or console has none.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    try:
        cell_id = kernel.get_parent("shell").get("metadata", {}).get("cellId")
    except Exception:  # no kernel, or an unusual one: no automatic clean-up
        return None
    return (str(cell_id), int(shell.execution_count)) if cell_id else None


_CREATED_BY_CELL: dict[tuple[type, str], list[tuple[int, weakref.ref]]] = {}
"""(widget class, cell id) -> the run (execution count) and a weak reference of each
widget of that class the cell created."""


def _replace_earlier_run(widget: LessonWidget) -> None:
    """Close the widgets of ``widget``'s class that an earlier run of this cell created.

    Widgets created by the same run (two explorers in one cell) are all kept.
    """
    cell = _current_cell()
    if cell is None:
        return
    cell_id, run = cell
    key = (type(widget), cell_id)
    kept = []
    for created_run, ref in _CREATED_BY_CELL.get(key, []):
        earlier = ref()
        if earlier is None:
            continue
        if created_run == run:
            kept.append((created_run, ref))
        else:
            earlier.close()
    kept.append((run, weakref.ref(widget)))
    _CREATED_BY_CELL[key] = kept


def _stacked(pictures: list[bytes]) -> bytes:
    """One PNG: the pictures one below the other, on white, left-aligned."""
    if len(pictures) == 1:
        return pictures[0]
    images = [imread(io.BytesIO(png)) for png in pictures]
    width = max(image.shape[1] for image in images)
    canvas = np.ones((sum(image.shape[0] for image in images), width, 4), dtype=np.float32)
    top = 0
    for image in images:
        rgba = image if image.shape[2] == 4 else np.dstack([image, np.ones(image.shape[:2])])
        canvas[top:top + image.shape[0], :image.shape[1]] = rgba
        top += image.shape[0]
    buffer = io.BytesIO()
    imsave(buffer, canvas, format="png")
    return buffer.getvalue()
