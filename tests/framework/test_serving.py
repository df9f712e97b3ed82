"""The server over real sockets on 127.0.0.1: bytes in, bytes out.

Each test starts the real server in a thread (``live_server``) and speaks
HTTP/1.1 by hand, so malformed requests, pipelining and framing are tested
byte for byte. Every socket has a timeout; nothing sleeps to synchronise.
"""

from __future__ import annotations

import html
import io
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from wsgiref.validate import validator

import pytest

from walkthrough.framework.serving import ServerLimits, make_server
from walkthrough.framework.types import StartResponse, WSGIEnvironment

WAIT_SECONDS = 5.0
LAST_CHUNK = b"0\r\n\r\n"


# A tiny HTTP/1.1 client: one buffered reader per connection, so pipelined
# responses are parsed in order and no byte of the next one is lost.


@dataclass
class Reply:
    """One parsed response; ``chunks`` is set when it was chunked."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    chunks: list[bytes] | None = None

    def header(self, name: str) -> str | None:
        """Return the first value of ``name``, case-insensitively."""
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        """Return every value of ``name``, case-insensitively."""
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def text(self) -> str:
        """Return the body as text, HTML entities undone (error pages)."""
        return html.unescape(self.body.decode("utf-8"))

    def json(self) -> dict:
        """Return the body parsed as JSON."""
        return json.loads(self.body)


def read_reply(rfile: io.BufferedReader, method: str = "GET") -> Reply:
    """Read one response; raise EOFError if the server closed first."""
    status_line = rfile.readline(65537)
    if not status_line:
        raise EOFError("the server closed the connection without a response")
    version, status, _reason = status_line.decode("latin-1").split(" ", 2)
    assert version == "HTTP/1.1"
    headers = read_fields(rfile)
    reply = Reply(int(status), headers, b"")
    if reply.status < 200 or method == "HEAD" or reply.status in (204, 304):
        return reply
    if reply.header("Transfer-Encoding") == "chunked":
        reply.chunks = read_chunks(rfile)
        reply.body = b"".join(reply.chunks)
    elif reply.header("Content-Length") is not None:
        reply.body = read_exactly(rfile, int(reply.header("Content-Length") or 0))
    else:
        reply.body = rfile.read()
    return reply


def read_fields(rfile: io.BufferedReader) -> list[tuple[str, str]]:
    """Read header lines up to the blank line."""
    fields = []
    while (line := rfile.readline(65537)) != b"\r\n":
        if not line.endswith(b"\r\n"):
            raise EOFError(f"the connection ended inside the head: {line!r}")
        name, colon, value = line.decode("latin-1").partition(":")
        assert colon and name == name.strip(), line
        fields.append((name, value.strip()))
    return fields


def read_chunks(rfile: io.BufferedReader) -> list[bytes]:
    """Decode a chunked body, strictly; EOFError if the last chunk is missing."""
    chunks = []
    while True:
        size_line = rfile.readline(1000)
        if not size_line.endswith(b"\r\n"):
            raise EOFError(f"no last chunk; got {size_line!r}")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            read_fields(rfile)
            return chunks
        chunks.append(read_exactly(rfile, size))
        assert read_exactly(rfile, 2) == b"\r\n"


def read_exactly(rfile: io.BufferedReader, size: int) -> bytes:
    """Read ``size`` bytes or raise EOFError."""
    data = rfile.read(size)
    if len(data) < size:
        raise EOFError(f"wanted {size} bytes, got {len(data)}")
    return data


def is_closed_by_server(rfile: io.BufferedReader) -> bool:
    """Tell whether the server closed: EOF (or reset) before the timeout."""
    try:
        return rfile.read(1) == b""
    except ConnectionResetError:
        return True


def request(
    path: str = "/",
    *,
    method: str = "GET",
    headers: Iterable[str] = ("Host: example.com",),
    body: bytes = b"",
    version: str = "HTTP/1.1",
) -> bytes:
    """Build a raw request; a body gets a Content-Length unless framed."""
    lines = [f"{method} {path} {version}", *headers]
    framing = ("content-length", "transfer-encoding")
    is_framed = any(line.lower().startswith(framing) for line in headers)
    if body and not is_framed:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def exchange(server, raw: bytes, method: str = "GET") -> Reply:
    """Send ``raw`` on a new connection and read one response."""
    with server.connect() as sock, sock.makefile("rb") as rfile:
        sock.sendall(raw)
        return read_reply(rfile, method)


def assert_still_serving(server) -> None:
    """Show a good request on a new connection still gets its answer."""
    reply = exchange(server, request("/after", headers=["Host: x"]))
    assert reply.status == 200


# Apps. Each is a plain WSGI callable, so a failure is the server's.


def echo_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """Answer with the environ's plain values and the body, as JSON."""
    body = environ["wsgi.input"].read()
    facts = {
        key: value
        for key, value in environ.items()
        if isinstance(value, str | bool | int)
    }
    facts["wsgi.version"] = list(environ["wsgi.version"])
    facts["body"] = body.decode("latin-1")
    data = json.dumps(facts).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]


