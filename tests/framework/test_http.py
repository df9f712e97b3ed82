"""Tables for the pure HTTP parser in ``walkthrough.framework.http``.

Each table pairs input with the value or the error it must give, as h11's
``SIMPLE_CASES`` do: no sockets, so every rule of RFC 9110/9112 we enforce
is one row, and a failing row names the rule it broke.
"""

from __future__ import annotations

import pytest

from walkthrough.framework import exceptions
from walkthrough.framework.exceptions import (
    BadRequest,
    HTTPException,
    HTTPVersionNotSupported,
    RequestEntityTooLarge,
)
from walkthrough.framework.http import (
    CHUNKED,
    CONTENT_LENGTH,
    NO_BODY,
    UNTIL_CLOSE,
    RequestLine,
    check_response_headers,
    check_status,
    comma_tokens,
    declared_length,
    decode_path,
    encode_response_head,
    environ_headers,
    header_values,
    is_hop_by_hop,
    parse_chunk_size,
    parse_header_line,
    parse_request_head,
    parse_request_line,
    response_framing,
    split_target,
    strip_line_ending,
)

HOST = b"Host: example.com\r\n"

GOOD_REQUEST_LINES = [
    (b"GET / HTTP/1.1\r\n", ("GET", "/", "HTTP/1.1")),
    (b"POST /submit?x=1&y=2 HTTP/1.1\r\n", ("POST", "/submit?x=1&y=2", "HTTP/1.1")),
    (b"DELETE /items/7 HTTP/1.1\r\n", ("DELETE", "/items/7", "HTTP/1.1")),
    (b"PURGE /cache HTTP/1.1\r\n", ("PURGE", "/cache", "HTTP/1.1")),
    (b"M-SEARCH /x HTTP/1.1\r\n", ("M-SEARCH", "/x", "HTTP/1.1")),
    # Any token is a method (RFC 9110 §9.1); the app decides what it implements.
    (b"PROPFIND /dav/ HTTP/1.1\r\n", ("PROPFIND", "/dav/", "HTTP/1.1")),
    (b"REPORT /cal/ HTTP/1.1\r\n", ("REPORT", "/cal/", "HTTP/1.1")),
    (b"MKCOL /dav/new/ HTTP/1.1\r\n", ("MKCOL", "/dav/new/", "HTTP/1.1")),
    (b"TRACE / HTTP/1.1\r\n", ("TRACE", "/", "HTTP/1.1")),
    (b"brew / HTTP/1.1\r\n", ("brew", "/", "HTTP/1.1")),
    (b"X!#$%&'*+-.^_`|~9 / HTTP/1.1\r\n", ("X!#$%&'*+-.^_`|~9", "/", "HTTP/1.1")),
    (b"GET /caf%C3%A9 HTTP/1.1\r\n", ("GET", "/caf%C3%A9", "HTTP/1.1")),
    (b"GET /a;b=c,d/@~!$'()*+ HTTP/1.1\r\n", ("GET", "/a;b=c,d/@~!$'()*+", "HTTP/1.1")),
    (b"GET /?q HTTP/1.1\r\n", ("GET", "/?q", "HTTP/1.1")),
    (
        b"GET http://example.com/a?b=c HTTP/1.1\r\n",
        ("GET", "http://example.com/a?b=c", "HTTP/1.1"),
    ),
    (
        b"GET HTTPS://Example.COM:8443 HTTP/1.1\r\n",
        ("GET", "HTTPS://Example.COM:8443", "HTTP/1.1"),
    ),
    (b"GET http://[::1]:80/ HTTP/1.1\r\n", ("GET", "http://[::1]:80/", "HTTP/1.1")),
    (b"OPTIONS * HTTP/1.1\r\n", ("OPTIONS", "*", "HTTP/1.1")),
    (b"GET / HTTP/1.0\r\n", ("GET", "/", "HTTP/1.0")),
    (b"GET / HTTP/1.2\r\n", ("GET", "/", "HTTP/1.1")),
    (b"GET / HTTP/1.9\r\n", ("GET", "/", "HTTP/1.1")),
    (b"GET / HTTP/1.1\n", ("GET", "/", "HTTP/1.1")),
    (b"GET / HTTP/1.1", ("GET", "/", "HTTP/1.1")),
]


