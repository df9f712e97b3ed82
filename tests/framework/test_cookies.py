"""Cookie header parsing and Set-Cookie building."""

from __future__ import annotations

import pytest

from walkthrough.framework.cookies import dump_cookie, parse_cookie


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=2", [("a", "1"), ("b", "2")]),
        ("a=1;a=2", [("a", "1"), ("a", "2")]),
        ('q="x\\073y\\"z"', [("q", 'x;y"z')]),
        ("junk; =v; ok=1", [("ok", "1")]),
        ("e=", [("e", "")]),
        ("", []),
        ("u=caf\xc3\xa9", [("u", "café")]),
    ],
)
def test_parse_cookie(header, expected) -> None:
    assert list(parse_cookie(header).items(multi=True)) == expected


@pytest.mark.parametrize(
    "value", ["plain", "with space", 'quote"s', "semi;colon", "ünïcode", ""]
)
def test_dump_then_parse_round_trips(value) -> None:
    line = dump_cookie("k", value)
    pair = line.split("; Path=/")[0]
    assert parse_cookie(pair)["k"] == value


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "a b"}, "cookie 'a b'"),
        ({"key": "k", "samesite": "sometimes"}, "samesite"),
    ],
)
def test_dump_cookie_rejects(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        dump_cookie(**kwargs)