def hello_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """Answer ``Hello`` and never read the body."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]


def stream_app(
    environ: WSGIEnvironment, start_response: StartResponse
) -> Iterator[bytes]:
    """Yield the body in pieces, so its length is unknown to the server."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"one"
    yield b""
    yield b"two"


# The environ the app sees, request by request.

ENVIRON_CASES = [
    pytest.param(
        request("/"),
        {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": "/",
            "QUERY_STRING": "",
            "RAW_URI": "/",
            "REQUEST_URI": "/",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "example.com",
            "CONTENT_LENGTH": None,
            "CONTENT_TYPE": None,
            "body": "",
        },
        id="plain-get",
    ),
    pytest.param(
        request("/caf%C3%A9/a%2Fb%20c?x=%C3%A9&y=&z"),
        {
            "PATH_INFO": "/caf\xc3\xa9/a/b c",
            "QUERY_STRING": "x=%C3%A9&y=&z",
            "RAW_URI": "/caf%C3%A9/a%2Fb%20c?x=%C3%A9&y=&z",
            "REQUEST_URI": "/caf%C3%A9/a%2Fb%20c?x=%C3%A9&y=&z",
        },
        id="percent-decoded-latin-1",
    ),
    pytest.param(
        request("/a?b?c"),
        {"PATH_INFO": "/a", "QUERY_STRING": "b?c"},
        id="question-mark-in-query",
    ),
    pytest.param(
        request(
            "/h",
            headers=[
                "Host: example.com",
                "X-Thing: a",
                "x-thing: b",
                "Cookie: a=1",
                "Cookie: b=2",
                "X_Forwarded_For: 6.6.6.6",
                "Accept: */*",
                "X-Obs-Text: caf\xe9",
            ],
        ),
        {
            "HTTP_X_THING": "a, b",
            "HTTP_COOKIE": "a=1; b=2",
            "HTTP_X_FORWARDED_FOR": None,
            "HTTP_ACCEPT": "*/*",
            "HTTP_X_OBS_TEXT": "caf\xe9",
        },
        id="headers-joined-underscores-dropped",
    ),
    pytest.param(
        request(
            "/submit",
            method="POST",
            headers=["Host: h", "Content-Type: text/plain; charset=utf-8"],
            body=b"hello",
        ),
        {
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": "text/plain; charset=utf-8",
            "CONTENT_LENGTH": "5",
            "HTTP_CONTENT_TYPE": None,
            "HTTP_CONTENT_LENGTH": None,
            "body": "hello",
        },
        id="post-with-body",
    ),
    pytest.param(
        request(
            "/n",
            method="POST",
            headers=["Host: h", "Content-Length: 5, 5"],
            body=b"hello",
        ),
        {"CONTENT_LENGTH": "5", "HTTP_CONTENT_LENGTH": None, "body": "hello"},
        id="content-length-list-of-identical-values",
    ),
    pytest.param(
        request(
            "/n",
            method="POST",
            headers=["Host: h", "Content-Length: 5", "content-length: 5"],
            body=b"hello",
        ),
        {"CONTENT_LENGTH": "5", "body": "hello"},
        id="content-length-repeated-as-one",
    ),
    *[
        pytest.param(
            request("/dav/", method=method),
            {"REQUEST_METHOD": method, "PATH_INFO": "/dav/"},
            id=f"method-{method.lower()}-reaches-app",
        )
        for method in ("PROPFIND", "REPORT", "MKCOL", "TRACE", "BREW")
    ],
    pytest.param(
        request(
            "/up",
            method="PUT",
            headers=["Host: h", "Transfer-Encoding: chunked"],
            body=b"3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
        ),
        {"REQUEST_METHOD": "PUT", "CONTENT_LENGTH": None, "body": "abcde"},
        id="chunked-body",
    ),
    pytest.param(
        request("http://other.example:8080/p?q=1", headers=["Host: ignored.example"]),
        {
            "HTTP_HOST": "other.example:8080",
            "PATH_INFO": "/p",
            "QUERY_STRING": "q=1",
            "RAW_URI": "http://other.example:8080/p?q=1",
        },
        id="absolute-form-sets-host",
    ),
    pytest.param(
        request("http://other.example", headers=["Host: ignored.example"]),
        {"HTTP_HOST": "other.example", "PATH_INFO": "/", "QUERY_STRING": ""},
        id="absolute-form-without-path",
    ),
    pytest.param(
        request("/old", headers=[], version="HTTP/1.0"),
        {"SERVER_PROTOCOL": "HTTP/1.0", "PATH_INFO": "/old", "HTTP_HOST": None},
        id="http-1.0-without-host",
    ),
    pytest.param(
        request("/", version="HTTP/1.2"),
        {"SERVER_PROTOCOL": "HTTP/1.1"},
        id="http-1.2-served-as-1.1",
    ),
    pytest.param(
        request("*", method="OPTIONS"),
        {"REQUEST_METHOD": "OPTIONS", "PATH_INFO": "*", "RAW_URI": "*"},
        id="options-asterisk",
    ),
    pytest.param(
        b"\r\n" + request("/after-blank-line"),
        {"PATH_INFO": "/after-blank-line"},
        id="leading-empty-line-ignored",
    ),
    pytest.param(
        request("/lf").replace(b"\r\n", b"\n"),
        {"PATH_INFO": "/lf", "HTTP_HOST": "example.com"},
        id="bare-lf-line-endings",
    ),
]


