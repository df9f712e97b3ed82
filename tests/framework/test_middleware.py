"""ProxyFix by tables: which forwarded values are believed, and what they set."""

from __future__ import annotations

import pytest

from walkthrough.framework.middleware import (
    ORIGINAL_ENVIRON_KEY,
    ProxyFix,
    get_real_value,
    split_host_port,
)

BASE_ENVIRON = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/",
    "SCRIPT_NAME": "",
    "REMOTE_ADDR": "127.0.0.1",
    "wsgi.url_scheme": "http",
    "HTTP_HOST": "127.0.0.1:8000",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8000",
}


def not_called(environ, start_response):
    """Stand in for the app in tables that never call it."""
    raise AssertionError("the app is not called by fix_environ")


@pytest.mark.parametrize(
    ("trusted", "value", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # The client prepended a lie; the one proxy appended the truth.
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9,10.0.0.2", "203.0.113.9"),
        # Fewer values than proxies: one was bypassed, believe none.
        (2, "203.0.113.9", None),
        (0, "203.0.113.9", None),
        (1, None, None),
        (1, "", None),
        (1, " , ", None),
    ],
)
def test_get_real_value(trusted, value, expected) -> None:
    assert get_real_value(trusted, value) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.org", ("example.org", None)),
        ("example.org:8443", ("example.org", "8443")),
        ("[::1]", ("[::1]", None)),
        ("[::1]:8080", ("[::1]", "8080")),
    ],
)
def test_split_host_port(host, expected) -> None:
    assert split_host_port(host) == expected


# (ProxyFix counts, forwarded headers, the environ keys expected to change)
FIX_CASES = [
    ({}, {}, {}),
    (
        {},
        {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"},
        {"REMOTE_ADDR": "203.0.113.9"},
    ),
    ({}, {"HTTP_X_FORWARDED_PROTO": "https"}, {"wsgi.url_scheme": "https"}),
    # x_host and x_prefix are off by default: the headers change nothing.
    (
        {},
        {"HTTP_X_FORWARDED_HOST": "evil.test", "HTTP_X_FORWARDED_PREFIX": "/x"},
        {},
    ),
    (
        {"x_host": 1},
        {"HTTP_X_FORWARDED_HOST": "wiki.example.org"},
        {"HTTP_HOST": "wiki.example.org", "SERVER_NAME": "wiki.example.org"},
    ),
    (
        {"x_host": 1},
        {"HTTP_X_FORWARDED_HOST": "wiki.example.org:8443"},
        {
            "HTTP_HOST": "wiki.example.org:8443",
            "SERVER_NAME": "wiki.example.org",
            "SERVER_PORT": "8443",
        },
    ),
    (
        {"x_host": 1},
        {"HTTP_X_FORWARDED_HOST": "[2001:db8::1]"},
        {"HTTP_HOST": "[2001:db8::1]", "SERVER_NAME": "[2001:db8::1]"},
    ),
    (
        {"x_port": 1},
        {"HTTP_X_FORWARDED_PORT": "443"},
        {"HTTP_HOST": "127.0.0.1:443", "SERVER_PORT": "443"},
    ),
    # The port replaces the one the forwarded host carried.
    (
        {"x_host": 1, "x_port": 1},
        {"HTTP_X_FORWARDED_HOST": "wiki.test:81", "HTTP_X_FORWARDED_PORT": "8443"},
        {
            "HTTP_HOST": "wiki.test:8443",
            "SERVER_NAME": "wiki.test",
            "SERVER_PORT": "8443",
        },
    ),
    (
        {"x_prefix": 1},
        {"HTTP_X_FORWARDED_PREFIX": "/wiki/wt"},
        {"SCRIPT_NAME": "/wiki/wt"},
    ),
    (
        {"x_for": 2, "x_proto": 2},
        {
            "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9, 10.0.0.2",
            "HTTP_X_FORWARDED_PROTO": "https, http",
        },
        {"REMOTE_ADDR": "203.0.113.9", "wsgi.url_scheme": "https"},
    ),
    # Two proxies trusted, one value: a proxy was skipped, nothing changes.
    ({"x_for": 2}, {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, {}),
    ({"x_for": 0, "x_proto": 0}, {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, {}),
]


@pytest.mark.parametrize(("counts", "headers", "changed"), FIX_CASES)
def test_fix_environ(counts, headers, changed) -> None:
    environ = {**BASE_ENVIRON, **headers}
    fixed = ProxyFix(not_called, **counts).fix_environ(environ)
    original = fixed.pop(ORIGINAL_ENVIRON_KEY)
    assert fixed == {**environ, **changed}
    assert original == {
        key: BASE_ENVIRON[key]
        for key in ("REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST")
        + ("SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")
    }
    assert environ == {**BASE_ENVIRON, **headers}, "fix_environ changed its input"


def test_call_fixes_the_environ_in_place() -> None:
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return [b"ok"]

    environ = {**BASE_ENVIRON, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    body = ProxyFix(app)(environ, lambda status, headers: None)
    assert list(body) == [b"ok"]
    assert seen["REMOTE_ADDR"] == environ["REMOTE_ADDR"] == "203.0.113.9"
    assert environ[ORIGINAL_ENVIRON_KEY]["REMOTE_ADDR"] == "127.0.0.1"


@pytest.mark.parametrize("bad", [-1, "1", 1.0, None, True])
def test_bad_count_fails_at_construction(bad) -> None:
    with pytest.raises(ValueError, match=r"ProxyFix\(x_prefix=.*whole number >= 0"):
        ProxyFix(not_called, x_prefix=bad)
