"""The App's chain: make_response, hooks, error handling, OPTIONS/HEAD, WSGI."""

from __future__ import annotations

import logging
import urllib.request
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from walkthrough.framework.app import App
from walkthrough.framework.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
    abort,
)
from walkthrough.framework.globals import g, request
from walkthrough.framework.helpers import stream_with_context
from walkthrough.framework.testing import run_wsgi_app
from walkthrough.framework.wrappers import Response

HTTP_TIMEOUT_SECONDS = 5


@pytest.fixture
def app() -> App:
    return App(__name__, static_folder=None)


# -- make_response ----------------------------------------------------------


def generated():
    yield "a"
    yield b"b"


@pytest.mark.parametrize(
    ("rv", "status", "headers", "body"),
    [
        (
            "text",
            200,
            {"Content-Type": "text/html; charset=utf-8", "Content-Length": "4"},
            b"text",
        ),
        (b"\x00\x01", 200, {"Content-Length": "2"}, b"\x00\x01"),
        (
            {"b": 1, "a": 2},
            200,
            {"Content-Type": "application/json"},
            b'{"a":2,"b":1}\n',
        ),
        ([1, 2], 200, {"Content-Type": "application/json"}, b"[1,2]\n"),
        (("made", 201), 201, {"Content-Length": "4"}, b"made"),
        (("made", "202 Accepted Later"), 202, {}, b"made"),
        (("h", {"X-A": "1"}), 200, {"X-A": "1"}, b"h"),
        (("h", [("X-A", "1")]), 200, {"X-A": "1"}, b"h"),
        (
            ("t", 404, {"Content-Type": "text/plain"}),
            404,
            {"Content-Type": "text/plain"},
            b"t",
        ),
        ((Response("r", 203), 418), 418, {}, b"r"),
        (Response("r", 203), 203, {}, b"r"),
        (generated(), 200, {"Content-Type": "text/html; charset=utf-8"}, b"ab"),
        (NotFound("nope"), 404, {"Content-Type": "text/html; charset=utf-8"}, None),
    ],
    ids=lambda value: type(value).__name__,
)
def test_make_response_forms(app: App, rv, status, headers, body) -> None:
    with app.test_request_context("/"):
        response = app.make_response(rv)
    assert response.status_code == status
    for name, value in headers.items():
        assert response.headers[name] == value
    if body is not None:
        assert response.get_data() == body


def test_generator_return_is_streamed_without_length(app: App) -> None:
    with app.test_request_context("/"):
        response = app.make_response(generated())
    assert response.is_streamed and "Content-Length" not in response.headers


@pytest.mark.parametrize(
    ("rv", "message"),
    [
        (None, "view function for 'broken' did not return a valid response"),
        (42, "but it was a int"),
        (("a", 200, {}, "extra"), "valid response tuple"),
    ],
)
def test_make_response_type_errors_name_the_view(app: App, rv, message) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True
    app.add_url_rule("/broken", "broken", lambda: rv)
    with pytest.raises(TypeError, match=message):
        app.test_client().get("/broken")


# -- hooks ------------------------------------------------------------------


def record_hooks(app: App, calls: list[str]) -> None:
    app.before_request(lambda: calls.append("before 1"))
    app.before_request(lambda: calls.append("before 2"))

    def after(name: str):
        def hook(response: Response) -> Response:
            calls.append(name)
            response.headers.add("X-After", name)
            return response

        return hook

    app.after_request(after("after 1"))
    app.after_request(after("after 2"))
    app.teardown_request(lambda exc: calls.append(f"teardown_request {exc!r}"))
    app.teardown_appcontext(lambda exc: calls.append(f"teardown_appcontext {exc!r}"))


def test_hook_order_on_success(app: App) -> None:
    calls: list[str] = []
    record_hooks(app, calls)
    app.add_url_rule("/", "index", lambda: calls.append("view") or "ok")
    response = app.test_client().get("/")
    assert response.headers.getlist("X-After") == ["after 2", "after 1"]
    assert calls == [
        "before 1",
        "before 2",
        "view",
        "after 2",
        "after 1",
        "teardown_request None",
        "teardown_appcontext None",
    ]


def test_before_request_early_return_skips_the_view(app: App) -> None:
    calls: list[str] = []
    app.before_request(lambda: calls.append("before 1"))
    app.before_request(lambda: "stopped early")
    app.before_request(lambda: calls.append("never"))
    app.after_request(lambda response: calls.append("after") or response)
    app.add_url_rule("/", "index", lambda: calls.append("view") or "ok")
    response = app.test_client().get("/")
    assert (response.status_code, response.text) == (200, "stopped early")
    assert calls == ["before 1", "after"]


