"""Stand-ins whose qualified names match the stages ``facts.py`` reads.

Each method returns its own frame, so a test hands ``read_facts`` a real
frame with real locals, as the tracer does, without running a server.
"""

from __future__ import annotations

import sys
from types import FrameType, SimpleNamespace


class TCPServer:
    """Stand in for ``socketserver.TCPServer`` and its bound address."""

    def __init__(self, server_address: tuple[str, int] | None = None) -> None:
        self.server_address = server_address

    def get_request(self) -> FrameType:
        """Return this frame, as ``get_request`` runs it."""
        return sys._getframe()

    def server_bind(self) -> FrameType:
        """Return this frame, as ``server_bind`` runs it."""
        return sys._getframe()


class HTTPServer(TCPServer):
    """Stand in for ``http.server.HTTPServer``."""

    def server_bind(self) -> FrameType:
        """Return this frame, as ``HTTPServer.server_bind`` runs it."""
        return sys._getframe()


class WSGIRequestHandler:
    """Stand in for the handler: ``command`` and ``path`` once parsed."""

    def __init__(self, command: str = "", path: str = "") -> None:
        self.command = command
        self.path = path

    def parse_request(self) -> FrameType:
        """Return this frame, as ``parse_request`` runs it."""
        return sys._getframe()

    def make_environ(self) -> FrameType:
        """Return this frame, as ``make_environ`` runs it."""
        return sys._getframe()

    def start_response(self, status: str, headers: list) -> FrameType:
        """Return this frame, with ``status`` among its locals."""
        return sys._getframe()

    def write(self, data: object) -> FrameType:
        """Return this frame, with ``data`` among its locals."""
        return sys._getframe()

    def handle_app_error(self, error: BaseException) -> FrameType:
        """Return this frame, with ``error`` among its locals."""
        return sys._getframe()

    def send_http_exception(self, error: BaseException) -> FrameType:
        """Return this frame, with ``error`` among its locals."""
        return sys._getframe()


class RequestContext:
    """Stand in for a context whose request has matched, or not."""

    def __init__(self, **request: object) -> None:
        self.request = SimpleNamespace(**request)

    def match_request(self) -> FrameType:
        """Return this frame, with the context as ``self``."""
        return sys._getframe()


class App:
    """Stand in for the app's error and response stages."""

    def make_response(self, rv: object) -> FrameType:
        """Return this frame, as ``make_response`` runs it."""
        return sys._getframe()

    def handle_user_exception(self, exc: object) -> FrameType:
        """Return this frame, with ``exc`` among its locals."""
        return sys._getframe()

    def handle_http_exception(self, exc: object) -> FrameType:
        """Return this frame, with ``exc`` among its locals."""
        return sys._getframe()

    def handle_exception(self, exc: object) -> FrameType:
        """Return this frame, with ``exc`` among its locals."""
        return sys._getframe()

    def dispatch_request(self) -> FrameType:
        """Return this frame: a stage with no facts to read."""
        return sys._getframe()
