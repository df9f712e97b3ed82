"""The request log: a line per request, soon after it, and none lost at close."""

from __future__ import annotations

import http.client
import logging
import queue
import re
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from walkthrough.framework.requestlog import log_date, request_line
from walkthrough.framework.types import StartResponse, WSGIEnvironment

WAIT_SECONDS = 5.0
LINE_RE = re.compile(
    r"127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4} \d\d:\d\d:\d\d\] "
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/1\.1" (?P<code>\d{3}) -'
)


def hello_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """Answer 200, or 404 under ``/missing``."""
    status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [b"hi"]


class QueueHandler(logging.Handler):
    """Hand each record's message to a queue the test reads with a timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: queue.Queue[str] = queue.Queue()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.put(record.getMessage())

    def lines(self) -> list[str]:
        """Return every line written so far, without waiting."""
        lines = []
        while not self.messages.empty():
            lines.extend(self.messages.get_nowait().split("\n"))
        return lines


@pytest.fixture
def request_lines() -> Iterator[QueueHandler]:
    """Catch what the server logs, for this test only."""
    handler = QueueHandler()
    logger = logging.getLogger("walkthrough.serving")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def get_each(port: int, paths: list[str]) -> None:
    """GET each path on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_SECONDS)
    try:
        for path in paths:
            connection.request("GET", path)
            connection.getresponse().read()
    finally:
        connection.close()


def test_each_request_is_logged_while_the_server_runs(
    live_server, request_lines: QueueHandler
) -> None:
    paths = ["/a", "/missing", "/c"]
    with live_server(hello_app, log_requests=True) as server:
        get_each(server.port, paths)
        lines: list[str] = []
        while len(lines) < len(paths):
            message = request_lines.messages.get(timeout=WAIT_SECONDS)
            lines.extend(message.split("\n"))
    matches = [LINE_RE.fullmatch(line) for line in lines]
    assert all(matches), lines
    seen = [(match["path"], match["code"]) for match in matches if match]
    assert seen == [("/a", "200"), ("/missing", "404"), ("/c", "200")]


def test_no_line_is_lost_when_the_server_closes(
    live_server, request_lines: QueueHandler
) -> None:
    paths = [f"/n{number}" for number in range(30)]
    with live_server(hello_app, log_requests=True) as server:
        get_each(server.port, paths)
    # The ``with`` closed the server: every line is written by now, unwaited.
    logged = [LINE_RE.fullmatch(line) for line in request_lines.lines()]
    assert [match["path"] for match in logged if match] == paths


def test_a_refused_request_is_logged_with_its_status(
    live_server, request_lines: QueueHandler
) -> None:
    with live_server(hello_app, log_requests=True) as server:
        with server.connect() as sock:
            sock.sendall(b"GET /x HTTP/1.1\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 400")
    assert any('"GET /x HTTP/1.1" 400 ' in line for line in request_lines.lines()), (
        request_lines.lines()
    )


def test_quiet_server_logs_no_request(live_server, request_lines) -> None:
    with live_server(hello_app, log_requests=False) as server:
        get_each(server.port, ["/a"])
    assert request_lines.lines() == []


def test_log_date_matches_the_stdlib_format() -> None:
    stdlib_handler = BaseHTTPRequestHandler.__new__(BaseHTTPRequestHandler)
    for _ in range(3):
        second = int(time.time())
        ours, theirs = log_date(), stdlib_handler.log_date_time_string()
        if int(time.time()) == second:
            break
    assert ours == theirs


def test_request_line_is_the_stdlib_line() -> None:
    line = request_line("10.0.0.1", "GET / HTTP/1.1", 200, "-")
    client, date, request = re.fullmatch(r"(\S+) - - \[(.*)\] (.*)", line).groups()
    assert (client, request) == ("10.0.0.1", '"GET / HTTP/1.1" 200 -')
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4} \d\d:\d\d:\d\d", date)
