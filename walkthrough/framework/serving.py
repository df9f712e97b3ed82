"""Turn connections into WSGI calls: the startup chain and each request's start.

Startup: ``run_simple`` → ``make_server`` → bind and listen → ``serve_forever``.
Each connection then goes to ``WSGIRequestHandler`` (``handler.py``).
Modelled on ``werkzeug.serving``, subclassing ``socketserver`` and
``http.server`` so the tours step into CPython's own loop. Worker processes
are in prefork.py, the reloader in reloader.py. Left out: TLS.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import socket
import socketserver
import sys
import threading
from dataclasses import dataclass
from http.server import HTTPServer
from typing import Any

from walkthrough.framework.exceptions import (
    ServiceUnavailable,
)
from walkthrough.framework.handler import WSGIRequestHandler
from walkthrough.framework.http import encode_response_head
from walkthrough.framework.prefork import Arbiter
from walkthrough.framework.reloader import (
    inherited_server_fd,
    is_reloader_child,
    run_with_reloader,
    watch_for_changes,
)
from walkthrough.framework.requestlog import RequestLog
from walkthrough.framework.types import (
    WSGIApplication,
)

log = logging.getLogger("walkthrough.serving")

# An accepted socket and the client's address, as ``socketserver`` passes them.
Connection = tuple[socket.socket, tuple]


@dataclass(frozen=True)
class ServerLimits:
    """Bound what one client may cost; each limit earns its own status."""

    max_request_line_bytes: int = 8190
    max_header_bytes: int = 65536
    max_header_count: int = 100
    max_body_bytes: int = 16 * 1024 * 1024
    read_timeout_seconds: float = 10.0
    max_connections: int = 256


def run_simple(
    hostname: str,
    port: int,
    application: WSGIApplication,
    *,
    threaded: bool = True,
    limits: ServerLimits | None = None,
    log_requests: bool = True,
    use_reloader: bool = False,
    workers: int = 1,
) -> None:
    """Serve ``application`` until Ctrl-C or SIGTERM; ``App.run`` lands here.

    Prints the address really bound, so ``--port 0`` tells its port. With
    ``use_reloader``, this process only binds and restarts a child that
    serves, each time a Python file changes (``reloader.py``). With
    ``workers`` above 1, it binds and forks that many workers (``prefork.py``).
    """
    if workers > 1 and use_reloader:
        raise ValueError("The reloader serves in one process: use one worker.")
    configure_logging()
    if use_reloader and not is_reloader_child():
        raise SystemExit(run_with_reloader(hostname, port))
    server = make_server(
        hostname,
        port,
        application,
        threaded=threaded,
        limits=limits,
        log_requests=log_requests,
        fd=inherited_server_fd(),
    )
    print(f"Running on {server.url}", flush=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        serve(server, watch_files=use_reloader, workers=workers)
    except KeyboardInterrupt:
        log.info("Shutting down.")
    finally:
        server.server_close()


def serve(server: BaseWSGIServer, *, watch_files: bool, workers: int = 1) -> None:
    """Serve forever; or in forked workers; or in a thread, watching files.

    With ``workers`` above 1, this process becomes the workers' arbiter. The
    file watcher exits the process when a file changes, and the reloader's
    parent starts a fresh child on the same socket.
    """
    if workers > 1:
        Arbiter(server, workers).run()
    elif not watch_files:
        server.serve_forever()
    else:
        thread = threading.Thread(target=server.serve_forever, name="serve")
        thread.daemon = True
        thread.start()
        watch_for_changes()


def stop_on_signal(signum: int, frame: object) -> None:
    """Turn SIGTERM into the KeyboardInterrupt that Ctrl-C raises."""
    raise KeyboardInterrupt(f"signal {signum}")


def configure_logging() -> None:
    """Send request and error lines to stderr unless the host app chose."""
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def make_server(
    host: str,
    port: int,
    app: WSGIApplication,
    *,
    threaded: bool = True,
    request_handler: type[WSGIRequestHandler] | None = None,
    limits: ServerLimits | None = None,
    log_requests: bool = True,
    fd: int | None = None,
) -> BaseWSGIServer:
    """Create a bound, listening server; threaded so a slow client waits alone.

    ``fd`` is a socket already listening (the reloader's): serve on it
    instead of binding a new one.
    """
    server_class = ThreadedWSGIServer if threaded else BaseWSGIServer
    return server_class(
        host,
        port,
        app,
        handler=request_handler,
        limits=limits,
        log_requests=log_requests,
        fd=fd,
    )


class BaseWSGIServer(HTTPServer):
    """Listen on one socket and give each connection to a request handler.

    ``TCPServer.__init__`` binds (``server_bind``) and listens
    (``server_activate``); ``serve_forever`` is the stdlib's selector loop.
    """

    multithread = False
    multiprocess = False
    # In a pre-forked worker, the arbiter's pid (``prefork.py``).
    arbiter_pid: int | None = None
    # The listen backlog: the stdlib's 5 drops connections in a burst.
    request_queue_size = 128

    def __init__(
        self,
        host: str,
        port: int,
        app: WSGIApplication,
        *,
        handler: type[WSGIRequestHandler] | None = None,
        limits: ServerLimits | None = None,
        log_requests: bool = True,
        fd: int | None = None,
    ) -> None:
        self.app = app
        self.limits = limits or ServerLimits()
        self.log_requests = log_requests
        self.request_log = RequestLog() if log_requests else None
        self.connection_count = 0
        self.connection_lock = threading.Lock()
        if ":" in host:
            self.address_family = socket.AF_INET6
        handler = handler or WSGIRequestHandler
        super().__init__((host, port), handler, bind_and_activate=fd is None)
        if fd is not None:
            self.adopt_socket(fd)

    def adopt_socket(self, fd: int) -> None:
        """Serve on a socket that is already bound and listening.

        The reloader's parent binds once, so every child it restarts keeps
        the same port, even one the kernel picked for ``--port 0``.
        """
        self.socket.close()
        self.socket = socket.socket(fileno=fd)
        self.server_address = self.socket.getsockname()
        self.server_name = socket.getfqdn(self.server_address[0])
        self.server_port = self.server_address[1]

    @property
    def url(self) -> str:
        """Return ``http://HOST:PORT/`` with the port the kernel gave us."""
        host, port = self.server_address[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}/"

    def verify_request(self, request: socket.socket, client_address: tuple) -> bool:
        """Admit a connection unless the server is full; then answer 503.

        Every accepted socket passes here once and through
        ``shutdown_request`` once, so the count cannot drift.
        """
        with self.connection_lock:
            self.connection_count += 1
            is_full = self.connection_count > self.limits.max_connections
        if is_full:
            refuse_connection(request)
        return not is_full

    def shutdown_request(self, request: socket.socket) -> None:
        """Close a finished connection and free its place."""
        with self.connection_lock:
            self.connection_count -= 1
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Close the socket, and write the request lines still queued."""
        super().server_close()
        if self.request_log is not None:
            self.request_log.close()

    def service_actions(self) -> None:
        """In a worker, stop once the arbiter is gone, so none is orphaned.

        ``serve_forever`` calls this once per turn of its loop.
        """
        if self.arbiter_pid is not None and os.getppid() != self.arbiter_pid:
            raise KeyboardInterrupt("the arbiter is gone")

    def handle_error(self, request: socket.socket, client_address: tuple) -> None:
        """Log a connection's failure; ``serve_forever`` carries on regardless."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.info("%s: connection closed: %s", client_address[0], error)
        else:
            log.exception("Error on the connection from %s", client_address[0])


def refuse_connection(request: socket.socket) -> None:
    """Send a 503 to a client we cannot take, without waiting on it."""
    error = ServiceUnavailable()
    body = error.get_body()
    headers = [("Connection", "close"), *error.get_headers()]
    headers.append(("Content-Length", str(len(body))))
    try:
        request.settimeout(1.0)
        request.sendall(encode_response_head(error.status, headers) + body)
    except OSError as error_sending:
        log.info("Could not send 503: %s", error_sending)


class ThreadedWSGIServer(socketserver.ThreadingMixIn, BaseWSGIServer):
    """Serve each connection on a thread of its own, reusing finished threads.

    ``ThreadingMixIn.process_request`` would start a new thread per
    connection, ~0.4 ms on the accept loop each time. Ours hands the
    connection to an idle thread through a queue and starts a thread only
    when none is idle; each thread still runs the stdlib's
    ``process_request_thread`` for every connection it serves. Threads
    are daemons, so Ctrl-C does not wait on idle keep-alive clients.
    """

    multithread = True
    daemon_threads = True
    # A thread idle this long leaves the pool; the next burst starts more.
    idle_thread_seconds = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.waiting_connections: queue.SimpleQueue[Connection | None] = (
            queue.SimpleQueue()
        )
        self.idle_threads = 0
        self.pool_lock = threading.Lock()
        self.is_closing = False
        super().__init__(*args, **kwargs)

    def process_request(self, request: socket.socket, client_address: tuple) -> None:
        """Queue the connection for an idle thread; if none is idle, start one.

        A new thread is handed its connection, never sent it through the
        queue: a thread turning idle meanwhile would take it from there, and
        leave the new one waiting for a connection that is not coming. At
        most one thread per admitted connection: ``verify_request`` bounds
        how many there are.
        """
        with self.pool_lock:
            has_idle_thread = self.idle_threads > 0
            if has_idle_thread:
                self.idle_threads -= 1
        connection = (request, client_address)
        if has_idle_thread:
            self.waiting_connections.put(connection)
        else:
            thread = threading.Thread(
                target=self.serve_connections,
                args=(connection,),
                name="connection",
                daemon=True,
            )
            thread.start()

    def serve_connections(self, connection: Connection | None) -> None:
        """Serve one connection after another, as one thread of the pool."""
        while connection is not None:
            self.process_request_thread(*connection)
            connection = self.next_connection()

    def next_connection(self) -> Connection | None:
        """Wait, idle, for the next connection; ``None`` means leave the pool."""
        with self.pool_lock:
            if self.is_closing:
                return None
            self.idle_threads += 1
        try:
            return self.waiting_connections.get(timeout=self.idle_thread_seconds)
        except queue.Empty:
            with self.pool_lock:
                if self.idle_threads > 0:
                    # No connection is on its way to this thread: leave.
                    self.idle_threads -= 1
                    return None
            # The accept loop counted on this thread: its connection comes.
            return self.waiting_connections.get()

    def server_close(self) -> None:
        """Close the socket and tell every idle thread to leave."""
        with self.pool_lock:
            self.is_closing = True
            idle_threads, self.idle_threads = self.idle_threads, 0
        for _ in range(idle_threads):
            self.waiting_connections.put(None)
        super().server_close()
