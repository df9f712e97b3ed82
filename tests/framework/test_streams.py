"""Body streams over in-memory connections: the body, and not a byte more.

``rfile`` is ``io.BufferedReader(io.BytesIO(...))``, the shape of the
server's socket file; ``wsgi.input`` wraps the stream in another
``io.BufferedReader``, as ``make_environ`` does. Whatever follows the body
(the next pipelined request) must still be unread in ``rfile`` afterwards.
"""

from __future__ import annotations

import io

import pytest

from walkthrough.framework.exceptions import BadRequest, RequestEntityTooLarge
from walkthrough.framework.http import (
    CHUNKED,
    CONTENT_LENGTH,
    NO_BODY,
    UNTIL_CLOSE,
    ResponseFraming,
)
from walkthrough.framework.streams import (
    MAX_TRAILER_COUNT,
    BodyStream,
    BodyWriter,
    ChunkedStream,
    ChunkedWriter,
    ClientDisconnected,
    ContentLengthWriter,
    Http10Writer,
    LimitedStream,
    body_writer,
)

NEXT = b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n"
LARGE_BODY = bytes(range(256)) * 1000


def connection(data: bytes) -> io.BufferedReader:
    """Return a buffered reader shaped like the server's ``rfile``."""
    return io.BufferedReader(io.BytesIO(data))


def limited(body: bytes, length: int | None = None) -> tuple[io.BufferedReader, ...]:
    """Return ``(wsgi_input, rfile)`` for a body framed by Content-Length."""
    rfile = connection(body + NEXT)
    stream = LimitedStream(rfile, len(body) if length is None else length)
    return io.BufferedReader(stream), rfile


def chunked(
    raw: bytes, *, max_body_bytes: int = 1_000_000
) -> tuple[io.BufferedReader, io.BufferedReader, ChunkedStream]:
    """Return ``(wsgi_input, rfile, stream)`` for a chunked body."""
    rfile = connection(raw + NEXT)
    stream = ChunkedStream(rfile, max_body_bytes=max_body_bytes)
    return io.BufferedReader(stream), rfile, stream


def encode_chunks(*chunks: bytes) -> bytes:
    """Frame ``chunks`` as a chunked body with its last chunk."""
    framed = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    return framed + b"0\r\n\r\n"


READS = [
    ("read", b"hello world", b"hello world"),
    ("read", b"", b""),
    ("read", LARGE_BODY, LARGE_BODY),
    ("read-pieces", b"hello world", [b"hel", b"lo ", b"wor", b"ld", b""]),
    ("readline", b"one\ntwo\nthree", [b"one\n", b"two\n", b"three", b""]),
    ("readline-limit", b"abcdef\nxy", [b"abcd", b"ef\n", b"xy"]),
    ("readlines", b"one\ntwo\nthree", [b"one\n", b"two\n", b"three"]),
    ("readlines", b"", []),
    ("iterate", b"a\nb\n", [b"a\n", b"b\n"]),
    ("read1", b"hello", b"hello"),
]


def consume(wsgi_input: io.BufferedReader, how: str) -> object:
    """Read ``wsgi_input`` the way an app might, named by ``how``."""
    if how == "read":
        return wsgi_input.read()
    if how == "read-pieces":
        return [wsgi_input.read(3) for _ in range(5)]
    if how == "readline":
        return [wsgi_input.readline() for _ in range(4)]
    if how == "readline-limit":
        return [wsgi_input.readline(4), wsgi_input.readline(), wsgi_input.readline()]
    if how == "readlines":
        return wsgi_input.readlines()
    if how == "read1":
        return b"".join(iter(lambda: wsgi_input.read1(2), b""))
    return list(wsgi_input)


@pytest.mark.parametrize(("how", "body", "expected"), READS)
def test_limited_stream_reads_body_and_stops(
    how: str, body: bytes, expected: object
) -> None:
    wsgi_input, rfile = limited(body)
    assert consume(wsgi_input, how) == expected
    assert rfile.read() == NEXT


@pytest.mark.parametrize(("how", "body", "expected"), READS)
def test_chunked_stream_reads_body_and_stops(
    how: str, body: bytes, expected: object
) -> None:
    # Uneven chunks, so every read pattern crosses chunk boundaries.
    chunks = [body[index : index + 3] for index in range(0, len(body), 3)]
    wsgi_input, rfile, _stream = chunked(encode_chunks(*chunks))
    assert consume(wsgi_input, how) == expected
    assert rfile.read() == NEXT


def test_limited_stream_shorter_length_leaves_rest_unread() -> None:
    wsgi_input, rfile = limited(b"hello world", length=5)
    assert wsgi_input.read() == b"hello"
    assert wsgi_input.read() == b""
    assert rfile.read() == b" world" + NEXT


@pytest.mark.parametrize(
    ("body", "length", "read_size"),
    [(b"abc", 10, -1), (b"abc", 10, 10), (b"", 1, 1), (LARGE_BODY[:5000], 9000, -1)],
)
def test_limited_stream_early_eof_is_client_disconnected(
    body: bytes, length: int, read_size: int
) -> None:
    stream = LimitedStream(connection(body), length)
    with pytest.raises(ClientDisconnected) as caught:
        io.BufferedReader(stream).read(read_size)
    assert caught.value.code == 400
    assert "closed the connection before the body" in caught.value.description


