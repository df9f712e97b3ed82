"""Serve one connection's requests: request line to the last byte of the body.

The request chain's server half: ``handle`` → ``handle_one_request`` →
``parse_request`` → ``run_wsgi`` → ``make_environ`` → the app →
``start_response`` → ``write``. Werkzeug keeps its ``WSGIRequestHandler`` in
``serving.py``; it has a module of its own here so each stays readable.
``serving.WSGIRequestHandler`` still names it.
"""

from __future__ import annotations

import email.utils
import io
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

from walkthrough.framework.exceptions import (
    DEFAULT_EXCEPTIONS,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    RequestURITooLarge,
)
from walkthrough.framework.http import (
    UNTIL_CLOSE,
    RequestHead,
    check_response_headers,
    check_status,
    declared_length,
    decode_path,
    encode_response_head,
    environ_headers,
    is_hop_by_hop,
    parse_request_head,
    response_framing,
    split_target,
    strip_line_ending,
)
from walkthrough.framework.requestlog import log_date, request_line
from walkthrough.framework.streams import (
    BodyStream,
    BodyWriter,
    ChunkedStream,
    LimitedStream,
    body_writer,
)
from walkthrough.framework.types import (
    ExcInfo,
    HeaderList,
    WriteCallable,
    WSGIApplication,
    WSGIEnvironment,
)

log = logging.getLogger("walkthrough.serving")

CONTINUE_RESPONSE = encode_response_head("100 Continue", [])

if TYPE_CHECKING:
    from walkthrough.framework.serving import BaseWSGIServer


@dataclass(slots=True)
class Exchange:
    """One request and its response: all the state that lives as long as they.

    ``parse_request`` makes a new one per request, so nothing of a request
    can reach the next one on a keep-alive connection. ``writer`` is set
    when the head is sent: from then on the status cannot change.
    """

    head: RequestHead
    environ: WSGIEnvironment = field(default_factory=dict)
    body: BodyStream | None = None
    status: str | None = None
    status_code: int = 0
    headers: HeaderList = field(default_factory=list)
    known_body_length: int | None = None
    writer: BodyWriter | None = None

    @property
    def headers_sent(self) -> bool:
        """Tell whether the response head has gone out."""
        return self.writer is not None


