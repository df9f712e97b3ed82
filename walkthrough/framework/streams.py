"""Read a request body for ``wsgi.input``; frame a response body for the wire.

Readers, part of the ``make_environ`` step. Werkzeug's dev server passes its
raw ``rfile`` for a Content-Length body (its ``Request`` caps it later with
``LimitedStream``) and decodes chunked ones with ``DechunkedInput``; ours bounds
both before the app sees them. Both are raw streams under ``io.BufferedReader``,
which supplies ``read``, ``readline`` and iteration, so PEP 3333's input
methods come for free, and neither reads a byte past the body's end. Writers,
used by ``write``: one small class per framing, as in h11.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from walkthrough.framework.exceptions import BadRequest, RequestEntityTooLarge
from walkthrough.framework.http import (
    CHUNKED,
    CONTENT_LENGTH,
    UNTIL_CLOSE,
    ResponseFraming,
    parse_chunk_size,
    parse_header_line,
)

MAX_CHUNK_LINE_BYTES = 4096
MAX_TRAILER_COUNT = 32
DRAIN_BLOCK_BYTES = 65536


class ClientDisconnected(BadRequest):
    """Say the client went away before sending the whole body."""

    description = "The client closed the connection before the body was complete."


class BodyStream(io.RawIOBase):
    """Read one request's body from the connection's buffered ``rfile``.

    Subclasses decide where the body ends. ``before_first_read`` runs once,
    on the app's first read: the server sends ``100 Continue`` from there,
    so a client is only asked for a body the app really wants.
    """

    def __init__(
        self, rfile: BinaryIO, *, before_first_read: Callable[[], None] | None = None
    ) -> None:
        super().__init__()
        self.rfile = rfile
        self.before_first_read = before_first_read

    def readable(self) -> bool:
        """Tell ``io.BufferedReader`` this stream can be read."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` with body bytes; return 0 at the end of the body."""
        if self.before_first_read is not None:
            callback, self.before_first_read = self.before_first_read, None
            callback()
        return self.read_body_into(memoryview(buffer).cast("B"))

    def read_body_into(self, buffer: memoryview) -> int:
        """Copy the next body bytes into ``buffer`` (subclasses implement)."""
        raise NotImplementedError

    def is_at_end(self) -> bool:
        """Tell whether the whole body has been read (subclasses implement)."""
        raise NotImplementedError

    def read_exactly(self, size: int) -> bytes:
        """Read ``size`` bytes from the connection, or fail if it closes early."""
        data = self.rfile.read(size)
        if len(data) < size:
            raise ClientDisconnected()
        return data

    def drain(self, max_bytes: int) -> bool:
        """Discard what the app left unread, so the next request starts clean.

        Returns False when the rest is too big to read or the client was
        never told to send it (``100 Continue`` pending): close instead.
        """
        if self.before_first_read is not None:
            return False
        if self.is_at_end():
            return True
        block = memoryview(bytearray(DRAIN_BLOCK_BYTES))
        drained = 0
        while drained <= max_bytes:
            count = self.read_body_into(block)
            if count == 0:
                return True
            drained += count
        return False


