"""Form bodies: urlencoded and multipart, with Content-Type parameters."""

from __future__ import annotations

import pytest

from walkthrough.framework.exceptions import BadRequest
from walkthrough.framework.formparser import (
    parse_form_data,
    parse_options_header,
    parse_urlencoded,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/html; charset=utf-8", ("text/html", {"charset": "utf-8"})),
        ("Application/JSON", ("application/json", {})),
        (
            'multipart/form-data; boundary="a b"',
            ("multipart/form-data", {"boundary": "a b"}),
        ),
        ("", ("", {})),
        (None, ("", {})),
    ],
)
def test_parse_options_header(value, expected) -> None:
    assert parse_options_header(value) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"a=1&a=2&b=", [("a", "1"), ("a", "2"), ("b", "")]),
        (b"q=caf%C3%A9+au+lait", [("q", "café au lait")]),
        (b"raw=caf\xc3\xa9", [("raw", "café")]),
        (b"", []),
    ],
)
def test_parse_urlencoded(body, expected) -> None:
    assert list(parse_urlencoded(body).items(multi=True)) == expected


def multipart(*parts: bytes, boundary: str = "B") -> bytes:
    return b"".join(
        b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts
    ) + (b"--" + boundary.encode() + b"--\r\n")


def test_multipart_keeps_binary_files_intact() -> None:
    blob = bytes(range(256)) + b"\r\n--B\r\n"  # looks like a boundary, but is not one
    body = multipart(
        b'Content-Disposition: form-data; name="t"\r\n\r\nhi',
        b'Content-Disposition: form-data; name="f"; filename="a.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + blob,
        boundary="XyZ",
    )
    form, files = parse_form_data(body, "multipart/form-data; boundary=XyZ")
    assert form.to_dict() == {"t": "hi"}
    assert files["f"].read() == blob
    assert files["f"].content_type == "application/octet-stream"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"x", "multipart/form-data", "without a boundary"),
        (b"no boundary here", "multipart/form-data; boundary=B", "Malformed"),
    ],
)
def test_bad_multipart_is_a_400(body, content_type, message) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_form_data(body, content_type)


def test_other_types_have_no_form() -> None:
    form, files = parse_form_data(b'{"a": 1}', "application/json")
    assert len(form) == 0 and len(files) == 0
