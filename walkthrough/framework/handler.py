"""Serve one connection's requests: request line to the last byte of the body.

The request chain's server half: ``handle`` → ``handle_one_request`` →
``parse_request`` → ``run_wsgi`` → ``make_environ`` → the app →
``start_response`` → ``write``. Werkzeug keeps its ``WSGIRequestHandler`` in
``serving.py``; it has a module of its own here so each stays readable.
``serving.WSGIRequestHandler`` still names it.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable
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
    RequestHead,
    check_response_headers,
    check_status,
    decode_path,
    environ_headers,
    header_values,
    is_hop_by_hop,
    parse_request_head,
    split_target,
    strip_line_ending,
)
from walkthrough.framework.requestlog import log_date, request_line
from walkthrough.framework.streams import BodyStream, ChunkedStream, LimitedStream
from walkthrough.framework.types import (
    ExcInfo,
    HeaderList,
    WriteCallable,
    WSGIApplication,
    WSGIEnvironment,
)

log = logging.getLogger("walkthrough.serving")

CONTINUE_RESPONSE = b"HTTP/1.1 100 Continue\r\n\r\n"
LAST_CHUNK = b"0\r\n\r\n"

if TYPE_CHECKING:
    from walkthrough.framework.serving import BaseWSGIServer


class WSGIRequestHandler(BaseHTTPRequestHandler):
    """Speak HTTP/1.1 on one connection and call the WSGI app per request.

    The stdlib's ``handle`` loops over ``handle_one_request``, which reads
    the request line, then calls our ``parse_request`` and ``do_<METHOD>``.
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
        try:
            self.request_head = self.read_request_head()
        except HTTPException as error:
            self.send_http_exception(error)
            return False
        self.command = self.request_head.method
        self.path = self.request_head.target
        self.request_version = self.request_head.version
        self.close_connection = not self.request_head.keep_alive
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
        self.environ = self.make_environ()
        self.status: str | None = None
        self.response_headers: HeaderList = []
        self.headers_sent = False
        self.known_body_length: int | None = None
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
        head = self.request_head
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
        head = self.request_head
        has_body = head.is_chunked or bool(head.content_length)
        on_first_read = (
            self.send_continue if head.expects_continue and has_body else None
        )
        if head.is_chunked:
            self.body = ChunkedStream(
                self.rfile,
                max_body_bytes=self.server.limits.max_body_bytes,
                before_first_read=on_first_read,
            )
        else:
            self.body = LimitedStream(
                self.rfile, head.content_length or 0, before_first_read=on_first_read
            )
        return self.body

    def send_continue(self) -> None:
        """Tell a client waiting on ``Expect: 100-continue`` to send the body."""
        if not self.headers_sent:
            self.wfile.write(CONTINUE_RESPONSE)

    def execute(self, app: WSGIApplication) -> None:
        """Run the app, write each block it yields, and always close it."""
        app_iter = app(self.environ, self.start_response)
        try:
            if isinstance(app_iter, list | tuple) and len(app_iter) <= 1:
                self.known_body_length = sum(map(len, app_iter))
            for data in app_iter:
                self.write(data)
            if not self.headers_sent:
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
        if exc_info is not None:
            if self.headers_sent:
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.status is not None:
            raise RuntimeError("start_response() was called twice without exc_info.")
        self.status_code = check_status(status)
        self.response_headers = self.keep_end_to_end(check_response_headers(headers))
        self.status = status
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
        if self.headers_sent:
            self.wfile.write(self.frame(data))
            return
        if self.status is None:
            raise RuntimeError("The app wrote a body before calling start_response().")
        head = self.make_response_head()
        self.headers_sent = True
        self.wfile.write(head + self.frame(data))

    def make_response_head(self) -> bytes:
        """Choose the framing, add the server's headers, and encode the head."""
        headers = self.response_headers + self.framing_headers()
        headers.append(("Date", self.date_time_string()))
        headers.append(("Server", self.server_version))
        if self.body.before_first_read is not None:
            # RFC 9110 §10.1.1: answering before asking for the body (100
            # Continue), say the connection closes instead of reading it.
            self.close_connection = True
        if self.close_connection:
            headers.append(("Connection", "close"))
        elif self.request_version == "HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        lines = [f"HTTP/1.1 {self.status}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers)
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def framing_headers(self) -> HeaderList:
        """Decide how the client will know where the body ends.

        In order: the app's Content-Length, a length we can see (for HEAD
        too), chunked for HTTP/1.1, and for HTTP/1.0 closing the connection.
        """
        self.is_chunked = False
        self.bytes_owed: int | None = None
        may_have_body = self.status_code >= 200 and self.status_code not in (204, 304)
        self.has_body = may_have_body and self.command != "HEAD"
        declared = header_values(self.response_headers, "Content-Length")
        if declared or not may_have_body:
            self.bytes_owed = int(declared[0]) if declared and self.has_body else None
            return []
        seen_length = self.known_body_length
        if not self.has_body and not seen_length:
            # RFC 9110 §9.3.2: HEAD gets the length GET would, if the app gave
            # its body; an empty HEAD body (as Werkzeug's) tells us nothing.
            seen_length = None
        if seen_length is not None:
            self.bytes_owed = seen_length if self.has_body else None
            return [("Content-Length", str(seen_length))]
        if not self.has_body:
            return []
        if self.request_version == "HTTP/1.1":
            self.is_chunked = True
            return [("Transfer-Encoding", "chunked")]
        self.close_connection = True
        return []

    def frame(self, data: bytes) -> bytes:
        """Wrap a body block for the wire: chunked, counted, or dropped (HEAD)."""
        if not self.has_body or not data:
            return b""
        if self.is_chunked:
            return b"%x\r\n%s\r\n" % (len(data), data)
        if self.bytes_owed is not None:
            if len(data) > self.bytes_owed:
                self.log_error("The app sent more than its Content-Length; cut.")
                self.close_connection = True
                data = data[: self.bytes_owed]
            self.bytes_owed -= len(data)
        return data

    def end_response(self) -> None:
        """Finish the body: the last chunk, or closing on a short body."""
        if self.is_chunked:
            self.wfile.write(LAST_CHUNK)
        elif self.bytes_owed:
            self.log_error("The app sent less than its Content-Length.")
            self.close_connection = True
        self.log_request(self.status_code)

    def handle_app_error(self, error: HTTPException) -> None:
        """Answer with ``error`` if nothing was sent yet, else cut the line."""
        if self.headers_sent:
            self.close_connection = True
            return
        self.send_http_exception(error)

    def drain_body(self) -> None:
        """Consume the body the app left unread, or give up the connection."""
        if self.close_connection:
            return
        try:
            is_drained = self.body.drain(self.server.limits.max_body_bytes)
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
        headers = [*error.get_headers(), ("Content-Length", str(len(body)))]
        head = f"HTTP/1.1 {error.status}\r\nConnection: close\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers)
        self.wfile.write(head.encode("latin-1") + b"\r\n" + body)
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
