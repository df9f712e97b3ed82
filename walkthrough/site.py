"""The walkthrough site: tours and the chain picture, on our own framework.

``create_app`` wires a ``TourLibrary`` (content and source) to an ``App``
(routes, errors, static files). The views are methods of ``Site``, so state
lives on one object rather than in module globals, and each view has a name a
tour can show. Links are relative to the script root, so the site works when
mounted under a sub-path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from jinja2 import Environment

from walkthrough.framework.app import App
from walkthrough.framework.conditional import generate_etag
from walkthrough.framework.exceptions import HTTPException, NotFound
from walkthrough.framework.globals import request
from walkthrough.framework.helpers import jsonify, url_for
from walkthrough.framework.wrappers import Response
from walkthrough.live import (
    DEFAULT_MAX_PROBES,
    ProbeLimiter,
    ProbeStream,
    make_probe,
    parse_probe_request,
    run_to_document,
)
from walkthrough.probe.specimen import SCENARIOS
from walkthrough.resources import shipped_path
from walkthrough.tour.chain import layout_chain
from walkthrough.tour.content import ContentError, Tour
from walkthrough.tour.render import (
    RenderedStep,
    TourLibrary,
    TourLookupError,
    make_environment,
)
from walkthrough.tour.search import SearchEntry, build_index, search
from walkthrough.tour.source import SymbolError, stylesheet

CONTENT_ENV_VAR = "WALKTHROUGH_CONTENT"
HTML = "text/html; charset=utf-8"
EVENT_STREAM = "text/event-stream; charset=utf-8"
LIVE_TOUR = "request"
MAX_QUERY_CHARS = 200
MAX_CACHED_PAGES = 512
FRAME_ANCESTORS_ENV_VAR = "WALKTHROUGH_FRAME_ANCESTORS"
DEFAULT_FRAME_ANCESTORS = "'self'"
# No inline script, style or handler anywhere, so the policy can forbid them;
# frame-ancestors says who may embed the site (a team may allow its wiki).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors {frame_ancestors}"
)


def relative_step_link(tour_id: str, step_id: str | None) -> str:
    """Link to a step from any tour page, without knowing the script root.

    Tour pages live at ``tours/<tour>/`` and ``tours/<tour>/<step>``: both
    have ``tours/<tour>/`` as their base, so ``../<tour>/<step>`` works from
    either, and a rendered step can be cached whatever prefix serves it.
    """
    return f"../{tour_id}/{step_id or ''}"


def content_dir_for(argument: str | os.PathLike[str] | None) -> Path:
    """Pick the tours to serve: the argument, the env var, else the shipped ones."""
    chosen = argument or os.environ.get(CONTENT_ENV_VAR)
    return Path(chosen) if chosen else shipped_path("content")


def highlight_stylesheet() -> str:
    """Return pygments CSS that follows the page theme, with or without JS.

    Light by default; dark when the toggle says so, or when the system is
    dark and the toggle has not said light.
    """
    return "\n".join(
        [
            stylesheet("light", scope=":root"),
            stylesheet("dark", scope=':root[data-theme="dark"]'),
            "@media (prefers-color-scheme: dark) {",
            stylesheet("dark", scope=':root:not([data-theme="light"])'),
            "}",
        ]
    )


@dataclass(frozen=True)
class RenderedPage:
    """A page as it goes on the wire, with the ETag that names it."""

    body: bytes
    etag: str


@dataclass(frozen=True)
class CachedPage:
    """A finished page and the objects it was made from.

    The library returns the very same tour and step objects until a file
    changes, so comparing the inputs by identity is both exact and cheap.
    """

    inputs: tuple[object, ...]
    page: RenderedPage

    def is_for(self, inputs: tuple[object, ...]) -> bool:
        """Tell whether this page was made from exactly these objects."""
        return are_same_objects(self.inputs, inputs)


def are_same_objects(mine: tuple[object, ...], theirs: tuple[object, ...]) -> bool:
    """Compare two tuples item by item by identity, not by value (cheap, exact)."""
    return len(mine) == len(theirs) and all(
        one is other for one, other in zip(mine, theirs, strict=True)
    )


class PageCache:
    """Keep finished pages until an input changes; never more than a bound.

    The key holds the script root, which a trusted proxy's header sets, so
    the cache is emptied when full rather than allowed to grow.
    """

    def __init__(self, max_pages: int = MAX_CACHED_PAGES) -> None:
        self.max_pages = max_pages
        self.pages: dict[tuple[str, ...], CachedPage] = {}

    def get_or_render(
        self,
        key: tuple[str, ...],
        inputs: tuple[object, ...],
        render: Callable[[], RenderedPage],
    ) -> RenderedPage:
        """Return the cached page for ``key``, rendering it if stale or absent."""
        cached = self.pages.get(key)
        if cached is not None and cached.is_for(inputs):
            return cached.page
        if len(self.pages) >= self.max_pages:
            self.pages.clear()
        page = render()
        self.pages[key] = CachedPage(inputs, page)
        return page


class Site:
    """Hold the tours and the templates; each public method is a view."""

    def __init__(
        self,
        library: TourLibrary,
        environment: Environment,
        limiter: ProbeLimiter,
        *,
        demo: bool = False,
    ) -> None:
        self.library = library
        self.environment = environment
        self.limiter = limiter
        self.demo = demo
        self.search_index: tuple[tuple[Tour, ...], list[SearchEntry]] = ((), [])
        self.frame_ancestors = DEFAULT_FRAME_ANCESTORS
        self.pages = PageCache()
        self.highlight_css = highlight_stylesheet().encode("utf-8")

    def render(
        self, template: str, *, status: int = 200, **context: object
    ) -> Response:
        """Render a page with the navigation every page shows."""
        return self.html_response(self.render_page(template, **context), status)

    def render_page(self, template: str, **context: object) -> RenderedPage:
        """Render a template to bytes and its ETag, with the site's navigation."""
        context.setdefault("nav_current", "")
        context.setdefault("nav_tours", self.library.tours())
        context.setdefault("query", "")
        context.setdefault("demo", self.demo)
        html = self.environment.get_template(template).render(
            url_for=url_for, **context
        )
        body = html.encode("utf-8")
        return RenderedPage(body, generate_etag(body))

    def html_response(self, page: RenderedPage, status: int = 200) -> Response:
        """Answer with a rendered page; a fresh client copy gets a bare 304."""
        response = Response(page.body, status, content_type=HTML)
        if status == 200:
            response.headers.set("ETag", page.etag)
            response.make_conditional(request)
        return response

    def index(self) -> Response:
        """Show every tour and the picture of the whole chain."""
        tours = tuple(self.library.tours())
        key = (request.script_root, "index")
        render = partial(self.render_index, tours)
        return self.html_response(self.pages.get_or_render(key, tours, render))

    def render_index(self, tours: tuple[Tour, ...]) -> RenderedPage:
        """Render the index: the tours and their chain picture."""
        return self.render_page(
            "index.html",
            page_title="How a Python web framework really works",
            nav_current="tours",
            nav_tours=tours,
            tours=tours,
            chain=layout_chain(tours),
        )

    def tour(self, tour_id: str) -> Response:
        """Show a tour's introduction and its list of steps."""
        tour = self.find_tour(tour_id)
        tours = tuple(self.library.tours())
        key = (request.script_root, "tour", tour_id)
        render = partial(self.render_tour, tour, tours)
        return self.html_response(self.pages.get_or_render(key, tours, render))

    def render_tour(self, tour: Tour, tours: tuple[Tour, ...]) -> RenderedPage:
        """Render a tour's page: its introduction and its steps."""
        return self.render_page(
            "tour.html",
            page_title=tour.title,
            nav_current=tour.id,
            nav_tours=tours,
            tour=tour,
            intro=self.library.render_intro(tour.id),
        )

    def step(self, tour_id: str, step_id: str) -> Response:
        """Show one step: its prose beside the live, highlighted source."""
        try:
            rendered = self.library.render_step(tour_id, step_id)
        except TourLookupError:
            raise NotFound(
                f"There is no step {step_id!r} in tour {tour_id!r}."
            ) from None
        tours = tuple(self.library.tours())
        key = (request.script_root, "step", tour_id, step_id)
        render = partial(self.render_step, rendered, tours)
        page = self.pages.get_or_render(key, (rendered, *tours), render)
        return self.html_response(page)

    def render_step(
        self, rendered: RenderedStep, tours: tuple[Tour, ...]
    ) -> RenderedPage:
        """Render a step's page around its cached prose and code."""
        return self.render_page(
            "step.html",
            page_title=f"{rendered.step.title} · {rendered.tour.title}",
            nav_current=rendered.tour.id,
            nav_tours=tours,
            tour=rendered.tour,
            rendered=rendered,
        )

    def find_tour(self, tour_id: str) -> Tour:
        """Return the tour or raise 404 naming it."""
        try:
            return self.library.tour(tour_id)
        except TourLookupError:
            raise NotFound(f"There is no tour called {tour_id!r}.") from None

    def search_page(self) -> Response:
        """Answer ``/search?q=`` on the server, so search works without scripts."""
        query = request.args.get("q", "")[:MAX_QUERY_CHARS]
        return self.render(
            "search.html",
            page_title=f"Search: {query}" if query else "Search",
            query=query,
            results=search(self.current_index(), query),
        )

    def search_index_json(self) -> Response:
        """Serve every step as plain text, for search as you type."""
        entries = [entry.to_json() for entry in self.current_index()]
        response = jsonify(entries)
        response.add_etag()
        return response.make_conditional(request)

    def current_index(self) -> list[SearchEntry]:
        """Return the search entries, rebuilt only when a tour changed."""
        tours = tuple(self.library.tours())
        known_tours, entries = self.search_index
        if not are_same_objects(known_tours, tours):
            entries = build_index(tours)
            self.search_index = (tours, entries)
        return entries

    def probe_page(self) -> Response:
        """Show the probe: scenarios to run, and the chain they light up."""
        tours = self.library.tours()
        live_tours = [tour for tour in tours if tour.id in ("startup", LIVE_TOUR)]
        return self.render(
            "probe.html",
            page_title="Watch a real request",
            nav_current="probe",
            scenarios=SCENARIOS,
            live_tours=live_tours,
            chain=layout_chain(live_tours),
        )

    def probe_stream(self) -> Response:
        """Stream one probe's stages as Server-Sent Events while it runs.

        A browser's automatic reconnect (it sends Last-Event-ID) gets 204:
        the run it saw has finished, and a rerun would surprise the reader.
        """
        if "Last-Event-ID" in request.headers:
            return Response(status=204)
        probe_request = parse_probe_request(request.args)
        probe = make_probe(probe_request, self.library.tours())
        self.limiter.acquire()
        response = Response(ProbeStream(probe, self.limiter), content_type=EVENT_STREAM)
        response.headers.set("Cache-Control", "no-cache")
        response.headers.set("X-Accel-Buffering", "no")
        return response

    def probe_run(self) -> Response:
        """Run one probe to the end and answer all of it as one JSON document."""
        probe_request = parse_probe_request(request.args)
        probe = make_probe(probe_request, self.library.tours())
        self.limiter.acquire()
        try:
            document = run_to_document(probe)
        finally:
            self.limiter.release()
        return jsonify(document)

    def add_security_headers(self, response: Response) -> Response:
        """Send the policy headers with every response (an after_request hook)."""
        policy = CONTENT_SECURITY_POLICY.format(frame_ancestors=self.frame_ancestors)
        response.headers.set("Content-Security-Policy", policy)
        response.headers.set("X-Content-Type-Options", "nosniff")
        response.headers.set("Referrer-Policy", "same-origin")
        return response

    def healthz(self) -> Response:
        """Answer ``ok`` for a team's monitor; touches nothing else."""
        return Response("ok\n", content_type="text/plain; charset=utf-8")

    def favicon(self) -> Response:
        """Serve the icon at the path browsers ask for by habit."""
        icon = (shipped_path("static") / "favicon.svg").read_bytes()
        response = Response(icon, content_type="image/svg+xml")
        response.headers.set("Cache-Control", "public, max-age=86400")
        return response

    def highlight_stylesheet(self) -> Response:
        """Serve the code colours for both themes, made once from pygments."""
        response = Response(self.highlight_css, content_type="text/css; charset=utf-8")
        response.add_etag()
        return response.make_conditional(request)

    def http_error(self, error: HTTPException) -> Response:
        """Render 404s and other HTTP errors as pages in the site's style.

        Routing redirects never get here: ``handle_http_exception`` sends
        them on untouched. The error's own headers (Allow, Retry-After) stay.
        """
        response = self.render(
            "error.html",
            status=error.code,
            page_title=error.name,
            code=error.code,
            name=error.name,
            headline=ERROR_HEADLINES.get(error.code, error.name),
            description=error.description,
        )
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers.set(name, value)
        return response

    def content_error(self, error: ContentError | SymbolError) -> Response:
        """Show an author exactly which tour line is broken, instead of a bare 500."""
        return self.render(
            "error.html",
            status=500,
            page_title="A tour is broken",
            nav_tours=[],
            code=500,
            name="Content error",
            headline="A tour could not be rendered",
            description=f"{error} — run `walkthrough check` for the full list.",
        )


