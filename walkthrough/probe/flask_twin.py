"""The specimen's twin on real Flask: the same routes, hooks and scenarios.

``specimen.py`` grown on Flask 3.x, so the probe can run one scenario on
either framework and the reader can compare the two chains stage by stage.
Each function mirrors the specimen's function of the same name. Importing
this module needs Flask (the ``walkthrough[flask]`` extra).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from flask import Flask, Response, g, request, stream_with_context
from werkzeug.exceptions import InternalServerError

from walkthrough.probe.specimen import PROBE_HEADER, STREAM_PARTS

# ``run_simple`` leaves its socket's number here for a reloader to inherit.
SERVER_FD_VARIABLE = "WERKZEUG_SERVER_FD"


def index() -> str:
    """Answer the hello-world route of Flask's own quickstart."""
    return "index"


def show_user(id: int) -> dict[str, object]:  # noqa: A002 - the URL's own name
    """Show that Werkzeug's router converted the path segment to an int."""
    return {"id": id, "type": type(id).__name__}


def api_status() -> dict[str, object]:
    """Return a dict: Flask's make_response turns it into JSON."""
    return {"status": "ok", "path": request.path}


def docs() -> str:
    """Live at ``/docs/``, so ``/docs`` is redirected here (strict slashes)."""
    return "docs"


def boom() -> str:
    """Fail on purpose, to show Flask's error path end to end."""
    raise RuntimeError("the Flask twin's /boom view failed on purpose")


def stream() -> Response:
    """Yield the body in parts; Werkzeug sends each as a chunk."""
    return Response(stream_with_context(generate_parts()), mimetype="text/plain")


def generate_parts() -> Iterator[str]:
    """Produce the streamed parts, reading ``request`` while streaming."""
    for number in range(1, STREAM_PARTS + 1):
        yield f"part {number} of {STREAM_PARTS} for {request.path}\n"


def answer_early() -> str | None:
    """Answer ``/early`` before any view runs; let every other path through."""
    g.started_by = "walkthrough probe"
    if request.path == "/early":
        return "answered by before_request"
    return None


def tag_response(response: Response) -> Response:
    """Add a header to every response, as an after_request hook may."""
    response.headers[PROBE_HEADER] = "1"
    return response


def clean_up(error: BaseException | None) -> None:
    """Run after every request, error or not: the teardown stage."""
    g.pop("started_by", None)


def server_error_page(error: InternalServerError) -> tuple[str, int]:
    """Render the 500 that Flask's ``handle_exception`` produces for ``/boom``."""
    return "the Flask twin's error handler answered this 500", 500


def create_flask_twin() -> Flask:
    """Build the twin; a fresh one per probe keeps runs independent."""
    app = Flask(__name__, static_folder=None)
    app.add_url_rule("/index", view_func=index)
    app.add_url_rule("/users/<int:id>", view_func=show_user)
    app.add_url_rule("/api/status", view_func=api_status)
    app.add_url_rule("/docs/", view_func=docs)
    app.add_url_rule("/boom", view_func=boom)
    app.add_url_rule("/stream", view_func=stream)
    app.before_request(answer_early)
    app.after_request(tag_response)
    app.teardown_request(clean_up)
    app.register_error_handler(500, server_error_page)
    return app


def start_flask_twin() -> None:
    """Run the twin as a reader would: ``app.run`` on a free port.

    ``Flask.run`` goes through Werkzeug's ``run_simple`` and ``make_server``
    to ``serve_forever``: the startup chain of the Flask tour. No ``.env``
    loading, reloader or debugger, which would change what is traced; and
    the environment is left as it was, so no later server inherits a socket
    number that has closed.
    """
    saved = os.environ.get(SERVER_FD_VARIABLE)
    try:
        create_flask_twin().run(
            "127.0.0.1", 0, load_dotenv=False, use_reloader=False, use_debugger=False
        )
    finally:
        if saved is None:
            os.environ.pop(SERVER_FD_VARIABLE, None)
        else:
            os.environ[SERVER_FD_VARIABLE] = saved
