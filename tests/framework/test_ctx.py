"""AppContext and RequestContext: push/pop order, nesting, threads, teardown."""

from __future__ import annotations

import threading

import pytest

from walkthrough.framework.app import App
from walkthrough.framework.ctx import has_app_context, has_request_context
from walkthrough.framework.exceptions import MethodNotAllowed, NotFound
from walkthrough.framework.globals import current_app, g, request, session
from walkthrough.framework.helpers import stream_with_context
from walkthrough.framework.testing import EnvironBuilder

JOIN_TIMEOUT_SECONDS = 10


@pytest.fixture
def app() -> App:
    app = App(__name__, static_folder=None)
    app.add_url_rule("/", "index", lambda: "index")
    app.add_url_rule("/users/<int:user_id>", "user", lambda user_id: str(user_id))
    return app


@pytest.mark.parametrize("proxy", [request, session], ids=["request", "session"])
def test_request_proxies_outside_context_explain_the_fix(proxy) -> None:
    with pytest.raises(RuntimeError, match="outside of request context") as info:
        _ = proxy.anything
    assert "app.test_request_context()" in str(info.value)


@pytest.mark.parametrize("proxy", [current_app, g], ids=["current_app", "g"])
def test_app_proxies_outside_context_explain_the_fix(proxy) -> None:
    with pytest.raises(RuntimeError, match="outside of application context"):
        _ = proxy.anything


def test_app_context_binds_current_app_and_g(app: App) -> None:
    assert not has_app_context()
    with app.app_context():
        assert current_app._get_current_object() is app
        g.user = "ada"
        assert g.get("user") == "ada" and "user" in g
        assert not has_request_context()
    assert not has_app_context()


def test_g_is_fresh_for_each_app_context(app: App) -> None:
    with app.app_context():
        g.value = 1
    with app.app_context():
        assert g.get("value") is None


def test_request_context_pushes_app_context_and_matches(app: App) -> None:
    with app.test_request_context("/users/7?x=1"):
        assert current_app._get_current_object() is app
        assert request.path == "/users/7"
        assert request.endpoint == "user"
        assert request.view_args == {"user_id": 7}
        assert request.routing_exception is None
    assert not has_app_context() and not has_request_context()


@pytest.mark.parametrize(
    ("path", "method", "error"),
    [("/missing", "GET", NotFound), ("/", "POST", MethodNotAllowed)],
)
def test_match_request_stores_routing_errors(app: App, path, method, error) -> None:
    with app.test_request_context(path, method=method):
        assert isinstance(request.routing_exception, error)
        assert request.url_rule is None


def test_request_context_reuses_an_active_app_context(app: App) -> None:
    with app.app_context():
        g.marker = "outer"
        with app.test_request_context("/"):
            assert g.marker == "outer"
        assert has_app_context()


def test_nested_request_contexts_restore_the_outer(app: App) -> None:
    with app.test_request_context("/users/1"):
        with app.test_request_context("/users/2"):
            assert request.view_args == {"user_id": 2}
        assert request.view_args == {"user_id": 1}


def test_teardown_runs_request_then_appcontext_with_the_error(app: App) -> None:
    calls: list[tuple[str, object]] = []
    app.teardown_request(lambda exc: calls.append(("request", exc)))
    app.teardown_appcontext(lambda exc: calls.append(("app", exc)))
    error = ValueError("boom")
    ctx = app.test_request_context("/")
    ctx.push()
    ctx.pop(error)
    assert calls == [("request", error), ("app", error)]


def test_teardown_appcontext_waits_for_the_pusher(app: App) -> None:
    calls: list[str] = []
    app.teardown_appcontext(lambda exc: calls.append("app"))
    with app.app_context():
        with app.test_request_context("/"):
            pass
        assert calls == []
    assert calls == ["app"]


def test_wrong_pop_order_is_reported(app: App) -> None:
    outer = app.test_request_context("/")
    inner = app.test_request_context("/")
    outer.push()
    inner.push()
    with pytest.raises(RuntimeError, match="wrong request context"):
        outer.pop()
    assert not has_request_context()  # outer's token restored the state before it


def test_each_thread_sees_its_own_request(app: App) -> None:
    barrier = threading.Barrier(3, timeout=JOIN_TIMEOUT_SECONDS)
    seen: dict[int, object] = {}

    def worker(user_id: int) -> None:
        with app.test_request_context(f"/users/{user_id}"):
            barrier.wait()  # all three contexts are pushed at once
            seen[user_id] = request.view_args["user_id"]

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_SECONDS)
    assert seen == {1: 1, 2: 2, 3: 3}


def test_each_thread_sees_its_own_request_through_the_app(app: App) -> None:
    barrier = threading.Barrier(3, timeout=JOIN_TIMEOUT_SECONDS)
    bodies: dict[int, bytes] = {}

    @app.route("/slow/<int:n>")
    def slow(n: int) -> str:
        barrier.wait()  # the three requests overlap inside their views
        return f"{n}:{request.path}"

    def worker(n: int) -> None:
        bodies[n] = app.test_client().get(f"/slow/{n}").data

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_SECONDS)
    assert bodies == {n: f"{n}:/slow/{n}".encode() for n in (1, 2, 3)}


def test_stream_with_context_keeps_request_until_stream_closes(app: App) -> None:
    events: list[str] = []
    app.teardown_request(lambda exc: events.append("teardown"))

    def body():
        events.append("start")
        yield f"path={request.path};"
        yield f"arg={request.args['q']}"
        events.append("end")

    @app.route("/stream")
    def stream():
        return stream_with_context(body())

    environ = EnvironBuilder("/stream", query_string="q=1").get_environ()
    app_iter = app(environ, lambda status, headers, exc_info=None: None)
    assert events == []  # wsgi_app returned; the context is still held
    assert next(app_iter) == b"path=/stream;"
    assert events == ["start"]
    assert next(app_iter) == b"arg=1"
    assert events == ["start"]
    assert list(app_iter) == []  # the generator ends: its context pops
    assert events == ["start", "end", "teardown"]
    app_iter.close()
    assert events == ["start", "end", "teardown"]
    assert not has_request_context() and not has_app_context()


def test_stream_closed_early_still_tears_down(app: App) -> None:
    events: list[object] = []
    app.teardown_request(lambda exc: events.append(("teardown", exc)))

    def body():
        try:
            yield "a"
            yield "b"
        finally:
            events.append("generator closed")

    app.add_url_rule("/s", "s", lambda: stream_with_context(body()))
    app_iter = app(EnvironBuilder("/s").get_environ(), lambda *args: None)
    assert next(iter(app_iter)) == b"a"
    app_iter.close()
    assert events == ["generator closed", ("teardown", None)]
    assert not has_request_context()


def test_stream_without_context_cannot_see_the_request(app: App) -> None:
    def body():
        yield request.path

    app.add_url_rule("/plain", "plain", lambda: body())
    app_iter = app(EnvironBuilder("/plain").get_environ(), lambda *args: None)
    with pytest.raises(RuntimeError, match="outside of request context"):
        b"".join(app_iter)


def test_stream_with_context_needs_a_request() -> None:
    with pytest.raises(RuntimeError, match="needs an active request"):
        stream_with_context(iter(["x"]))
