"""Flask's hello world as a bare WSGI callable: ``walkthrough run hello:app``.

Run it from this folder; the CLI imports ``hello`` from the current directory
first, as gunicorn does.
"""

from __future__ import annotations

from collections.abc import Iterable

from walkthrough.framework.types import StartResponse, WSGIEnvironment


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Answer every path with a greeting that names the path."""
    body = f"Hello from walkthrough: you asked for {environ['PATH_INFO']}\n"
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body.encode("utf-8")]