CHUNKED_BODIES = [
    (b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world", []),
    (b"0\r\n\r\n", b"", []),
    (b"B\r\nhello world\r\n0\r\n\r\n", b"hello world", []),
    (b"5;name=value\r\nhello\r\n0;last\r\n\r\n", b"hello", []),
    (b'5 ; a ; b="x;y"\r\nhello\r\n0\r\n\r\n', b"hello", []),
    (b"5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n", b"hello", [("X-Checksum", "abc")]),
    (
        b"5\r\nhello\r\n0\r\nX-A: 1\r\nx-b:2\n\r\n",
        b"hello",
        [("X-A", "1"), ("x-b", "2")],
    ),
    (b"5\r\nhello\r\n0\r\n\n", b"hello", []),
    (b"3\r\n\r\n\r\r\n0\r\n\r\n", b"\r\n\r", []),
]


@pytest.mark.parametrize(("raw", "body", "trailers"), CHUNKED_BODIES)
def test_chunked_stream_decodes(
    raw: bytes, body: bytes, trailers: list[tuple[str, str]]
) -> None:
    wsgi_input, rfile, stream = chunked(raw)
    assert wsgi_input.read() == body
    assert stream.trailers == trailers
    assert rfile.read() == NEXT


BAD_CHUNKED_BODIES = [
    (b"5\r\nhelloXX0\r\n\r\n", BadRequest, "not followed by CRLF"),
    (b"5\r\nhello\n0\r\n\r\n", BadRequest, "not followed by CRLF"),
    (b"3\r\nhello\r\n0\r\n\r\n", BadRequest, "not followed by CRLF"),
    (b"zz\r\nhello\r\n0\r\n\r\n", BadRequest, "Malformed chunk size line"),
    (b"\r\n", BadRequest, "Malformed chunk size line"),
    (b"0x5\r\nhello\r\n0\r\n\r\n", BadRequest, "Malformed chunk size line"),
    (b"5\nhello\r\n0\r\n\r\n", BadRequest, "Malformed chunk size line"),
    (b"1;" + b"x" * 5000 + b"\r\nh\r\n0\r\n\r\n", BadRequest, "Malformed chunk size"),
    (b"5\r\nhello\r\n0\r\n folded: no\r\n\r\n", BadRequest, "Obsolete line folding"),
    (b"5\r\nhello\r\n0\r\nX: " + b"a" * 5000 + b"\r\n\r\n", BadRequest, "oversized"),
    (
        b"0\r\n" + b"X: 1\r\n" * (MAX_TRAILER_COUNT + 1) + b"\r\n",
        BadRequest,
        f"More than {MAX_TRAILER_COUNT} trailer fields",
    ),
]


@pytest.mark.parametrize(("raw", "error", "phrase"), BAD_CHUNKED_BODIES)
def test_chunked_stream_refuses(
    raw: bytes, error: type[BadRequest], phrase: str
) -> None:
    wsgi_input, _rfile, _stream = chunked(raw)
    with pytest.raises(error) as caught:
        wsgi_input.read()
    assert phrase in caught.value.description


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"5\r\n",
        b"5\r\nhel",
        b"5\r\nhello",
        b"5\r\nhello\r\n",
        b"5\r\nhello\r\n0\r\nX-Trailer: cut",
    ],
)
def test_chunked_stream_early_eof_is_refused(raw: bytes) -> None:
    stream = ChunkedStream(connection(raw), max_body_bytes=1000)
    with pytest.raises(BadRequest) as caught:
        io.BufferedReader(stream).read()
    assert caught.value.code == 400


@pytest.mark.parametrize(
    "raw", [b"", b"5\r\n", b"5\r\nhel", b"5\r\nhello", b"5\r\nhello\r\n"]
)
def test_chunked_stream_eof_in_chunks_is_client_disconnected(raw: bytes) -> None:
    stream = ChunkedStream(connection(raw), max_body_bytes=1000)
    with pytest.raises(ClientDisconnected):
        io.BufferedReader(stream).read()


@pytest.mark.parametrize(
    ("raw", "max_body_bytes"),
    [
        (encode_chunks(b"hello", b" world"), 10),
        (encode_chunks(b"x" * 11), 10),
        (b"ffffffffffffffff\r\n", 10),
        (encode_chunks(*[b"x" * 100] * 20), 1000),
    ],
)
def test_chunked_stream_over_limit_is_413(raw: bytes, max_body_bytes: int) -> None:
    wsgi_input, _rfile, _stream = chunked(raw, max_body_bytes=max_body_bytes)
    with pytest.raises(RequestEntityTooLarge) as caught:
        wsgi_input.read()
    assert f"larger than {max_body_bytes} bytes" in caught.value.description


def test_chunked_stream_at_limit_is_accepted() -> None:
    wsgi_input, _rfile, _stream = chunked(encode_chunks(b"x" * 10), max_body_bytes=10)
    assert wsgi_input.read() == b"x" * 10


