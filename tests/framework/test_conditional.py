"""ETags, HTTP dates and the freshness decision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from walkthrough.framework.conditional import (
    etag_matches,
    generate_etag,
    http_date,
    is_resource_modified,
    parse_date,
    unquote_etag,
)

MOMENT = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (MOMENT, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (MOMENT.replace(tzinfo=None), "Sun, 06 Nov 1994 08:49:37 GMT"),
        (784111777, "Sun, 06 Nov 1994 08:49:37 GMT"),
    ],
)
def test_http_date(value, expected) -> None:
    assert http_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", MOMENT),
        ("Sunday, 06-Nov-94 08:49:37 GMT", MOMENT),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value, expected) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("header", "etag", "expected"),
    [
        ('"a"', '"a"', True),
        ('W/"a"', '"a"', True),
        ('"b", "a"', 'W/"a"', True),
        ('"a,b"', '"a,b"', True),
        ('"b"', '"a"', False),
        ("*", '"anything"', True),
    ],
)
def test_etag_matches(header, etag, expected) -> None:
    assert etag_matches(header, etag) is expected


def test_generate_and_unquote_etag() -> None:
    etag = generate_etag(b"x")
    assert etag.startswith('"') and etag.endswith('"')
    assert unquote_etag(f"W/{etag}") == etag.strip('"')
    assert generate_etag(b"x") != generate_etag(b"y")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"if_none_match": '"a"', "etag": '"a"'}, False),
        ({"if_none_match": '"a"', "etag": None}, True),
        (
            {
                "if_none_match": '"b"',
                "etag": '"a"',
                "last_modified": MOMENT,
                "if_modified_since": MOMENT,
            },
            True,
        ),  # If-None-Match wins
        ({"if_modified_since": MOMENT, "last_modified": MOMENT}, False),
        (
            {"if_modified_since": MOMENT, "last_modified": MOMENT.replace(second=38)},
            True,
        ),
        ({"if_modified_since": None, "last_modified": MOMENT}, True),
    ],
)
def test_is_resource_modified(kwargs, expected) -> None:
    options = {
        "if_none_match": "",
        "if_modified_since": None,
        "etag": None,
        "last_modified": None,
        **kwargs,
    }
    assert is_resource_modified(**options) is expected