@pytest.mark.parametrize(("line", "expected"), GOOD_REQUEST_LINES)
def test_parse_request_line_accepts(line: bytes, expected: tuple[str, ...]) -> None:
    assert parse_request_line(line) == RequestLine(*expected)


SHAPE = "expected 'METHOD TARGET HTTP/x.y'"
TARGET = "Malformed request target"
VERSION = "the version must look like HTTP/1.1"
METHOD = "the method is not a valid token"

BAD_REQUEST_LINES = [
    (b"\r\n", BadRequest, SHAPE),
    (b"GET\r\n", BadRequest, SHAPE),
    (b"GET /\r\n", BadRequest, SHAPE),
    (b"GET / HTTP/1.1 extra\r\n", BadRequest, SHAPE),
    (b"GET  / HTTP/1.1\r\n", BadRequest, SHAPE),
    (b"GET /  HTTP/1.1\r\n", BadRequest, SHAPE),
    (b" GET / HTTP/1.1\r\n", BadRequest, SHAPE),
    (b"GET / HTTP/1.1 \r\n", BadRequest, SHAPE),
    (b"GET\t/ HTTP/1.1\r\n", BadRequest, SHAPE),
    (b"GET /a b HTTP/1.1\r\n", BadRequest, SHAPE),
    (b"GET / http/1.1\r\n", BadRequest, VERSION),
    (b"GET / HTTP/1\r\n", BadRequest, VERSION),
    (b"GET / HTTP/1.10\r\n", BadRequest, VERSION),
    (b"GET / HTTP/1.1\r\r\n", BadRequest, VERSION),
    (b"GET / HTTPS/1.1\r\n", BadRequest, VERSION),
    (b"GET / HTTP/2.0\r\n", HTTPVersionNotSupported, "only HTTP/1.0 and HTTP/1.1"),
    (b"GET / HTTP/0.9\r\n", HTTPVersionNotSupported, "only HTTP/1.0 and HTTP/1.1"),
    (b"G(T / HTTP/1.1\r\n", BadRequest, METHOD),
    (b"GET: / HTTP/1.1\r\n", BadRequest, METHOD),
    (b"G\xc3\x89T / HTTP/1.1\r\n", BadRequest, METHOD),
    (b"GE\x00T / HTTP/1.1\r\n", BadRequest, METHOD),
    (b"GET@ / HTTP/1.1\r\n", BadRequest, METHOD),
    (b'PROP"FIND / HTTP/1.1\r\n', BadRequest, METHOD),
    (b"M[1] / HTTP/1.1\r\n", BadRequest, METHOD),
    (b"GET/ / HTTP/1.1\r\n", BadRequest, METHOD),
    (b"GET /a\x00b HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET /a\x7f HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET /a\rb HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET /caf\xc3\xa9 HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET /a#frag HTTP/1.1\r\n", BadRequest, TARGET),
    (b'GET /"quoted" HTTP/1.1\r\n', BadRequest, TARGET),
    (b"GET /<script> HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET /a%zz HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET /a%2 HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET /a% HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET * HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET a/b HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET ftp://example.com/ HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET http:///path HTTP/1.1\r\n", BadRequest, TARGET),
    (b"GET http://user@example.com/ HTTP/1.1\r\n", BadRequest, TARGET),
    (b"CONNECT example.com:443 HTTP/1.1\r\n", BadRequest, TARGET),
]


