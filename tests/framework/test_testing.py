"""EnvironBuilder and the test client."""

from __future__ import annotations

import io
from wsgiref.validate import validator

import pytest

from walkthrough.framework.app import App
from walkthrough.framework.globals import request
from walkthrough.framework.testing import Client, EnvironBuilder


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (
            ("/a%20b/caf%C3%A9",),
            {},
            {"PATH_INFO": "/a b/caf\xc3\xa9", "QUERY_STRING": ""},
        ),
        (("/p?x=1",), {}, {"PATH_INFO": "/p", "QUERY_STRING": "x=1"}),
        (("/p",), {"query_string": {"a": ["1", "2"]}}, {"QUERY_STRING": "a=1&a=2"}),
        (("/",), {"method": "post"}, {"REQUEST_METHOD": "POST"}),
        (
            ("/",),
            {"headers": {"X-Token": "t", "Content-Type": "text/plain"}},
            {"HTTP_X_TOKEN": "t", "CONTENT_TYPE": "text/plain"},
        ),
        (
            ("/",),
            {"json": {"a": 1}},
            {"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "8"},
        ),
        (
            ("/",),
            {"data": {"a": "1"}},
            {
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": "3",
            },
        ),
        (
            ("/x",),
            {"base_url": "https://example.org:8443/app/"},
            {
                "SCRIPT_NAME": "/app",
                "SERVER_NAME": "example.org",
                "SERVER_PORT": "8443",
                "wsgi.url_scheme": "https",
                "HTTP_HOST": "example.org:8443",
            },
        ),
    ],
)
def test_environ_builder(args, kwargs, expected) -> None:
    environ = EnvironBuilder(*args, **kwargs).get_environ()
    assert {key: environ.get(key) for key in expected} == expected


def test_environ_builder_refuses_data_and_json() -> None:
    with pytest.raises(TypeError, match="not both"):
        EnvironBuilder("/", data=b"x", json={})


@pytest.fixture
def app() -> App:
    app = App(__name__, static_folder=None)

    @app.route("/echo", methods=["GET", "POST"])
    def echo() -> dict:
        return {
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(),
            "json": request.get_json(silent=True),
            "data": request.get_data(as_text=True) if not request.form else None,
            "token": request.headers.get("X-Token"),
            "cookie": request.cookies.get("flavour"),
        }

    @app.route("/set")
    def set_cookie():
        return "set", {"Set-Cookie": "flavour=mint; Path=/"}

    @app.route("/unset")
    def unset_cookie():
        return "unset", {"Set-Cookie": "flavour=; Max-Age=0; Path=/"}

    return app


def test_client_sends_query_headers_json_and_data(app: App) -> None:
    client = app.test_client()
    assert client.get("/echo", query_string={"q": "1"}).get_json()["args"] == {
        "q": ["1"]
    }
    assert client.get("/echo", headers={"X-Token": "t"}).json["token"] == "t"
    assert client.post("/echo", json={"a": [1]}).get_json()["json"] == {"a": [1]}
    assert client.post("/echo", data={"f": "v"}).get_json()["form"] == {"f": "v"}
    assert client.post("/echo", data=b"raw").get_json()["data"] == "raw"


def test_client_response_has_flask_attributes(app: App) -> None:
    response = app.test_client().get("/echo")
    assert response.status_code == 200 and response.status == "200 OK"
    assert response.headers["Content-Type"] == "application/json"
    assert response.text == response.data.decode()


def test_client_keeps_and_forgets_cookies(app: App) -> None:
    client = app.test_client()
    assert client.get("/echo").get_json()["cookie"] is None
    client.get("/set")
    assert client.cookies == {"flavour": "mint"}
    assert client.get("/echo").get_json()["cookie"] == "mint"
    client.get("/unset")
    assert client.get("/echo").get_json()["cookie"] is None


def test_client_multipart_upload(app: App) -> None:
    @app.route("/upload", methods=["POST"])
    def upload() -> str:
        return request.files["f"].read().decode() + request.form["t"]

    response = app.test_client().post(
        "/upload", data={"t": "!", "f": (io.BytesIO(b"file"), "f.txt")}
    )
    assert response.text == "file!"


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options", "head"])
def test_client_method_shortcuts(app: App, method: str) -> None:
    app.add_url_rule(
        "/any", "any", lambda: "x", methods=["PUT", "PATCH", "DELETE", "GET"]
    )
    response = getattr(app.test_client(), method)("/any")
    assert response.status_code == 200


def test_client_works_with_any_wsgi_app() -> None:
    def hello(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"plain ", b"wsgi"]

    response = Client(validator(hello)).get("/")
    assert (response.status_code, response.text) == (200, "plain wsgi")


# --- follow_redirects, as Werkzeug's test client ------------------------------


@pytest.fixture
def redirecting() -> App:
    from walkthrough.framework.utils import redirect

    app = App(__name__, static_folder=None)

    @app.route("/user/", methods=["GET", "POST"])
    def user() -> str:
        query = request.query_string.decode()
        return f"{request.method}:{request.form.get('s', '')}:{query}"

    app.add_url_rule("/old", "old", lambda: redirect("/user/", 302), methods=["POST"])
    app.add_url_rule("/far", "far", lambda: redirect("http://localhost/user/?q=1"))
    app.add_url_rule("/loop", "loop", lambda: redirect("/loop"))
    return app


def test_follow_redirects_repeats_the_post_after_a_308(redirecting: App) -> None:
    client = redirecting.test_client()
    assert client.post("/user", data={"s": "x"}).status_code == 308
    reply = client.post("/user", data={"s": "kept"}, follow_redirects=True)
    assert reply.text == "POST:kept:"
    assert [answer.status_code for answer in reply.history] == [308]


def test_follow_redirects_turns_a_302_into_a_get(redirecting: App) -> None:
    reply = redirecting.test_client().post(
        "/old", data={"s": "dropped"}, follow_redirects=True
    )
    assert reply.text == "GET::"


def test_follow_redirects_reads_an_absolute_location(redirecting: App) -> None:
    reply = redirecting.test_client().get("/far", follow_redirects=True)
    assert reply.text == "GET::q=1"


def test_follow_redirects_stops_a_loop(redirecting: App) -> None:
    with pytest.raises(RuntimeError, match="redirect"):
        redirecting.test_client().get("/loop", follow_redirects=True)


def test_client_methods_take_base_url_second(redirecting: App) -> None:
    client = redirecting.test_client()
    reply = client.get("/user/", "http://example.com:8080/")
    assert reply.status_code == 200
    assert client.open("/user/", "http://example.com/", method="POST").text == (
        "POST::"
    )
