"""HTTP errors as exceptions: raise one anywhere, get the right response.

Covers the error paths of the request chain: the server raises these for bad
bytes, the router for misses, views for ``abort``. Modelled on
``werkzeug.exceptions``; each class renders itself, so the code that catches it
needs to know nothing about it. Left out: Werkzeug's per-class ``get_response``
(it needs the Response wrapper; ``App.make_response`` builds that instead).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from http import HTTPStatus

from walkthrough.framework.types import HeaderList, StartResponse, WSGIEnvironment


class HTTPException(Exception):
    """Carry an HTTP status and a message that is safe to show a client.

    Subclasses set ``code`` and a default ``description``; raising one
    anywhere below ``wsgi_app`` ends the request with that status.
    """

    code: int = 500
    description: str = "An error occurred."

    def __init__(self, description: str | None = None) -> None:
        if description is not None:
            self.description = description
        super().__init__(f"{self.code} {self.name}: {self.description}")

    @property
    def name(self) -> str:
        """Return the status phrase, e.g. ``Not Found``, from the stdlib table."""
        try:
            return HTTPStatus(self.code).phrase
        except ValueError:
            return "Unknown Error"

    @property
    def status(self) -> str:
        """Return the WSGI status line, e.g. ``404 Not Found``."""
        return f"{self.code} {self.name}"

    def get_description(self) -> str:
        """Return the description as an HTML paragraph, escaped, never trusted."""
        return f"<p>{html.escape(self.description).replace(chr(10), '<br>')}</p>"

    def get_body(self) -> bytes:
        """Render a tiny HTML page around the description."""
        text = (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.status}</title>\n"
            f"<h1>{html.escape(self.name)}</h1>\n"
            f"{self.get_description()}\n"
        )
        return text.encode("utf-8")

    def get_headers(self) -> HeaderList:
        """Return the headers that go with the body (subclasses add more)."""
        return [("Content-Type", "text/html; charset=utf-8")]

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Answer as a WSGI app, so an exception can stand in for a response."""
        body = self.get_body()
        headers = [*self.get_headers(), ("Content-Length", str(len(body)))]
        start_response(self.status, headers)
        return [body]


class RequestRedirect(HTTPException):
    """Send the client to ``new_url`` (308 keeps the method and the body).

    The router raises it when ``/docs`` is asked for but only ``/docs/``
    exists, as Werkzeug's ``routing.RequestRedirect`` does.
    """

    code = 308
    description = "The resource has moved; follow the Location header."

    def __init__(self, new_url: str) -> None:
        self.new_url = new_url
        super().__init__(f"Redirecting to {new_url}.")

    def get_headers(self) -> HeaderList:
        """Add ``Location`` so the client knows where to go."""
        return [*super().get_headers(), ("Location", self.new_url)]


class BadRequest(HTTPException):
    """Reject a request the server or the app cannot make sense of."""

    code = 400
    description = (
        "The browser (or proxy) sent a request that this server could not understand."  # noqa: E501
    )


class BadRequestKeyError(BadRequest, KeyError):
    """Say a field the view asked for is missing: a ``KeyError`` and a 400.

    ``request.form["name"]`` raises it, so a forgotten form field is the
    client's mistake (400) rather than a crash (500), while ``except
    KeyError`` still catches it. With ``show_exception`` (set in debug) the
    page names the key, as in Werkzeug.
    """

    show_exception = False

    def __init__(self, key: object = None) -> None:
        super().__init__()
        KeyError.__init__(self, *(() if key is None else (key,)))

    @property  # type: ignore[override]
    def description(self) -> str:
        """Return BadRequest's text, plus the key when ``show_exception``."""
        if self.show_exception:
            return f"{BadRequest.description}\nKeyError: {KeyError.__str__(self)}"
        return BadRequest.description


class Unauthorized(HTTPException):
    """Ask for credentials the request did not carry."""

    code = 401
    description = "The server could not verify that you are authorized."


class Forbidden(HTTPException):
    """Refuse a request the client is not allowed to make."""

    code = 403
    description = "You don't have the permission to access the requested resource."


class NotFound(HTTPException):
    """Say that no rule matched the path (or a file is missing)."""

    code = 404
    description = "The requested URL was not found on the server."