def test_unhandled_error_gives_500_and_teardown_sees_it(app: App, caplog) -> None:
    calls: list[str] = []
    record_hooks(app, calls)
    error = ValueError("boom")

    @app.route("/fail")
    def fail():
        calls.append("view")
        raise error

    with caplog.at_level(logging.ERROR, logger=__name__):
        response = app.test_client().get("/fail?x=1")
    assert response.status_code == 500
    assert calls == [
        "before 1",
        "before 2",
        "view",
        "after 2",
        "after 1",
        f"teardown_request {error!r}",
        f"teardown_appcontext {error!r}",
    ]
    record = caplog.records[-1]
    assert record.getMessage() == "Exception on /fail [GET]"
    assert record.exc_info[1] is error


def test_http_errors_do_not_reach_teardown_as_errors(app: App) -> None:
    seen: list[object] = []
    app.teardown_request(seen.append)
    app.add_url_rule("/", "index", lambda: abort(403))
    assert app.test_client().get("/").status_code == 403
    assert seen == [None]


@pytest.mark.parametrize("flag", ["DEBUG", "TESTING", "PROPAGATE_EXCEPTIONS"])
def test_errors_propagate_in_debug_and_testing(app: App, flag: str) -> None:
    app.config[flag] = True
    seen: list[object] = []
    app.teardown_request(seen.append)
    app.add_url_rule("/", "index", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        app.test_client().get("/")
    assert isinstance(seen[0], ZeroDivisionError)


# -- error handlers -----------------------------------------------------------


class AppError(Exception):
    pass


class SpecificError(AppError):
    pass


def raiser(exc: Exception):
    def view():
        raise exc

    return view


@pytest.mark.parametrize(
    ("register", "raised", "expected"),
    [
        (404, NotFound(), "code 404"),
        (NotFound, NotFound(), "code 404"),
        (HTTPException, Forbidden(), "class HTTPException"),
        (Exception, Forbidden(), "class Exception"),  # Flask: HTTP errors too
        (AppError, SpecificError(), "class AppError"),  # found through the MRO
        (LookupError, KeyError("k"), "class LookupError"),
        (500, ValueError(), "code 500"),
        (InternalServerError, ValueError(), "class InternalServerError"),
    ],
    ids=lambda value: getattr(value, "__name__", repr(value)),
)
def test_error_handler_lookup(app: App, register, raised, expected) -> None:
    app.register_error_handler(register, lambda exc: (expected, 299))
    app.add_url_rule("/", "index", raiser(raised))
    response = app.test_client().get("/")
    assert (response.status_code, response.text) == (299, expected)


def test_specific_handler_wins_over_generic(app: App) -> None:
    app.register_error_handler(AppError, lambda exc: "generic")
    app.register_error_handler(SpecificError, lambda exc: "specific")
    app.register_error_handler(HTTPException, lambda exc: "any http")
    app.register_error_handler(404, lambda exc: "not found")
    app.add_url_rule("/specific", "specific", raiser(SpecificError()))
    app.add_url_rule("/generic", "generic", raiser(AppError()))
    client = app.test_client()
    assert client.get("/specific").text == "specific"
    assert client.get("/generic").text == "generic"
    assert client.get("/missing").text == "not found"


def test_500_handler_gets_the_original_exception(app: App) -> None:
    error = RuntimeError("deep")
    app.register_error_handler(500, lambda exc: repr(exc.original_exception))
    app.add_url_rule("/", "index", raiser(error))
    assert app.test_client().get("/").text == repr(error)


def test_handlers_are_per_app(app: App) -> None:
    other = App("other", static_folder=None)
    other.register_error_handler(404, lambda exc: "other's")
    assert app.test_client().get("/missing").status_code == 404
    assert b"Not Found" in app.test_client().get("/missing").data


def test_failing_after_hook_on_error_path_still_answers(app: App) -> None:
    def bad_after(response: Response) -> Response:
        raise KeyError("after")

    app.after_request(bad_after)
    app.add_url_rule("/", "index", raiser(ValueError()))
    assert app.test_client().get("/").status_code == 500


def test_bad_request_description_reaches_the_client(app: App) -> None:
    app.add_url_rule("/", "index", lambda: abort(400, "name the problem"))
    response = app.test_client().get("/")
    assert response.status_code == 400 and b"name the problem" in response.data
    assert isinstance(BadRequest(), HTTPException)


# -- routing outcomes ---------------------------------------------------------


@pytest.fixture
def routed(app: App) -> App:
    app.add_url_rule("/", "index", lambda: "index")
    app.add_url_rule("/docs/", "docs", lambda: "docs")
    app.add_url_rule("/items", "items", lambda: "posted", methods=["POST"])
    app.add_url_rule("/own", "own", lambda: "own options", methods=["GET", "OPTIONS"])
    return app


@pytest.mark.parametrize(
    ("method", "path", "status", "headers", "body"),
    [
        ("GET", "/", 200, {"Content-Length": "5"}, b"index"),
        ("HEAD", "/", 200, {"Content-Length": "5"}, b""),
        ("GET", "/docs", 308, {"Location": "/docs/"}, None),
        ("GET", "/docs?x=1", 308, {"Location": "/docs/?x=1"}, None),
        ("GET", "/items", 405, {"Allow": "OPTIONS, POST"}, None),
        ("POST", "/items", 200, {}, b"posted"),
        (
            "OPTIONS",
            "/",
            200,
            {"Allow": "GET, HEAD, OPTIONS", "Content-Length": "0"},
            b"",
        ),
        ("OPTIONS", "/own", 200, {}, b"own options"),
        ("GET", "/missing", 404, {}, None),
    ],
)
def test_routing_outcomes(routed: App, method, path, status, headers, body) -> None:
    response = routed.test_client().open(path, method=method)
    assert response.status_code == status
    for name, value in headers.items():
        assert response.headers[name] == value
    if body is not None:
        assert response.data == body


def test_redirect_passes_through_error_handlers(routed: App) -> None:
    routed.register_error_handler(HTTPException, lambda exc: "handled")
    assert routed.test_client().get("/docs").status_code == 308


def test_before_request_runs_even_for_routing_errors(routed: App) -> None:
    seen: list[str] = []
    routed.before_request(lambda: seen.append(request.path))
    routed.test_client().get("/missing")
    assert seen == ["/missing"]


def test_g_is_per_request(app: App) -> None:
    @app.route("/")
    def index() -> str:
        previous = g.get("count")
        g.count = 1
        return str(previous)

    client = app.test_client()
    assert client.get("/").text == client.get("/").text == "None"


# -- WSGI conformance -----------------------------------------------------


@pytest.fixture
def wsgi_app(app: App) -> App:
    app.add_url_rule("/", "index", lambda: "hello")
    app.add_url_rule("/json", "json", lambda: {"a": 1})

    @app.route("/stream")
    def stream():
        def body():
            yield "streamed "
            yield request.path

        return stream_with_context(body())

    @app.route("/raw")
    def raw():
        return (chunk for chunk in ["x", "y"])

    app.add_url_rule("/fail", "fail", raiser(ValueError()))
    return app


@pytest.mark.filterwarnings("error")  # a WSGIWarning from the validator fails
@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/", "200 OK", b"hello"),
        ("GET", "/json", "200 OK", b'{"a":1}\n'),
        ("GET", "/stream", "200 OK", b"streamed /stream"),
        ("GET", "/raw", "200 OK", b"xy"),
        ("GET", "/missing", "404 Not Found", None),
        ("HEAD", "/", "200 OK", b""),
        ("HEAD", "/stream", "200 OK", b""),
        ("POST", "/", "405 Method Not Allowed", None),
        ("OPTIONS", "/", "200 OK", b""),
        ("GET", "/fail", "500 Internal Server Error", None),
    ],
)
def test_wsgiref_validator_finds_nothing_wrong(
    wsgi_app: App, method, path, status, body, caplog
) -> None:
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(REQUEST_METHOD=method, PATH_INFO=path, QUERY_STRING="")
    with caplog.at_level(logging.CRITICAL):
        response = run_wsgi_app(validator(wsgi_app), environ)
    assert response.status == status
    if body is not None:
        assert response.data == body


