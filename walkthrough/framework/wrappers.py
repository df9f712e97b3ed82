"""Request and Response: the environ as an object, and the answer as one.

``RequestContext`` wraps the environ in a ``Request`` whose attributes parse on
first use; ``make_response`` builds a ``Response``, itself a WSGI app. Werkzeug's
``wrappers``; left out: Range requests, Accept and Cache-Control objects."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from functools import cached_property
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from walkthrough.framework.conditional import (
    generate_etag,
    http_date,
    is_resource_modified,
    parse_date,
)
from walkthrough.framework.cookies import dump_cookie, parse_cookie
from walkthrough.framework.datastructures import (
    EnvironHeaders,
    HeaderItems,
    Headers,
    MultiDict,
)
from walkthrough.framework.exceptions import BadRequest
from walkthrough.framework.formparser import (
    parse_form_data,
    parse_options_header,
    parse_urlencoded,
)
from walkthrough.framework.types import StartResponse, WSGIApplication, WSGIEnvironment
from walkthrough.framework.wsgi import (
    ClosingIterator,
    StartResponseRecorder,
    encode_chunk,
    get_current_url,
    get_host,
    read_body,
)

if TYPE_CHECKING:
    from walkthrough.framework.routing import Rule

STATUS_LINES: dict[int, str] = {
    status.value: f"{status.value} {status.phrase}" for status in HTTPStatus
}
BODYLESS_STATUS_CODES = frozenset({204, 304})
# RFC 9110 §15.4.5: a 304 repeats validators, never the representation's metadata.
NOT_MODIFIED_DROPPED_HEADERS = ("Content-Type", "Content-Length", "Content-Encoding")
# A body given as one of these is sized at once; anything else is streamed.
BODY_TYPES = (str, bytes, bytearray)
TEXT_MIMETYPES_WITH_CHARSET = ("application/javascript", "application/xml")


class Request:
    """Read one request's environ: method, path, headers, args, body.

    Built once per request by ``RequestContext``; ``match_request`` fills in
    ``url_rule``, ``view_args`` or ``routing_exception`` before the view runs.
    """

    url_rule: Rule | None = None
    view_args: dict[str, Any] | None = None
    routing_exception: Exception | None = None
    max_content_length: int | None = None

    def __init__(self, environ: WSGIEnvironment) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "GET").upper()

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path!r}>"

    @property
    def endpoint(self) -> str | None:
        """Return the matched rule's endpoint, or None before or without a match."""
        return None if self.url_rule is None else self.url_rule.endpoint

    @cached_property
    def path(self) -> str:
        """Return PATH_INFO as text: PEP 3333 hands it over as latin-1 bytes."""
        raw = self.environ.get("PATH_INFO", "")
        text = raw.encode("latin-1").decode("utf-8", "replace")
        return "/" + text.lstrip("/")

    @property
    def query_string(self) -> bytes:
        """Return the raw query string, still percent-encoded."""
        return self.environ.get("QUERY_STRING", "").encode("latin-1")

    @property
    def full_path(self) -> str:
        """Return the path plus ``?`` and the query, as Werkzeug spells it."""
        return f"{self.path}?{self.query_string.decode('latin-1')}"

    @property
    def script_root(self) -> str:
        """Return where the app is mounted (SCRIPT_NAME), without a trailing slash."""
        raw = self.environ.get("SCRIPT_NAME", "")
        return raw.encode("latin-1").decode("utf-8", "replace").rstrip("/")

    @property
    def scheme(self) -> str:
        """Return ``http`` or ``https``, as the server set ``wsgi.url_scheme``."""
        return self.environ.get("wsgi.url_scheme", "http")

    @property
    def host(self) -> str:
        """Return the Host header, or SERVER_NAME plus a non-default port."""
        return get_host(self.environ)

    @property
    def base_url(self) -> str:
        """Return the URL without the query string, e.g. for links back here."""
        return get_current_url(self.environ, strip_querystring=True)

    @property
    def url(self) -> str:
        """Return the full URL the client asked for, query string included."""
        return get_current_url(self.environ)

    @property
    def remote_addr(self) -> str | None:
        """Return the client's address as the server saw it."""
        return self.environ.get("REMOTE_ADDR")

    @cached_property
    def headers(self) -> EnvironHeaders:
        """Return the request headers, read from the environ on each lookup."""
        return EnvironHeaders(self.environ)

    @cached_property
    def args(self) -> MultiDict:
        """Parse the query string into a MultiDict on first use."""
        return parse_urlencoded(self.query_string)

    @cached_property
    def cookies(self) -> MultiDict:
        """Parse the Cookie header on first use; bad pairs are skipped, not fatal."""
        return parse_cookie(self.environ.get("HTTP_COOKIE", ""))

    @property
    def content_type(self) -> str:
        """Return the raw Content-Type header ("" when absent)."""
        return self.environ.get("CONTENT_TYPE", "")

    @property
    def mimetype(self) -> str:
        """Return the Content-Type without its parameters, lower-cased."""
        return parse_options_header(self.content_type)[0]

    @property
    def content_length(self) -> int | None:
        """Return CONTENT_LENGTH as an int, or None if absent or not a number."""
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        return length if length >= 0 else None

    def get_data(self, cache: bool = True, as_text: bool = False) -> Any:
        """Read the body once, enforcing ``max_content_length``, and keep it."""
        body = self.__dict__.get("_cached_data")
        if body is None:
            body = read_body(
                self.environ,
                length=self.content_length,
                limit=self.max_content_length,
            )
            if cache:
                self.__dict__["_cached_data"] = body
        return body.decode("utf-8", "replace") if as_text else body

    @property
    def data(self) -> bytes:
        """Return the raw body bytes (see ``get_data``)."""
        return self.get_data()

    @cached_property
    def _form_and_files(self) -> tuple[MultiDict, MultiDict]:
        """Parse the body as a form once, for both ``form`` and ``files``."""
        return parse_form_data(self.get_data(), self.content_type)

    @property
    def form(self) -> MultiDict:
        """Return the fields of a urlencoded or multipart form body."""
        return self._form_and_files[0]

    @property
    def files(self) -> MultiDict:
        """Return the uploads of a multipart body as FileStorage objects."""
        return self._form_and_files[1]

    @property
    def is_json(self) -> bool:
        """Say whether the body claims to be JSON (``application/json``)."""
        mimetype = self.mimetype
        return mimetype == "application/json" or mimetype.endswith("+json")

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """Parse the body as JSON; a wrong type or bad JSON is a 400 saying which."""
        if not (force or self.is_json):
            if silent:
                return None
            raise BadRequest(
                "Did not attempt to load JSON data because the request "
                f"Content-Type was not 'application/json' (got {self.mimetype!r})."
            )
        try:
            return json.loads(self.get_data())
        except (ValueError, UnicodeDecodeError) as error:
            if silent:
                return None
            raise BadRequest(f"Failed to decode JSON object: {error}") from None

    @property
    def json(self) -> Any:
        """Return ``get_json()``: the parsed body, or a 400."""
        return self.get_json()

    @property
    def if_none_match(self) -> str:
        """Return the raw If-None-Match header ("" when absent)."""
        return self.environ.get("HTTP_IF_NONE_MATCH", "")

    @property
    def if_modified_since(self) -> datetime | None:
        """Return If-Modified-Since as a UTC datetime; unparsable dates are None."""
        return parse_date(self.environ.get("HTTP_IF_MODIFIED_SINCE"))