@pytest.mark.parametrize(("raw", "expected"), ENVIRON_CASES)
def test_environ_seen_by_app(live_server, raw: bytes, expected: dict) -> None:
    with live_server(echo_app) as server:
        reply = exchange(server, raw)
    assert reply.status == 200
    environ = reply.json()
    seen = {key: environ.get(key) for key in expected}
    assert seen == expected


def test_environ_server_client_and_wsgi_keys(live_server) -> None:
    with live_server(echo_app) as server, server.connect() as sock:
        sock.sendall(request("/"))
        environ = read_reply(sock.makefile("rb")).json()
        client_port = sock.getsockname()[1]
        server_name = server.server.server_name
    assert environ["SERVER_NAME"] == server_name
    assert environ["SERVER_PORT"] == str(server.port)
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["REMOTE_PORT"] == str(client_port)
    assert environ["wsgi.version"] == [1, 0]
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["wsgi.multithread"] is True
    assert environ["wsgi.multiprocess"] is False
    assert environ["wsgi.run_once"] is False
    assert environ["wsgi.input_terminated"] is True


def test_environ_not_threaded_says_so(live_server) -> None:
    with live_server(echo_app, threaded=False) as server:
        environ = exchange(server, request("/")).json()
    assert environ["wsgi.multithread"] is False


# Bad requests: the status, a phrase of the message, a closed connection,
# and then a good request on a new connection still succeeds.

LIMITS = ServerLimits(
    max_request_line_bytes=200,
    max_header_bytes=1000,
    max_header_count=10,
    max_body_bytes=100,
    read_timeout_seconds=5.0,
)
CHUNKED = ["Host: h", "Transfer-Encoding: chunked"]
GZIP_CHUNKED = ["Host: h", "Transfer-Encoding: gzip, chunked"]