def test_served_by_the_real_server(wsgi_app: App, live_server) -> None:
    with live_server(wsgi_app) as server:
        with urllib.request.urlopen(
            f"{server.url}stream", timeout=HTTP_TIMEOUT_SECONDS
        ) as reply:
            assert reply.status == 200
            assert reply.read() == b"streamed /stream"


def test_run_delegates_to_run_simple(app: App, monkeypatch) -> None:
    from walkthrough.framework import serving

    calls: list[tuple] = []
    monkeypatch.setattr(
        serving, "run_simple", lambda *args, **kw: calls.append((args, kw))
    )
    app.run(port=0, debug=True, threaded=False)
    assert calls == [(("127.0.0.1", 0, app), {"threaded": False})]
    assert app.debug is True


def test_call_goes_through_wsgi_app_so_middleware_can_wrap_it(app: App) -> None:
    app.add_url_rule("/", "index", lambda: "inner")
    inner = app.wsgi_app
    seen: list[str] = []

    def middleware(environ, start_response):
        seen.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app = middleware
    assert app.test_client().get("/").text == "inner"
    assert seen == ["/"]


# --- as Flask 3.1 does (issue 12: the upstream suites found these) ------------


def test_a_missing_form_key_is_a_400_not_a_500(app: App) -> None:
    app.add_url_rule(
        "/form", "form", lambda: request.form["missing_key"], methods=["POST"]
    )
    reply = app.test_client().post("/form", data={"other": "1"})
    assert reply.status_code == 400
    assert b"missing_key" not in reply.data


