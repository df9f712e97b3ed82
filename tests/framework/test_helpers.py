"""url_for, jsonify, make_response, stream_with_context."""

from __future__ import annotations

import dataclasses
import decimal
import uuid
from datetime import date, datetime

import pytest

from walkthrough.framework.app import App
from walkthrough.framework.helpers import (
    jsonify,
    make_json_response,
    make_response,
    url_for,
)
from walkthrough.framework.routing import BuildError


@pytest.fixture
def app() -> App:
    app = App(__name__)
    app.add_url_rule("/", "index", lambda: "i")
    app.add_url_rule("/users/<int:user_id>", "user", lambda user_id: "u")
    return app


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("index",), {}, "/"),
        (("user",), {"user_id": 3}, "/users/3"),
        (("user",), {"user_id": 3, "tab": "x y"}, "/users/3?tab=x+y"),
        (("user",), {"user_id": 3, "_anchor": "top"}, "/users/3#top"),
        (("user",), {"user_id": 3, "_external": True}, "http://localhost/users/3"),
        (("static",), {"filename": "a.css"}, "/static/a.css"),
    ],
)
def test_url_for_in_a_request(app: App, args, kwargs, expected) -> None:
    with app.test_request_context("/"):
        assert url_for(*args, **kwargs) == expected


def test_url_for_respects_the_script_root(app: App) -> None:
    with app.test_request_context("/", base_url="http://example.org/mount/"):
        assert url_for("user", user_id=1) == "/mount/users/1"


def test_url_for_unknown_endpoint_is_a_build_error(app: App) -> None:
    with app.test_request_context("/"), pytest.raises(BuildError, match="usr"):
        url_for("usr")


def test_url_for_in_app_context_needs_server_name(app: App) -> None:
    with app.app_context():
        with pytest.raises(RuntimeError, match="SERVER_NAME"):
            url_for("index")
        app.config["SERVER_NAME"] = "example.org"
        assert url_for("user", user_id=2) == "http://example.org/users/2"


def test_url_for_without_any_context() -> None:
    with pytest.raises(RuntimeError, match="test_request_context"):
        url_for("index")


@dataclasses.dataclass
class Point:
    x: int
    y: int


@pytest.mark.parametrize(
    ("value", "body"),
    [
        ({"b": 1, "a": [1, 2]}, b'{"a":[1,2],"b":1}\n'),
        ([1, "é"], b'[1,"\\u00e9"]\n'),
        (Point(1, 2), b'{"x":1,"y":2}\n'),
        (uuid.UUID(int=1), b'"00000000-0000-0000-0000-000000000001"\n'),
        (decimal.Decimal("1.5"), b'"1.5"\n'),
        (datetime(2020, 1, 2, 3, 4, 5), b'"Thu, 02 Jan 2020 03:04:05 GMT"\n'),
        (date(2020, 1, 2), b'"Thu, 02 Jan 2020 00:00:00 GMT"\n'),
    ],
)
def test_make_json_response(value, body) -> None:
    response = make_json_response(value)
    assert response.get_data() == body
    assert response.headers["Content-Type"] == "application/json"


def test_json_of_unknown_type_names_it() -> None:
    with pytest.raises(TypeError, match="object"):
        make_json_response(object())


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [((1,), {}, b"1\n"), ((1, 2), {}, b"[1,2]\n"), ((), {"a": 1}, b'{"a":1}\n')],
)
def test_jsonify_shapes(app: App, args, kwargs, expected) -> None:
    with app.app_context():
        assert jsonify(*args, **kwargs).get_data() == expected


def test_jsonify_is_pretty_in_debug(app: App) -> None:
    app.debug = True
    with app.app_context():
        assert jsonify(a=1).get_data() == b'{\n  "a": 1\n}\n'
    with pytest.raises(TypeError, match="not both"):
        jsonify(1, a=2)


def test_make_response_accepts_view_values(app: App) -> None:
    with app.test_request_context("/"):
        response = make_response("body", 201, {"X-A": "1"})
        assert (response.status_code, response.headers["X-A"]) == (201, "1")
        assert make_response().get_data() == b""
    with pytest.raises(RuntimeError):
        make_response("x")