BAD_REQUESTS = [
    pytest.param(b"GET /\r\nHost: h\r\n\r\n", 400, "expected 'METHOD TARGET HTTP/x.y'",
                 id="request-line-two-parts"),
    pytest.param(b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "Malformed request line",
                 id="request-line-double-space"),
    pytest.param(b"hello\r\n\r\n", 400, "Malformed request line", id="not-http"),
    pytest.param(request("/", method="G(T"), 400, "method is not a valid token",
                 id="bad-method-token"),
    pytest.param(request("/a#frag"), 400, "Malformed request target", id="target-hash"),
    pytest.param(request("/a%zz"), 400, "Malformed request target", id="target-escape"),
    pytest.param(b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400,
                 "Malformed request target", id="target-non-ascii"),
    pytest.param(request("*"), 400, "Malformed request target", id="asterisk-with-get"),
    pytest.param(request("/", version="HTTP/2.0"), 505,
                 "supports only HTTP/1.0 and HTTP/1.1", id="http-2.0"),
    pytest.param(request("/", version="http/1.1"), 400,
                 "the version must look like HTTP/1.1", id="lowercase-version"),
    pytest.param(request("/", method="PROP{FIND}"), 400, "method is not a valid token",
                 id="method-with-braces"),
    pytest.param(request("/", headers=["Host: h", "Bad(Name: v"]), 400,
                 "Malformed header name 'Bad(Name'", id="illegal-header-name"),
    pytest.param(request("/", headers=["Host : h"]), 400,
                 "no whitespace before the colon", id="space-before-colon"),
    pytest.param(request("/", headers=["Host: h", "X-A: 1", " folded"]), 400,
                 "Obsolete line folding", id="obs-fold"),
    pytest.param(request("/", headers=["Host: h", "X-A: a\x00b"]), 400,
                 "control character", id="nul-in-value"),
    pytest.param(request("/", headers=["Host: h", "X-A: a\rb"]), 400,
                 "control character", id="cr-in-value"),
    pytest.param(request("/", headers=["Host: h", "NoColon"]), 400, "no colon",
                 id="header-without-colon"),
    pytest.param(request("/", headers=[]), 400, "must carry a Host header",
                 id="missing-host"),
    pytest.param(request("/", headers=["Host: a", "Host: b"]), 400,
                 "More than one Host header", id="duplicate-host"),
    pytest.param(request("/", headers=["Host: a b"]), 400, "Malformed Host header",
                 id="malformed-host"),
    pytest.param(
        request("/", method="POST", headers=[*CHUNKED, "Content-Length: 5"],
                body=b"5\r\nhello\r\n0\r\n\r\n"),
        400, "Both Transfer-Encoding and Content-Length", id="cl-and-te"),
    pytest.param(
        request("/", method="POST", headers=["Host: h", "Content-Length: 5",
                                             "Content-Length: 6"], body=b"hello!"),
        400, "Conflicting Content-Length", id="conflicting-cl"),
    pytest.param(
        request("/", method="POST", headers=["Host: h", "Content-Length: +5"],
                body=b"hello"),
        400, "Malformed Content-Length '+5'", id="malformed-cl"),
    pytest.param(
        request("/", method="POST", headers=GZIP_CHUNKED),
        501, "Unsupported transfer coding", id="te-gzip"),
    pytest.param(
        request("/", method="POST", headers=["Transfer-Encoding: chunked"],
                version="HTTP/1.0"),
        400, "not allowed in HTTP/1.0", id="te-on-http-1.0"),
    pytest.param(
        request("/", method="POST", headers=CHUNKED, body=b"zz\r\nhello\r\n0\r\n\r\n"),
        400, "Malformed chunk size line", id="bad-chunk-size"),
    pytest.param(
        request("/", method="POST", headers=CHUNKED, body=b"0x5\r\nhello\r\n0\r\n\r\n"),
        400, "Malformed chunk size line", id="hex-prefixed-chunk-size"),
    pytest.param(
        request("/", method="POST", headers=CHUNKED, body=b"5\r\nhelloXY0\r\n\r\n"),
        400, "not followed by CRLF", id="bad-chunk-terminator"),
    pytest.param(request("/" + "a" * 300), 414, "request line is longer",
                 id="request-line-over-limit"),
    pytest.param(request("/" + "a" * 70000), 414, "request line is longer",
                 id="request-line-over-stdlib-limit"),
    pytest.param(request("/", headers=["Host: h"] + [f"X-{n}: v" for n in range(10)]),
                 431, "More than 10 header fields", id="too-many-headers"),
    pytest.param(request("/", headers=["Host: h", "X-Big: " + "v" * 2000]), 431,
                 "headers exceed 1000 bytes", id="header-too-large"),
    pytest.param(request("/", headers=["Host: h"] + [f"X-{n}: " + "v" * 150
                                                     for n in range(8)]),
                 431, "headers exceed 1000 bytes", id="headers-too-large-in-sum"),
    pytest.param(
        request("/", method="POST", headers=["Host: h", "Content-Length: 101"]),
        413, "larger than this server accepts (100 bytes)", id="body-over-limit-cl"),
    pytest.param(
        request("/", method="POST", headers=["Host: h", "Content-Length: " + "9" * 30]),
        413, "larger than this server accepts", id="body-cl-huge"),
    pytest.param(
        request("/", method="POST", headers=CHUNKED,
                body=(b"40\r\n" + b"x" * 64 + b"\r\n") * 2 + b"0\r\n\r\n"),
        413, "chunked body is larger than 100 bytes", id="body-over-limit-chunked"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "status", "phrase"), BAD_REQUESTS)
def test_bad_request_is_refused_and_server_goes_on(
    live_server, raw: bytes, status: int, phrase: str
) -> None:
    with live_server(echo_app, limits=LIMITS) as server:
        with server.connect() as sock, sock.makefile("rb") as rfile:
            sock.sendall(raw)
            reply = read_reply(rfile)
            assert reply.status == status, reply.text
            assert phrase in reply.text
            assert reply.header("Connection") == "close"
            assert reply.header("Content-Type") == "text/html; charset=utf-8"
            assert is_closed_by_server(rfile)
        assert_still_serving(server)


def test_connection_cap_answers_503_then_recovers(live_server) -> None:
    limits = ServerLimits(max_connections=2)
    with live_server(hello_app, limits=limits) as server, ExitStack() as stack:
        held = []
        for _ in range(2):
            sock = stack.enter_context(server.connect())
            rfile = stack.enter_context(sock.makefile("rb"))
            sock.sendall(request("/"))
            assert read_reply(rfile).status == 200
            held.append((sock, rfile))
        refused = exchange(server, request("/"))
        assert refused.status == 503
        assert "at capacity" in refused.text
        assert refused.header("Retry-After") == "1"
        for closing in held[0]:
            closing.close()
        assert poll_until_status(server, 200) == 200