class MethodNotAllowed(HTTPException):
    """Say the path exists but not for this method, and list the ones it has.

    RFC 9110 §15.5.6: a 405 response MUST carry ``Allow``.
    """

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self, valid_methods: Iterable[str] = (), description: str | None = None
    ) -> None:
        self.valid_methods = sorted(valid_methods)
        super().__init__(description)

    def get_headers(self) -> HeaderList:
        """Add ``Allow`` with the methods the rule accepts."""
        return [*super().get_headers(), ("Allow", ", ".join(self.valid_methods))]


class NotAcceptable(HTTPException):
    """Say no representation fits the client's ``Accept`` headers."""

    code = 406
    description = "The resource cannot produce a response the client accepts."


class RequestTimeout(HTTPException):
    """Give up on a client that stopped sending halfway through a request."""

    code = 408
    description = "The server closed the connection because the request took too long."  # noqa: E501


class Conflict(HTTPException):
    """Refuse a change that conflicts with the resource's current state."""

    code = 409
    description = "The request conflicts with the current state of the resource."


class Gone(HTTPException):
    """Say the resource existed once and will not come back."""

    code = 410
    description = "The requested URL is no longer available."


class LengthRequired(HTTPException):
    """Ask for a Content-Length on a body the server must size first."""

    code = 411
    description = "A request with a body must say its Content-Length."


class PreconditionFailed(HTTPException):
    """Say an ``If-Match``-style precondition did not hold."""

    code = 412
    description = "A precondition in the request headers was not met."


class RequestEntityTooLarge(HTTPException):
    """Refuse a body larger than the configured limit (RFC 9110 §15.5.14)."""

    code = 413
    description = "The request body is larger than this server accepts."


class RequestURITooLarge(HTTPException):
    """Refuse a request line longer than the configured limit."""

    code = 414
    description = "The request line is longer than this server accepts."


class UnsupportedMediaType(HTTPException):
    """Refuse a body in a format the view does not read."""

    code = 415
    description = "The request body is in a format the server does not support."


class UnprocessableEntity(HTTPException):
    """Say the body parsed but its content makes no sense."""

    code = 422
    description = "The request was well-formed but could not be processed."


class TooManyRequests(HTTPException):
    """Ask the client to slow down, and say when to retry."""

    code = 429
    description = "Too many requests; try again later."

    def __init__(
        self, description: str | None = None, *, retry_after_seconds: int = 1
    ) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(description)

    def get_headers(self) -> HeaderList:
        """Add ``Retry-After`` so a polite client knows how long to wait."""
        return [*super().get_headers(), ("Retry-After", str(self.retry_after_seconds))]


class RequestHeaderFieldsTooLarge(HTTPException):
    """Refuse headers that are too many or too long (RFC 6585 §5)."""

    code = 431
    description = "The request headers are larger than this server accepts."


class InternalServerError(HTTPException):
    """Stand for any unhandled error: the client learns nothing more."""

    code = 500
    description = (
        "The server encountered an internal error and could not complete your request."  # noqa: E501
    )


class NotImplemented(HTTPException):  # noqa: A001 - Werkzeug's name, kept on purpose
    """Refuse a method the server does not implement (RFC 9110 §15.6.2)."""

    code = 501
    description = "The server does not support the method of this request."


class ServiceUnavailable(HTTPException):
    """Turn a client away while the server is at capacity."""

    code = 503
    description = "The server is at capacity; try again shortly."

    def get_headers(self) -> HeaderList:
        """Add ``Retry-After`` (seconds) as RFC 9110 §10.2.3 suggests."""
        return [*super().get_headers(), ("Retry-After", "1")]


class HTTPVersionNotSupported(HTTPException):
    """Refuse an HTTP major version other than 1 (RFC 9110 §15.6.6)."""

    code = 505
    description = "The server supports only HTTP/1.0 and HTTP/1.1."


def _index_by_code() -> dict[int, type[HTTPException]]:
    """Map each status code to its class, for ``abort`` and error handlers."""
    classes = HTTPException.__subclasses__()
    return {cls.code: cls for cls in classes if cls.code >= 400}


DEFAULT_EXCEPTIONS: dict[int, type[HTTPException]] = _index_by_code()


def abort(code: int, description: str | None = None) -> None:
    """Raise the HTTPException for ``code``; unknown codes are a setup error."""
    try:
        exception_class = DEFAULT_EXCEPTIONS[code]
    except KeyError:
        known = ", ".join(str(known_code) for known_code in sorted(DEFAULT_EXCEPTIONS))
        raise LookupError(
            f"abort({code}): no exception for that code (known: {known})"
        ) from None
    raise exception_class(description)