@pytest.mark.parametrize(("line", "error", "phrase"), BAD_REQUEST_LINES)
def test_parse_request_line_refuses(
    line: bytes, error: type[HTTPException], phrase: str
) -> None:
    with pytest.raises(error) as caught:
        parse_request_line(line)
    assert type(caught.value) is error
    assert phrase in caught.value.description


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"abc\r\n", b"abc"),
        (b"abc\n", b"abc"),
        (b"abc", b"abc"),
        (b"abc\r", b"abc\r"),
        (b"\r\n", b""),
        (b"a\r\n\r\n", b"a\r\n"),
    ],
)
def test_strip_line_ending(line: bytes, expected: bytes) -> None:
    assert strip_line_ending(line) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/", (None, "/", "")),
        ("/a/b", (None, "/a/b", "")),
        ("/a?b=c&d", (None, "/a", "b=c&d")),
        ("/a?b?c", (None, "/a", "b?c")),
        ("/?", (None, "/", "")),
        ("/caf%C3%A9?x=%20", (None, "/caf%C3%A9", "x=%20")),
        ("http://example.com/a?x=1", ("example.com", "/a", "x=1")),
        ("http://example.com:8080", ("example.com:8080", "/", "")),
        ("https://[::1]:8443/p", ("[::1]:8443", "/p", "")),
        ("*", (None, "*", "")),
    ],
)
def test_split_target(target: str, expected: tuple[str | None, str, str]) -> None:
    assert split_target(target) == expected


@pytest.mark.parametrize(
    ("raw_path", "expected"),
    [
        ("/plain", "/plain"),
        ("/caf%C3%A9", "/caf\xc3\xa9"),
        ("/caf%c3%a9", "/caf\xc3\xa9"),
        ("/a%20b", "/a b"),
        ("/a%2Fb", "/a/b"),
        ("/%FF", "/\xff"),
        ("/100%25", "/100%"),
        ("/%2525", "/%25"),
    ],
)
def test_decode_path_gives_latin1_str(raw_path: str, expected: str) -> None:
    assert decode_path(raw_path) == expected


GOOD_HEADER_LINES = [
    (b"Host: example.com\r\n", ("Host", "example.com")),
    (b"Host:example.com\r\n", ("Host", "example.com")),
    (b"x-lower: v\n", ("x-lower", "v")),
    (b"X-Empty:\r\n", ("X-Empty", "")),
    (b"X-Blank:   \r\n", ("X-Blank", "")),
    (b"X-Pad: \t padded value \t\r\n", ("X-Pad", "padded value")),
    (b"X-Tab: a\tb\r\n", ("X-Tab", "a\tb")),
    (b"X-Colons: a:b: c\r\n", ("X-Colons", "a:b: c")),
    (b"X-Obs-Text: caf\xe9 \xff\r\n", ("X-Obs-Text", "caf\xe9 \xff")),
    (b"!#$%&'*+-.^_`|~09Az: token\r\n", ("!#$%&'*+-.^_`|~09Az", "token")),
]


@pytest.mark.parametrize(("line", "expected"), GOOD_HEADER_LINES)
def test_parse_header_line_accepts(line: bytes, expected: tuple[str, str]) -> None:
    assert parse_header_line(line) == expected


FOLD = "Obsolete line folding"
NAME = "no whitespace before the colon"
CONTROL = "has a control character"

BAD_HEADER_LINES = [
    (b" folded continuation\r\n", FOLD),
    (b"\tfolded continuation\r\n", FOLD),
    (b"Host : example.com\r\n", NAME),
    (b"Host\t: example.com\r\n", NAME),
    (b"Bad Name: v\r\n", NAME),
    (b"Bad(Name: v\r\n", NAME),
    (b"X-\xe9: v\r\n", NAME),
    (b": value\r\n", "Malformed header name ''"),
    (b"NoColonHere\r\n", "no colon in 'NoColonHere'"),
    (b"\r\n", "no colon"),
    (b"X-Nul: a\x00b\r\n", CONTROL),
    (b"X-Cr: a\rb\r\n", CONTROL),
    (b"X-Lf: a\nb\r\n", CONTROL),
    (b"X-Cr-End: a\r\r\n", CONTROL),
    (b"X-Esc: a\x1bb\r\n", CONTROL),
    (b"X-Del: a\x7fb\r\n", CONTROL),
    (b"X-Vt: a\x0bb\r\n", CONTROL),
]


