"""Fixtures shared by every test: a live server on 127.0.0.1, port 0.

``live_server`` is Werkzeug's ``dev_server`` fixture in spirit: the real
server in a thread, a URL to talk to, and a clean stop, each wait bounded.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from walkthrough.framework.serving import BaseWSGIServer, ServerLimits, make_server
from walkthrough.framework.types import WSGIApplication

SOCKET_TIMEOUT_SECONDS = 5.0


@dataclass
class LiveServer:
    """A running server and the ways a test talks to it."""

    server: BaseWSGIServer
    host: str
    port: int

    @property
    def url(self) -> str:
        """Return the base URL, ending in a slash."""
        return f"http://{self.host}:{self.port}/"

    def connect(self) -> socket.socket:
        """Open a raw connection with a timeout, for hand-written requests."""
        return socket.create_connection(
            (self.host, self.port), timeout=SOCKET_TIMEOUT_SECONDS
        )


@contextmanager
def serving(
    app: WSGIApplication,
    *,
    limits: ServerLimits | None = None,
    threaded: bool = True,
    log_requests: bool = False,
) -> Iterator[LiveServer]:
    """Run ``app`` on the real server in a thread for the ``with`` block."""
    server = make_server(
        "127.0.0.1",
        0,
        app,
        threaded=threaded,
        limits=limits,
        log_requests=log_requests,
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield LiveServer(server, "127.0.0.1", server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=SOCKET_TIMEOUT_SECONDS)


@pytest.fixture(scope="session")
def live_server() -> Callable[..., object]:
    """Return ``serving``: ``with live_server(app) as server: ...``."""
    return serving
