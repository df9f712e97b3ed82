"""Facts read from a stage's frame: (stage, phase, result) -> facts.

The frames are real, from stand-ins whose ``module:qualname`` matches the
stages (``probefixture.frames``), so ``read_facts`` picks its reader as it
does under the tracer: ours, Flask's and Werkzeug's, and never a class that
only shares a stage's bare name.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from types import FrameType

import pytest
from probefixture.frames import (
    App,
    FlaskApp,
    FlaskRequestContext,
    HTTPServer,
    RequestContext,
    TCPServer,
    WSGIRequestHandler,
    defined_in,
    stage_frame,
)

from walkthrough.framework.exceptions import (
    InternalServerError,
    MethodNotAllowed,
    NotFound,
)
from walkthrough.framework.wrappers import Response
from walkthrough.probe.facts import MAX_FACT_CHARS, read_facts, short

LONG_PATH = "/" + "a" * 200
RUN_WSGI = "werkzeug.serving:WSGIRequestHandler.run_wsgi"
# A class named like ours, in someone else's module: no facts of ours apply.
OtherApp = defined_in("someone.else", App)
RULE = type("Rule", (), {"endpoint": "show_user"})()

# (id, frame maker, phase, result, expected facts)
CASES: list[tuple[str, Callable[[], FrameType], str, object, dict]] = [
    (
        "accept: the client's address",
        TCPServer().get_request,
        "exit",
        (socket.socket, ("127.0.0.1", 50123)),
        {"client": "127.0.0.1"},
    ),
    ("accept failed: nothing", TCPServer().get_request, "exit", None, {}),
    ("accept, on enter: nothing", TCPServer().get_request, "enter", None, {}),
    (
        "bind: the port really bound",
        TCPServer(("127.0.0.1", 41234)).server_bind,
        "exit",
        None,
        {"address": "127.0.0.1:41234"},
    ),
    (
        "HTTPServer bind too",
        HTTPServer(("127.0.0.1", 8080)).server_bind,
        "exit",
        None,
        {"address": "127.0.0.1:8080"},
    ),
    ("bind before an address: nothing", TCPServer().server_bind, "exit", None, {}),
    (
        "parse_request: method and path",
        WSGIRequestHandler("GET", "/index").parse_request,
        "exit",
        True,
        {"method": "GET", "path": "/index"},
    ),
    (
        "parse_request refused the head: nothing",
        WSGIRequestHandler().parse_request,
        "exit",
        False,
        {},
    ),
    (
        "parse_request: a long path is cut",
        WSGIRequestHandler("GET", LONG_PATH).parse_request,
        "exit",
        True,
        {"method": "GET", "path": LONG_PATH[: MAX_FACT_CHARS - 1] + "…"},
    ),
    (
        "make_environ: what the app will see",
        WSGIRequestHandler().make_environ,
        "exit",
        {"PATH_INFO": "/users/3", "REQUEST_METHOD": "POST", "HTTP_HOST": "x"},
        {"PATH_INFO": "/users/3", "REQUEST_METHOD": "POST"},
    ),
    (
        "match_request: endpoint and view args",
        RequestContext(
            routing_exception=None, url_rule=RULE, view_args={"id": 42}
        ).match_request,
        "exit",
        None,
        {"endpoint": "show_user", "view_args": {"id": "42"}},
    ),
    (
        "match_request: the stored 404",
        RequestContext(routing_exception=NotFound()).match_request,
        "exit",
        None,
        {"routing_error": "NotFound", "status": 404},
    ),
    (
        "start_response: the status chosen",
        lambda: WSGIRequestHandler().start_response("404 Not Found", []),
        "enter",
        None,
        {"status": "404 Not Found"},
    ),
    (
        "make_response: the Response built",
        lambda: App().make_response("hello"),
        "exit",
        Response("hello", 201),
        {"status": "201 Created"},
    ),
    (
        "handle_user_exception: any error",
        lambda: App().handle_user_exception(RuntimeError("boom")),
        "enter",
        None,
        {"exception": "RuntimeError", "message": "boom"},
    ),
    (
        "handle_http_exception: with its code",
        lambda: App().handle_http_exception(MethodNotAllowed(["GET"])),
        "enter",
        None,
        {
            "exception": "MethodNotAllowed",
            "message": short(str(MethodNotAllowed(["GET"]))),
            "status": 405,
        },
    ),
    (
        "handle_exception: the error that escaped",
        lambda: App().handle_exception(KeyError("user")),
        "enter",
        None,
        {"exception": "KeyError", "message": "'user'"},
    ),
    (
        "handle_app_error: the error as ``error``",
        lambda: WSGIRequestHandler().handle_app_error(InternalServerError()),
        "enter",
        None,
        {
            "exception": "InternalServerError",
            "message": short(str(InternalServerError())),
            "status": 500,
        },
    ),
    (
        "send_http_exception: not an exception, nothing",
        lambda: WSGIRequestHandler().send_http_exception("oops"),  # type: ignore[arg-type]
        "enter",
        None,
        {},
    ),
    (
        "write: the block's size",
        lambda: WSGIRequestHandler().write(b"part 1\n"),
        "enter",
        None,
        {"bytes": 7},
    ),
    (
        "write: a str block is no size",
        lambda: WSGIRequestHandler().write("text"),
        "enter",
        None,
        {},
    ),
    ("a stage with no reader", App().dispatch_request, "exit", None, {}),
    (
        "a bare name from another module: nothing",
        lambda: OtherApp().handle_exception(KeyError("user")),
        "enter",
        None,
        {},
    ),
    (
        "Werkzeug's run_wsgi: method and path",
        lambda: stage_frame(RUN_WSGI, self=WSGIRequestHandler("GET", "/users/3")),
        "enter",
        None,
        {"method": "GET", "path": "/users/3"},
    ),
    (
        "Werkzeug's start_response, nested in run_wsgi",
        lambda: stage_frame(
            f"{RUN_WSGI}.<locals>.start_response", status="308 PERMANENT REDIRECT"
        ),
        "enter",
        None,
        {"status": "308 PERMANENT REDIRECT"},
    ),
    (
        "Werkzeug's write, nested in run_wsgi",
        lambda: stage_frame(f"{RUN_WSGI}.<locals>.write", data=b"index"),
        "enter",
        None,
        {"bytes": 5},
    ),
    (
        "Werkzeug's make_environ",
        lambda: stage_frame("werkzeug.serving:WSGIRequestHandler.make_environ"),
        "exit",
        {"PATH_INFO": "/index", "REQUEST_METHOD": "GET"},
        {"PATH_INFO": "/index", "REQUEST_METHOD": "GET"},
    ),
    (
        "Flask's match_request: endpoint and view args",
        FlaskRequestContext(
            routing_exception=None, url_rule=RULE, view_args={"id": 7}
        ).match_request,
        "exit",
        None,
        {"endpoint": "show_user", "view_args": {"id": "7"}},
    ),
    (
        "Flask's handle_exception: the error as ``e``",
        lambda: stage_frame(
            "flask.app:Flask.handle_exception", self=None, e=RuntimeError("boom")
        ),
        "enter",
        None,
        {"exception": "RuntimeError", "message": "boom"},
    ),
    (
        "Flask's make_response",
        lambda: FlaskApp().make_response("hello"),
        "exit",
        Response("hello", 404),
        {"status": "404 Not Found"},
    ),
]


@pytest.mark.parametrize(
    ("make_frame", "phase", "result", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_read_facts(
    make_frame: Callable[[], FrameType], phase: str, result: object, expected: dict
) -> None:
    assert read_facts(make_frame(), phase, result) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("short", "short"),
        (42, "42"),
        ("x" * MAX_FACT_CHARS, "x" * MAX_FACT_CHARS),
        ("x" * (MAX_FACT_CHARS + 1), "x" * (MAX_FACT_CHARS - 1) + "…"),
    ],
)
def test_short_keeps_facts_brief(value: object, expected: str) -> None:
    assert short(value) == expected
    assert len(short(value)) <= MAX_FACT_CHARS