@pytest.mark.parametrize(("line", "phrase"), BAD_HEADER_LINES)
def test_parse_header_line_refuses(line: bytes, phrase: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_header_line(line)
    assert phrase in caught.value.description


def test_header_error_preview_is_short_and_printable() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_header_line(b"x" * 5000 + b"\r\n")
    assert len(caught.value.description) < 120


@pytest.mark.parametrize(
    ("headers", "name", "expected"),
    [
        ([("Host", "a"), ("host", "b"), ("X", "c")], "HOST", ["a", "b"]),
        ([("X", "c")], "Host", []),
    ],
)
def test_header_values(
    headers: list[tuple[str, str]], name: str, expected: list[str]
) -> None:
    assert header_values(headers, name) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["close"], ["close"]),
        (["Keep-Alive, Upgrade"], ["keep-alive", "upgrade"]),
        (["a", " B ,c"], ["a", "b", "c"]),
        ([], []),
    ],
)
def test_comma_tokens(values: list[str], expected: list[str]) -> None:
    assert comma_tokens(values) == expected


def head(
    line: bytes = b"GET / HTTP/1.1\r\n", *header_lines: bytes
) -> tuple[bytes, list[bytes]]:
    """Build the two arguments ``parse_request_head`` takes."""
    return line, list(header_lines)


POST_11 = b"POST / HTTP/1.1\r\n"
POST_10 = b"POST / HTTP/1.0\r\n"

# (line, header lines) -> (content_length, is_chunked, keep_alive, expects_continue)
GOOD_HEADS = [
    (head(b"GET / HTTP/1.1\r\n", HOST), (None, False, True, False)),
    (head(b"GET / HTTP/1.0\r\n"), (None, False, False, False)),
    (head(b"GET / HTTP/1.0\r\n", HOST), (None, False, False, False)),
    (head(POST_11, HOST, b"Content-Length: 5\r\n"), (5, False, True, False)),
    (head(POST_11, HOST, b"Content-Length: 0\r\n"), (0, False, True, False)),
    (head(POST_11, HOST, b"Content-Length: 007\r\n"), (7, False, True, False)),
    (head(POST_11, HOST, b"Content-Length: 5, 5\r\n"), (5, False, True, False)),
    (
        head(POST_11, HOST, b"Content-Length: 5\r\n", b"content-length: 5\r\n"),
        (5, False, True, False),
    ),
    (
        head(POST_11, HOST, b"Content-Length: 999999999999999999\r\n"),
        (999999999999999999, False, True, False),
    ),
    (head(POST_11, HOST, b"Transfer-Encoding: chunked\r\n"), (None, True, True, False)),
    (head(POST_11, HOST, b"Transfer-Encoding: Chunked\r\n"), (None, True, True, False)),
    (
        head(POST_11, HOST, b"Expect: 100-continue\r\n", b"Content-Length: 5\r\n"),
        (5, False, True, True),
    ),
    (
        head(POST_11, HOST, b"Expect: 100-Continue\r\n", b"Content-Length: 5\r\n"),
        (5, False, True, True),
    ),
    (
        head(POST_10, b"Expect: 100-continue\r\n", b"Content-Length: 5\r\n"),
        (5, False, False, False),
    ),
    (head(POST_11, HOST, b"Expect: something-else\r\n"), (None, False, True, False)),
]


@pytest.mark.parametrize(("args", "expected"), GOOD_HEADS)
def test_parse_request_head_framing(
    args: tuple[bytes, list[bytes]], expected: tuple[object, ...]
) -> None:
    parsed = parse_request_head(*args)
    assert (
        parsed.content_length,
        parsed.is_chunked,
        parsed.keep_alive,
        parsed.expects_continue,
    ) == expected


def test_parse_request_head_keeps_line_and_headers() -> None:
    parsed = parse_request_head(
        b"PUT /a?b HTTP/1.1\r\n", [b"Host: h\r\n", b"X-A: 1\r\n", b"x-a: 2\n"]
    )
    assert (parsed.method, parsed.target, parsed.version) == ("PUT", "/a?b", "HTTP/1.1")
    assert parsed.headers == [("Host", "h"), ("X-A", "1"), ("x-a", "2")]