def body_stream(kind: str, rfile: io.BufferedReader) -> BodyStream:
    """Return a stream of ``kind`` over ``rfile`` for LARGE_BODY."""
    if kind == "chunked":
        return ChunkedStream(rfile, max_body_bytes=len(LARGE_BODY))
    return LimitedStream(rfile, len(LARGE_BODY))


@pytest.mark.parametrize("kind", ["limited", "chunked"])
@pytest.mark.parametrize("already_read", [0, 1, 70000])
def test_drain_discards_the_rest_of_the_body(kind: str, already_read: int) -> None:
    if kind == "chunked":
        raw = encode_chunks(LARGE_BODY[:1000], LARGE_BODY[1000:])
    else:
        raw = LARGE_BODY
    rfile = connection(raw + NEXT)
    stream = body_stream(kind, rfile)
    wsgi_input = io.BufferedReader(stream, buffer_size=1)
    assert wsgi_input.read(already_read) == LARGE_BODY[:already_read]
    assert stream.drain(len(LARGE_BODY)) is True
    assert rfile.read() == NEXT


def test_drain_gives_up_past_its_limit() -> None:
    rfile = connection(LARGE_BODY + NEXT)
    assert LimitedStream(rfile, len(LARGE_BODY)).drain(1000) is False


def test_drain_of_chunked_body_past_its_limit_is_413() -> None:
    rfile = connection(encode_chunks(LARGE_BODY) + NEXT)
    with pytest.raises(RequestEntityTooLarge):
        ChunkedStream(rfile, max_body_bytes=1000).drain(len(LARGE_BODY))


def test_before_first_read_runs_once_on_first_read() -> None:
    calls: list[str] = []
    rfile = connection(b"hello" + NEXT)
    stream = LimitedStream(rfile, 5, before_first_read=lambda: calls.append("go"))
    assert calls == []
    wsgi_input = io.BufferedReader(stream)
    assert wsgi_input.read(2) == b"he"
    assert wsgi_input.read() == b"llo"
    assert calls == ["go"]


def test_drain_refuses_while_before_first_read_is_pending() -> None:
    # The client was never sent 100 Continue, so the body may never come:
    # draining would wait for it; the server must close instead.
    calls: list[str] = []
    rfile = connection(b"hello" + NEXT)
    stream = ChunkedStream(
        rfile, max_body_bytes=100, before_first_read=lambda: calls.append("go")
    )
    assert stream.drain(100) is False
    assert calls == []
    assert rfile.read() == b"hello" + NEXT


# Writers: each framing's bytes on the wire, block by block, then the end.

WRITER_CASES = [
    pytest.param(
        ResponseFraming(CONTENT_LENGTH, 5, (("Content-Length", "5"),)),
        [b"he", b"", b"llo"],
        [b"he", b"", b"llo"],
        b"",
        None,
        id="content-length-exact",
    ),
    pytest.param(
        ResponseFraming(CONTENT_LENGTH, 5),
        [b"hel", b"lo!!", b"more"],
        [b"hel", b"lo", b""],
        b"",
        "more than its Content-Length",
        id="content-length-excess-cut",
    ),
    pytest.param(
        ResponseFraming(CONTENT_LENGTH, 5),
        [b"hel"],
        [b"hel"],
        b"",
        "less than its Content-Length",
        id="content-length-short",
    ),
    pytest.param(
        ResponseFraming(CHUNKED),
        [b"one", b"", b"x" * 26],
        [b"3\r\none\r\n", b"", b"1a\r\n" + b"x" * 26 + b"\r\n"],
        b"0\r\n\r\n",
        None,
        id="chunked",
    ),
    pytest.param(
        ResponseFraming(UNTIL_CLOSE),
        [b"one", b"two"],
        [b"one", b"two"],
        b"",
        None,
        id="http-1.0-until-close",
    ),
    pytest.param(
        ResponseFraming(NO_BODY, headers=(("Content-Length", "9"),)),
        [b"ignored", b"body"],
        [b"", b""],
        b"",
        None,
        id="no-body-for-head",
    ),
]


@pytest.mark.parametrize(
    ("framing", "blocks", "expected", "ending", "fault"), WRITER_CASES
)
def test_body_writer_frames_each_block(
    framing: ResponseFraming,
    blocks: list[bytes],
    expected: list[bytes],
    ending: bytes,
    fault: str | None,
) -> None:
    writer = body_writer(framing)
    assert [writer.frame(block) for block in blocks] == expected
    assert writer.end() == ending
    if fault is None:
        assert writer.fault is None
    else:
        assert fault in (writer.fault or "")


def test_body_writer_classes_match_h11_names() -> None:
    kinds = {
        CONTENT_LENGTH: ContentLengthWriter,
        CHUNKED: ChunkedWriter,
        UNTIL_CLOSE: Http10Writer,
        NO_BODY: BodyWriter,
    }
    for kind, writer_class in kinds.items():
        assert type(body_writer(ResponseFraming(kind, 0))) is writer_class
