"""Request reads the environ; Response builds the answer and is a WSGI app."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from walkthrough.framework.exceptions import BadRequest, NotFound, RequestEntityTooLarge
from walkthrough.framework.testing import EnvironBuilder
from walkthrough.framework.wrappers import Request, Response, get_content_type
from walkthrough.framework.wsgi import StartResponseRecorder


def make_request(path: str = "/", **kwargs) -> Request:
    return Request(EnvironBuilder(path, **kwargs).get_environ())


def environ_request(**environ) -> Request:
    base = {"REQUEST_METHOD": "GET", "SERVER_NAME": "example.org", "SERVER_PORT": "80"}
    return Request({**base, **environ})


# -- Request: URL parts ---------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "attribute", "expected"),
    [
        ({"PATH_INFO": "/a/b"}, "path", "/a/b"),
        ({"PATH_INFO": ""}, "path", "/"),
        ({"PATH_INFO": "/caf\xc3\xa9"}, "path", "/café"),
        ({"PATH_INFO": "/x", "QUERY_STRING": "a=1"}, "full_path", "/x?a=1"),
        ({"PATH_INFO": "/x"}, "full_path", "/x?"),
        ({"SCRIPT_NAME": "/app/"}, "script_root", "/app"),
        ({}, "host", "example.org"),
        ({"SERVER_PORT": "8080"}, "host", "example.org:8080"),
        ({"HTTP_HOST": "h:5000"}, "host", "h:5000"),
        ({"HTTP_HOST": "h", "wsgi.url_scheme": "https"}, "scheme", "https"),
        (
            {"SCRIPT_NAME": "/app", "PATH_INFO": "/a b", "QUERY_STRING": "q=1"},
            "url",
            "http://example.org/app/a%20b?q=1",
        ),
        (
            {"PATH_INFO": "/p", "QUERY_STRING": "q=1"},
            "base_url",
            "http://example.org/p",
        ),
        ({"REQUEST_METHOD": "post"}, "method", "POST"),
    ],
)
def test_request_url_parts(environ, attribute, expected) -> None:
    assert getattr(environ_request(**environ), attribute) == expected


@pytest.mark.parametrize(
    ("query", "key", "expected"),
    [
        ("a=1&a=2&b=", "a", ["1", "2"]),
        ("a=1&a=2&b=", "b", [""]),
        ("name=caf%C3%A9", "name", ["café"]),
        ("sp=a+b", "sp", ["a b"]),
        ("", "missing", []),
    ],
)
def test_args_multi_values(query, key, expected) -> None:
    assert environ_request(QUERY_STRING=query).args.getlist(key) == expected


def test_headers_are_case_insensitive_and_include_content_type() -> None:
    request = environ_request(HTTP_X_TOKEN="t", CONTENT_TYPE="text/plain")
    assert request.headers["x-token"] == request.headers["X-Token"] == "t"
    assert request.headers.get("Content-Type") == "text/plain"
    assert ("X-Token", "t") in request.headers.items()
    assert "missing" not in request.headers


def test_cookies_parsed_lazily() -> None:
    request = environ_request(HTTP_COOKIE='a=1; b="x\\073y"; bad; c=3')
    assert "cookies" not in request.__dict__
    assert request.cookies.to_dict() == {"a": "1", "b": "x;y", "c": "3"}


# -- Request: body --------------------------------------------------------


def body_request(body: bytes, **environ) -> Request:
    return environ_request(
        REQUEST_METHOD="POST", **{"wsgi.input": io.BytesIO(body)}, **environ
    )


@pytest.mark.parametrize(
    ("body", "environ", "expected"),
    [
        (b"hello world", {"CONTENT_LENGTH": "5"}, b"hello"),
        (b"hello", {}, b""),  # no length, no terminated stream: read nothing
        (b"hello", {"CONTENT_LENGTH": "nope"}, b""),
        (b"chunked!", {"wsgi.input_terminated": True}, b"chunked!"),
        (b"", {"CONTENT_LENGTH": "0"}, b""),
    ],
)
def test_get_data_reads_only_what_was_announced(body, environ, expected) -> None:
    assert body_request(body, **environ).get_data() == expected


def test_get_data_is_cached() -> None:
    request = body_request(b"abc", CONTENT_LENGTH="3")
    assert request.get_data() == request.data == b"abc"
    assert request.get_data(as_text=True) == "abc"


@pytest.mark.parametrize(
    "environ",
    [{"CONTENT_LENGTH": "11"}, {"wsgi.input_terminated": True}],
    ids=["content-length", "chunked"],
)
def test_max_content_length_is_enforced(environ) -> None:
    request = body_request(b"hello world", **environ)
    request.max_content_length = 10
    with pytest.raises(RequestEntityTooLarge):
        request.get_data()


def test_short_body_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="fewer bytes"):
        body_request(b"abc", CONTENT_LENGTH="10").get_data()


def test_urlencoded_form() -> None:
    request = make_request(method="POST", data={"a": ["1", "2"], "b": "é"})
    assert request.form.getlist("a") == ["1", "2"]
    assert request.form["b"] == "é"
    assert len(request.files) == 0


def test_multipart_form_and_files() -> None:
    payload = bytes(range(256)) * 3
    request = make_request(
        method="POST", data={"title": "hi", "upload": (io.BytesIO(payload), "x.bin")}
    )
    assert request.form["title"] == "hi"
    upload = request.files["upload"]
    assert upload.filename == "x.bin"
    assert upload.read() == payload


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"json": {"a": [1, 2]}}, {"a": [1, 2]}),
        ({"data": b"[1]", "content_type": "application/vnd.x+json"}, [1]),
    ],
)
def test_get_json(kwargs, expected) -> None:
    assert make_request(method="POST", **kwargs).get_json() == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": b"{}", "content_type": "text/plain"}, "Content-Type was not"),
        ({"data": b'{"a": }', "content_type": "application/json"}, "line 1 column 7"),
    ],
)
def test_get_json_errors_name_the_problem(kwargs, message) -> None:
    request = make_request(method="POST", **kwargs)
    with pytest.raises(BadRequest) as info:
        request.get_json()
    assert message in info.value.description
    assert request.get_json(silent=True) is None


# -- Response -------------------------------------------------------------


def call(response: Response, method: str = "GET") -> tuple[str, list, bytes]:
    recorder = StartResponseRecorder()
    app_iter = response({"REQUEST_METHOD": method}, recorder)
    try:
        body = b"".join(app_iter)
    finally:
        getattr(app_iter, "close", lambda: None)()
    return recorder.status, recorder.headers, body


@pytest.mark.parametrize(
    ("args", "kwargs", "status", "headers", "body"),
    [
        (
            ("hi",),
            {},
            "200 OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "2")],
            b"hi",
        ),
        (
            (b"\x00", 201),
            {"mimetype": "application/octet-stream"},
            "201 Created",
            [("Content-Type", "application/octet-stream"), ("Content-Length", "1")],
            b"\x00",
        ),
        (
            ("x", "418 I'm a teapot", {"X-A": "1"}),
            {},
            "418 I'm a teapot",
            [
                ("X-A", "1"),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", "1"),
            ],
            b"x",
        ),
        (
            ("{}",),
            {"content_type": "application/json"},
            "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", "2")],
            b"{}",
        ),
        (
            (None, 204),
            {},
            "204 No Content",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "0")],
            b"",
        ),
    ],
)
def test_response_shapes(args, kwargs, status, headers, body) -> None:
    assert call(Response(*args, **kwargs)) == (status, headers, body)


def test_headers_content_type_is_kept() -> None:
    response = Response("x", headers=[("content-type", "text/plain")])
    assert response.headers.getlist("Content-Type") == ["text/plain"]


@pytest.mark.parametrize(
    ("mimetype", "expected"),
    [
        ("text/plain", "text/plain; charset=utf-8"),
        ("application/json", "application/json"),
        ("application/javascript", "application/javascript; charset=utf-8"),
        ("image/svg+xml", "image/svg+xml; charset=utf-8"),
    ],
)
def test_get_content_type(mimetype, expected) -> None:
    assert get_content_type(mimetype) == expected


def test_status_setters() -> None:
    response = Response()
    response.status_code = 404
    assert response.status == "404 Not Found"
    response.status = "299 Custom"
    assert (response.status_code, response.status) == (299, "299 Custom")
    response.status = 799
    assert response.status == "799 UNKNOWN"


def test_generator_body_is_streamed_not_joined() -> None:
    produced: list[str] = []

    def body():
        for part in ("a", "b"):
            produced.append(part)
            yield part

    response = Response(body())
    assert response.is_streamed
    assert "Content-Length" not in response.headers
    app_iter = response({"REQUEST_METHOD": "GET"}, StartResponseRecorder())
    assert produced == []
    assert next(iter(app_iter)) == b"a" and produced == ["a"]


def test_close_is_forwarded_to_the_generator() -> None:
    closed: list[bool] = []

    def body():
        try:
            yield b"x"
            yield b"y"
        finally:
            closed.append(True)

    app_iter = Response(body())({"REQUEST_METHOD": "GET"}, StartResponseRecorder())
    assert next(iter(app_iter)) == b"x"
    app_iter.close()
    assert closed == [True]


def test_head_keeps_headers_and_drops_body_but_closes_stream() -> None:
    assert call(Response("hello"), "HEAD")[1:] == (
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "5")],
        b"",
    )
    closed: list[bool] = []

    def body():
        try:
            yield b"never sent"
        finally:
            closed.append(True)

    stream = body()
    next(stream)  # started, so close() runs its finally
    assert call(Response(stream), "HEAD")[2] == b""
    assert closed == [True]


def test_get_data_drains_a_stream_once() -> None:
    response = Response(iter(["a", b"b"]))
    assert response.get_data() == b"ab"
    assert response.get_data(as_text=True) == "ab"


def test_set_data_updates_content_length() -> None:
    response = Response("abc")
    response.set_data("é")
    assert response.headers["Content-Length"] == "2"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "k=v; Path=/"),
        ({"max_age": 0}, "k=v; Max-Age=0; Path=/"),
        (
            {"secure": True, "httponly": True, "samesite": "lax"},
            "k=v; HttpOnly; Path=/; SameSite=Lax; Secure",
        ),
        ({"path": None, "domain": "example.org"}, "k=v; Domain=example.org"),
        (
            {"expires": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)},
            "k=v; expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/",
        ),
    ],
)
def test_set_cookie_attributes(kwargs, expected) -> None:
    response = Response()
    response.set_cookie("k", "v", **kwargs)
    assert response.headers.getlist("Set-Cookie") == [expected]


def test_set_cookie_quotes_dangerous_values_and_rejects_bad_names() -> None:
    response = Response()
    response.set_cookie("k", "a; Domain=evil")
    assert response.headers["Set-Cookie"] == 'k="a\\073 Domain=evil"; Path=/'
    with pytest.raises(ValueError, match="cookie 'bad name'"):
        response.set_cookie("bad name", "v")


def test_delete_cookie_expires_it() -> None:
    response = Response()
    response.delete_cookie("k")
    assert response.headers["Set-Cookie"] == (
        'k=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/'
    )


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError, match="newline"):
        Response("x", headers={"X-A": "a\r\nSet-Cookie: evil=1"})


def get_request(**headers) -> Request:
    return make_request("/", headers=headers)


def test_add_etag_and_if_none_match_gives_304_without_body() -> None:
    response = Response("payload")
    response.add_etag()
    etag = response.headers["ETag"]
    response.make_conditional(get_request(**{"If-None-Match": f'W/{etag}, "other"'}))
    status, headers, body = call(response)
    assert (status, body) == ("304 Not Modified", b"")
    assert dict(headers) == {"ETag": etag}


def test_if_none_match_mismatch_keeps_200() -> None:
    response = Response("payload")
    response.add_etag()
    response.make_conditional(get_request(**{"If-None-Match": '"stale"'}))
    assert call(response)[0] == "200 OK"


@pytest.mark.parametrize(
    ("since", "expected_status"),
    [
        ("Wed, 02 Jan 2030 03:04:05 GMT", 304),
        ("Wed, 02 Jan 2030 03:04:04 GMT", 200),
        ("garbage", 200),
    ],
)
def test_if_modified_since(since, expected_status) -> None:
    response = Response("x")
    response.last_modified = datetime(2030, 1, 2, 3, 4, 5, 999, tzinfo=UTC)
    response.make_conditional(get_request(**{"If-Modified-Since": since}))
    assert response.status_code == expected_status


def test_conditional_ignores_post() -> None:
    response = Response("x")
    response.add_etag()
    request = make_request(method="POST", headers={"If-None-Match": "*"})
    assert response.make_conditional(request).status_code == 200


def test_from_app_captures_an_http_exception() -> None:
    response = Response.from_app(NotFound("gone"), {"REQUEST_METHOD": "GET"})
    assert response.status_code == 404
    assert b"gone" in response.get_data()
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