KEEP_ALIVE_MATRIX = [
    (b"HTTP/1.1", [], True),
    (b"HTTP/1.1", [b"Connection: close\r\n"], False),
    (b"HTTP/1.1", [b"Connection: Close\r\n"], False),
    (b"HTTP/1.1", [b"Connection: keep-alive\r\n"], True),
    (b"HTTP/1.1", [b"Connection: upgrade, close\r\n"], False),
    (b"HTTP/1.1", [b"Connection: keep-alive\r\n", b"Connection: close\r\n"], False),
    (b"HTTP/1.1", [b"Connection: closed\r\n"], True),
    (b"HTTP/1.0", [], False),
    (b"HTTP/1.0", [b"Connection: keep-alive\r\n"], True),
    (b"HTTP/1.0", [b"Connection: Keep-Alive\r\n"], True),
    (b"HTTP/1.0", [b"Connection: te, keep-alive\r\n"], True),
    (b"HTTP/1.0", [b"Connection: close\r\n"], False),
    (b"HTTP/1.2", [], True),
]


@pytest.mark.parametrize(("version", "connection", "keep_alive"), KEEP_ALIVE_MATRIX)
def test_keep_alive_matrix(
    version: bytes, connection: list[bytes], keep_alive: bool
) -> None:
    parsed = parse_request_head(b"GET / " + version + b"\r\n", [HOST, *connection])
    assert parsed.keep_alive is keep_alive


BAD_HEADS = [
    (head(b"GET / HTTP/1.1\r\n"), BadRequest, "must carry a Host header"),
    (head(b"GET / HTTP/1.1\r\n", HOST, HOST), BadRequest, "More than one Host"),
    (
        head(b"GET / HTTP/1.0\r\n", HOST, b"host: other\r\n"),
        BadRequest,
        "More than one Host",
    ),
    (head(b"GET / HTTP/1.1\r\n", b"Host: a b\r\n"), BadRequest, "Malformed Host"),
    (head(b"GET / HTTP/1.1\r\n", b"Host: a:b\r\n"), BadRequest, "Malformed Host"),
    (head(b"GET / HTTP/1.1\r\n", b"Host: a:123456\r\n"), BadRequest, "Malformed Host"),
    (head(b"GET / HTTP/1.1\r\n", b"Host: u@a\r\n"), BadRequest, "Malformed Host"),
    (head(b"GET / HTTP/1.1\r\n", b"Host: a/b\r\n"), BadRequest, "Malformed Host"),
    (head(b"GET / HTTP/1.1\r\n", b"Host: [::1\r\n"), BadRequest, "Malformed Host"),
    (head(b"GET / HTTP/1.1\r\n", b"Host: caf\xe9\r\n"), BadRequest, "Malformed Host"),
    (
        head(
            POST_11, HOST, b"Content-Length: 5\r\n", b"Transfer-Encoding: chunked\r\n"
        ),
        BadRequest,
        "Both Transfer-Encoding and Content-Length",
    ),
    (
        head(
            POST_11, HOST, b"Transfer-Encoding: chunked\r\n", b"Content-Length: 0\r\n"
        ),
        BadRequest,
        "Both Transfer-Encoding and Content-Length",
    ),
    (
        head(POST_11, HOST, b"Content-Length: 5\r\n", b"Content-Length: 6\r\n"),
        BadRequest,
        "Conflicting Content-Length",
    ),
    (
        head(POST_11, HOST, b"Content-Length: 5, 6\r\n"),
        BadRequest,
        "Conflicting Content-Length",
    ),
    (
        head(POST_11, HOST, b"Content-Length: 5, 05\r\n"),
        BadRequest,
        "Conflicting Content-Length",
    ),
    (head(POST_11, HOST, b"Content-Length: +5\r\n"), BadRequest, "Malformed Content"),
    (head(POST_11, HOST, b"Content-Length: -5\r\n"), BadRequest, "Malformed Content"),
    (head(POST_11, HOST, b"Content-Length: 5 5\r\n"), BadRequest, "Malformed Content"),
    (head(POST_11, HOST, b"Content-Length: 0x5\r\n"), BadRequest, "Malformed Content"),
    (head(POST_11, HOST, b"Content-Length: five\r\n"), BadRequest, "Malformed Content"),
    (head(POST_11, HOST, b"Content-Length: 5.0\r\n"), BadRequest, "Malformed Content"),
    (head(POST_11, HOST, b"Content-Length:\r\n"), BadRequest, "Malformed Content"),
    (head(POST_11, HOST, b"Content-Length: \xb2\r\n"), BadRequest, "Malformed Content"),
    (
        head(POST_11, HOST, b"Content-Length: 1000000000000000000\r\n"),
        RequestEntityTooLarge,
        "larger than this server accepts",
    ),
    (
        head(POST_11, HOST, b"Transfer-Encoding: gzip, chunked\r\n"),
        exceptions.NotImplemented,
        "Unsupported transfer coding 'gzip, chunked'",
    ),
    (
        head(
            POST_11,
            HOST,
            b"Transfer-Encoding: gzip\r\n",
            b"Transfer-Encoding: chunked\r\n",
        ),
        exceptions.NotImplemented,
        "Unsupported transfer coding 'gzip, chunked'",
    ),
    (
        head(POST_11, HOST, b"Transfer-Encoding: chunked, gzip\r\n"),
        BadRequest,
        "must end with 'chunked'",
    ),
    (
        head(POST_11, HOST, b"Transfer-Encoding: gzip\r\n"),
        BadRequest,
        "must end with 'chunked'",
    ),
    (
        head(POST_11, HOST, b"Transfer-Encoding:\r\n"),
        BadRequest,
        "must end with 'chunked'",
    ),
    (
        head(POST_10, b"Transfer-Encoding: chunked\r\n"),
        BadRequest,
        "not allowed in HTTP/1.0",
    ),
    (head(b"GET / HTTP/1.1\r\n", HOST, b" folded\r\n"), BadRequest, FOLD),
    (head(b"GET / HTTP/1.1\r\n", HOST, b"X: \x00\r\n"), BadRequest, CONTROL),
    (head(b"GET / HTTP/3.0\r\n", HOST), HTTPVersionNotSupported, "HTTP/1.1"),
]