class WSGIRequestHandler(BaseHTTPRequestHandler):
    """Speak HTTP/1.1 on one connection and call the WSGI app per request.

    Methods the stdlib's ``handle_one_request`` calls, per request:

    - parse_request() -> bool
    - do_<METHOD>() (any method: ``__getattr__`` gives ``run_wsgi``)
    - send_error(code, message) (a request line over 64 KiB)

    Methods the WSGI app calls (PEP 3333):

    - start_response(status, headers, exc_info=None) -> write
    - write(data)

    Methods that may be overridden:

    - make_environ() -> dict
    - log_request(code, size)
    - handle_app_error(error)

    Ours, in the order a request meets them: read_request_head,
    read_header_lines, run_wsgi, make_body_stream, send_continue, execute,
    keep_end_to_end, make_response_head, frame, end_response,
    give_up_on_framing, drain_body, send_http_exception.

    Per-request state lives in one ``Exchange`` (``self.exchange``); the
    attributes the stdlib reads (``command``, ``path``, ``request_version``,
    ``close_connection``) stay on the handler.
    """

    protocol_version = "HTTP/1.1"
    server_version = "walkthrough"
    # Small responses leave at once instead of waiting up to 40 ms for an ACK.
    disable_nagle_algorithm = True
    server: BaseWSGIServer

    def setup(self) -> None:
        """Set the read timeout before the stdlib wraps the socket in files."""
        self.timeout = self.server.limits.read_timeout_seconds
        super().setup()

    def handle(self) -> None:
        """Serve this connection's requests; a failure here ends only it."""
        try:
            super().handle()
        except (ConnectionError, TimeoutError) as error:
            self.log_error("Connection closed: %s", error)

    def parse_request(self) -> bool:
        """Read and check the request head; answer 4xx and stop on a fault.

        Replaces the stdlib's version, which parses headers with ``email``
        and would let Content-Length and Transfer-Encoding disagree.
        """
        self.command, self.request_version = "", "HTTP/1.1"
        self.requestline = loggable(self.raw_requestline)
        self.exchange: Exchange | None = None
        try:
            head = self.read_request_head()
        except HTTPException as error:
            self.send_http_exception(error)
            return False
        self.exchange = Exchange(head)
        self.command = head.method
        self.path = head.target
        self.request_version = head.version
        self.close_connection = not head.keep_alive
        return True

    def read_request_head(self) -> RequestHead:
        """Read the header lines, then let the pure parser judge the head."""
        line = self.raw_requestline
        if line in (b"\r\n", b"\n"):
            # RFC 9112 §2.2: ignore one empty line before a request line.
            line = self.rfile.readline(self.server.limits.max_request_line_bytes + 1)
            self.requestline = loggable(line)
        if len(line) > self.server.limits.max_request_line_bytes:
            raise RequestURITooLarge()
        head = parse_request_head(line, self.read_header_lines())
        max_body_bytes = self.server.limits.max_body_bytes
        if head.content_length is not None and head.content_length > max_body_bytes:
            raise RequestEntityTooLarge(
                f"The body is larger than this server accepts ({max_body_bytes} bytes)."
            )
        return head

    def read_header_lines(self) -> list[bytes]:
        """Read header lines up to the blank line, within the size limits."""
        limits = self.server.limits
        lines: list[bytes] = []
        total_bytes = 0
        while True:
            line = self.rfile.readline(limits.max_header_bytes + 1)
            total_bytes += len(line)
            if total_bytes > limits.max_header_bytes:
                raise RequestHeaderFieldsTooLarge(
                    f"The headers exceed {limits.max_header_bytes} bytes."
                )
            if line in (b"\r\n", b"\n"):
                return lines
            if not line.endswith(b"\n"):
                raise ConnectionAbortedError("the client closed inside the headers")
            lines.append(line)
            if len(lines) > limits.max_header_count:
                raise RequestHeaderFieldsTooLarge(
                    f"More than {limits.max_header_count} header fields."
                )

    def run_wsgi(self) -> None:
        """Call the app with this request's environ and send its response.

        Failures of the app stay here: a 500 if nothing was sent yet,
        else the connection is cut so the client sees a broken response.
        """
        self.exchange.environ = self.make_environ()
        try:
            self.execute(self.server.app)
        except (ConnectionError, TimeoutError) as error:
            self.close_connection = True
            self.log_error("Client went away during the response: %s", error)
        except HTTPException as error:
            self.handle_app_error(error)
        except Exception:
            log.exception("Error in the app on %s", self.requestline)
            self.handle_app_error(InternalServerError())
        self.drain_body()
        self.exchange = None

    def __getattr__(self, name: str) -> Callable[[], None]:
        """Give every ``do_<METHOD>`` the stdlib looks up to ``run_wsgi``.

        The parser already refused a method that is not a token, so any
        other method reaches the app (WebDAV's PROPFIND, CalDAV's REPORT),
        which decides what it implements, as with Werkzeug and gunicorn.
        """
        if name.startswith("do_"):
            return self.run_wsgi
        raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")

    def make_environ(self) -> WSGIEnvironment:
        """Translate the parsed request into the dict PEP 3333 defines."""
        head = self.exchange.head
        host, raw_path, query = split_target(head.target)
        environ: WSGIEnvironment = {
            "REQUEST_METHOD": head.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": decode_path(raw_path),
            "QUERY_STRING": query,
            "RAW_URI": head.target,
            "REQUEST_URI": head.target,
            "SERVER_NAME": self.server.server_name,
            "SERVER_PORT": str(self.server.server_port),
            "SERVER_PROTOCOL": head.version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BufferedReader(self.make_body_stream()),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": self.server.multithread,
            "wsgi.multiprocess": self.server.multiprocess,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        environ.update(environ_headers(head.headers))
        if head.content_length is not None:
            # One number, even for ``Content-Length: 5, 5`` (RFC 9110 §8.6).
            environ["CONTENT_LENGTH"] = str(head.content_length)
        if host is not None:
            environ["HTTP_HOST"] = host
        return environ

    def make_body_stream(self) -> BodyStream:
        """Frame the body as the head said: chunked, by length, or empty."""
        exchange = self.exchange
        head = exchange.head
        has_body = head.is_chunked or bool(head.content_length)
        on_first_read = (
            self.send_continue if head.expects_continue and has_body else None
        )
        if head.is_chunked:
            exchange.body = ChunkedStream(
                self.rfile,
                max_body_bytes=self.server.limits.max_body_bytes,
                before_first_read=on_first_read,
            )
        else:
            exchange.body = LimitedStream(
                self.rfile, head.content_length or 0, before_first_read=on_first_read
            )
        return exchange.body

    def send_continue(self) -> None:
        """Tell a client waiting on ``Expect: 100-continue`` to send the body."""
        if not self.exchange.headers_sent:
            self.wfile.write(CONTINUE_RESPONSE)

    def execute(self, app: WSGIApplication) -> None:
        """Run the app, write each block it yields, and always close it."""
        exchange = self.exchange
        app_iter = app(exchange.environ, self.start_response)
        try:
            if isinstance(app_iter, list | tuple) and len(app_iter) <= 1:
                exchange.known_body_length = sum(map(len, app_iter))
            for data in app_iter:
                self.write(data)
            if not exchange.headers_sent:
                self.write(b"")
            self.end_response()
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()

    def start_response(
        self, status: str, headers: HeaderList, exc_info: ExcInfo | None = None
    ) -> WriteCallable:
        """Record the status and headers the app chose; send nothing yet.

        PEP 3333: headers wait for the first body block, so an app that
        fails before it may call again with ``exc_info`` and a 500.
        """
        exchange = self.exchange
        if exc_info is not None:
            if exchange.headers_sent:
                raise exc_info[1].with_traceback(exc_info[2])
        elif exchange.status is not None:
            raise RuntimeError("start_response() was called twice without exc_info.")
        exchange.status_code = check_status(status)
        exchange.headers = self.keep_end_to_end(check_response_headers(headers))
        exchange.status = status
        return self.write

    def keep_end_to_end(self, headers: HeaderList) -> HeaderList:
        """Drop hop-by-hop headers (the server owns them) but honour close."""
        kept = []
        for name, value in headers:
            if not is_hop_by_hop(name):
                kept.append((name, value))
            elif name.lower() == "connection" and "close" in value.lower():
                self.close_connection = True
        return kept

    def write(self, data: bytes) -> None:
        """Send one block of the body, preceded by the head the first time."""
        if not isinstance(data, bytes):
            # Checked before the head goes out, so the client still gets a 500.
            raise TypeError(f"The app sent {type(data).__name__}, not bytes.")
        if self.exchange.headers_sent:
            if block := self.frame(data):
                self.wfile.write(block)
            return
        if self.exchange.status is None:
            raise RuntimeError("The app wrote a body before calling start_response().")
        head = self.make_response_head()
        self.wfile.write(head + self.frame(data))

    def make_response_head(self) -> bytes:
        """Choose the framing and its writer, add our headers, encode the head."""
        exchange = self.exchange
        framing = response_framing(
            self.command,
            exchange.status_code,
            self.request_version,
            declared_length(exchange.headers),
            exchange.known_body_length,
        )
        exchange.writer = body_writer(framing)
        # RFC 9110 §10.1.1: answering before asking for the body (100
        # Continue), say the connection closes instead of reading it.
        asked_for_body = exchange.body.before_first_read is not None
        if framing.kind == UNTIL_CLOSE or asked_for_body:
            self.close_connection = True
        headers = [*exchange.headers, *framing.headers]
        headers += [("Date", http_date()), ("Server", self.server_version)]
        if self.close_connection:
            headers.append(("Connection", "close"))
        elif self.request_version == "HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        return encode_response_head(exchange.status, headers)

    def frame(self, data: bytes) -> bytes:
        """Wrap a body block for the wire with this response's writer."""
        writer = self.exchange.writer
        block = writer.frame(data)
        if writer.fault is not None:
            self.give_up_on_framing(writer)
        return block

    def end_response(self) -> None:
        """Finish the body (the last chunk, say), then log the request."""
        writer = self.exchange.writer
        if ending := writer.end():
            self.wfile.write(ending)
        if writer.fault is not None:
            self.give_up_on_framing(writer)
        self.log_request(self.exchange.status_code)

    def give_up_on_framing(self, writer: BodyWriter) -> None:
        """Log a body that broke its framing, and close: the client can tell."""
        self.log_error("%s", writer.fault)
        writer.fault = None
        self.close_connection = True

    def handle_app_error(self, error: HTTPException) -> None:
        """Answer with ``error`` if nothing was sent yet, else cut the line."""
        if self.exchange.headers_sent:
            self.close_connection = True
            return
        self.send_http_exception(error)

    def drain_body(self) -> None:
        """Consume the body the app left unread, or give up the connection."""
        if self.close_connection:
            return
        try:
            is_drained = self.exchange.body.drain(self.server.limits.max_body_bytes)
        except (HTTPException, OSError):
            is_drained = False
        self.close_connection = not is_drained

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        """Answer an error the stdlib found (a 414) in our format."""
        error_class = DEFAULT_EXCEPTIONS.get(code, InternalServerError)
        self.send_http_exception(error_class(message))

    def send_http_exception(self, error: HTTPException) -> None:
        """Send ``error`` as a whole response, then close the connection.

        After a request the server refused, the bytes that follow cannot be
        trusted to start a new request.
        """
        self.close_connection = True
        body = error.get_body() if self.command != "HEAD" else b""
        headers = [("Connection", "close"), *error.get_headers()]
        headers.append(("Content-Length", str(len(body))))
        self.wfile.write(encode_response_head(error.status, headers) + body)
        self.log_request(error.code, len(body))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Queue one line per request, unless the server was told to be quiet.

        The stdlib's version goes through ``log_message`` and ``logging``
        for each request; the server's ``RequestLog`` writes lines in batches.
        """
        request_log = self.server.request_log
        if request_log is not None:
            client = self.client_address[0]
            request_log.add(request_line(client, self.requestline, code, size))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Send the stdlib's log lines to our logger instead of raw stderr."""
        log.info("%s - - [%s] %s", self.address_string(), log_date(), format % args)

    def log_error(self, format: str, *args: object) -> None:  # noqa: A002
        """Log a problem with one connection; it is never silent."""
        log.warning("%s - - %s", self.address_string(), format % args)


def loggable(line: bytes) -> str:
    """Show a raw request line in a log without letting it forge log lines."""
    text = strip_line_ending(line[:1024]).decode("latin-1")
    return text.encode("unicode_escape").decode("ascii")


_cached_http_date: tuple[int, str] = (0, "")


def http_date() -> str:
    """Return the ``Date`` header's value for now, made once a second.

    The stdlib's ``date_time_string`` formats with ``email.utils`` for each
    response; two threads racing here both compute the same text.
    """
    global _cached_http_date
    second = int(time.time())
    if _cached_http_date[0] != second:
        _cached_http_date = (second, email.utils.formatdate(second, usegmt=True))
    return _cached_http_date[1]
