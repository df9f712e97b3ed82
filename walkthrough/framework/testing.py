"""Requests without a server: build an environ, call the app, read the answer.

``app.test_client()`` and ``app.test_request_context()`` use these. Werkzeug's
``werkzeug.test`` in small (``EnvironBuilder``, ``Client``, ``run_wsgi_app``);
left out: lazily streamed bodies."""

from __future__ import annotations

import json as jsonlib
import sys
import uuid
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from io import BytesIO
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlencode, urlsplit

from walkthrough.framework.datastructures import HeaderItems, Headers, iter_header_pairs
from walkthrough.framework.types import WSGIApplication, WSGIEnvironment
from walkthrough.framework.wrappers import Response
from walkthrough.framework.wsgi import StartResponseRecorder

DEFAULT_BASE_URL = "http://localhost/"
PATH_SAFE_CHARS = "/:@!$&'()*+,;=%"
WSGI_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
)
FormData = Mapping[str, Any]
MAX_REDIRECTS = 10
# These repeat the method and body; 301, 302 and 303 turn into a bodiless GET.
KEEP_METHOD_REDIRECTS = frozenset({307, 308})


class EnvironBuilder:
    """Build a PEP 3333 environ for a made-up request, as a server would.

    ``data`` may be bytes/str (sent as is), or a dict (a urlencoded form, or
    multipart if a value is a ``(file, filename)`` tuple); ``json`` is encoded.
    """

    def __init__(
        self,
        path: str = "/",
        base_url: str | None = None,
        *,
        method: str = "GET",
        headers: HeaderItems = None,
        query_string: str | Mapping[str, Any] | None = None,
        data: bytes | str | FormData | None = None,
        json: Any = None,
        content_type: str | None = None,
    ) -> None:
        url = urlsplit(path)
        self.path = url.path or "/"
        self.query_string = _query_string(query_string, url.query)
        self.base = urlsplit(base_url or DEFAULT_BASE_URL)
        self.method = method.upper()
        self.headers = list(iter_header_pairs(headers))
        self.body, self.content_type = _encode_body(data, json, content_type)

    def server_environ(self) -> WSGIEnvironment:
        """Return the keys a server fills in: host, port, scheme, protocol."""
        host = self.base.netloc or "localhost"
        scheme = self.base.scheme or "http"
        server_name, _, port = host.partition(":")
        return {
            "SERVER_NAME": server_name,
            "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": host,
            "wsgi.url_scheme": scheme,
        }

    def get_environ(self) -> WSGIEnvironment:
        """Return the environ: CGI keys, ``HTTP_*`` headers, ``wsgi.*`` keys."""
        environ = {**self.server_environ(), **WSGI_DEFAULTS}
        environ["REQUEST_METHOD"] = self.method
        environ["SCRIPT_NAME"] = self.base.path.rstrip("/")
        environ["PATH_INFO"] = _wsgi_string(quote(self.path, safe=PATH_SAFE_CHARS))
        environ["QUERY_STRING"] = self.query_string
        environ["wsgi.input"] = BytesIO(self.body)
        environ["wsgi.errors"] = sys.stderr
        if self.body or self.content_type:
            environ["CONTENT_LENGTH"] = str(len(self.body))
        if self.content_type:
            environ["CONTENT_TYPE"] = self.content_type
        for name, value in self.headers:
            environ.update(_environ_header(name, str(value)))
        return environ


def _wsgi_string(path: str) -> str:
    """Percent-decode a path and store it the PEP 3333 way (UTF-8 as latin-1)."""
    return unquote_to_bytes(path).decode("latin-1")


def _environ_header(name: str, value: str) -> dict[str, str]:
    """Return the environ key for one header, as a server would set it."""
    key = name.upper().replace("-", "_")
    if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        key = "HTTP_" + key
    return {key: value}


def _query_string(query: str | Mapping[str, Any] | None, from_path: str) -> str:
    """Return the query string from ``query_string=`` or from the path's ``?``."""
    if query is None:
        return from_path
    if isinstance(query, str):
        return query
    return urlencode(query, doseq=True)


def _encode_body(
    data: bytes | str | FormData | None, json: Any, content_type: str | None
) -> tuple[bytes, str | None]:
    """Return the body bytes and the Content-Type they call for."""
    if json is not None:
        if data is not None:
            raise TypeError("pass data= or json=, not both")
        return jsonlib.dumps(json).encode("utf-8"), content_type or "application/json"
    if data is None:
        return b"", content_type
    if isinstance(data, str):
        return data.encode("utf-8"), content_type
    if isinstance(data, bytes):
        return data, content_type
    if any(isinstance(value, tuple) for value in data.values()):
        return _encode_multipart(data)
    form_type = content_type or "application/x-www-form-urlencoded"
    return urlencode(data, doseq=True).encode("utf-8"), form_type


