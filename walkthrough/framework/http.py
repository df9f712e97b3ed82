"""Parse and check an HTTP/1.1 request head: bytes in, values or 4xx out.

The pure half of the ``parse_request`` step (RFC 9110 and 9112): no sockets,
no clock, so every rule is tested with a table. Werkzeug leaves this to
``http.server``, whose ``parse_request`` mixes reading, parsing and replying;
we keep only the parsing here and let ``serving.py`` do the reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from walkthrough.framework import exceptions
from walkthrough.framework.exceptions import (
    BadRequest,
    HTTPVersionNotSupported,
    RequestEntityTooLarge,
)

# RFC 9110 §5.6.2: token = 1*tchar, the grammar of methods and header names.
TOKEN_RE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT
VERSION_RE = re.compile(rb"HTTP/(\d)\.(\d)")

# RFC 9112 §3.2: origin-form is an absolute path and an optional query, made of
# visible ASCII only; "%" must start a two-digit hex escape (RFC 3986 §2.1).
ORIGIN_FORM_RE = re.compile(rb"/(?:[!$&-;=?-~]|%[0-9A-Fa-f]{2})*")
ABSOLUTE_FORM_RE = re.compile(
    rb"(?i:https?)://(?:[!$&-.0-9:;=A-Z\[\]_a-z~]|%[0-9A-Fa-f]{2})+"
    rb"(/(?:[!$&-;=?-~]|%[0-9A-Fa-f]{2})*)?"
)

# RFC 9110 §5.5: field-value is visible ASCII, obs-text, SP and HTAB;
# any other control character (NUL, CR, LF above all) is refused.
FIELD_VALUE_RE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")

# RFC 9110 §7.2: Host = uri-host [ ":" port ]; an IP literal sits in brackets.
HOST_RE = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(:\d{0,5})?")

CHUNK_SIZE_RE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(;[^\x00-\x08\x0a-\x1f\x7f]*)?")
MAX_CONTENT_LENGTH_DIGITS = 18
HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


@dataclass(frozen=True, slots=True)
class RequestLine:
    """Hold the three parts of a request line, already validated."""

    method: str
    target: str
    version: str


@dataclass(frozen=True, slots=True)
class RequestHead:
    """Hold everything the server learned from a request line and headers.

    ``content_length`` and ``is_chunked`` say how the body is framed; the
    server trusts these, never the raw headers, so it cannot be smuggled.
    """

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    content_length: int | None
    is_chunked: bool
    keep_alive: bool
    expects_continue: bool


def strip_line_ending(line: bytes) -> bytes:
    """Remove CRLF (or a bare LF, which RFC 9112 §2.2 lets us accept)."""
    if line.endswith(b"\r\n"):
        return line[:-2]
    if line.endswith(b"\n"):
        return line[:-1]
    return line


def parse_request_line(line: bytes) -> RequestLine:
    """Split ``GET /path HTTP/1.1`` into its parts, refusing anything loose.

    RFC 9112 §3: exactly two single spaces; a lenient parser that guesses at
    a malformed line is how request smuggling starts.
    """
    parts = strip_line_ending(line).split(b" ")
    if len(parts) != 3:
        raise BadRequest("Malformed request line: expected 'METHOD TARGET HTTP/x.y'.")
    method, target, version = parts
    if not TOKEN_RE.fullmatch(method):
        raise BadRequest("Malformed request line: the method is not a valid token.")
    check_target(method, target)
    return RequestLine(
        method.decode("ascii"), target.decode("ascii"), parse_version(version)
    )


def parse_version(version: bytes) -> str:
    """Return ``HTTP/1.0`` or ``HTTP/1.1``; other majors get 505.

    A 1.x client with x > 1 is answered as 1.1, the highest we speak
    (RFC 9110 §2.5).
    """
    match = VERSION_RE.fullmatch(version)
    if match is None:
        raise BadRequest("Malformed request line: the version must look like HTTP/1.1.")
    if match.group(1) != b"1":
        raise HTTPVersionNotSupported()
    return "HTTP/1.0" if match.group(2) == b"0" else "HTTP/1.1"


def check_target(method: bytes, target: bytes) -> None:
    """Accept origin-form, absolute-form, or ``*`` for OPTIONS (RFC 9112 §3.2)."""
    if ORIGIN_FORM_RE.fullmatch(target) or ABSOLUTE_FORM_RE.fullmatch(target):
        return
    if target == b"*" and method == b"OPTIONS":
        return
    raise BadRequest(
        "Malformed request target: expected a path such as /index?x=1, with "
        "only visible ASCII and valid %-escapes."
    )


def split_target(target: str) -> tuple[str | None, str, str]:
    """Return ``(host, path, query)``; host is set only for absolute-form.

    RFC 9112 §3.2.2: the host inside an absolute-form target wins over the
    Host header.
    """
    host = None
    if not target.startswith("/") and target != "*":
        _scheme, _, rest = target.partition("://")
        host, slash, rest = rest.partition("/")
        target = slash + rest or "/"
    path, _, query = target.partition("?")
    return host, path, query


def decode_path(raw_path: str) -> str:
    """Percent-decode a path into the latin-1 ``str`` PEP 3333 asks for."""
    if "%" not in raw_path:
        return raw_path
    return unquote_to_bytes(raw_path).decode("latin-1")


def parse_header_line(line: bytes) -> tuple[str, str]:
    """Split one ``Name: value`` line, refusing what RFC 9112 §5 forbids."""
    line = strip_line_ending(line)
    if line[:1] in (b" ", b"\t"):
        raise BadRequest("Obsolete line folding in headers is not accepted.")
    name, colon, value = line.partition(b":")
    if not colon:
        raise BadRequest(f"Malformed header line: no colon in {_preview(line)}.")
    if not TOKEN_RE.fullmatch(name):
        raise BadRequest(
            f"Malformed header name {_preview(name)}: only token characters, "
            "and no whitespace before the colon."
        )
    value = value.strip(b" \t")
    if not FIELD_VALUE_RE.fullmatch(value):
        raise BadRequest(
            f"Header {name.decode('ascii')!r} has a control character (NUL, CR or LF)."
        )
    return name.decode("ascii"), value.decode("latin-1")


def _preview(raw: bytes) -> str:
    """Show untrusted bytes safely and briefly inside an error message."""
    return repr(raw[:40].decode("latin-1"))


def header_values(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    """Return every value of the header ``name``, case-insensitively."""
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


def comma_tokens(values: Iterable[str]) -> list[str]:
    """Split list-valued headers (``Connection: a, b``) into lower-case tokens."""
    return [token.strip().lower() for value in values for token in value.split(",")]


def parse_request_head(line: bytes, header_lines: list[bytes]) -> RequestHead:
    """Turn the raw request line and header lines into one checked value."""
    request_line = parse_request_line(line)
    headers = [parse_header_line(header_line) for header_line in header_lines]
    version = request_line.version
    check_host(headers, version)
    content_length, is_chunked = message_framing(headers, version)
    connection = comma_tokens(header_values(headers, "Connection"))
    if version == "HTTP/1.1":
        keep_alive = "close" not in connection
    else:
        keep_alive = "keep-alive" in connection
    expects_continue = version == "HTTP/1.1" and any(
        value.lower() == "100-continue" for value in header_values(headers, "Expect")
    )
    return RequestHead(
        method=request_line.method,
        target=request_line.target,
        version=version,
        headers=headers,
        content_length=content_length,
        is_chunked=is_chunked,
        keep_alive=keep_alive,
        expects_continue=expects_continue,
    )


def check_host(headers: list[tuple[str, str]], version: str) -> None:
    """Require exactly one valid Host on HTTP/1.1 (RFC 9112 §3.2: else 400)."""
    hosts = header_values(headers, "Host")
    if len(hosts) > 1:
        raise BadRequest("More than one Host header.")
    if not hosts:
        if version == "HTTP/1.1":
            raise BadRequest("HTTP/1.1 requests must carry a Host header.")
        return
    if not HOST_RE.fullmatch(hosts[0]):
        raise BadRequest(f"Malformed Host header {hosts[0][:60]!r}.")


def message_framing(
    headers: list[tuple[str, str]], version: str
) -> tuple[int | None, bool]:
    """Decide how the body ends: ``(content_length, is_chunked)``.

    RFC 9112 §6.1 and §6.3 with no leniency: a request carrying both
    Transfer-Encoding and Content-Length, or two different lengths, is the
    classic smuggling vector, so it gets 400 rather than a guess.
    """
    codings = comma_tokens(header_values(headers, "Transfer-Encoding"))
    lengths = header_values(headers, "Content-Length")
    if codings and lengths:
        raise BadRequest("Both Transfer-Encoding and Content-Length were sent.")
    if codings:
        return None, check_transfer_coding(codings, version)
    if lengths:
        return parse_content_length(lengths), False
    return None, False


def check_transfer_coding(codings: list[str], version: str) -> bool:
    """Accept exactly ``chunked``; anything else cannot be framed safely."""
    if version == "HTTP/1.0":
        raise BadRequest("Transfer-Encoding is not allowed in HTTP/1.0 requests.")
    if codings[-1] != "chunked":
        raise BadRequest("Transfer-Encoding must end with 'chunked'.")
    if codings != ["chunked"]:
        # Werkzeug's name for 501, reached through the module so it is not
        # mistaken for the builtin NotImplemented constant.
        raise exceptions.NotImplemented(
            f"Unsupported transfer coding {', '.join(codings)!r}."
        )
    return True


def parse_content_length(values: list[str]) -> int:
    """Return the one length all Content-Length values agree on.

    RFC 9110 §8.6: only digits; a list of identical values may be taken as
    one, but values that differ must be rejected.
    """
    lengths = {item.strip() for value in values for item in value.split(",")}
    if len(lengths) != 1:
        raise BadRequest("Conflicting Content-Length values.")
    digits = lengths.pop()
    if not digits.isascii() or not digits.isdigit():
        raise BadRequest(f"Malformed Content-Length {digits[:20]!r}: digits only.")
    if len(digits) > MAX_CONTENT_LENGTH_DIGITS:
        raise RequestEntityTooLarge()
    return int(digits)


def parse_chunk_size(line: bytes) -> int:
    """Read the size from a chunk-size line, ignoring chunk extensions.

    RFC 9112 §7.1: chunk-size is hex digits only, and the line ends in CRLF;
    ``0x10``, ``-1``, a bare LF or a blank line are refused, not guessed at:
    two parsers guessing differently is how a body gets smuggled.
    """
    match = CHUNK_SIZE_RE.fullmatch(line[:-2])
    if match is None or not line.endswith(b"\r\n"):
        raise BadRequest(f"Malformed chunk size line {_preview(line)}.")
    return int(match.group(1), 16)


def environ_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Map headers to CGI keys: ``HTTP_ACCEPT``, ``CONTENT_TYPE``, ...

    Repeated headers are joined (``; `` for Cookie, as RFC 6265 §5.4 does).
    Names with ``_`` are dropped: ``X_Real_IP`` would otherwise pose as
    ``X-Real-IP``, since both become ``HTTP_X_REAL_IP`` (gunicorn does so).
    """
    environ: dict[str, str] = {}
    for name, value in headers:
        if "_" in name:
            continue
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        if key in environ:
            separator = "; " if key == "HTTP_COOKIE" else ", "
            value = environ[key] + separator + value
        environ[key] = value
    return environ


