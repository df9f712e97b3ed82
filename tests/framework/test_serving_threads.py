"""The threaded server's threads: reused across connections, and let go.

Each connection is served on one thread to its end; a thread that finished
one goes on to the next instead of a new thread being started.
"""

from __future__ import annotations

import socket
import threading

import pytest

from walkthrough.framework import serving
from walkthrough.framework.serving import make_server
from walkthrough.framework.types import StartResponse, WSGIEnvironment

WAIT_SECONDS = 5.0
CONNECTIONS = 20


class ThreadRecorder:
    """A WSGI app that answers how many requests its thread has served."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.threads: list[threading.Thread] = []

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> list[bytes]:
        self.local.served = getattr(self.local, "served", 0) + 1
        self.threads.append(threading.current_thread())
        body = str(self.local.served).encode("ascii")
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]


def get_once(port: int) -> int:
    """Send one ``Connection: close`` request; read to the server's close."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        reply = b""
        while data := sock.recv(4096):
            reply += data
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    return int(body)


def test_a_thread_serves_one_connection_after_another(live_server) -> None:
    app = ThreadRecorder()
    with live_server(app) as server:
        served = [get_once(server.port) for _ in range(CONNECTIONS)]
    # A thread started per connection would answer 1 every time.
    assert max(served) > 1, served
    assert len(set(map(id, app.threads))) < CONNECTIONS
    assert {thread.name for thread in app.threads} == {"connection"}


def test_every_idle_thread_ends_when_the_server_closes(live_server) -> None:
    app = ThreadRecorder()
    with live_server(app) as server:
        for _ in range(3):
            get_once(server.port)
    for thread in set(app.threads):
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive()


def test_a_thread_idle_too_long_leaves_the_pool(live_server) -> None:
    app = ThreadRecorder()
    with live_server(app) as server:
        server.server.idle_thread_seconds = 0.01
        get_once(server.port)
        [thread] = app.threads
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive()
        # The server goes on, on a new thread.
        assert get_once(server.port) == 1
        assert app.threads[1] is not thread


def test_a_new_threads_connection_is_never_taken_by_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A thread that turns idle just as a new one starts must not take its connection.

    Had it, the new thread would wait on the queue for a connection that is
    not coming, and get no ``None`` when the server closes either: a thread
    left behind for ever. Here the new thread is held back from starting
    until a thread of the pool, just done with its own connection, has looked.
    """
    server = make_server("127.0.0.1", 0, ThreadRecorder(), log_requests=False)
    server.idle_thread_seconds = 0.05
    held: list[threading.Thread] = []
    make_thread = threading.Thread

    def held_thread(*args: object, **kwargs: object) -> threading.Thread:
        thread = make_thread(*args, **kwargs)  # type: ignore[arg-type]
        thread.start = lambda: None  # type: ignore[method-assign]
        held.append(thread)
        return thread

    client = socket.create_connection(server.server_address, timeout=WAIT_SECONDS)
    try:
        monkeypatch.setattr(serving.threading, "Thread", held_thread)
        server._handle_request_noblock()  # accept, verify, process_request
        monkeypatch.undo()
        [new_thread] = held
        # A pool thread done with its connection looks for the next one.
        assert server.next_connection() is None
        make_thread.start(new_thread)
        client.sendall(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        assert client.recv(4096).startswith(b"HTTP/1.1 200 ")
    finally:
        client.close()
        server.server_close()
    new_thread.join(WAIT_SECONDS)
    assert not new_thread.is_alive()