def _encode_multipart(data: FormData) -> tuple[bytes, str]:
    """Encode fields and ``(file, filename)`` tuples as multipart/form-data."""
    boundary = f"walkthrough-{uuid.uuid4().hex}"
    chunks: list[bytes] = []
    for name, value in data.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
        if isinstance(value, tuple):
            stream, filename = value[0], value[1]
            content = stream.read() if hasattr(stream, "read") else bytes(stream)
            head += f'; filename="{filename}"\r\nContent-Type: application/octet-stream'
        else:
            content = str(value).encode("utf-8")
        chunks.append(head.encode("utf-8") + b"\r\n\r\n" + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


class TestResponse(Response):
    """Hold an answer the test client received, with helpers to read it."""

    __test__ = False
    # The answers a ``follow_redirects`` request went through, oldest first.
    history: tuple[TestResponse, ...] = ()

    @property
    def text(self) -> str:
        """Return the body decoded as UTF-8."""
        return self.get_data(as_text=True)

    def get_json(self) -> Any:
        """Parse the body as JSON (None for an empty body)."""
        data = self.get_data()
        return jsonlib.loads(data) if data else None

    @property
    def json(self) -> Any:
        """Return ``get_json()``."""
        return self.get_json()


def _redirected(
    response: TestResponse, kwargs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Return the path and arguments of the request a redirect asks for.

    A 307 or 308 repeats the method and body; the others become a GET
    without a body (Werkzeug's and the browsers' rule).
    """
    location = urlsplit(response.headers["Location"])
    path = location.path + (f"?{location.query}" if location.query else "")
    kwargs = {key: value for key, value in kwargs.items() if key != "query_string"}
    if location.netloc:
        kwargs["base_url"] = f"{location.scheme}://{location.netloc}/"
    if response.status_code not in KEEP_METHOD_REDIRECTS:
        for key in ("data", "json", "content_type"):
            kwargs.pop(key, None)
        kwargs["method"] = "GET"
    return path, kwargs


def create_environ(*args: Any, **kwargs: Any) -> WSGIEnvironment:
    """Return the environ of a made-up request: ``EnvironBuilder(...)``'s."""
    return EnvironBuilder(*args, **kwargs).get_environ()


def run_wsgi_app(app: WSGIApplication, environ: WSGIEnvironment) -> TestResponse:
    """Call ``app`` once, drain and close its body, and return what it sent.

    Closing is what a real server does too; it runs ``stream_with_context``
    teardown before the test looks at the response.
    """
    recorder = StartResponseRecorder()
    app_iter = app(environ, recorder)
    try:
        body = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    response = TestResponse(body, recorder.status)
    response.headers = Headers(recorder.headers)
    return response


class Client:
    """Send requests to an app in-process and keep its cookies between them."""

    __test__ = False

    def __init__(self, application: WSGIApplication) -> None:
        self.application = application
        self.cookies: dict[str, str] = {}

    def open(
        self,
        path: str = "/",
        base_url: str | None = None,
        *,
        follow_redirects: bool = False,
        **kwargs: Any,
    ) -> TestResponse:
        """Send one request (``EnvironBuilder`` arguments) and return the answer.

        With ``follow_redirects``, a redirect is followed as a browser would,
        to at most ``MAX_REDIRECTS``; ``history`` keeps the answers passed.
        """
        if base_url is not None:
            kwargs["base_url"] = base_url
        response = self.send(path, **kwargs)
        history: list[TestResponse] = []
        while follow_redirects and 300 <= response.status_code < 400:
            if len(history) == MAX_REDIRECTS:
                raise RuntimeError(f"more than {MAX_REDIRECTS} redirects (a loop?)")
            history.append(response)
            path, kwargs = _redirected(response, kwargs)
            response = self.send(path, **kwargs)
        response.history = tuple(history)
        return response

    def send(self, path: str, **kwargs: Any) -> TestResponse:
        """Send one request, with the cookies kept so far, and keep new ones."""
        builder = EnvironBuilder(path, **kwargs)
        environ = builder.get_environ()
        if self.cookies and "HTTP_COOKIE" not in environ:
            pairs = (f"{name}={value}" for name, value in self.cookies.items())
            environ["HTTP_COOKIE"] = "; ".join(pairs)
        response = run_wsgi_app(self.application, environ)
        self.store_cookies(response)
        return response

    def store_cookies(self, response: Response) -> None:
        """Keep each Set-Cookie value; an expired (Max-Age=0) one is dropped."""
        for line in response.headers.getlist("Set-Cookie"):
            jar = SimpleCookie()
            try:
                jar.load(line)
            except CookieError:
                continue
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.coded_value

    def get(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send a GET (``open``'s arguments)."""
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send a POST (``open``'s arguments)."""
        return self.open(*args, method="POST", **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send a PUT (``open``'s arguments)."""
        return self.open(*args, method="PUT", **kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send a PATCH (``open``'s arguments)."""
        return self.open(*args, method="PATCH", **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send a DELETE (``open``'s arguments)."""
        return self.open(*args, method="DELETE", **kwargs)

    def head(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send a HEAD (``open``'s arguments)."""
        return self.open(*args, method="HEAD", **kwargs)

    def options(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send an OPTIONS (``open``'s arguments)."""
        return self.open(*args, method="OPTIONS", **kwargs)
