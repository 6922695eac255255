"""The widgets' ipympl canvas: a frame pushed per change, one in flight, PNG at zlib level 1.

The page is :class:`ipympl_page.FakePage`; a frame is in flight until the test delivers the
page's acknowledgement.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from ipympl_page import FakePage
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from convlessons.widgets import _ipympl
from convlessons.widgets._base import FigurePanel


class Plot:
    """A figure panel with one line, and a page for it (not yet connected)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.panel = FigurePanel((3, 2), dpi=50)
        self.axes = self.panel.figure.add_subplot()
        (self.line,) = self.axes.plot([0, 1, 2], [0, 1, 0])
        self.page = FakePage(self.panel.canvas, monkeypatch)
        self.renders = 0
        draw = self.panel.figure.draw

        def counted_draw(renderer):
            self.renders += 1
            draw(renderer)

        monkeypatch.setattr(self.panel.figure, "draw", counted_draw)

    def change(self, peak: float) -> None:
        """What a widget does on a control change: artists changed in place, then redraw."""
        self.line.set_ydata([0, peak, 0])
        self.panel.redraw()

    def rendered(self) -> np.ndarray:
        """A fresh Agg rendering of the figure as it is now (nothing sent)."""
        FigureCanvasAgg.draw(self.panel.canvas)
        return np.asarray(self.panel.canvas.buffer_rgba()).copy()


@pytest.fixture
def plot(monkeypatch) -> Plot:
    return Plot(monkeypatch)


def zlib_level_flag(png: bytes) -> int:
    """FLEVEL of the PNG's zlib stream (RFC 1950): 0 for level 1, 2 for 6 (default), 3 for 9."""
    position = 8
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        if kind == b"IDAT":
            return png[position + 9] >> 6  # the FLG byte after CMF
        position += 12 + length
    raise AssertionError("no IDAT chunk")


def test_without_a_page_a_change_renders_and_sends_nothing(plot):
    plot.change(2)
    plot.change(3)
    assert (plot.renders, plot.page.frames, plot.page.outbox) == (0, [], [])
    plot.panel.render()  # an explicit render draws, and still sends nothing
    assert (plot.renders, plot.page.frames) == (1, [])


def test_a_connecting_page_gets_a_full_frame_of_the_figure(plot):
    plot.change(2)
    plot.page.connect()
    assert plot.page.frames and plot.panel.canvas._image_mode == "full"
    assert np.array_equal(plot.page.picture, plot.rendered())


def test_a_change_sends_one_frame_at_once_when_no_frame_is_in_flight(plot):
    plot.page.connect()
    for peak in (2, 3, 0.5):
        sent = len(plot.page.frames)
        plot.change(peak)
        assert len(plot.page.frames) == sent + 1  # before the page answered anything
        plot.page.settle()  # the acknowledgement: nothing new to send
        assert len(plot.page.frames) == sent + 1
        assert np.array_equal(plot.page.picture, plot.rendered())
    assert plot.panel.canvas._image_mode == "diff"  # only the changed pixels travel


def test_quick_changes_while_a_frame_is_in_flight_send_only_the_last_state(plot):
    plot.page.connect()
    sent, renders = len(plot.page.frames), plot.renders
    for peak in np.linspace(0, 3, 20):  # a fast drag: the page has not acknowledged yet
        plot.change(peak)
    assert (len(plot.page.frames), plot.renders) == (sent + 1, renders + 1)
    plot.page.settle()
    assert (len(plot.page.frames), plot.renders) == (sent + 2, renders + 2)
    assert np.array_equal(plot.page.picture, plot.rendered())


def test_frames_are_png_at_zlib_level_1_with_the_agg_pixels(plot):
    plot.page.connect()
    full = plot.page.frames[-1]
    assert full.startswith(b"\x89PNG\r\n\x1a\n") and zlib_level_flag(full) == 0
    assert _ipympl.PNG_COMPRESS_LEVEL == 1
    decoded = np.asarray(Image.open(io.BytesIO(full)).convert("RGBA"))
    assert np.array_equal(decoded, plot.rendered())
    plot.change(2)
    assert plot.panel.canvas._image_mode == "diff" and zlib_level_flag(plot.page.frames[-1]) == 0
    pixels = np.asarray(Image.open(io.BytesIO(plot.page.frames[-1])))
    assert 0 < np.count_nonzero(pixels[..., 3]) < pixels[..., 3].size / 2  # changed pixels only


def test_the_static_picture_is_png_at_zlib_level_1_too(plot):
    assert zlib_level_flag(plot.panel.png()) == 0


def test_a_lost_acknowledgement_delays_frames_only_until_the_timeout(plot, monkeypatch):
    plot.page.connect()
    plot.change(2)
    plot.page.outbox.clear()  # the page's answer is lost (a dropped connection)
    sent = len(plot.page.frames)
    plot.change(3)
    assert len(plot.page.frames) == sent  # still waiting for the acknowledgement
    monkeypatch.setattr(_ipympl, "ACK_TIMEOUT_S", 0.0)
    plot.change(1)
    assert len(plot.page.frames) == sent + 1
    assert plot.panel.canvas._image_mode == "full"  # the page may have missed a diff
    assert np.array_equal(plot.page.picture, plot.rendered())


def test_a_page_that_reconnects_gets_a_frame_at_once_even_with_one_in_flight(plot):
    plot.page.connect()
    plot.change(2)
    plot.page.outbox.clear()  # the page was reloaded before it answered
    plot.change(3)
    sent = len(plot.page.frames)
    plot.page.connect()
    assert len(plot.page.frames) > sent and plot.panel.canvas._image_mode == "full"
    assert np.array_equal(plot.page.picture, plot.rendered())


def _mouse(kind: str, x: float, y: float, buttons: int) -> dict:
    return {"type": kind, "x": x, "y": y, "button": 0, "buttons": buttons, "modifiers": []}


def test_panning_with_the_toolbar_pushes_coalesced_frames_and_home_restores(plot):
    plot.page.connect()
    limits = plot.axes.get_xlim()
    plot.panel.canvas.toolbar.pan()
    sent = len(plot.page.frames)
    for message in (_mouse("button_press", 75, 50, 1),
                    *(_mouse("motion_notify", 75 + 5 * step, 50, 1) for step in range(1, 6)),
                    _mouse("button_release", 100, 50, 0)):
        plot.page.canvas._handle_message(plot.panel.canvas, message, [])
    assert plot.axes.get_xlim() != limits
    assert len(plot.page.frames) == sent + 1  # the drag's other frames wait for the answer
    plot.page.settle()
    assert len(plot.page.frames) == sent + 2
    assert np.array_equal(plot.page.picture, plot.rendered())
    plot.panel.canvas.toolbar.home()
    plot.page.settle()
    assert plot.axes.get_xlim() == limits
    assert np.array_equal(plot.page.picture, plot.rendered())
