"""Jupyter Server side of the course: kernel WebSocket connections that send at once.

A widget's change travels as small WebSocket messages: the slider's update to the kernel,
the new frame and a ``draw`` event back. Jupyter Server (2.x) leaves Nagle's algorithm on
for these sockets, so a small message written while an earlier one is unacknowledged waits
for the browser's delayed ACK, up to 40 ms on Linux, even on the same machine. Measured
with ``python -m benchmarks.bench_browser`` (2 cores, quiet): an ``execute("pass")`` round
trip from the page took 53 ms median with Nagle on and 10-19 ms with it off (4 ms straight
over ZMQ, without the server).

:class:`NoDelayConnection` is Jupyter Server's own connection with ``TCP_NODELAY`` set. It
is chosen with the server option ``ServerApp.kernel_websocket_connection_class``
(:data:`CONNECTION_CLASS`): ``make course`` passes it, ``jupyter/jupyter_server_config.json``
sets it for Binder and JupyterHub, and the browser tests start JupyterLab with it.
"""

from __future__ import annotations

import asyncio

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

__all__ = ["CONNECTION_CLASS", "NoDelayConnection"]


class NoDelayConnection(ZMQChannelsWebsocketConnection):
    """Jupyter Server's kernel WebSocket connection, with Nagle's algorithm turned off."""

    def connect(self) -> asyncio.Future[None] | None:
        """Set ``TCP_NODELAY`` on the browser's socket, then connect as Jupyter Server does."""
        self.websocket_handler.set_nodelay(True)
        return super().connect()


CONNECTION_CLASS = f"{NoDelayConnection.__module__}.{NoDelayConnection.__qualname__}"
"""The value of ``ServerApp.kernel_websocket_connection_class`` that selects it."""
