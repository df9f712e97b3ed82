"""Read a few facts from a stage's frame: what the probe shows beside each stage.

Method and path at the handler, endpoint and view args at the match, status
at ``start_response``, the exception on the error paths: for this framework
and for the real Flask and Werkzeug alike. Each reader is keyed by the full
``module:qualname`` of the code that defines the stage (a bare ``App.x`` would
match any class named ``App``), and reads only locals, never calling back
into the framework, so watching a stage cannot change what it does.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FrameType
from typing import Any

MAX_FACT_CHARS = 120

Facts = dict[str, Any]


def short(value: object) -> str:
    """Render a value briefly and safely for JSON and for screens."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_FACT_CHARS else text[: MAX_FACT_CHARS - 1] + "…"


def handler_request_line(frame: FrameType, result: object) -> Facts:
    """After parse_request: the method and target the client sent."""
    handler = frame.f_locals.get("self")
    method = getattr(handler, "command", "")
    return (
        {"method": method, "path": short(getattr(handler, "path", ""))}
        if method
        else {}
    )


def client_address(frame: FrameType, result: object) -> Facts:
    """After accept: who connected (the second item ``get_request`` returns)."""
    if isinstance(result, tuple) and len(result) == 2:
        return {"client": short(result[1][0])}
    return {}


def bound_address(frame: FrameType, result: object) -> Facts:
    """After bind: the address the server really has (port 0 resolved)."""
    server = frame.f_locals.get("self")
    address = getattr(server, "server_address", None)
    return {"address": f"{address[0]}:{address[1]}"} if address else {}


def environ_path(frame: FrameType, result: object) -> Facts:
    """After make_environ: the decoded path the app will see."""
    if isinstance(result, dict):
        return {
            "PATH_INFO": short(result.get("PATH_INFO", "")),
            "REQUEST_METHOD": result.get("REQUEST_METHOD", ""),
        }
    return {}


def match_result(frame: FrameType, result: object) -> Facts:
    """After match_request: the endpoint and view args, or the routing error."""
    request = getattr(frame.f_locals.get("self"), "request", None)
    error = getattr(request, "routing_exception", None)
    if error is not None:
        return {"routing_error": type(error).__name__, "status": error.code}
    rule = getattr(request, "url_rule", None)
    return {
        "endpoint": getattr(rule, "endpoint", None),
        "view_args": {
            key: short(value)
            for key, value in (getattr(request, "view_args", None) or {}).items()
        },
    }


def response_status(frame: FrameType, result: object) -> Facts:
    """At start_response: the status line the app chose."""
    status = frame.f_locals.get("status")
    return {"status": short(status)} if status else {}


def made_response(frame: FrameType, result: object) -> Facts:
    """After make_response: the status and type of the Response built."""
    status = getattr(result, "status", None)
    return {"status": short(status)} if status else {}


def exception_seen(frame: FrameType, result: object) -> Facts:
    """On an error path: the exception's type and, for HTTP errors, its code."""
    # Our framework names the exception ``exc`` or ``error``; Flask names it ``e``.
    names = ("exc", "error", "e")
    error = next((frame.f_locals[n] for n in names if n in frame.f_locals), None)
    if not isinstance(error, BaseException):
        return {}
    facts: Facts = {"exception": type(error).__name__, "message": short(str(error))}
    code = getattr(error, "code", None)
    if isinstance(code, int):
        facts["status"] = code
    return facts


def block_size(frame: FrameType, result: object) -> Facts:
    """At write: how many body bytes this block carries."""
    data = frame.f_locals.get("data")
    return {"bytes": len(data)} if isinstance(data, bytes | bytearray) else {}


FactReader = Callable[[FrameType, object], Facts]

# (module:qualname, phase) -> reader. The module is the one that *defines*
# the code (``socketserver:TCPServer.get_request`` also serves our servers).
# Names, not code objects, so the table stays readable and imports nothing.
OURS = "walkthrough.framework"
HANDLER = f"{OURS}.handler:WSGIRequestHandler"
WERKZEUG_HANDLER = "werkzeug.serving:WSGIRequestHandler"
RUN_WSGI_LOCALS = f"{WERKZEUG_HANDLER}.run_wsgi.<locals>"
FACT_READERS: dict[tuple[str, str], FactReader] = {
    ("socketserver:TCPServer.get_request", "exit"): client_address,
    ("socketserver:TCPServer.server_bind", "exit"): bound_address,
    ("http.server:HTTPServer.server_bind", "exit"): bound_address,
    (f"{HANDLER}.parse_request", "exit"): handler_request_line,
    (f"{HANDLER}.make_environ", "exit"): environ_path,
    (f"{OURS}.ctx:RequestContext.match_request", "exit"): match_result,
    (f"{HANDLER}.start_response", "enter"): response_status,
    (f"{OURS}.app:App.make_response", "exit"): made_response,
    (f"{OURS}.app:App.handle_user_exception", "enter"): exception_seen,
    (f"{OURS}.app:App.handle_http_exception", "enter"): exception_seen,
    (f"{OURS}.app:App.handle_exception", "enter"): exception_seen,
    (f"{HANDLER}.handle_app_error", "enter"): exception_seen,
    (f"{HANDLER}.send_http_exception", "enter"): exception_seen,
    (f"{HANDLER}.write", "enter"): block_size,
    # Werkzeug parses the request line in http.server, then runs the app.
    (f"{WERKZEUG_HANDLER}.run_wsgi", "enter"): handler_request_line,
    (f"{WERKZEUG_HANDLER}.make_environ", "exit"): environ_path,
    (f"{RUN_WSGI_LOCALS}.start_response", "enter"): response_status,
    (f"{RUN_WSGI_LOCALS}.write", "enter"): block_size,
    ("flask.ctx:RequestContext.match_request", "exit"): match_result,
    ("flask.app:Flask.make_response", "exit"): made_response,
    ("flask.app:Flask.handle_user_exception", "enter"): exception_seen,
    ("flask.app:Flask.handle_http_exception", "enter"): exception_seen,
    ("flask.app:Flask.handle_exception", "enter"): exception_seen,
}


def defining_symbol(frame: FrameType) -> str:
    """Name the running code as ``module:qualname``, from its own frame."""
    return f"{frame.f_globals.get('__name__', '')}:{frame.f_code.co_qualname}"


def readers_for(frame: FrameType) -> tuple[FactReader | None, FactReader | None]:
    """Return the frame's code's readers for (enter, exit), None where it has none.

    Naming the code costs a string built from its module and qualname: a
    tracer asks once per code object and keeps the answer.
    """
    symbol = defining_symbol(frame)
    return FACT_READERS.get((symbol, "enter")), FACT_READERS.get((symbol, "exit"))


def read_facts(frame: FrameType, phase: str, result: object) -> Facts:
    """Return the facts worth showing for this stage and phase, if any."""
    reader = FACT_READERS.get((defining_symbol(frame), phase))
    if reader is None:
        return {}
    return reader(frame, result)
