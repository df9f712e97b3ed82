"""Fixtures shared by every test: a live server on 127.0.0.1, port 0.

``live_server`` is Werkzeug's ``dev_server`` fixture in spirit: the real
server in a thread, a URL to talk to, and a clean stop, each wait bounded.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from walkthrough.framework.serving import BaseWSGIServer, ServerLimits, make_server
from walkthrough.framework.types import WSGIApplication
from walkthrough.tour.content import Tour, load_tour

SOCKET_TIMEOUT_SECONDS = 5.0
# How long a test waits for the server to see a changed file.
CHANGE_WAIT_SECONDS = 10.0


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

    def get_text(self, path: str) -> tuple[int, str]:
        """GET ``path`` over a real socket; return (status, body text)."""
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=SOCKET_TIMEOUT_SECONDS
        )
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def get_text_until(self, path: str, text: str) -> str:
        """GET ``path`` until its body contains ``text``, or a deadline passes.

        For a change the server sees only at its next look (an edited tour).
        """
        deadline = time.monotonic() + CHANGE_WAIT_SECONDS
        page = self.get_text(path)[1]
        while text not in page and time.monotonic() < deadline:
            page = self.get_text(path)[1]
        return page


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


# ---------------------------------------------------------------- a Chinese tour
# Search and typography tests need a tour in Chinese before the site serves
# one: this reads a translation (content/zh/<tour>.md, format in
# content/README.md) just far enough to put its titles and prose on the
# English tour's steps. The site's own loader is what readers get.
CONTENT = Path(__file__).resolve().parent.parent / "content"
STEP_BLOCK_RE = re.compile(r"^```step\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def translated_tour(tour_id: str, language: str = "zh") -> Tour:
    """Return the English tour with its translation's titles and prose."""
    english = load_tour(CONTENT / f"{tour_id}.md")
    text = (CONTENT / language / f"{tour_id}.md").read_text(encoding="utf-8")
    _, front, body = text.split("+++\n", 2)
    sections = re.split(r"^## ", body, flags=re.MULTILINE)[1:]
    steps = []
    for section in sections:
        heading, rest = section.split("\n", 1)
        block = STEP_BLOCK_RE.search(rest)
        assert block, f"no step block under {heading!r}"
        step = english.step(tomllib.loads(block[1])["id"])
        assert step is not None, f"{heading!r}: no English step"
        prose = rest[block.end() :].strip()
        title = heading.replace("`", "").strip()
        steps.append(replace(step, title=title, prose_markdown=prose))
    title = tomllib.loads(front)["title"]
    return replace(english, title=title, steps=tuple(steps))


@pytest.fixture(scope="session")
def zh_flask_tour() -> Tour:
    """The Flask tour with its Chinese titles and prose."""
    return translated_tour("flask")


@pytest.fixture(scope="session")
def zh_edition() -> list[Tour]:
    """Every tour that has a Chinese translation, with its titles and prose."""
    names = sorted(path.stem for path in (CONTENT / "zh").glob("*.md"))
    return [translated_tour(name) for name in names]