ERROR_HEADLINES = {
    404: "This page is not part of any tour",
    405: "That method is not allowed here",
}


def frame_ancestors_for(argument: str | None) -> str:
    """Pick who may frame the site: the argument, the env var, else 'self'.

    The value goes into the CSP header, so a ``;`` (a new directive), a
    comma (a second policy) or a line break is refused at startup.
    """
    chosen = argument or os.environ.get(FRAME_ANCESTORS_ENV_VAR) or ""
    chosen = chosen.strip() or DEFAULT_FRAME_ANCESTORS
    if any(character in chosen for character in ";,\r\n"):
        raise ValueError(
            f"frame-ancestors {chosen!r}: give a space-separated CSP source list, "
            "e.g. \"'self' https://wiki.example.org\" (no ';', ',' or newlines)"
        )
    return chosen


def create_app(
    content_dir: str | os.PathLike[str] | None = None,
    *,
    max_probes: int = DEFAULT_MAX_PROBES,
    demo: bool = False,
    frame_ancestors: str | None = None,
) -> App:
    """Build the site's App: routes, error pages, tours and the probe."""
    directory = content_dir_for(content_dir)
    library = TourLibrary(directory, resolve_link=relative_step_link)
    environment = make_environment(
        [shipped_path("templates")], resolve_link=relative_step_link
    )
    site = Site(library, environment, ProbeLimiter(max_probes), demo=demo)
    site.frame_ancestors = frame_ancestors_for(frame_ancestors)
    app = App(__name__, static_folder=str(shipped_path("static")))
    app.add_url_rule("/", "index", site.index)
    app.add_url_rule("/tours/<tour_id>/", "tour", site.tour)
    app.add_url_rule("/tours/<tour_id>/<step_id>", "step", site.step)
    app.add_url_rule("/probe", "probe", site.probe_page)
    app.add_url_rule("/probe/stream", "probe_stream", site.probe_stream)
    app.add_url_rule("/probe/run", "probe_run", site.probe_run)
    app.add_url_rule("/search", "search", site.search_page)
    app.add_url_rule("/search-index.json", "search_index", site.search_index_json)
    app.add_url_rule("/healthz", "healthz", site.healthz)
    app.add_url_rule("/favicon.ico", "favicon", site.favicon)
    app.add_url_rule(
        "/static/highlight.css", "highlight_css", site.highlight_stylesheet
    )
    app.after_request(site.add_security_headers)
    app.register_error_handler(HTTPException, site.http_error)
    app.register_error_handler(ContentError, site.content_error)
    app.register_error_handler(SymbolError, site.content_error)
    return app
