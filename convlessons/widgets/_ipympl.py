"""ipympl's canvas classes, imported without switching the learner's matplotlib backend.

Importing the ``ipympl`` package runs ``matplotlib.use("module://ipympl.backend_nbagg")``
whenever matplotlib is already imported (``ipympl/__init__.py``, ipympl 0.9-0.10, kept
there for its notebook-extension installer). For a learner that would mean: after
``%matplotlib inline`` every later pyplot figure becomes a widget, in a plain script
``plt.show()`` prints ``Canvas(...)``, and the switch (``pyplot.switch_backend``) closes
every open pyplot figure.

The widgets need none of that: each :class:`~convlessons.widgets._base.FigurePanel` gives
its own :class:`~matplotlib.figure.Figure` its own ipympl ``Canvas`` and ``FigureManager``,
which work whatever the backend is. So the two classes are imported here with
``matplotlib.use`` made a no-op for the duration of the import (only the first import of
``ipympl`` calls it), and the rest of the package imports them from this module.
``tests/test_package.py`` checks the backend is unchanged and a widget still draws on its
ipympl canvas.

:class:`Canvas` is ipympl's canvas with a faster frame path; its docstring says how the
frames reach the page.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Iterator

import matplotlib
import numpy as np
from PIL import Image

__all__ = ["ACK_TIMEOUT_S", "PNG_COMPRESS_LEVEL", "Canvas", "FigureManager"]

PNG_COMPRESS_LEVEL = 1
"""zlib level of every PNG the widgets make: about 3× faster to encode than the default
level 6 (a full KernelPlayground frame: 44 → 14.5 ms), for ~7 % more bytes."""

ACK_TIMEOUT_S = 2.0
"""A frame not acknowledged after this long counts as lost (a dropped connection): the next
change sends a full frame instead of waiting for the acknowledgement."""


@contextlib.contextmanager
def _backend_unchanged() -> Iterator[None]:
    """Ignore calls to ``matplotlib.use`` inside the block; restore it afterwards."""
    use = matplotlib.use
    matplotlib.use = lambda *_args, **_kwargs: None
    try:
        yield
    finally:
        matplotlib.use = use


with _backend_unchanged():
    from ipympl.backend_nbagg import Canvas as _IpymplCanvas
    from ipympl.backend_nbagg import FigureManager


class Canvas(_IpymplCanvas):
    """ipympl's canvas widget that sends each new frame when the figure changes.

    ipympl 0.10 repaints in a round trip: ``draw_idle`` sends a ``draw`` event; the page,
    unless it already waits for an image, answers with a ``draw`` message
    (``send_draw_message`` in ipympl's ``mpl_widget`` JS); only then does the kernel render
    (matplotlib's ``FigureCanvasWebAggCore.handle_draw`` → ``draw`` → ``refresh_all`` →
    ``get_diff_image``) and send the PNG (ipympl's ``Canvas.send_binary``). Here
    ``draw_idle`` renders and sends the frame at once, and the page's round trip follows
    the frame instead of preceding it: each frame is followed by a ``draw`` event, which the
    page (its ``handle_binary`` has just cleared its waiting flag) answers with a ``draw``
    message, the acknowledgement. While a frame is unacknowledged, changes only mark the
    figure as changed, and the acknowledgement sends one frame of the latest state: a fast
    drag never queues frames. Every ``draw`` message the page sends answers such an event,
    so it never waits for an image that does not come.

    No frame is rendered or encoded before a page has said ``initialized`` (tests, scripts,
    ``nbconvert --execute``: ``draw`` still renders, nothing is sent). A page that
    (re)connects sends ``refresh`` (matplotlib's ``handle_refresh``: the next frame is a
    full one, then ``draw_idle``) and ``initialized``, after which it gets its frame even if
    one to an earlier page is still unacknowledged. Frames are PNG at zlib level
    :data:`PNG_COMPRESS_LEVEL`, full or diff as matplotlib decides. The toolbar (pan, zoom,
    home) and resizing go through ``draw_idle`` and use the same path.
    """

    def __init__(self, figure, *args, **kwargs) -> None:
        super().__init__(figure, *args, **kwargs)
        self._page_attached = False  # a page said "initialized"
        self._page_is_old = True  # the figure changed since the last frame sent
        self._frame_sent_at: float | None = None  # monotonic time of the unacknowledged frame

    def draw_idle(self) -> None:
        """Send a frame of the figure now, or after the frame in flight is acknowledged."""
        self._page_is_old = True
        if not self._page_attached:
            return
        if self._frame_sent_at is not None:
            if time.monotonic() - self._frame_sent_at < ACK_TIMEOUT_S:
                return  # sent when the acknowledgement arrives
            self._force_full = True  # the frame or its acknowledgement was lost
        self.draw()

    def handle_draw(self, event: dict) -> None:
        """The page's acknowledgement of the last frame: send the latest state if it changed."""
        self._frame_sent_at = None
        if self._page_is_old:
            self.draw()

    def _handle_message(self, widget, content: dict, buffers: list) -> None:
        super()._handle_message(widget, content, buffers)
        if content["type"] == "initialized":  # a new page: nothing is in flight to it
            self._page_attached = True
            self._frame_sent_at = None
            if self._page_is_old:
                self.draw()

    def get_diff_image(self) -> bytes | None:
        """The frame for the page as PNG (``None``: no page, or nothing new rendered).

        matplotlib's ``FigureCanvasWebAggCore.get_diff_image`` (3.11) with the PNG at zlib
        level :data:`PNG_COMPRESS_LEVEL`: a full image after ``refresh``, a size change or
        where pixels are transparent, else a diff (unchanged pixels transparent) that the
        page draws over its picture.
        """
        if not (self._page_attached and self._png_is_old):
            return None
        pixels = np.asarray(self.get_renderer().buffer_rgba())
        buffer = pixels.view(np.uint32).squeeze(2)  # one number per pixel: fast comparison
        full = (self._force_full or buffer.shape != self._last_buff.shape
                or bool((pixels[:, :, 3] != 255).any()))
        self.set_image_mode("full" if full else "diff")
        output = buffer if full else np.where(buffer != self._last_buff, buffer, 0)
        self._last_buff = buffer.copy()
        self._force_full = self._png_is_old = False
        with io.BytesIO() as png:
            Image.fromarray(output.view(np.uint8).reshape((*output.shape, 4))).save(
                png, format="png", compress_level=PNG_COMPRESS_LEVEL)
            return png.getvalue()

    def send_binary(self, data: bytes) -> None:
        """Send the frame, then the ``draw`` event the page acknowledges it with."""
        super().send_binary(data)
        self._page_is_old = False
        self._frame_sent_at = time.monotonic()
        self.send_event("draw")