def poll_until_status(server, wanted: int) -> int:
    """Retry a request until it gets ``wanted``, within WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    status = 0
    while status != wanted and time.monotonic() < deadline:
        status = exchange(server, request("/")).status
    return status


# Connections: keep-alive, pipelining, closing.


def test_keep_alive_serves_several_requests_on_one_connection(live_server) -> None:
    with live_server(echo_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        seen = []
        for index in range(5):
            sock.sendall(request(f"/{index}", method="POST", body=b"x" * index))
            reply = read_reply(rfile)
            assert reply.header("Connection") is None
            environ = reply.json()
            seen.append((environ["PATH_INFO"], environ["body"], environ["REMOTE_PORT"]))
        client_port = str(sock.getsockname()[1])
    assert seen == [(f"/{index}", "x" * index, client_port) for index in range(5)]


def test_pipelined_requests_are_answered_in_order(live_server) -> None:
    raw = (
        request("/one")
        + request("/two", method="POST", body=b"xyz")
        + request("/three", method="PUT", headers=CHUNKED, body=b"2\r\nok\r\n0\r\n\r\n")
    )
    with live_server(echo_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(raw)
        replies = [read_reply(rfile).json() for _ in range(3)]
    assert [(r["PATH_INFO"], r["body"]) for r in replies] == [
        ("/one", ""),
        ("/two", "xyz"),
        ("/three", "ok"),
    ]


@pytest.mark.parametrize(
    ("raw", "response_connection", "is_kept"),
    [
        (request("/", headers=["Host: h", "Connection: close"]), "close", False),
        (
            request("/", headers=["Host: h", "Connection: Upgrade, Close"]),
            "close",
            False,
        ),
        (request("/", headers=["Host: h", "Connection: keep-alive"]), None, True),
        (request("/", headers=[], version="HTTP/1.0"), "close", False),
        (
            request("/", headers=["Connection: keep-alive"], version="HTTP/1.0"),
            "keep-alive",
            True,
        ),
    ],
)
def test_connection_header_is_honoured(
    live_server, raw: bytes, response_connection: str | None, is_kept: bool
) -> None:
    with live_server(hello_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(raw)
        reply = read_reply(rfile)
        assert (reply.status, reply.body) == (200, b"Hello, World!")
        assert reply.header("Connection") == response_connection
        if is_kept:
            sock.sendall(raw)
            assert read_reply(rfile).status == 200
        else:
            assert is_closed_by_server(rfile)


def test_http_1_0_with_unknown_length_is_closed_to_end_the_body(live_server) -> None:
    raw = request("/", headers=["Connection: keep-alive"], version="HTTP/1.0")
    with live_server(stream_app) as server, server.connect() as sock:
        sock.sendall(raw)
        reply = read_reply(sock.makefile("rb"))
    assert reply.header("Transfer-Encoding") is None
    assert reply.header("Content-Length") is None
    assert reply.header("Connection") == "close"
    assert reply.body == b"onetwo"


def test_app_asking_to_close_is_honoured(live_server) -> None:
    def closing_app(environ, start_response):
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Connection", "close")]
        )
        return [b"bye"]

    with live_server(closing_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(request("/") + request("/never"))
        reply = read_reply(rfile)
        assert reply.header_values("Connection") == ["close"]
        assert reply.body == b"bye"
        assert is_closed_by_server(rfile)


def test_hop_by_hop_headers_from_app_are_replaced(live_server) -> None:
    def framing_app(environ, start_response):
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/plain"),
                ("Transfer-Encoding", "chunked"),
                ("Keep-Alive", "timeout=99"),
                ("Upgrade", "h2c"),
            ],
        )
        return [b"body"]

    with live_server(framing_app) as server:
        reply = exchange(server, request("/"))
    assert reply.header("Transfer-Encoding") is None
    assert reply.header("Keep-Alive") is None
    assert reply.header("Upgrade") is None
    assert reply.header("Content-Length") == "4"
    assert reply.body == b"body"


# Framing of responses.


@pytest.mark.parametrize("app", [hello_app, stream_app], ids=["list", "generator"])
def test_head_has_headers_of_get_and_no_body(live_server, app) -> None:
    with live_server(app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(request("/") + request("/", method="HEAD") + request("/"))
        get = read_reply(rfile)
        head = read_reply(rfile, method="HEAD")
        again = read_reply(rfile)
    assert head.status == get.status == again.status == 200
    assert again.body == get.body != b""
    assert head.body == b""
    if app is hello_app:
        without_date = [field for field in get.headers if field[0] != "Date"]
        assert [field for field in head.headers if field[0] != "Date"] == without_date


def test_chunked_response_when_length_is_unknown(live_server) -> None:
    with live_server(stream_app) as server:
        reply = exchange(server, request("/"))
    assert reply.header("Transfer-Encoding") == "chunked"
    assert reply.header("Content-Length") is None
    assert reply.chunks == [b"one", b"two"]


def test_list_of_several_blocks_is_chunked_and_empty_list_is_empty(live_server) -> None:
    def blocks_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"a", b"bc"] if environ["PATH_INFO"] == "/two" else []

    with live_server(blocks_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(request("/two") + request("/none"))
        two, none = read_reply(rfile), read_reply(rfile)
    assert (two.chunks, two.body) == ([b"a", b"bc"], b"abc")
    assert (none.header("Content-Length"), none.body) == ("0", b"")


@pytest.mark.parametrize(
    ("status", "declared"),
    [("204 No Content", None), ("304 Not Modified", None), ("200 OK", "0")],
)
def test_responses_without_body_carry_no_framing_bytes(
    live_server, status: str, declared: str | None
) -> None:
    def empty_app(environ, start_response):
        headers = [("Content-Length", declared)] if declared else []
        start_response(status, headers)
        yield b""

    with live_server(empty_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(request("/") + request("/"))
        first, second = read_reply(rfile), read_reply(rfile)
    assert first.status == second.status == int(status[:3])
    assert first.header("Transfer-Encoding") is None
    assert first.header("Content-Length") == declared


@pytest.mark.parametrize(
    ("declared", "blocks", "body"),
    [("3", [b"abcdef"], b"abc"), ("10", [b"abc"], b"abc")],
    ids=["longer-than-declared", "shorter-than-declared"],
)
def test_body_disagreeing_with_its_length_closes_connection(
    live_server, declared: str, blocks: list[bytes], body: bytes
) -> None:
    def lying_app(environ, start_response):
        start_response("200 OK", [("Content-Length", declared)])
        yield from blocks

    with live_server(lying_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(request("/") + request("/"))
        assert rfile.readline() == b"HTTP/1.1 200 OK\r\n"
        fields = read_fields(rfile)
        assert ("Content-Length", declared) in fields
        assert rfile.read() == body


# Request bodies.


def test_chunked_request_body_with_extensions_and_trailers(live_server) -> None:
    body = (
        b"5;name=value\r\nhello\r\n6\r\n world\r\n0;end\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n"
    )
    with live_server(echo_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(request("/", method="POST", headers=CHUNKED, body=body))
        first = read_reply(rfile).json()
        sock.sendall(request("/next"))
        second = read_reply(rfile).json()
    assert first["body"] == "hello world"
    assert first.get("HTTP_X_SUM") is None
    assert second["PATH_INFO"] == "/next"


@pytest.mark.parametrize(
    "raw",
    [
        request("/", method="POST", headers=["Host: h"], body=b"0123456789" * 50),
        request("/", method="POST", headers=CHUNKED, body=b"3\r\nabc\r\n0\r\n\r\n"),
    ],
    ids=["content-length", "chunked"],
)
def test_unread_body_is_drained_for_the_next_request(live_server, raw: bytes) -> None:
    with live_server(hello_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(raw + request("/next"))
        first, second = read_reply(rfile), read_reply(rfile)
    assert first.header("Connection") is None
    assert (first.status, second.status) == (200, 200)


def test_unread_body_over_the_drain_limit_closes(live_server) -> None:
    limits = ServerLimits(max_body_bytes=100)
    raw = request("/", method="POST", headers=CHUNKED, body=b"80\r\n" + b"x" * 128)
    with live_server(hello_app, limits=limits) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(raw + b"\r\n0\r\n\r\n")
        assert read_reply(rfile).status == 200
        assert is_closed_by_server(rfile)


def test_expect_100_continue_is_sent_when_the_app_reads(live_server) -> None:
    head = request(
        "/",
        method="POST",
        headers=["Host: h", "Expect: 100-continue", "Content-Length: 5"],
    )
    with live_server(echo_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(head)
        interim = read_reply(rfile)
        assert (interim.status, interim.headers) == (100, [])
        sock.sendall(b"hello")
        final = read_reply(rfile)
        assert final.json()["body"] == "hello"
        sock.sendall(request("/next"))
        assert read_reply(rfile).json()["PATH_INFO"] == "/next"


def test_expect_100_continue_unread_gets_no_100_and_closes(live_server) -> None:
    head = request(
        "/",
        method="POST",
        headers=["Host: h", "Expect: 100-continue", "Content-Length: 5"],
    )
    with live_server(hello_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(head)
        reply = read_reply(rfile)
        assert reply.status == 200
        assert reply.header("Connection") == "close"
        assert is_closed_by_server(rfile)


# The WSGI contract: start_response, write, close.


def test_start_response_with_exc_info_replaces_status(live_server) -> None:
    def recovering_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-First", "1")])
        try:
            raise ValueError("boom")
        except ValueError:
            start_response(
                "503 Service Unavailable",
                [("Content-Type", "text/plain")],
                sys.exc_info(),
            )
        return [b"sorry"]

    with live_server(recovering_app) as server:
        reply = exchange(server, request("/"))
    assert (reply.status, reply.body) == (503, b"sorry")
    assert reply.header("X-First") is None


def test_start_response_with_exc_info_after_headers_cuts_connection(
    live_server, caplog
) -> None:
    def late_error_app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"partial")
        try:
            raise ValueError("late")
        except ValueError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b"never"]

    with live_server(late_error_app) as server, server.connect() as sock:
        sock.sendall(request("/"))
        raw = sock.makefile("rb").read()
    assert b"7\r\npartial\r\n" in raw
    assert not raw.endswith(LAST_CHUNK)
    assert b"never" not in raw
    assert "late" in caplog.text


def test_start_response_twice_without_exc_info_is_500(live_server) -> None:
    def twice_app(environ, start_response):
        start_response("200 OK", [])
        start_response("404 Not Found", [])
        return [b"x"]

    with live_server(twice_app) as server:
        assert exchange(server, request("/")).status == 500


def test_write_callable_sends_before_the_iterable(live_server) -> None:
    def write_app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"a")
        write(b"")
        write(b"b")
        return [b"c"]

    with live_server(write_app) as server:
        reply = exchange(server, request("/"))
    assert reply.chunks == [b"a", b"b", b"c"]


class ClosingIterable:
    """An app iterable that records its ``close()`` call."""

    def __init__(self, blocks: list[bytes]) -> None:
        self.blocks = blocks
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.blocks)

    def close(self) -> None:
        self.closed.set()


def test_iterable_close_is_called(live_server) -> None:
    iterable = ClosingIterable([b"x", b"y"])

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iterable

    with live_server(app) as server:
        assert exchange(server, request("/")).body == b"xy"
        assert iterable.closed.wait(WAIT_SECONDS)


def test_close_is_called_when_client_disconnects_mid_stream(live_server) -> None:
    closed = threading.Event()
    sent_first = threading.Event()

    def endless_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        try:
            for _ in range(2000):
                yield b"x" * 65536
                sent_first.set()
        finally:
            closed.set()

    with live_server(endless_app) as server:
        with server.connect() as sock:
            sock.sendall(request("/"))
            assert sock.recv(100).startswith(b"HTTP/1.1 200 OK")
            assert sent_first.wait(WAIT_SECONDS)
        assert closed.wait(WAIT_SECONDS)
        assert_still_serving(server)


def test_streaming_arrives_before_the_app_finishes(live_server) -> None:
    release = threading.Event()

    def gated_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"first"
        # If the server buffered "first", the client never sees it, never
        # releases us, and the body says so.
        yield b"second" if release.wait(WAIT_SECONDS) else b"buffered!"

    with live_server(gated_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(request("/"))
        assert rfile.readline() == b"HTTP/1.1 200 OK\r\n"
        assert ("Transfer-Encoding", "chunked") in read_fields(rfile)
        assert rfile.readline() == b"5\r\n"
        assert rfile.read(7) == b"first\r\n"
        release.set()
        assert read_chunks(rfile) == [b"second"]


# Failures of the app stay inside the server.


def test_app_raising_before_start_is_500_and_server_goes_on(
    live_server, caplog
) -> None:
    def broken_app(environ, start_response):
        raise RuntimeError("broken before start")

    with live_server(broken_app) as server:
        reply = exchange(server, request("/"))
        assert reply.status == 500
        assert "internal error" in reply.text
        assert "broken before start" not in reply.text
        assert reply.header("Connection") == "close"
    assert "broken before start" in caplog.text


def test_app_raising_before_start_still_serves_next_connection(live_server) -> None:
    def sometimes_broken_app(environ, start_response):
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("boom")
        return hello_app(environ, start_response)

    with live_server(sometimes_broken_app) as server:
        assert exchange(server, request("/boom")).status == 500
        assert_still_serving(server)


def test_app_raising_mid_stream_cuts_connection(live_server, caplog) -> None:
    def failing_stream_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial"
        raise RuntimeError("mid-stream failure")

    with live_server(failing_stream_app) as server:
        with server.connect() as sock:
            sock.sendall(request("/"))
            raw = sock.makefile("rb").read()
        assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"7\r\npartial\r\n" in raw
        assert not raw.endswith(LAST_CHUNK)
        assert b"500" not in raw
    assert "mid-stream failure" in caplog.text


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        ("200 OK", [("X-Evil", "a\r\nSet-Cookie: pwned=1")]),
        ("200 OK", [("X-Evil\r\nSet-Cookie", "pwned=1")]),
        ("200 OK\r\nSet-Cookie: pwned=1", []),
        ("200 OK", [("X-Evil", "a\nSet-Cookie: pwned=1")]),
    ],
)
def test_response_splitting_from_app_is_500(
    live_server, status: str, headers: list[tuple[str, str]]
) -> None:
    def splitting_app(environ, start_response):
        start_response(status, headers)
        return [b"body"]

    with live_server(splitting_app) as server, server.connect() as sock:
        sock.sendall(request("/"))
        raw = sock.makefile("rb").read()
    assert raw.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"pwned" not in raw


@pytest.mark.parametrize("block", ["text", 42, None], ids=["str", "int", "none"])
def test_app_yielding_non_bytes_is_500(live_server, block: object) -> None:
    def wrong_type_app(environ, start_response):
        if environ["PATH_INFO"] == "/after":
            return hello_app(environ, start_response)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [block]

    with live_server(wrong_type_app) as server:
        reply = exchange(server, request("/"))
        assert reply.status == 500
        assert_still_serving(server)


def test_app_writing_before_start_response_is_500(live_server) -> None:
    def eager_app(environ, start_response):
        yield b"too soon"

    with live_server(eager_app) as server:
        assert exchange(server, request("/")).status == 500


# Slow and idle clients.


def test_slowloris_does_not_starve_a_normal_client(live_server) -> None:
    partial_requests = [b"GET /slow HTT", b"GET / HTTP/1.1\r\nHost: h\r\nX-Slow: "]
    with live_server(hello_app) as server, ExitStack() as stack:
        for index in range(50):
            sock = stack.enter_context(server.connect())
            sock.sendall(partial_requests[index % 2])
        assert_still_serving(server)


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET / HTTP/1.1\r\nHost: h\r\n", request("/")],
    ids=["nothing", "partial-head", "after-a-response"],
)
def test_idle_connection_is_dropped_after_read_timeout(
    live_server, sent: bytes
) -> None:
    limits = ServerLimits(read_timeout_seconds=0.5)
    with live_server(hello_app, limits=limits) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(sent)
        if sent.endswith(b"\r\n\r\n"):
            assert read_reply(rfile).status == 200
        assert is_closed_by_server(rfile)


# wsgiref's validator around our apps, served over HTTP: the server keeps
# every PEP 3333 promise the validator checks, or the app raises a 500.


def validated_post_app(environ, start_response):
    """Read the body with the calls the validator allows, then echo it."""
    wsgi_input = environ["wsgi.input"]
    first_line = wsgi_input.readline()
    rest = wsgi_input.read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.errors"].write("")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [first_line, rest]


def validated_write_app(environ, start_response):
    """Use the write callable, then return an empty iterable."""
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written")
    return []


VALIDATED = [
    (hello_app, request("/"), "GET", b"Hello, World!"),
    (hello_app, request("/", method="HEAD"), "HEAD", b""),
    (stream_app, request("/s?q=1"), "GET", b"onetwo"),
    (stream_app, request("/", method="HEAD"), "HEAD", b""),
    (validated_write_app, request("/"), "GET", b"written"),
    (
        validated_post_app,
        request("/", method="POST", headers=["Host: h"], body=b"line\nrest"),
        "POST",
        b"line\nrest",
    ),
    (
        validated_post_app,
        request("/", method="POST", headers=CHUNKED, body=b"3\r\nab\n\r\n0\r\n\r\n"),
        "POST",
        b"ab\n",
    ),
]


@pytest.mark.filterwarnings("error::wsgiref.validate.WSGIWarning")
@pytest.mark.parametrize(("app", "raw", "method", "body"), VALIDATED)
def test_wsgiref_validator_finds_nothing(
    live_server, caplog, app: Callable, raw: bytes, method: str, body: bytes
) -> None:
    caplog.set_level(logging.WARNING, logger="walkthrough.serving")
    with live_server(validator(app)) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(raw + request("/again"))
        reply = read_reply(rfile, method)
        again = read_reply(rfile)
    assert (reply.status, reply.body) == (200, body)
    assert again.status == 200
    assert caplog.records == []


def test_head_answered_with_empty_body_gets_no_false_length(live_server) -> None:
    def werkzeug_like_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [b"abc"]

    with live_server(werkzeug_like_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(request("/", method="HEAD") + request("/"))
        head = read_reply(rfile, method="HEAD")
        get = read_reply(rfile)
    assert head.header("Content-Length") is None
    assert get.header("Content-Length") == "3"


def test_request_sent_one_byte_at_a_time(live_server) -> None:
    raw = request(
        "/slowly", method="POST", headers=CHUNKED, body=b"2\r\nok\r\n0\r\n\r\n"
    )
    with live_server(echo_app) as server, server.connect() as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for index in range(len(raw)):
            sock.sendall(raw[index : index + 1])
        environ = read_reply(sock.makefile("rb")).json()
    assert (environ["PATH_INFO"], environ["body"]) == ("/slowly", "ok")


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_large_response_body_arrives_intact(live_server, declared: bool) -> None:
    blocks = [bytes([index]) * 65536 for index in range(16)]

    def large_app(environ, start_response):
        size = sum(map(len, blocks))
        start_response("200 OK", [("Content-Length", str(size))] if declared else [])
        return iter(blocks)

    with live_server(large_app) as server, server.connect() as sock:
        rfile = sock.makefile("rb")
        sock.sendall(request("/") + request("/"))
        first, second = read_reply(rfile), read_reply(rfile)
    assert first.body == second.body == b"".join(blocks)
    assert (first.header("Transfer-Encoding") == "chunked") is not declared


def test_ipv6_loopback_url_and_request() -> None:
    try:
        server = make_server("::1", 0, hello_app, log_requests=False)
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        port = server.server_address[1]
        assert server.url == f"http://[::1]:{port}/"
        address = ("::1", port)
        with socket.create_connection(address, timeout=WAIT_SECONDS) as sock:
            sock.sendall(request("/", headers=[f"Host: [::1]:{port}"]))
            assert read_reply(sock.makefile("rb")).body == b"Hello, World!"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=WAIT_SECONDS)
