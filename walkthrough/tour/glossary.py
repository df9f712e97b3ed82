"""Define the words a tour reader meets, in plain English, for hover hints.

Prose names a term as `[environ](glossary:environ)` (or `[text](glossary:)` to use
the link text); `render.py` turns it into a `<dfn>` carrying the definition. Terms are
matched without case, with `-`/`_` read as spaces and a plural `s` forgiven.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

GLOSSARY: Mapping[str, str] = MappingProxyType(
    {
        "wsgi": "The Python standard (PEP 3333) for how a web server calls an "
        "application: app(environ, start_response) returns the response body.",
        "environ": "The dict a WSGI server builds from one HTTP request: method, "
        "path, headers and the input stream, passed to the application.",
        "start_response": "The callable the server hands a WSGI app; the app calls "
        "it once with the status and headers before returning the body.",
        "socket": "An operating-system endpoint for a network connection; the "
        "server reads request bytes from it and writes response bytes to it.",
        "accept loop": "The server's loop that waits for new connections and hands "
        "each one to a handler (serve_forever in socketserver).",
        "handler": "The object that serves one connection: it reads the request "
        "and writes the response, then is thrown away.",
        "request line": "The first line of an HTTP request, such as "
        "'GET /index HTTP/1.1': method, target and version.",
        "header": "A 'Name: value' line sent before the body, describing the "
        "request or response (Host, Content-Type, Content-Length...).",
        "status line": "The first line of an HTTP response, such as 'HTTP/1.1 200 OK'.",
        "url rule": "A URL pattern such as /user/<int:id> tied to an endpoint.",
        "converter": "The part of a URL rule that matches one variable piece of "
        "the path and turns it into a value, such as <int:id> into an int.",
        "endpoint": "The name a URL rule points to; the app looks up the view "
        "function to call by this name.",
        "view function": "The function you write that turns a request into a "
        "response for one URL rule.",
        "context": "An object holding state for the current app or request, "
        "pushed when work starts and popped when it ends.",
        "app context": "The context that makes current_app and g point at the "
        "running application while it handles work.",
        "request context": "The context that makes request and session point at "
        "the request being handled, pushed for exactly that request.",
        "context variable": "A contextvars.ContextVar: a global-looking name whose "
        "value is separate for each thread or task.",
        "proxy": "An object that forwards every use to another object looked up "
        "at that moment, so 'request' means the current request.",
        "middleware": "A WSGI app that wraps another WSGI app to change the "
        "request on the way in or the response on the way out.",
        "keep-alive": "Reusing one connection for several requests instead of "
        "opening a new one each time (HTTP/1.1's default).",
        "chunked": "Sending a body in pieces, each prefixed by its size, when the "
        "total length is not known in advance (Transfer-Encoding: chunked).",
        "sse": "Server-Sent Events: a response that stays open and sends "
        "'event:'/'data:' messages as they happen (text/event-stream).",
        "teardown": "Clean-up functions that run after a request finishes, even "
        "when it failed.",
        "response": "The status, headers and body the app sends back; a WSGI "
        "response body is an iterable of bytes.",
        "http exception": "An exception that carries an HTTP status and message, "
        "so raising it anywhere produces that error page.",
        "thread": "One line of execution inside the server process; a threaded "
        "server serves each connection in its own thread.",
        "closure": "A function defined inside another function that keeps using "
        "the outer call's variables; Werkzeug's run_wsgi defines three.",
        "signal": "A named event (Flask uses the blinker library) that other code "
        "can subscribe to; sending it calls every subscriber, such as "
        "request_started.",
        "session": "Data kept for one visitor between requests; Flask's default "
        "stores it in a signed cookie that the browser sends back.",
    }
)
_SEPARATORS_RE = re.compile(r"[\s_-]+")
# Terms written in capitals wherever they appear as a heading.
ACRONYMS = frozenset({"wsgi", "sse"})


def term_slug(key: str) -> str:
    """Return a glossary key as an HTML id part: `accept loop` → `accept-loop`."""
    return _SEPARATORS_RE.sub("-", key.strip().lower())


def term_heading(key: str) -> str:
    """Return a glossary key as the glossary page shows it: `WSGI`, `endpoint`."""
    return key.upper() if key in ACRONYMS else key


def normalise_term(term: str) -> str:
    """Fold case and separators so `View-Functions` finds `view function`."""
    return _SEPARATORS_RE.sub(" ", term).strip().lower()


def lookup_term(
    term: str, glossary: Mapping[str, str] = GLOSSARY
) -> tuple[str, str] | None:
    """Return (glossary key, definition) for a term, forgiving a plural 's'."""
    index = {normalise_term(key): key for key in glossary}
    wanted = normalise_term(term)
    for candidate in (wanted, wanted.removesuffix("s")):
        if candidate in index:
            key = index[candidate]
            return key, glossary[key]
    return None