def is_hop_by_hop(name: str) -> bool:
    """Tell whether a header belongs to one connection, not to the response."""
    return name.lower() in HOP_BY_HOP_HEADERS


STATUS_RE = re.compile(r"[1-5]\d\d [^\x00-\x1f\x7f]*")


def check_status(status: str) -> int:
    """Return the code of a WSGI status like ``200 OK``; refuse a bad one."""
    if not isinstance(status, str) or not STATUS_RE.fullmatch(status):
        raise ValueError(f"Invalid WSGI status {status!r}: expected '200 OK' form.")
    return int(status[:3])


def check_response_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Refuse app headers that would corrupt the response.

    A CR or LF in a value would let a header value start a new header
    (response splitting); PEP 3333 also asks for ``str`` names and values.
    """
    for name, value in headers:
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"Header {name!r}: names and values must be str.")
        if not TOKEN_RE.fullmatch(name.encode("latin-1", "replace")):
            raise ValueError(f"Invalid response header name {name!r}.")
        if not FIELD_VALUE_RE.fullmatch(value.encode("latin-1", "replace")):
            raise ValueError(f"Header {name!r} has a control character in its value.")
        is_number = value.isascii() and value.isdigit()
        if name.lower() == "content-length" and not is_number:
            raise ValueError(f"Content-Length {value!r} is not a number.")
    return headers


# The response half: pure decisions and encoding, as h11 keeps them apart
# from IO (``_connection.py:_body_framing`` and ``_writers.py``).

NO_BODY = "no-body"
CONTENT_LENGTH = "content-length"
CHUNKED = "chunked"
UNTIL_CLOSE = "until-close"


@dataclass(frozen=True, slots=True)
class ResponseFraming:
    """How the client will know where a response body ends.

    ``kind`` is one of ``NO_BODY``, ``CONTENT_LENGTH`` (``length`` bytes),
    ``CHUNKED`` or ``UNTIL_CLOSE`` (HTTP/1.0: closing the connection ends
    it); ``headers`` are the framing headers the server adds.
    """

    kind: str
    length: int | None = None
    headers: tuple[tuple[str, str], ...] = ()


def response_framing(
    method: str,
    status_code: int,
    version: str,
    declared_length: int | None,
    seen_length: int | None,
) -> ResponseFraming:
    """Decide a response's framing from facts alone; no IO, no state.

    In order: no body for 1xx, 204 and 304 (RFC 9112 §6.3) nor for HEAD;
    the app's Content-Length; a length the server saw (the app returned
    its whole body); chunked for HTTP/1.1; for HTTP/1.0, closing.
    """
    if status_code < 200 or status_code in (204, 304):
        return ResponseFraming(NO_BODY)
    if declared_length is not None:
        if method == "HEAD":
            return ResponseFraming(NO_BODY)
        return ResponseFraming(CONTENT_LENGTH, declared_length)
    if method == "HEAD":
        return head_framing(seen_length)
    if seen_length is not None:
        length_header = (("Content-Length", str(seen_length)),)
        return ResponseFraming(CONTENT_LENGTH, seen_length, length_header)
    if version == "HTTP/1.1":
        return ResponseFraming(CHUNKED, headers=(("Transfer-Encoding", "chunked"),))
    return ResponseFraming(UNTIL_CLOSE)


def head_framing(seen_length: int | None) -> ResponseFraming:
    """Answer HEAD with the length GET would get, when the app gave its body.

    RFC 9110 §9.3.2. An empty HEAD body (Werkzeug's answer) says nothing
    about the GET body's length, so it gets no Content-Length at all.
    """
    if not seen_length:
        return ResponseFraming(NO_BODY)
    return ResponseFraming(NO_BODY, headers=(("Content-Length", str(seen_length)),))


def declared_length(headers: Iterable[tuple[str, str]]) -> int | None:
    """Return the app's Content-Length (checked digits), or None."""
    values = header_values(headers, "Content-Length")
    return int(values[0]) if values else None


def encode_response_head(status: str, headers: Iterable[tuple[str, str]]) -> bytes:
    """Encode a status line and header lines: the one place a head is built."""
    lines = [f"HTTP/1.1 {status}\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in headers)
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")
