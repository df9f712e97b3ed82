"""Registration mistakes fail when made, naming the rule or the hook."""

from __future__ import annotations

import pytest

from walkthrough.framework.app import App
from walkthrough.framework.exceptions import HTTPException, NotFound


def view() -> str:
    return "v"


def other_view() -> str:
    return "o"


@pytest.fixture
def app() -> App:
    return App(__name__, static_folder=None)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda app: app.add_url_rule("/x", "view", "not callable"),
            TypeError,
            "rule '/x': view 'not callable' is not callable",
        ),
        (lambda app: app.add_url_rule("/x"), TypeError, "rule '/x': give an endpoint"),
        (
            lambda app: app.add_url_rule("/x", methods="POST", view_func=view),
            TypeError,
            "methods must be a list",
        ),
        (lambda app: app.before_request(42), TypeError, "before_request"),
        (lambda app: app.after_request(None), TypeError, "after_request"),
        (lambda app: app.teardown_request("x"), TypeError, "teardown_request"),
        (lambda app: app.teardown_appcontext(1), TypeError, "teardown_appcontext"),
        (lambda app: app.errorhandler(999)(view), ValueError, "errorhandler\\(999\\)"),
        (lambda app: app.errorhandler(str)(view), TypeError, "Exception subclass"),
        (lambda app: app.errorhandler(ValueError("x"))(view), TypeError, "status code"),
        (lambda app: app.errorhandler(404)("x"), TypeError, "errorhandler\\(404\\)"),
        (lambda app: app.add_url_rule("no-slash", "v", view), ValueError, "no-slash"),
    ],
)
def test_setup_mistakes_fail_at_registration(app: App, call, error, message) -> None:
    with pytest.raises(error, match=message):
        call(app)


def test_duplicate_endpoint_with_another_view_is_refused(app: App) -> None:
    app.add_url_rule("/a", "shared", view)
    app.add_url_rule("/a2", "shared", view)  # the same view twice is fine
    with pytest.raises(
        ValueError, match="rule '/b': endpoint 'shared' is already bound"
    ):
        app.add_url_rule("/b", "shared", other_view)
    assert [rule.rule for rule in app.url_map.iter_rules()] == ["/a", "/a2"]


def test_route_and_endpoint_decorators_return_the_function(app: App) -> None:
    assert app.route("/r", methods=["get", "POST"])(view) is view
    app.add_url_rule("/e", endpoint="late")
    assert app.endpoint("late")(other_view) is other_view
    rule = next(app.url_map.iter_rules("view"))
    assert rule.methods == {"GET", "HEAD", "POST", "OPTIONS"}
    assert app.view_functions == {"view": view, "late": other_view}


@pytest.mark.parametrize(
    ("key", "spec_code", "spec_class"),
    [
        (404, 404, NotFound),
        (NotFound, 404, NotFound),
        (HTTPException, None, HTTPException),
        (KeyError, None, KeyError),
    ],
)
def test_errorhandler_filing(app: App, key, spec_code, spec_class) -> None:
    app.errorhandler(key)(view)
    assert app.error_handler_spec == {spec_code: {spec_class: view}}


def test_registries_are_per_app() -> None:
    first, second = App("first", static_folder=None), App("second", static_folder=None)
    first.before_request(view)
    first.route("/")(view)
    assert second.before_request_funcs == [] and second.view_functions == {}
