"""The small app the probe sends real requests to: Flask 1.x's hello world, grown.

Each route exists to make one path through the chain visible: a converter,
JSON, a strict-slash redirect, a 404, a 405, a view that raises (500 through
the error handler), a before_request that answers early, an after_request
that adds a header, a teardown, and a streaming response.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from walkthrough.framework.app import App
from walkthrough.framework.exceptions import InternalServerError
from walkthrough.framework.globals import g, request
from walkthrough.framework.helpers import stream_with_context
from walkthrough.framework.wrappers import Response

PROBE_HEADER = "X-Walkthrough-Probe"
STREAM_PARTS = 3


@dataclass(frozen=True)
class Scenario:
    """One request the probe page offers, and what it demonstrates."""

    id: str
    method: str
    path: str
    title: str
    shows: str


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hello", "GET", "/index", "Hello, index", "the whole happy path"),
    Scenario("converter", "GET", "/users/42", "A URL converter", "<int:id> in match"),
    Scenario("json", "GET", "/api/status", "A JSON view", "a dict made a response"),
    Scenario("redirect", "GET", "/docs", "Strict slashes", "a 308 from the router"),
    Scenario("not-found", "GET", "/nowhere", "No such page", "a 404: no view runs"),
    Scenario("not-allowed", "POST", "/index", "Wrong method", "a 405 with Allow"),
    Scenario("error", "GET", "/boom", "A view that raises", "the 500 error path"),
    Scenario("early", "GET", "/early", "An early answer", "before_request returns"),
    Scenario("stream", "GET", "/stream", "A streamed body", "chunks as they yield"),
)


def index() -> str:
    """Answer the hello-world route that Flask's quickstart starts with."""
    return "index"


def show_user(id: int) -> dict[str, object]:  # noqa: A002 - the URL's own name
    """Show that the router converted the path segment to an int."""
    return {"id": id, "type": type(id).__name__}


def api_status() -> dict[str, object]:
    """Return a dict: make_response turns it into JSON."""
    return {"status": "ok", "path": request.path}


def docs() -> str:
    """Live at ``/docs/``, so ``/docs`` is redirected here (strict slashes)."""
    return "docs"


def boom() -> str:
    """Fail on purpose, to show the error path end to end."""
    raise RuntimeError("the specimen's /boom view failed on purpose")


def stream() -> Response:
    """Yield the body in parts; the server sends each as a chunk."""
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
    response.headers.set(PROBE_HEADER, "1")
    return response


def clean_up(error: BaseException | None) -> None:
    """Run after every request, error or not: the teardown stage."""
    g.pop("started_by", None)


def server_error_page(error: InternalServerError) -> tuple[str, int]:
    """Render the 500 that ``handle_exception`` produces for ``/boom``."""
    return "the specimen's error handler answered this 500", 500


def create_specimen() -> App:
    """Build the specimen app; a fresh one per probe keeps runs independent."""
    app = App(__name__, static_folder=None)
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