@pytest.mark.parametrize(("args", "error", "phrase"), BAD_HEADS)
def test_parse_request_head_refuses(
    args: tuple[bytes, list[bytes]], error: type[HTTPException], phrase: str
) -> None:
    with pytest.raises(error) as caught:
        parse_request_head(*args)
    assert type(caught.value) is error
    assert phrase in caught.value.description


GOOD_CHUNK_SIZES = [
    (b"0\r\n", 0),
    (b"5\r\n", 5),
    (b"a\r\n", 10),
    (b"A\r\n", 10),
    (b"1f\r\n", 31),
    (b"1f;name=value\r\n", 31),
    (b'10;a;b="quoted; value"\r\n', 16),
    (b"5 ;ext\r\n", 5),
    (b"5\t;ext\r\n", 5),
    (b"5 \r\n", 5),
    (b"0000000000000001\r\n", 1),
    (b"ffffffffffffffff\r\n", 2**64 - 1),
]


@pytest.mark.parametrize(("line", "expected"), GOOD_CHUNK_SIZES)
def test_parse_chunk_size_accepts(line: bytes, expected: int) -> None:
    assert parse_chunk_size(line) == expected


BAD_CHUNK_SIZES = [
    b"\r\n",
    b"",
    b"0x1\r\n",
    b"-1\r\n",
    b"+1\r\n",
    b"1\n",
    b"1",
    b"1\r",
    b"1 0\r\n",
    b" 1\r\n",
    b"g\r\n",
    b"11111111111111111\r\n",
    b"1;ext\x00\r\n",
    b"1;ext\r\r\n",
    b"1\r\n\r\n",
]


@pytest.mark.parametrize("line", BAD_CHUNK_SIZES)
def test_parse_chunk_size_refuses(line: bytes) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_chunk_size(line)
    assert "Malformed chunk size line" in caught.value.description


