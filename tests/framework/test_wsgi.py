"""Input reading, URL reconstruction, ClosingIterator, StartResponseRecorder."""

from __future__ import annotations

import io

import pytest

from walkthrough.framework.exceptions import BadRequest, RequestEntityTooLarge
from walkthrough.framework.wsgi import (
    ClosingIterator,
    StartResponseRecorder,
    get_current_url,
    get_host,
    read_body,
)


class TrickleStream(io.BytesIO):
    """Return at most two bytes per read, as a slow socket might."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(2 if size is None or size < 0 else min(size, 2))


@pytest.mark.parametrize(
    ("body", "environ", "kwargs", "expected"),
    [
        (b"abcdef", {}, {"length": 4, "limit": None}, b"abcd"),
        (
            b"abcdef",
            {"wsgi.input_terminated": True},
            {"length": None, "limit": None},
            b"abcdef",
        ),
        (b"abcdef", {}, {"length": None, "limit": None}, b""),
        (b"abcdef", {}, {"length": 6, "limit": 6}, b"abcdef"),
    ],
)
def test_read_body(body, environ, kwargs, expected) -> None:
    environ = {"wsgi.input": TrickleStream(body), **environ}
    assert read_body(environ, **kwargs) == expected


@pytest.mark.parametrize(
    ("environ", "kwargs", "error"),
    [
        ({}, {"length": 7, "limit": 6}, RequestEntityTooLarge),
        (
            {"wsgi.input_terminated": True},
            {"length": None, "limit": 5},
            RequestEntityTooLarge,
        ),
        ({}, {"length": 10, "limit": None}, BadRequest),
    ],
)
def test_read_body_errors(environ, kwargs, error) -> None:
    with pytest.raises(error):
        read_body({"wsgi.input": io.BytesIO(b"abcdef"), **environ}, **kwargs)


def test_read_body_without_input_is_empty() -> None:
    assert read_body({}, length=3, limit=None) == b""


@pytest.mark.parametrize(
    ("environ", "host", "url"),
    [
        ({"SERVER_NAME": "s", "SERVER_PORT": "80"}, "s", "http://s/"),
        (
            {"SERVER_NAME": "s", "SERVER_PORT": "443", "wsgi.url_scheme": "https"},
            "s",
            "https://s/",
        ),
        ({"SERVER_NAME": "s", "SERVER_PORT": "81"}, "s:81", "http://s:81/"),
        (
            {"HTTP_HOST": "h:1", "PATH_INFO": "/caf\xc3\xa9", "QUERY_STRING": "a=1"},
            "h:1",
            "http://h:1/caf%C3%A9?a=1",
        ),
    ],
)
def test_host_and_url(environ, host, url) -> None:
    environ = {"PATH_INFO": "/", **environ}
    assert get_host(environ) == host
    assert get_current_url(environ) == url


def test_closing_iterator_encodes_and_forwards_close() -> None:
    closed: list[bool] = []
    iterator = ClosingIterator(["a", b"b"], close=lambda: closed.append(True))
    assert list(iterator) == [b"a", b"b"]
    iterator.close()
    assert closed == [True]
    ClosingIterator([], close=None).close()  # nothing to forward is fine


def test_start_response_recorder() -> None:
    recorder = StartResponseRecorder()
    write = recorder("404 Not Found", [("A", "1")])
    assert (recorder.status, recorder.headers) == ("404 Not Found", [("A", "1")])
    with pytest.raises(NotImplementedError, match="iterable"):
        write(b"x")
