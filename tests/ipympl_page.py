"""A headless stand-in for the page side of an ipympl canvas (ipympl 0.10's ``MPLCanvasModel``).

It does what the page's JavaScript does with the canvas's messages, and keeps the messages
it sends back until :meth:`FakePage.deliver`, so a test decides when the kernel hears them
(a frame is "in flight" until then):

- on connecting (``send_initialization_message``): ``refresh``, ``send_image_mode``,
  ``initialized``;
- on a ``draw`` event (``handle_draw`` → ``send_draw_message``): a ``draw`` message unless it
  already waits for an image;
- on an image (``handle_binary`` and the image's ``onload``): draw it -- a ``full`` image
  replaces the picture, a ``diff`` image is drawn over it -- and stop waiting;
- on a ``resize`` event (``handle_resize``): ``refresh``.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image


class FakePage:
    """Capture what ``canvas`` sends (``monkeypatch`` replaces its ``send``) and answer it."""

    def __init__(self, canvas, monkeypatch: pytest.MonkeyPatch) -> None:
        self.canvas = canvas
        self.frames: list[bytes] = []  # PNG frames received, in order
        self.picture: np.ndarray | None = None  # what the page shows, (H, W, 4) uint8
        self.waiting_for_image = False
        self.outbox: list[dict] = []  # messages sent by the page, not yet delivered
        monkeypatch.setattr(canvas, "send", self._receive)

    def connect(self) -> None:
        """Open the view: the page's first messages, delivered with all they cause."""
        self.outbox += [{"type": "refresh"}, {"type": "send_image_mode"},
                        {"type": "initialized"}]
        self.settle()

    def deliver(self) -> None:
        """Hand the kernel the messages sent so far (not those they cause)."""
        messages, self.outbox = self.outbox, []
        for content in messages:
            self.canvas._handle_message(self.canvas, content, [])

    def settle(self) -> None:
        """Deliver until the page has nothing more to say (no frame in flight)."""
        for _ in range(20):
            if not self.outbox:
                return
            self.deliver()
        raise AssertionError("the kernel and the page keep exchanging messages")

    def _receive(self, content: dict, buffers: list | None = None) -> None:
        message = json.loads(content["data"])
        if message["type"] == "binary":
            self.frames.append(bytes(buffers[0]))
            self._draw(buffers[0], self.canvas._image_mode)
            self.waiting_for_image = False
        elif message["type"] == "draw" and not self.waiting_for_image:
            self.waiting_for_image = True
            self.outbox.append({"type": "draw"})
        elif message["type"] == "resize":
            self.outbox.append({"type": "refresh"})

    def _draw(self, png: bytes, mode: str) -> None:
        image = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
        if mode == "full" or self.picture is None:
            self.picture = image.copy()
        else:  # the canvas's drawImage: opaque pixels cover, transparent ones leave the picture
            self.picture = np.where(image[..., 3:] == 255, image, self.picture)