ENVIRON_HEADERS = [
    ([], {}),
    ([("Accept", "text/html")], {"HTTP_ACCEPT": "text/html"}),
    ([("x-thing", "a")], {"HTTP_X_THING": "a"}),
    ([("X-Thing", "a"), ("x-thing", "b")], {"HTTP_X_THING": "a, b"}),
    ([("Cookie", "a=1"), ("Cookie", "b=2")], {"HTTP_COOKIE": "a=1; b=2"}),
    (
        [("X_Real_IP", "6.6.6.6"), ("X-Real-IP", "1.2.3.4")],
        {"HTTP_X_REAL_IP": "1.2.3.4"},
    ),
    (
        [("X-Real-IP", "1.2.3.4"), ("X_Real_IP", "6.6.6.6")],
        {"HTTP_X_REAL_IP": "1.2.3.4"},
    ),
    (
        [("Content-Type", "text/plain"), ("Content-Length", "3")],
        {"CONTENT_TYPE": "text/plain", "CONTENT_LENGTH": "3"},
    ),
    ([("Host", "h"), ("Via", "caf\xe9")], {"HTTP_HOST": "h", "HTTP_VIA": "caf\xe9"}),
]


@pytest.mark.parametrize(("headers", "expected"), ENVIRON_HEADERS)
def test_environ_headers(
    headers: list[tuple[str, str]], expected: dict[str, str]
) -> None:
    assert environ_headers(headers) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Connection", True),
        ("transfer-encoding", True),
        ("Keep-Alive", True),
        ("Upgrade", True),
        ("Content-Length", False),
        ("Content-Type", False),
        ("Set-Cookie", False),
    ],
)
def test_is_hop_by_hop(name: str, expected: bool) -> None:
    assert is_hop_by_hop(name) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("200 OK", 200),
        ("404 Not Found", 404),
        ("100 Continue", 100),
        ("599 Made Up", 599),
        ("200 ", 200),
        ("200 Caf\xe9", 200),
    ],
)
def test_check_status_accepts(status: str, expected: int) -> None:
    assert check_status(status) == expected


@pytest.mark.parametrize(
    "status",
    [
        "200",
        "OK",
        "2000 OK",
        "600 Beyond",
        "099 Early",
        " 200 OK",
        "200\tOK",
        "200 OK\r\nSet-Cookie: evil=1",
        "200 OK\n",
        "200 OK\x00",
        b"200 OK",
        200,
    ],
)
def test_check_status_refuses(status: object) -> None:
    with pytest.raises(ValueError, match="Invalid WSGI status"):
        check_status(status)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("Content-Type", "text/plain"), ("Content-Length", "12")],
        [("X-Latin", "caf\xe9"), ("X-Tab", "a\tb"), ("X-Empty", "")],
        [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
    ],
)
def test_check_response_headers_accepts(headers: list[tuple[str, str]]) -> None:
    assert check_response_headers(headers) == headers


BAD_RESPONSE_HEADERS = [
    ([("X", "a\r\nSet-Cookie: evil=1")], ValueError, "control character"),
    ([("X", "a\nb")], ValueError, "control character"),
    ([("X", "a\rb")], ValueError, "control character"),
    ([("X", "a\x00")], ValueError, "control character"),
    ([("X\r\nSet-Cookie", "evil=1")], ValueError, "Invalid response header name"),
    ([("X Y", "v")], ValueError, "Invalid response header name"),
    ([("X:Y", "v")], ValueError, "Invalid response header name"),
    ([("", "v")], ValueError, "Invalid response header name"),
    ([("Caf\xe9", "v")], ValueError, "Invalid response header name"),
    ([(b"X", "v")], TypeError, "must be str"),
    ([("X", b"v")], TypeError, "must be str"),
    ([("X", 1)], TypeError, "must be str"),
    ([("Content-Length", "12a")], ValueError, "not a number"),
    ([("content-length", "-1")], ValueError, "not a number"),
    ([("Content-Length", "")], ValueError, "not a number"),
    ([("Content-Length", "\xb2")], ValueError, "not a number"),
]