class LimitedStream(BodyStream):
    """Read a body framed by Content-Length: exactly that many bytes."""

    def __init__(
        self,
        rfile: BinaryIO,
        length: int,
        *,
        before_first_read: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(rfile, before_first_read=before_first_read)
        self.remaining = length

    def is_at_end(self) -> bool:
        """Tell whether every byte Content-Length promised has been read."""
        return self.remaining == 0

    def read_body_into(self, buffer: memoryview) -> int:
        """Copy at most the bytes still owed; the next request stays unread."""
        size = min(len(buffer), self.remaining)
        if size == 0:
            return 0
        data = self.read_exactly(size)
        buffer[:size] = data
        self.remaining -= size
        return size


class ChunkedStream(BodyStream):
    """Decode a ``Transfer-Encoding: chunked`` body (RFC 9112 §7.1).

    Each chunk is a hex size line, the data, and CRLF; a zero size ends the
    body, followed by optional trailer fields and a blank line.
    """

    def __init__(
        self,
        rfile: BinaryIO,
        *,
        max_body_bytes: int,
        before_first_read: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(rfile, before_first_read=before_first_read)
        self.max_body_bytes = max_body_bytes
        self.chunk_remaining = 0
        self.total_bytes = 0
        self.is_finished = False
        self.trailers: list[tuple[str, str]] = []

    def is_at_end(self) -> bool:
        """Tell whether the last chunk and the trailers have been read."""
        return self.is_finished

    def read_body_into(self, buffer: memoryview) -> int:
        """Copy bytes of the current chunk, starting the next one as needed."""
        if self.chunk_remaining == 0 and not self.is_finished:
            self.start_next_chunk()
        if self.is_finished:
            return 0
        size = min(len(buffer), self.chunk_remaining)
        buffer[:size] = self.read_exactly(size)
        self.chunk_remaining -= size
        if self.chunk_remaining == 0 and self.read_exactly(2) != b"\r\n":
            raise BadRequest("Chunk data is not followed by CRLF.")
        return size

    def start_next_chunk(self) -> None:
        """Read a chunk-size line; a zero size means trailers, then the end."""
        line = self.rfile.readline(MAX_CHUNK_LINE_BYTES + 1)
        if not line:
            raise ClientDisconnected()
        size = parse_chunk_size(line)
        if size == 0:
            self.read_trailers()
            self.is_finished = True
            return
        self.total_bytes += size
        if self.total_bytes > self.max_body_bytes:
            raise RequestEntityTooLarge(
                f"The chunked body is larger than {self.max_body_bytes} bytes."
            )
        self.chunk_remaining = size

    def read_trailers(self) -> None:
        """Read the trailer fields after the last chunk, up to a blank line."""
        while True:
            line = self.rfile.readline(MAX_CHUNK_LINE_BYTES + 1)
            if line in (b"\r\n", b"\n"):
                return
            if not line.endswith(b"\n"):
                raise BadRequest("Malformed or oversized trailer after the last chunk.")
            if len(self.trailers) >= MAX_TRAILER_COUNT:
                raise BadRequest(f"More than {MAX_TRAILER_COUNT} trailer fields.")
            self.trailers.append(parse_header_line(line))


# The response half: one small writer per framing, as h11's ``_writers.py``.
# ``response_framing`` (http.py) decides; ``body_writer`` picks the writer.

LAST_CHUNK = b"0\r\n\r\n"


class BodyWriter:
    """Frame one response's body blocks for the wire; here, send nothing.

    ``fault`` says what went wrong (a body longer or shorter than its
    Content-Length): the server logs it and closes the connection.
    """

    def __init__(self) -> None:
        self.fault: str | None = None

    def frame(self, data: bytes) -> bytes:
        """Return the bytes that carry ``data``: none, for a body not sent."""
        return b""

    def end(self) -> bytes:
        """Return the bytes that end the body."""
        return b""


class ContentLengthWriter(BodyWriter):
    """Send exactly the declared number of bytes, cutting any excess."""

    def __init__(self, length: int) -> None:
        super().__init__()
        self.remaining = length

    def frame(self, data: bytes) -> bytes:
        """Pass ``data`` through, up to the bytes still owed."""
        if len(data) > self.remaining:
            self.fault = "The app sent more than its Content-Length; cut."
            data = data[: self.remaining]
        self.remaining -= len(data)
        return data

    def end(self) -> bytes:
        """Note a body shorter than declared: only closing can end it now."""
        if self.remaining:
            self.fault = "The app sent less than its Content-Length."
        return b""


class ChunkedWriter(BodyWriter):
    """Send each block as a chunk (RFC 9112 §7.1), then the last chunk."""

    def frame(self, data: bytes) -> bytes:
        """Wrap ``data`` in its size line and CRLF; an empty block is skipped."""
        if not data:
            return b""
        return b"%x\r\n%s\r\n" % (len(data), data)

    def end(self) -> bytes:
        """Return the zero-size chunk that ends the body."""
        return LAST_CHUNK


class Http10Writer(BodyWriter):
    """Send the blocks as they are; closing the connection ends the body."""

    def frame(self, data: bytes) -> bytes:
        """Pass ``data`` through unchanged."""
        return data


def body_writer(framing: ResponseFraming) -> BodyWriter:
    """Return the writer for the framing ``response_framing`` chose."""
    if framing.kind == CONTENT_LENGTH:
        return ContentLengthWriter(framing.length or 0)
    if framing.kind == CHUNKED:
        return ChunkedWriter()
    if framing.kind == UNTIL_CLOSE:
        return Http10Writer()
    return BodyWriter()