def test_debug_shows_the_missing_key_in_the_400(app: App) -> None:
    from walkthrough.framework.exceptions import BadRequestKeyError

    app.config.update(DEBUG=True, TRAP_BAD_REQUEST_ERRORS=False)
    app.add_url_rule("/form", "form", lambda: request.form["missing_key"])
    reply = app.test_client().get("/form")
    assert reply.status_code == 400
    assert b"missing_key" in reply.data
    app.config["TRAP_BAD_REQUEST_ERRORS"] = None
    with pytest.raises(BadRequestKeyError):
        app.test_client().get("/form")


def test_trap_http_exceptions_raises_them_instead(app: App) -> None:
    app.config.update(TESTING=True, TRAP_HTTP_EXCEPTIONS=True)
    app.add_url_rule("/gone", "gone", lambda: abort(404))
    with pytest.raises(NotFound):
        app.test_client().get("/gone")


def test_testing_is_the_testing_config(app: App) -> None:
    app.testing = True
    assert app.config["TESTING"] is True
    app.config["TESTING"] = False
    assert app.testing is False


@pytest.mark.parametrize(
    ("host", "port", "server_name", "expected"),
    [
        (None, None, None, ("127.0.0.1", 5000)),
        (None, None, "pocoo.org:8080", ("pocoo.org", 8080)),
        ("localhost", None, "pocoo.org:8080", ("localhost", 8080)),
        (None, 80, "pocoo.org:8080", ("pocoo.org", 80)),
        (None, 0, None, ("127.0.0.1", 0)),
    ],
)
def test_run_defaults_come_from_server_name(
    app: App, monkeypatch, host, port, server_name, expected
) -> None:
    from walkthrough.framework import serving

    calls: list[tuple] = []
    monkeypatch.setattr(serving, "run_simple", lambda *args, **kw: calls.append(args))
    app.config["SERVER_NAME"] = server_name
    app.run(host, port)
    assert calls == [(*expected, app)]


def test_an_app_is_freed_without_the_cycle_collector() -> None:
    import gc
    import weakref

    gc.disable()
    try:
        app = App(__name__)  # with its static route and view
        freed = weakref.ref(app)
        del app
        assert freed() is None
    finally:
        gc.enable()


def test_the_static_view_still_serves_files(tmp_path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_text("hello")
    app = App(__name__, root_path=str(tmp_path))
    assert app.test_client().get("/static/a.txt").data == b"hello"


@pytest.mark.parametrize("how", ["attribute", "keyword"])
def test_a_view_can_turn_automatic_options_off(app: App, how: str) -> None:
    def index() -> str:
        return "index"

    if how == "attribute":
        index.provide_automatic_options = False  # type: ignore[attr-defined]
        app.route("/")(index)
    else:
        app.route("/", provide_automatic_options=False)(index)
    assert app.test_client().open("/", method="OPTIONS").status_code == 405


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "patch"])
def test_method_route_shortcuts(app: App, method: str) -> None:
    getattr(app, method)("/")(lambda: method)
    client = app.test_client()
    assert client.open("/", method=method.upper()).data == method.encode()
    other = "POST" if method == "get" else "GET"
    assert client.open("/", method=other).status_code == 405


def test_jsonify_says_args_or_kwargs(app: App) -> None:
    from walkthrough.framework.helpers import jsonify

    with app.app_context(), pytest.raises(TypeError, match="args or kwargs"):
        jsonify(1, a=2)


def test_static_url_path_follows_the_folder_name(tmp_path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.txt").write_text("asset")
    app = App(__name__, root_path=str(tmp_path), static_folder="assets")
    assert app.test_client().get("/assets/a.txt").data == b"asset"


def test_an_empty_static_folder_is_the_root_path(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("root")
    app = App(__name__, root_path=str(tmp_path), static_folder="")
    assert app.test_client().get("/a.txt").data == b"root"
    app = App(__name__, root_path=str(tmp_path), static_folder="", static_url_path="/s")
    assert app.test_client().get("/s/a.txt").data == b"root"


def test_a_trailing_slash_on_the_static_folder_is_ignored(tmp_path) -> None:
    (tmp_path / "static").mkdir()
    app = App(__name__, root_path=str(tmp_path), static_folder="static/")
    app.add_url_rule("/<path:path>", "catch_all", lambda path: path)
    assert app.static_url_path == "/static"
    assert app.test_client().get("/catch/all").data == b"catch/all"
