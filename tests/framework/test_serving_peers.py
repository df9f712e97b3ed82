"""Our server beside its peers: real Flask on our server, our app on gunicorn.

If real Flask works through ``make_server``, the environ and framing are
what a production framework expects; if ``examples/hello.py`` answers the
same on gunicorn as on our server, the example is a plain WSGI app.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

flask = pytest.importorskip("flask")

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TIMEOUT_SECONDS = 5.0
STARTUP_SECONDS = 20.0


def make_flask_app() -> flask.Flask:
    """Build a small real Flask app touching forms, JSON and streaming."""
    app = flask.Flask(__name__)

    @app.get("/")
    def index() -> str:
        return "Hello from Flask"

    @app.post("/form")
    def form() -> dict:
        return {
            "name": flask.request.form["name"],
            "tags": flask.request.form.getlist("tag"),
        }

    @app.post("/json")
    def json_echo() -> flask.Response:
        return flask.jsonify(received=flask.request.get_json())

    @app.get("/old")
    def old() -> flask.Response:
        return flask.redirect("/new")

    @app.get("/stream")
    def stream() -> flask.Response:
        return flask.Response(count_up(3), mimetype="text/plain")

    return app


def count_up(limit: int) -> Iterator[str]:
    """Yield ``0,1,2,...`` one piece at a time."""
    for number in range(limit):
        yield f"{number},"


def fetch(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    """Send one request on a kept-alive connection and read all of it."""
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def test_flask_app_on_our_server(live_server) -> None:
    with live_server(make_flask_app()) as server:
        connection = http.client.HTTPConnection(
            "127.0.0.1", server.port, timeout=TIMEOUT_SECONDS
        )
        response, body = fetch(connection, "GET", "/")
        assert (response.status, body) == (200, b"Hello from Flask")
        assert response.getheader("Content-Type") == "text/html; charset=utf-8"
        assert response.getheader("Content-Length") == str(len(body))

        form = urlencode([("name", "Ada é"), ("tag", "a"), ("tag", "b")]).encode()
        form_type = {"Content-Type": "application/x-www-form-urlencoded"}
        response, body = fetch(connection, "POST", "/form", form, form_type)
        assert response.status == 200
        assert json.loads(body) == {"name": "Ada é", "tags": ["a", "b"]}

        payload = json.dumps({"n": [1, 2], "s": "ü"}).encode()
        json_type = {"Content-Type": "application/json"}
        response, body = fetch(connection, "POST", "/json", payload, json_type)
        assert json.loads(body) == {"received": {"n": [1, 2], "s": "ü"}}

        response, body = fetch(connection, "GET", "/missing")
        assert response.status == 404
        assert b"Not Found" in body

        response, body = fetch(connection, "GET", "/old")
        assert response.status == 302
        assert response.getheader("Location") == "/new"

        response, body = fetch(connection, "GET", "/stream")
        assert (response.status, body) == (200, b"0,1,2,")
        assert response.getheader("Transfer-Encoding") == "chunked"

        response, body = fetch(connection, "HEAD", "/")
        assert (response.status, body) == (200, b"")
        assert response.getheader("Content-Length") == str(len(b"Hello from Flask"))

        response, body = fetch(connection, "POST", "/")
        assert response.status == 405
        assert response.getheader("Allow") is not None
        connection.close()


def test_flask_chunked_upload_on_our_server(live_server) -> None:
    with live_server(make_flask_app()) as server:
        connection = http.client.HTTPConnection(
            "127.0.0.1", server.port, timeout=TIMEOUT_SECONDS
        )
        chunks = iter([b'{"n": ', b"[1, 2]}"])
        connection.request(
            "POST",
            "/json",
            body=chunks,
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert json.loads(response.read()) == {"received": {"n": [1, 2]}}
        connection.close()


def free_port() -> int:
    """Ask the kernel for a free port on loopback; gunicorn binds it next."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_output(stream, needle: bytes, seconds: float) -> bytes:
    """Read ``stream`` until ``needle`` appears, or fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    seen = b""
    while needle not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {needle!r} within {seconds}s; got {seen!r}")
        ready, _, _ = select.select([stream], [], [], remaining)
        if ready:
            data = os.read(stream.fileno(), 65536)
            if not data:
                raise EOFError(f"stream closed before {needle!r}; got {seen!r}")
            seen += data
    return seen


def get(port: int, path: str) -> tuple[int, str | None, bytes]:
    """GET ``path`` from loopback ``port``; return status, type and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10.0)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def test_example_hello_answers_the_same_on_gunicorn(live_server) -> None:
    spec = importlib.util.spec_from_file_location("hello", EXAMPLES / "hello.py")
    hello = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hello)
    with live_server(hello.app) as server:
        ours = get(server.port, "/some/path")

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--chdir",
        str(EXAMPLES),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--graceful-timeout",
        "5",
        "hello:app",
    ]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_output(process.stderr, b"Booting worker", STARTUP_SECONDS)
        theirs = get(port, "/some/path")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=STARTUP_SECONDS)
        process.stderr.close()
    assert ours == theirs
    assert ours == (
        200,
        "text/plain; charset=utf-8",
        b"Hello from walkthrough: you asked for /some/path\n",
    )
