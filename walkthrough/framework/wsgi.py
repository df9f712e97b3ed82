"""WSGI plumbing under the wrappers: read ``wsgi.input``, rebuild the URL, close.

``Request.get_data`` reads through ``read_body``; ``Response.__call__`` hands the
server a ``ClosingIterator`` so ``close()`` reaches the view's generator.
Werkzeug's ``werkzeug.wsgi``; left out: ``LimitedStream`` (our server's is)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO, Any
from urllib.parse import quote

from walkthrough.framework.exceptions import BadRequest, RequestEntityTooLarge
from walkthrough.framework.types import WSGIEnvironment

READ_CHUNK_BYTES = 64 * 1024
DEFAULT_PORTS = (("http", "80"), ("https", "443"))
# RFC 3986 §3.3: characters a path may carry unescaped.
PATH_SAFE_CHARS = "/:@!$&'()*+,;=%"


def get_host(environ: WSGIEnvironment) -> str:
    """Return the Host header, or SERVER_NAME plus its port if not the default."""
    host = environ.get("HTTP_HOST")
    if host is None:
        host = environ.get("SERVER_NAME", "localhost")
        port = environ.get("SERVER_PORT", "")
        if port and (environ.get("wsgi.url_scheme", "http"), port) not in DEFAULT_PORTS:
            host = f"{host}:{port}"
    return host


def get_current_url(
    environ: WSGIEnvironment, *, strip_querystring: bool = False
) -> str:
    """Rebuild the URL the client asked for, query string included."""
    path = environ.get("SCRIPT_NAME", "").rstrip("/") + environ.get("PATH_INFO", "")
    path = quote(path.encode("latin-1"), safe=PATH_SAFE_CHARS)
    url = f"{environ.get('wsgi.url_scheme', 'http')}://{get_host(environ)}{path}"
    query = environ.get("QUERY_STRING", "")
    return url if strip_querystring or not query else f"{url}?{query}"


def read_body(
    environ: WSGIEnvironment, *, length: int | None, limit: int | None
) -> bytes:
    """Read exactly ``length`` bytes, or to EOF for a terminated stream.

    Reading past CONTENT_LENGTH would block on a keep-alive socket, so
    without a length we read only when the server says the stream ends
    (``wsgi.input_terminated``, set for a chunked body).
    """
    if length is not None and limit is not None and length > limit:
        raise RequestEntityTooLarge()
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length is None:
        if not environ.get("wsgi.input_terminated"):
            return b""
        return read_until_eof(stream, limit=limit)
    return read_exactly(stream, length)


def read_exactly(stream: IO[bytes], length: int) -> bytes:
    """Read ``length`` bytes; an early end means the client gave up."""
    chunks, remaining = [], length
    while remaining > 0:
        chunk = stream.read(min(remaining, READ_CHUNK_BYTES))
        if not chunk:
            raise BadRequest("The client sent fewer bytes than its Content-Length.")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_until_eof(stream: IO[bytes], *, limit: int | None) -> bytes:
    """Read a terminated body to its end, refusing it once past ``limit``."""
    chunks, total = [], 0
    while chunk := stream.read(READ_CHUNK_BYTES):
        total += len(chunk)
        if limit is not None and total > limit:
            raise RequestEntityTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def encode_chunk(chunk: str | bytes) -> bytes:
    """Encode a text chunk as UTF-8; bytes pass through."""
    return chunk.encode("utf-8") if isinstance(chunk, str) else chunk


class ClosingIterator:
    """Yield a streamed body as bytes and forward ``close()`` to its source.

    The server calls ``close()`` when it is done (PEP 3333); forwarding it to
    the view's generator lets a ``finally`` there, and teardown, run.
    """

    def __init__(
        self, iterable: Iterable[str | bytes], *, close: Callable[[], Any] | None
    ) -> None:
        self._iterator = iter(iterable)
        self._close = close

    def __iter__(self) -> ClosingIterator:
        return self

    def __next__(self) -> bytes:
        return encode_chunk(next(self._iterator))

    def close(self) -> None:
        """Close the source iterable, if it has a ``close``."""
        if self._close is not None:
            self._close()


class StartResponseRecorder:
    """Stand in for a server's ``start_response`` and remember what it got.

    ``Response.from_app`` and the test client run a WSGI app in-process
    with one of these instead of a socket.
    """

    def __init__(self) -> None:
        self.status = "200 OK"
        self.headers: list[tuple[str, str]] = []

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        self.status, self.headers = status, headers
        return refuse_write

    def __repr__(self) -> str:
        return f"<StartResponseRecorder {self.status}>"


def refuse_write(data: bytes) -> None:
    """Refuse PEP 3333's legacy ``write()``: return an iterable body instead."""
    raise NotImplementedError("write() is not supported; return an iterable body")