@pytest.mark.parametrize(("headers", "error", "phrase"), BAD_RESPONSE_HEADERS)
def test_check_response_headers_refuses(
    headers: list[tuple[object, object]], error: type[Exception], phrase: str
) -> None:
    with pytest.raises(error, match=phrase):
        check_response_headers(headers)  # type: ignore[arg-type]


# The response half: framing decided from facts alone, as h11's _body_framing.

CL_13 = (("Content-Length", "13"),)
CL_0 = (("Content-Length", "0"),)
TE_CHUNKED = (("Transfer-Encoding", "chunked"),)

# (method, status, version, declared, seen) -> (kind, length, headers)
RESPONSE_FRAMINGS = [
    pytest.param("GET", 200, "HTTP/1.1", 5, None, (CONTENT_LENGTH, 5, ()),
                 id="declared"),
    pytest.param("GET", 200, "HTTP/1.1", 5, 13, (CONTENT_LENGTH, 5, ()),
                 id="declared-wins-over-seen"),
    pytest.param("GET", 200, "HTTP/1.1", None, 13, (CONTENT_LENGTH, 13, CL_13),
                 id="seen-length-added"),
    pytest.param("GET", 200, "HTTP/1.1", None, 0, (CONTENT_LENGTH, 0, CL_0),
                 id="seen-empty-body"),
    pytest.param("GET", 200, "HTTP/1.1", None, None, (CHUNKED, None, TE_CHUNKED),
                 id="unknown-length-chunked"),
    pytest.param("GET", 200, "HTTP/1.0", None, None, (UNTIL_CLOSE, None, ()),
                 id="unknown-length-1.0-closes"),
    pytest.param("GET", 200, "HTTP/1.0", None, 13, (CONTENT_LENGTH, 13, CL_13),
                 id="seen-length-1.0"),
    pytest.param("HEAD", 200, "HTTP/1.1", 5, None, (NO_BODY, None, ()),
                 id="head-declared-kept-no-body"),
    pytest.param("HEAD", 200, "HTTP/1.1", None, 13, (NO_BODY, None, CL_13),
                 id="head-gets-get-length"),
    pytest.param("HEAD", 200, "HTTP/1.1", None, 0, (NO_BODY, None, ()),
                 id="head-empty-body-says-nothing"),
    pytest.param("HEAD", 200, "HTTP/1.1", None, None, (NO_BODY, None, ()),
                 id="head-unknown-length"),
    pytest.param("GET", 204, "HTTP/1.1", None, None, (NO_BODY, None, ()), id="204"),
    pytest.param("GET", 304, "HTTP/1.1", 5, None, (NO_BODY, None, ()),
                 id="304-keeps-declared-length-header-only"),
    pytest.param("GET", 103, "HTTP/1.1", None, 0, (NO_BODY, None, ()), id="1xx"),
    pytest.param("POST", 404, "HTTP/1.1", None, None, (CHUNKED, None, TE_CHUNKED),
                 id="error-status-has-body"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "status", "version", "declared", "seen", "expected"), RESPONSE_FRAMINGS
)
def test_response_framing(
    method: str,
    status: int,
    version: str,
    declared: int | None,
    seen: int | None,
    expected: tuple[str, int | None, tuple[tuple[str, str], ...]],
) -> None:
    framing = response_framing(method, status, version, declared, seen)
    assert (framing.kind, framing.length, framing.headers) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], None),
        ([("Content-Type", "text/plain")], None),
        ([("content-length", "42")], 42),
        ([("Content-Length", "0")], 0),
    ],
)
def test_declared_length(headers: list[tuple[str, str]], expected: int | None) -> None:
    assert declared_length(headers) == expected


def test_encode_response_head() -> None:
    head = encode_response_head("404 Not Found", [("A", "1"), ("B", "caf\xe9")])
    assert head == b"HTTP/1.1 404 Not Found\r\nA: 1\r\nB: caf\xe9\r\n\r\n"
    assert encode_response_head("100 Continue", []) == b"HTTP/1.1 100 Continue\r\n\r\n"
