"""What views call: ``url_for``, ``jsonify``, ``stream_with_context``, ``abort``.

Each reads the current app or request from the context variables, so a view
passes nothing in. Flask's ``flask.helpers`` plus the JSON part of
``flask.json``; left out: ``flash`` and pluggable JSON providers."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from walkthrough.framework.conditional import http_date
from walkthrough.framework.ctx import RequestContext
from walkthrough.framework.exceptions import abort
from walkthrough.framework.globals import NO_REQUEST_MESSAGE, _cv_app, _cv_request
from walkthrough.framework.utils import redirect
from walkthrough.framework.wrappers import Response

__all__ = [
    "abort",
    "jsonify",
    "make_json_response",
    "make_response",
    "redirect",
    "stream_with_context",
    "url_for",
]


def url_for(
    endpoint: str,
    *,
    _external: bool = False,
    _anchor: str | None = None,
    _method: str | None = None,
    **values: Any,
) -> str:
    """Build the URL of ``endpoint`` with the adapter bound to this request.

    Outside a request it binds to ``SERVER_NAME``, as Flask does, because
    an absolute URL needs a host to point at.
    """
    request_ctx = _cv_request.get(None)
    if request_ctx is not None:
        adapter = request_ctx.url_adapter
    else:
        app_ctx = _cv_app.get(None)
        if app_ctx is None:
            raise RuntimeError(NO_REQUEST_MESSAGE)
        adapter = app_ctx.app.create_url_adapter(None)
        _external = True
    if adapter is None:
        raise RuntimeError(
            "Unable to build URLs outside a request without SERVER_NAME: set "
            "app.config['SERVER_NAME'] or use `with app.test_request_context():`."
        )
    url = adapter.build(endpoint, values, method=_method, force_external=_external)
    return f"{url}#{_anchor}" if _anchor else url


def _json_default(value: Any) -> Any:
    """Serialise what ``json`` cannot: dates, UUIDs, decimals, dataclasses."""
    if isinstance(value, datetime):
        return http_date(value)
    if isinstance(value, date):
        return http_date(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def make_json_response(value: Any, *, pretty: bool = False) -> Response:
    """Serialise ``value`` as Flask does: sorted keys, compact, newline-ended.

    Matching Flask byte for byte lets the parity tests compare bodies.
    """
    if pretty:
        text = json.dumps(value, indent=2, sort_keys=True, default=_json_default)
    else:
        text = json.dumps(
            value, separators=(",", ":"), sort_keys=True, default=_json_default
        )
    return Response(f"{text}\n", mimetype="application/json")


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """Return a JSON response of one value, several (as a list), or keywords."""
    if args and kwargs:
        raise TypeError("jsonify() takes either args or kwargs, not both")
    value = args[0] if len(args) == 1 else (list(args) or kwargs)
    app_ctx = _cv_app.get(None)
    pretty = app_ctx is not None and app_ctx.app.debug
    return make_json_response(value, pretty=pretty)


def make_response(*args: Any) -> Response:
    """Turn view-style return values into a Response, to add headers early."""
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        raise RuntimeError(NO_REQUEST_MESSAGE)
    value = args[0] if len(args) == 1 else args
    return app_ctx.app.make_response(value if args else "")


def stream_with_context(generator: Iterable[Any]) -> Iterator[Any]:
    """Keep the request context alive while a streamed body is generated.

    The body is iterated after ``wsgi_app`` has popped the context; pushing
    it once more now (the generator is primed here, in the view) makes
    ``request`` usable inside and delays teardown until the stream closes.
    """
    request_ctx = _cv_request.get(None)
    if request_ctx is None:
        raise RuntimeError(
            "stream_with_context() needs an active request; call it in a view."
        )
    wrapped = _generate_in_context(request_ctx, iter(generator))
    next(wrapped)
    return wrapped


def _generate_in_context(
    request_ctx: RequestContext, iterator: Iterator[Any]
) -> Iterator[Any]:
    """Push ``request_ctx``, yield once to prime, then relay ``iterator``."""
    request_ctx.push()
    error: Exception | None = None
    try:
        yield None
        yield from iterator
    except Exception as exc:
        error = exc
        raise
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
        request_ctx.pop(error)