def get_content_type(mimetype: str) -> str:
    """Add ``; charset=utf-8`` to text types, as Werkzeug does."""
    if mimetype.startswith("text/") or mimetype in TEXT_MIMETYPES_WITH_CHARSET:
        return f"{mimetype}; charset=utf-8"
    if mimetype.endswith("+xml"):
        return f"{mimetype}; charset=utf-8"
    return mimetype


class Response:
    """Hold status, headers and body, and answer as a WSGI app.

    ``App.make_response`` builds one from whatever the view returned;
    ``wsgi_app`` calls it with ``(environ, start_response)``. A str or bytes
    body is sized up front; any other iterable is streamed as it yields.
    """

    default_mimetype = "text/html"
    default_content_type = "text/html; charset=utf-8"

    def __init__(
        self,
        response: str | bytes | Iterable[str | bytes] | None = None,
        status: int | str = 200,
        headers: HeaderItems = None,
        *,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> None:
        self.headers = Headers(headers)
        if content_type is None and mimetype is None:
            if headers is None or "content-type" not in self.headers:
                content_type = self.default_content_type
        elif content_type is None:
            content_type = get_content_type(mimetype)
        if content_type is not None:
            self.headers.set("Content-Type", content_type)
        self.status = status
        self.response: Iterable[str | bytes] = []
        if response is None or isinstance(response, BODY_TYPES):
            self.set_data(response or b"")
        else:
            self.response = response

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self.status}]>"

    @property
    def status(self) -> str:
        """Return the status line WSGI wants, e.g. ``404 Not Found``."""
        return self._status

    @status.setter
    def status(self, value: int | str) -> None:
        if isinstance(value, int):
            self._status_code = value
            self._status = STATUS_LINES.get(value) or f"{value} UNKNOWN"
            return
        code, _, phrase = value.strip().partition(" ")
        self.status_code = int(code)
        if phrase:
            self._status = f"{self.status_code} {phrase}"

    @property
    def status_code(self) -> int:
        """Return the numeric status, e.g. 404."""
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self.status = int(code)

    @property
    def mimetype(self) -> str:
        """Return the Content-Type without parameters."""
        return parse_options_header(self.headers.get("Content-Type"))[0]

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", get_content_type(value))

    def set_data(self, value: str | bytes) -> None:
        """Replace the body with ``value`` and set Content-Length to match."""
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        self.response = [data]
        self.headers.set("Content-Length", len(data))

    def get_data(self, as_text: bool = False) -> Any:
        """Return the whole body, first draining a streamed body into a list."""
        if not isinstance(self.response, list):
            self.response = [encode_chunk(chunk) for chunk in self.response]
        data = b"".join(encode_chunk(chunk) for chunk in self.response)
        return data.decode("utf-8", "replace") if as_text else data

    @property
    def data(self) -> bytes:
        """Return the body bytes (see ``get_data``); assigning calls ``set_data``."""
        return self.get_data()

    @data.setter
    def data(self, value: str | bytes) -> None:
        self.set_data(value)

    @property
    def is_streamed(self) -> bool:
        """Say whether the body is a stream (its length unknown until sent)."""
        return not isinstance(self.response, list)

    @property
    def content_type(self) -> str | None:
        """Return the whole Content-Type header, parameters included."""
        return self.headers.get("Content-Type")

    @content_type.setter
    def content_type(self, value: str) -> None:
        self.headers.set("Content-Type", value)

    @property
    def allow(self) -> set[str]:
        """Return the methods the Allow header lists (a 405, an OPTIONS reply)."""
        header = self.headers.get("Allow") or ""
        return {method.strip() for method in header.split(",") if method.strip()}

    def close(self) -> None:
        """Close a streamed body that has not been sent, releasing what it holds."""
        close = getattr(self.response, "close", None)
        if close is not None:
            close()

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        max_age: int | None = None,
        expires: datetime | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
    ) -> None:
        """Add a Set-Cookie header (see ``dump_cookie`` for the quoting)."""
        line = dump_cookie(
            key,
            value,
            max_age=max_age,
            expires=expires,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )
        self.headers.add("Set-Cookie", line)

    def delete_cookie(
        self, key: str, *, path: str | None = "/", domain: str | None = None
    ) -> None:
        """Tell the client to forget a cookie: empty, expired, Max-Age=0."""
        self.set_cookie(key, "", max_age=0, expires=0, path=path, domain=domain)

    @property
    def last_modified(self) -> datetime | None:
        """Return the Last-Modified header as a datetime."""
        return parse_date(self.headers.get("Last-Modified"))

    @last_modified.setter
    def last_modified(self, value: datetime | float) -> None:
        self.headers.set("Last-Modified", http_date(value))

    def add_etag(self, overwrite: bool = False) -> None:
        """Set ETag to a hash of the body, so a client can revalidate cheaply."""
        if overwrite or "ETag" not in self.headers:
            self.headers.set("ETag", generate_etag(self.get_data()))

    def make_conditional(self, request: Request) -> Response:
        """Turn a 200 to GET/HEAD into a bodiless 304 if the client is fresh.

        RFC 9110 §15.4.5: the 304 keeps validators such as ETag but drops
        the representation's own headers (Content-Type, Content-Length).
        """
        if request.method not in ("GET", "HEAD") or self.status_code != 200:
            return self
        modified = is_resource_modified(
            if_none_match=request.if_none_match,
            if_modified_since=request.if_modified_since,
            etag=self.headers.get("ETag"),
            last_modified=self.last_modified,
        )
        if not modified:
            self.status_code = 304
            for name in NOT_MODIFIED_DROPPED_HEADERS:
                self.headers.remove(name)
        return self

    def get_app_iter(self, environ: WSGIEnvironment) -> Iterable[bytes]:
        """Return the body to send: none for HEAD, 204 and 304, bytes otherwise.

        A dropped stream is still closed, so ``stream_with_context`` teardown
        runs; a streamed body goes through ``ClosingIterator`` to encode text.
        """
        if (
            environ.get("REQUEST_METHOD") == "HEAD"
            or self._status_code in BODYLESS_STATUS_CODES
            or self._status_code < 200
        ):
            return ClosingIterator((), close=getattr(self.response, "close", None))
        if isinstance(self.response, list):
            return self.response
        close = getattr(self.response, "close", None)
        return ClosingIterator(self.response, close=close)

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Answer as a WSGI app: start the response, return the body iterable."""
        app_iter = self.get_app_iter(environ)
        start_response(self._status, self.headers.to_wsgi_list())
        return app_iter

    @classmethod
    def from_app(cls, app: WSGIApplication, environ: WSGIEnvironment) -> Response:
        """Run another WSGI app (e.g. an HTTPException) and capture its answer."""
        recorder = StartResponseRecorder()
        body = app(environ, recorder)
        return cls(body, recorder.status, recorder.headers)
