"""The same little app on real Flask and on ours: same answers to the same requests.

Each case compares status, the headers that matter (Content-Type, Location,
Allow, Content-Length, and the app's own) and the body. Error pages the
framework renders itself ("page") match Werkzeug's markup, but some of
Werkzeug's descriptions are longer than ours (``exceptions.py``), so their
``<p>`` line and Content-Length are left out; for the 308 ("redirect")
Werkzeug renders a redirect page instead, so only status and headers count.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import urljoin

import pytest

flask = pytest.importorskip("flask")

from walkthrough.framework import app as our_app  # noqa: E402
from walkthrough.framework import exceptions as our_exceptions  # noqa: E402
from walkthrough.framework import globals as our_globals  # noqa: E402

OURS = SimpleNamespace(
    App=our_app.App, abort=our_exceptions.abort, request=our_globals.request
)
FLASK = SimpleNamespace(App=flask.Flask, abort=flask.abort, request=flask.request)
BASE_URL = "http://localhost/"
DESCRIPTION_RE = re.compile(rb"<p>.*</p>\n")


def build(fw: SimpleNamespace, *, handle_404: bool) -> Any:
    """Write the parity app once, against either framework's names."""
    app = fw.App("parity")

    @app.route("/")
    def hello() -> str:
        return "Hello, World!"

    @app.route("/user/<int:user_id>")
    def user(user_id: int) -> str:
        return f"user {user_id + 1}"

    @app.route("/only-post", methods=["POST"])
    def only_post() -> str:
        return "posted"

    @app.route("/docs/")
    def docs() -> str:
        return "docs"

    @app.route("/json")
    def json_view() -> dict:
        return {"b": [1, 2], "a": "é", "n": None}

    @app.route("/tuple")
    def tuple_view() -> tuple:
        return "created", 201, {"X-Custom": "yes", "Content-Type": "text/plain"}

    @app.route("/forbidden")
    def forbidden() -> str:
        fw.abort(403)
        return "unreachable"

    @app.route("/guarded")
    def guarded() -> str:
        return "view ran"

    @app.before_request
    def guard() -> Any:
        if fw.request.path == "/guarded":
            return "blocked", 401
        return None

    @app.after_request
    def stamp(response: Any) -> Any:
        response.headers["X-Stamp"] = "after"
        return response

    if handle_404:

        @app.errorhandler(404)
        def not_found(error: Exception) -> tuple:
            return f"custom 404 for {fw.request.path}", 404

    return app


CASES = [
    # (id, method, path, handle_404, how the body is compared)
    ("hello", "GET", "/", False, "full"),
    ("int converter", "GET", "/user/41", False, "full"),
    ("int converter rejects", "GET", "/user/abc", False, "page"),
    ("404", "GET", "/missing", False, "page"),
    ("405 with Allow", "GET", "/only-post", False, "full"),
    ("POST allowed", "POST", "/only-post", False, "full"),
    ("strict slash 308", "GET", "/docs", False, "redirect"),
    ("strict slash keeps query", "GET", "/docs?page=2", False, "redirect"),
    ("JSON dict", "GET", "/json", False, "full"),
    ("tuple status and headers", "GET", "/tuple", False, "full"),
    ("abort 403", "GET", "/forbidden", False, "page"),
    ("errorhandler 404", "GET", "/missing", True, "full"),
    ("before_request early return", "GET", "/guarded", False, "full"),
    ("HEAD", "HEAD", "/", False, "full"),
    ("HEAD JSON", "HEAD", "/json", False, "full"),
    ("automatic OPTIONS", "OPTIONS", "/", False, "full"),
]


def answer(fw: SimpleNamespace, method: str, path: str, handle_404: bool) -> dict:
    """Send one request through the framework's own test client."""
    response = build(fw, handle_404=handle_404).test_client().open(path, method=method)
    location = response.headers.get("Location")
    allow = response.headers.get("Allow")
    return {
        "status": response.status_code,
        "Content-Type": response.headers.get("Content-Type"),
        "Content-Length": response.headers.get("Content-Length"),
        # Werkzeug makes Location absolute; ours is a path. Resolve both.
        "Location": None if location is None else urljoin(BASE_URL, location),
        "Allow": None if allow is None else sorted(allow.replace(" ", "").split(",")),
        "X-Custom": response.headers.get("X-Custom"),
        "X-Stamp": response.headers.get("X-Stamp"),
        "body": response.data,
    }


@pytest.mark.parametrize(
    ("method", "path", "handle_404", "body_mode"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_same_answer_as_flask(method, path, handle_404, body_mode) -> None:
    ours = answer(OURS, method, path, handle_404)
    theirs = answer(FLASK, method, path, handle_404)
    if body_mode != "full":
        for side in (ours, theirs):
            side.pop("Content-Length")
            body = side.pop("body")
            if body_mode == "page":
                side["page"] = DESCRIPTION_RE.sub(b"", body)
    assert ours == theirs


def test_parity_cases_cover_the_issue_list() -> None:
    names = {case[0] for case in CASES}
    required = {
        "hello",
        "int converter",
        "404",
        "405 with Allow",
        "strict slash 308",
        "JSON dict",
        "tuple status and headers",
        "abort 403",
        "errorhandler 404",
        "before_request early return",
        "HEAD",
    }
    assert required <= names


@pytest.mark.parametrize("fw", [OURS, FLASK], ids=["ours", "flask"])
def test_a_failing_teardown_stops_those_registered_before_it(fw) -> None:
    """Flask 3.1 calls teardown functions in a plain loop (app.py,
    ``do_teardown_request``): the first that raises ends it, and the error
    reaches the caller. (Flask's main branch collects them all instead.)"""
    app = fw.App("teardown")
    called: list[str] = []
    app.teardown_request(lambda exc: called.append("registered first"))

    @app.teardown_request
    def fails(exc: BaseException | None) -> None:
        raise RuntimeError("teardown failed")

    app.add_url_rule("/", "index", lambda: "ok")
    with pytest.raises(RuntimeError, match="teardown failed"):
        app.test_client().get("/")
    assert called == []
