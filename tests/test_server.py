"""convlessons.server: kernel WebSockets with Nagle's algorithm off, chosen everywhere the
course starts JupyterLab."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jupyter_server.serverapp import ServerApp
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

from convlessons.server import CONNECTION_CLASS, NoDelayConnection

ROOT = Path(__file__).resolve().parents[1]
OPTION = "kernel_websocket_connection_class"


class _Handler:
    """The part of Jupyter Server's KernelWebsocketHandler the connection touches."""

    def __init__(self) -> None:
        self.nodelay: bool | None = None

    def set_nodelay(self, value: bool) -> None:
        self.nodelay = value


def test_connect_turns_nagle_off_then_connects_as_jupyter_server_does(monkeypatch):
    calls = []
    monkeypatch.setattr(ZMQChannelsWebsocketConnection, "connect",
                        lambda self: calls.append(self.websocket_handler.nodelay) or "future")
    connection = NoDelayConnection.__new__(NoDelayConnection)
    handler = _Handler()
    connection._trait_values["websocket_handler"] = handler  # no live handler needed
    assert connection.connect() == "future"
    assert calls == [True]  # set before Jupyter Server's own connect ran


def test_the_server_option_selects_the_class():
    app = ServerApp(**{OPTION: CONNECTION_CLASS})
    assert getattr(app, OPTION) is NoDelayConnection


def test_every_way_the_course_starts_jupyterlab_names_the_class():
    config = json.loads((ROOT / "jupyter/jupyter_server_config.json").read_text())
    assert config["ServerApp"][OPTION] == CONNECTION_CLASS  # Binder, JupyterHub (postBuild)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"--ServerApp\.{OPTION}={re.escape(CONNECTION_CLASS)}\b", makefile)
    assert re.search(r"jupyter lab \$\(LAB_OPTIONS\)", makefile)  # make course
    browser = (ROOT / "devtools/browser.py").read_text()  # the browser tests and benchmark
    assert f"--ServerApp.{OPTION}={{CONNECTION_CLASS}}" in browser
