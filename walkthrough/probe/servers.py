"""The servers a probe runs an app on, each able to say when its request ended.

Two real servers: this framework's ``ThreadedWSGIServer`` and Werkzeug's
(the class Werkzeug's ``make_server`` builds for ``threaded=True``). Each is
subclassed only to add ``RequestSignals``: the probe's ``done`` must come
after the last stage of the request, in every thread, and the server is the
one that knows when its connection thread has finished. The request path
itself (accept, handle, ``run_wsgi``, the app) is the servers' own code.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from walkthrough.framework.serving import ThreadedWSGIServer

PROBE_HOST = "127.0.0.1"


class RequestSignals:
    """Mixin for a threaded socketserver: say when its one request is over.

    The probe's ``done`` waits until the connection's thread has left
    ``process_request_thread`` and the accept loop has come round again, so
    every stage of the request, in both threads, comes before ``done``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.connection_closed = threading.Event()
        self.loop_resumed = threading.Event()
        self.has_accepted = False
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start the connection's thread as usual, then note the accept."""
        super().process_request(request, client_address)  # type: ignore[misc]
        self.has_accepted = True

    def service_actions(self) -> None:
        """Say the loop came round after the accept: its stages are over.

        ``serve_forever`` calls this once ``_handle_request_noblock`` returned;
        without it, a slow server thread could report after ``done``.
        """
        if self.has_accepted:
            self.loop_resumed.set()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Serve and close the connection as usual, then tell the probe."""
        super().process_request_thread(request, client_address)  # type: ignore[misc]
        self.connection_closed.set()


class ProbeServer(RequestSignals, ThreadedWSGIServer):
    """This framework's threaded server, telling the probe when it is done."""


def serve_on_walkthrough(app: Any) -> ProbeServer:
    """Bind this framework's threaded server to a free loopback port."""
    return ProbeServer(PROBE_HOST, 0, app, log_requests=False)


@functools.cache
def werkzeug_server_class() -> type:
    """Build the Werkzeug twin of ``ProbeServer`` once, on first use.

    Werkzeug is an optional extra, so it is imported only when asked for.
    """
    from werkzeug.serving import ThreadedWSGIServer as WerkzeugThreadedServer

    class WerkzeugProbeServer(RequestSignals, WerkzeugThreadedServer):
        """Werkzeug's threaded server, telling the probe when it is done."""

    return WerkzeugProbeServer


@functools.cache
def quiet_werkzeug_handler() -> type:
    """Build Werkzeug's request handler minus its log line, once.

    The probe's request is no request to the site: this framework's server
    runs the specimen with ``log_requests=False``, and this is the same for
    Werkzeug. Every stage of the request is still Werkzeug's own code.
    """
    from werkzeug.serving import WSGIRequestHandler

    class QuietWSGIRequestHandler(WSGIRequestHandler):
        """Werkzeug's handler, keeping the probe's request out of the log."""

        def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002
            """Log nothing: the probe reports the request itself."""

    return QuietWSGIRequestHandler


def serve_on_werkzeug(app: Any) -> Any:
    """Bind Werkzeug's threaded server to a free loopback port.

    The same construction as ``werkzeug.serving.make_server(host, 0, app,
    threaded=True)``, with the class swapped for its signalling subclass
    and the handler for its quiet one.
    """
    return werkzeug_server_class()(PROBE_HOST, 0, app, handler=quiet_werkzeug_handler())
