"""Stand-ins whose ``module:qualname`` matches the stages ``facts.py`` reads.

Each method returns its own frame, so a test hands ``read_facts`` a real
frame with real locals, as the tracer does, without running a server. The
classes are defined here, then copied into the module they stand for
(``defined_in``): facts are keyed by the module that defines the code, so a
frame must say ``socketserver`` or ``flask.app`` as the real one does.
"""

from __future__ import annotations

import sys
from types import FrameType, FunctionType, SimpleNamespace


def defined_in(module: str, cls: type, name: str | None = None) -> type:
    """Copy a stand-in class as if ``module`` defined it, as class ``name``."""
    name = name or cls.__name__
    namespace = {**globals(), "__name__": module}
    members = {
        key: value
        for key, value in vars(cls).items()
        if key not in ("__dict__", "__weakref__")
    }
    for key, value in vars(cls).items():
        if isinstance(value, FunctionType):
            code = value.__code__.replace(co_qualname=f"{name}.{key}")
            members[key] = FunctionType(code, namespace, key, value.__defaults__)
    return type(name, cls.__bases__, members)


def stage_frame(symbol: str, **local_values: object) -> FrameType:
    """Return a real frame of code named ``symbol``, holding these locals.

    For stages a class cannot stand in for: Werkzeug's closures inside
    ``run_wsgi`` (``...run_wsgi.<locals>.start_response``).
    """
    module, _, qualname = symbol.partition(":")
    namespace: dict[str, object] = {"__name__": module, "sys": sys}
    parameters = ", ".join(local_values)
    exec(f"def stage({parameters}):\n    return sys._getframe()", namespace)
    stage = namespace["stage"]
    assert isinstance(stage, FunctionType)
    stage.__code__ = stage.__code__.replace(co_qualname=qualname)
    return stage(**local_values)


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


TCPServer = defined_in("socketserver", TCPServer)  # type: ignore[misc]
HTTPServer = defined_in("http.server", HTTPServer)  # type: ignore[misc]
FlaskApp = defined_in("flask.app", App, "Flask")
FlaskRequestContext = defined_in("flask.ctx", RequestContext)
WSGIRequestHandler = defined_in(  # type: ignore[misc]
    "walkthrough.framework.handler", WSGIRequestHandler
)
RequestContext = defined_in("walkthrough.framework.ctx", RequestContext)  # type: ignore[misc]
App = defined_in("walkthrough.framework.app", App)  # type: ignore[misc]
