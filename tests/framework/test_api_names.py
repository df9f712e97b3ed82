"""Small Werkzeug and Flask names added so their own tests can run on ours.

Each is a few lines; these tests pin what each does, through the real parts.
"""

from __future__ import annotations

from datetime import timedelta

from walkthrough.framework.app import App
from walkthrough.framework.datastructures import Headers
from walkthrough.framework.exceptions import BadRequest, BadRequestKeyError
from walkthrough.framework.testing import create_environ
from walkthrough.framework.wrappers import Response


def test_headers_get_all_is_getlist() -> None:
    headers = Headers([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    assert headers.get_all("set-cookie") == ["a=1", "b=2"]


def test_response_data_can_be_assigned() -> None:
    response = Response("old")
    response.data = "newer"
    assert response.data == b"newer"
    assert response.headers["Content-Length"] == "5"


def test_response_content_type_and_allow() -> None:
    response = Response("x", headers={"Allow": "GET, HEAD, OPTIONS"})
    assert response.content_type == "text/html; charset=utf-8"
    response.content_type = "text/plain"
    assert response.mimetype == "text/plain"
    assert response.allow == {"GET", "HEAD", "OPTIONS"}
    assert Response("x").allow == set()


def test_response_close_closes_a_stream() -> None:
    closed: list[bool] = []

    def stream():
        try:
            yield b"never sent"
        finally:
            closed.append(True)

    body = stream()
    next(body)
    Response(body).close()
    assert closed == [True]


def test_options_answer_lists_allow() -> None:
    app = App(__name__, static_folder=None)
    app.add_url_rule("/", "index", lambda: "", methods=["GET", "POST"])
    reply = app.test_client().open("/", method="OPTIONS")
    assert reply.allow == {"GET", "HEAD", "POST", "OPTIONS"}


def test_permanent_session_lifetime_is_the_config() -> None:
    app = App(__name__, static_folder=None)
    app.permanent_session_lifetime = timedelta(hours=1)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)
    assert app.permanent_session_lifetime == timedelta(hours=1)


def test_create_environ_builds_a_request() -> None:
    environ = create_environ("/a b", "http://example.org:8080/app/", method="POST")
    assert environ["PATH_INFO"] == "/a b"
    assert environ["SCRIPT_NAME"] == "/app"
    assert environ["HTTP_HOST"] == "example.org:8080"
    assert environ["REQUEST_METHOD"] == "POST"


def test_get_description_is_the_escaped_paragraph() -> None:
    assert BadRequest("<b>\nx").get_description() == "<p>&lt;b&gt;<br>x</p>"
    error = BadRequestKeyError("name")
    error.show_exception = True
    assert error.get_description().endswith("<br>KeyError: &#x27;name&#x27;</p>")
