"""The walkthrough site: tours and the chain picture, on our own framework.

``create_app`` wires ``Pages`` (tours, templates, rendering) to an ``App``
(routes, errors, static files). The views are methods of ``Site``, so state
lives on one object rather than in module globals, and each view has a name a
tour can show. Links come from a link style (``walkthrough.links``): under the
script root when served, so the site works under a sub-path, and relative
files when ``walkthrough export`` writes the same pages to a folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import partial

from walkthrough.framework.app import App
from walkthrough.framework.ctx import has_request_context
from walkthrough.framework.exceptions import HTTPException, NotFound
from walkthrough.framework.globals import request
from walkthrough.framework.helpers import jsonify
from walkthrough.framework.wrappers import Response
from walkthrough.framing import refused_framer
from walkthrough.i18n import DEFAULT_LANGUAGE, Language
from walkthrough.links import (
    RECHECK_SECONDS,
    AssetFingerprints,
    EditionLinks,
    ServedLinks,
)
from walkthrough.live import (
    DEFAULT_MAX_PROBES,
    ProbeLimiter,
    ProbeStream,
    ProbeTargets,
    make_probe,
    parse_probe_request,
    run_to_document,
)
from walkthrough.pagecache import PageCache, RenderedPage
from walkthrough.pages import Pages, content_dir_for, make_editions
from walkthrough.probe.runner import Probe
from walkthrough.probe.targets import ProbeTarget
from walkthrough.resources import shipped_path
from walkthrough.tour.content import ContentError, Tour
from walkthrough.tour.render import (
    RenderedStep,
    TourLibrary,
    TourLookupError,
    TourUnavailableError,
)
from walkthrough.tour.source import SymbolError

__all__ = ["Site", "content_dir_for", "create_app", "frame_ancestors_for"]

HTML = "text/html; charset=utf-8"
CSS = "text/css; charset=utf-8"
EVENT_STREAM = "text/event-stream; charset=utf-8"
MAX_QUERY_CHARS = 200
# The request headers that can make a page's 200 a 304 (RFC 9110 §13.1).
VALIDATOR_KEYS = frozenset({"HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE"})
# For an asset whose URL carries its content's fingerprint (``?v=``).
IMMUTABLE = "public, max-age=31536000, immutable"
FRAME_ANCESTORS_ENV_VAR = "WALKTHROUGH_FRAME_ANCESTORS"
DEFAULT_FRAME_ANCESTORS = "'self'"
# No inline script, style or handler anywhere, so the policy can forbid them;
# frame-ancestors says who may embed the site (a team may allow its wiki).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors {frame_ancestors}"
)

# The refused-frame page: the site's usual policy, but any page may frame it.
REFUSAL_POLICY = CONTENT_SECURITY_POLICY.format(frame_ancestors="*")


class TourNotInstalled(NotFound):
    """Answer a tour that needs a package this installation lacks.

    404, not 500 or 503: the page does not exist in this installation, and
    will not appear by waiting; the description says what to install.
    """

    headline = "This tour needs a package that is not installed"


class Site:
    """Serve the pages under the script root; each public method is a view.

    ``Pages`` makes a page from its inputs and a link style; the views add
    what belongs to HTTP: the cache, ETags, headers and the live probe.
    """

    def __init__(
        self,
        pages: Pages | dict[str, Pages],
        limiter: ProbeLimiter,
        targets: ProbeTargets,
    ) -> None:
        self.editions = pages if isinstance(pages, dict) else {"en": pages}
        # A page served from memory looks at the tour files once a second at most.
        for edition in self.editions.values():
            edition.library.recheck_seconds = RECHECK_SECONDS
        self.limiter = limiter
        self.targets = targets
        self.frame_ancestors = DEFAULT_FRAME_ANCESTORS
        self.policy = ("", "")
        self.cache = PageCache()
        self.assets = AssetFingerprints(shipped_path("static"))
        english = self.editions[DEFAULT_LANGUAGE]
        self.assets.add_generated("highlight.css", english.highlight_css)
        self.served_links = ServedLinks(self.assets)

    @property
    def pages(self) -> Pages:
        """The edition this request is in: its path's language, else English."""
        return self.editions[self.language_code()]

    @property
    def library(self) -> TourLibrary:
        """The tours of this request's edition."""
        return self.pages.library

    @property
    def links(self) -> EditionLinks:
        """Links inside this request's edition, and to its twin in the others."""
        code = self.language_code()
        return EditionLinks(
            self.served_links,
            self.editions[code].language.prefix,
            alternates=self.alternates(code),
        )

    def language_code(self) -> str:
        """Read the edition from the path: ``/zh/…`` is Chinese, the rest English.

        Outside a request (a test or a shell holding the site), English.
        """
        if not has_request_context():
            return DEFAULT_LANGUAGE
        first = request.path.lstrip("/").split("/", 1)[0]
        if first != DEFAULT_LANGUAGE and first in self.editions:
            return first
        return DEFAULT_LANGUAGE

    def alternates(self, code: str) -> tuple[tuple[Language, str], ...]:
        """Return this very page in every other language, as (language, URL).

        The query is kept where it names what the page shows (a search, a
        probe's choices); cached pages are keyed without it, so they drop it.
        A path no route matched (a 404) has no twin: its switch goes home.
        """
        path = request.path
        if request.url_rule is None:
            path = "/" if code == DEFAULT_LANGUAGE else f"/{code}/"
        if code != DEFAULT_LANGUAGE:
            path = path.removeprefix(f"/{code}") or "/"
        query = request.query_string.decode("latin-1")
        endpoint = (request.endpoint or "").rpartition(".")[2]
        suffix = f"?{query}" if query and endpoint in ("search", "probe") else ""
        root = request.script_root
        return tuple(
            (
                pages.language,
                f"{root}{'' if other == DEFAULT_LANGUAGE else '/' + other}"
                f"{path}{suffix}",
            )
            for other, pages in self.editions.items()
            if other != code
        )

    def html_response(self, page: RenderedPage, status: int = 200) -> Response:
        """Answer with a rendered page; a fresh client copy gets a bare 304.

        Only a request that carries a validator can be answered 304, so the
        others skip parsing the validators: most page views have none.
        """
        response = Response(page.body, status, content_type=HTML)
        if status == 200:
            response.headers.set("ETag", page.etag)
            environ = request.environ
            if any(key in environ for key in VALIDATOR_KEYS):
                response.make_conditional(request)
        return response

    def cached_page(
        self, key: tuple[str, ...], inputs: tuple[object, ...], render: Callable
    ) -> Response:
        """Answer with a page kept per script root until an input changes.

        The assets' fingerprints count as inputs: an edited stylesheet must
        reach the page's links, or browsers would keep the old one a year.
        """
        full_key = (request.script_root, self.language_code(), *key)
        inputs = (*inputs, *self.links.asset_versions())
        return self.html_response(self.cache.get_or_render(full_key, inputs, render))

    def index(self) -> Response:
        """Show every tour and the picture of the whole chain.

        A tour that needs a missing package is listed with how to install it.
        """
        tours = tuple(self.library.tours())
        unavailable = tuple(self.library.unavailable_tours())
        render = partial(
            self.pages.render_index, tours, self.links, unavailable=unavailable
        )
        inputs = (*tours, *(missing.tour for missing in unavailable))
        return self.cached_page(("index",), inputs, render)

    def tour(self, tour_id: str, *, embedded: bool = False) -> Response:
        """Show a tour's introduction and its list of steps."""
        tour = self.find_tour(tour_id)
        tours = tuple(self.library.tours())
        render = partial(
            self.pages.render_tour, tour, tours, self.links, embedded=embedded
        )
        key = ("tour", tour_id, str(embedded))
        return self.cached_page(key, tours, render)

    def step(self, tour_id: str, step_id: str, *, embedded: bool = False) -> Response:
        """Show one step: its prose beside the live, highlighted source."""
        tours, rendered = self.find_step(tour_id, step_id)
        render = partial(
            self.pages.render_step, rendered, tours, self.links, embedded=embedded
        )
        key = ("step", tour_id, step_id, str(embedded))
        return self.cached_page(key, (rendered, *tours), render)

    def embed_tour(self, tour_id: str) -> Response:
        """Show a tour without the site's header, for a wiki's iframe."""
        refusal = self.frame_refusal(self.links.url_for("tour", tour_id=tour_id))
        return refusal or self.tour(tour_id, embedded=True)

    def embed_step(self, tour_id: str, step_id: str) -> Response:
        """Show a step without the site's header, for a wiki's iframe.

        Links between steps are relative, so a reader who moves on inside
        the frame stays in the frameless view.
        """
        full_url = self.links.url_for("step", tour_id=tour_id, step_id=step_id)
        refusal = self.frame_refusal(full_url)
        return refusal or self.step(tour_id, step_id, embedded=True)

    def frame_refusal(self, full_url: str) -> Response | None:
        """Explain, inside the frame, that its page may not frame the site.

        The browser would refuse the frame and show a grey error; this page
        may be framed anywhere (it shows no content of the site, only a link
        out), so the wiki's reader learns why and its editor how to fix it.
        """
        headers = {
            name: request.headers.get(name, "")
            for name in ("sec-fetch-dest", "referer")
        }
        self_origin = f"{request.scheme}://{request.host}"
        framer = refused_framer(headers, self.frame_ancestors, self_origin)
        if framer is None:
            return None
        page = self.pages.render_frame_refused(
            self.links, framer=framer, allowed=self.frame_ancestors, full_url=full_url
        )
        response = Response(page.body, 200, content_type=HTML)
        response.headers.set("Content-Security-Policy", REFUSAL_POLICY)
        response.headers.set("Cache-Control", "no-store")
        return response

    def find_tour(self, tour_id: str) -> Tour:
        """Return the tour or raise 404 naming it (or what it needs installed)."""
        try:
            return self.library.tour(tour_id)
        except TourUnavailableError as error:
            raise TourNotInstalled(
                self.pages.language.gettext(error.unavailable.hint)
            ) from None
        except TourLookupError:
            message = self.pages.language.gettext(
                "There is no tour called {tour}.", tour=repr(tour_id)
            )
            raise NotFound(message) from None

    def find_step(
        self, tour_id: str, step_id: str
    ) -> tuple[tuple[Tour, ...], RenderedStep]:
        """Return every tour and the rendered step, or raise 404 naming it."""
        try:
            tours, rendered = self.library.tours_and_step(tour_id, step_id)
        except TourUnavailableError as error:
            raise TourNotInstalled(
                self.pages.language.gettext(error.unavailable.hint)
            ) from None
        except TourLookupError:
            message = self.pages.language.gettext(
                "There is no step {step} in tour {tour}.",
                step=repr(step_id),
                tour=repr(tour_id),
            )
            raise NotFound(message) from None
        return tuple(tours), rendered

    def search_page(self) -> Response:
        """Answer ``/search?q=`` on the server, so search works without scripts."""
        query = request.args.get("q", "")[:MAX_QUERY_CHARS]
        return self.html_response(self.pages.render_search(query, self.links))

    def search_index_json(self) -> Response:
        """Serve every step as plain text, for search as you type.

        Its characters are written as they are, not as the ``\\uXXXX``
        escapes ``jsonify`` writes (as Flask's does): the Chinese index is a
        third smaller.
        """
        entries = [entry.to_json() for entry in self.pages.current_index()]
        body = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
        response = Response(body, mimetype="application/json")
        response.add_etag()
        return response.make_conditional(request)

    def glossary(self) -> Response:
        """Show every glossary term with its definition and the steps using it."""
        tours = tuple(self.library.tours())
        render = partial(self.pages.render_glossary, tours, self.links)
        return self.cached_page(("glossary",), tours, render)

    def probe_page(self) -> Response:
        """Show the probe: apps and scenarios to run, and the chains they light."""
        choices = self.targets.choices()
        return self.html_response(self.pages.render_probe(self.links, choices))

    def probe_stream(self) -> Response:
        """Stream one probe's stages as Server-Sent Events while it runs.

        A browser's automatic reconnect (it sends Last-Event-ID) gets 204:
        the run it saw has finished, and a rerun would surprise the reader.
        """
        if "Last-Event-ID" in request.headers:
            return Response(status=204)
        try:
            probe = self.take_probe_slot()
        except HTTPException as error:
            return probe_error(error)
        stream = ProbeStream(probe, self.limiter, self.probe_language())
        response = Response(stream, content_type=EVENT_STREAM)
        response.headers.set("Cache-Control", "no-cache")
        response.headers.set("X-Accel-Buffering", "no")
        return response

    def probe_run(self) -> Response:
        """Run one probe to the end and answer all of it as one JSON document."""
        try:
            probe = self.take_probe_slot()
        except HTTPException as error:
            return probe_error(error)
        try:
            document = run_to_document(probe, self.probe_language())
        finally:
            self.limiter.release()
        return jsonify(document)

    def take_probe_slot(self) -> Probe:
        """Check the query, pick the app, build its probe, then take a slot.

        Bad input is refused (400), an app not installed here too (503), and
        a probe beyond the limit (429), each before anything starts.
        """
        language = self.probe_language()
        probe_request = parse_probe_request(request.args, language)
        target = self.targets.find(probe_request.app, language)
        probe = make_probe(probe_request, self.library.tours(), target, language)
        self.limiter.acquire(language)
        return probe

    def probe_language(self) -> Language:
        """The language the probe's page asked for (``lang=``), else English.

        Both editions share ``/probe/stream`` and ``/probe/run``, so the
        page says which words it wants; an unknown code is not an error.
        """
        code = request.args.get("lang", DEFAULT_LANGUAGE)
        edition = self.editions.get(code, self.editions[DEFAULT_LANGUAGE])
        return edition.language

    def add_security_headers(self, response: Response) -> Response:
        """Send the policy headers with every response (an after_request hook).

        A response that set its own policy keeps it: only the page explaining
        a refused frame does, so that it may show inside that frame.
        """
        if "Content-Security-Policy" not in response.headers:
            response.headers.set("Content-Security-Policy", self.security_policy())
        response.headers.set("X-Content-Type-Options", "nosniff")
        response.headers.set("Referrer-Policy", "same-origin")
        return response

    def security_policy(self) -> str:
        """Return the CSP for the current ``frame_ancestors``, built once."""
        if self.policy[0] != self.frame_ancestors:
            policy = CONTENT_SECURITY_POLICY.format(
                frame_ancestors=self.frame_ancestors
            )
            self.policy = (self.frame_ancestors, policy)
        return self.policy[1]

    def cache_fingerprinted_assets(self, response: Response) -> Response:
        """Let browsers keep an asset for a year when its URL names its content.

        Only a ``?v=`` equal to the asset's fingerprint *now* earns it: a page
        rendered before an edit asks with the old one and gets ``no-cache``,
        so nobody is ever stuck with stale bytes under a long-lived URL.
        """
        filename = self.asset_filename()
        if filename and response.status_code in (200, 304):
            if self.assets.is_current(filename, request.args.get("v")):
                response.headers.set("Cache-Control", IMMUTABLE)
        return response

    def asset_filename(self) -> str | None:
        """Name the asset this request is for, or None if it is not one."""
        if request.endpoint == "highlight_css":
            return "highlight.css"
        if request.endpoint == "static" and request.view_args:
            return str(request.view_args["filename"])
        return None

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
        response = Response(self.pages.highlight_css, content_type=CSS)
        # As send_file does: only a current ``?v=`` may lift this to a year.
        response.headers.set("Cache-Control", "no-cache")
        response.add_etag()
        return response.make_conditional(request)

    def http_error(self, error: HTTPException) -> Response:
        """Render 404s and other HTTP errors as pages in the site's style.

        Routing redirects never get here: ``handle_http_exception`` sends
        them on untouched. The error's own headers (Allow, Retry-After) stay.
        """
        page = self.pages.render_error(error, self.links)
        response = self.html_response(page, error.code)
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers.set(name, value)
        return response

    def content_error(self, error: ContentError | SymbolError) -> Response:
        """Show an author exactly which tour line is broken, instead of a bare 500."""
        gettext = self.pages.language.gettext
        page = self.pages.render_page(
            "error.html",
            self.links,
            page_title=gettext("A tour is broken"),
            nav_tours=[],
            code=500,
            name=gettext("Content error"),
            headline=gettext("A tour could not be rendered"),
            description=gettext(
                "{error} — run `walkthrough check` for the full list.", error=error
            ),
        )
        return self.html_response(page, 500)


def probe_error(error: HTTPException) -> Response:
    """Refuse a probe as JSON, which the page and scripts read as they read runs.

    The shape is a run's ``error`` ending; the status and the error's own
    headers (``Retry-After`` on 429 and 503) stay as they are.
    """
    response = jsonify({"error": {"message": error.description}})
    response.status_code = error.code
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers.set(name, value)
    return response


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


def add_page_routes(app: App, site: Site, code: str) -> None:
    """Route one edition's pages: ``/zh/tours/…`` beside ``/tours/…``.

    Each edition's endpoints carry its code (``zh.step``), so ``url_for``
    and an export know which edition a link stays in.
    """
    root, prefix = (f"/{code}", f"{code}.") if code else ("", "")
    pages = (
        ("/", "index", site.index),
        ("/tours/<tour_id>/", "tour", site.tour),
        ("/tours/<tour_id>/<step_id>", "step", site.step),
        ("/embed/tours/<tour_id>/", "embed_tour", site.embed_tour),
        ("/embed/tours/<tour_id>/<step_id>", "embed_step", site.embed_step),
        ("/probe", "probe", site.probe_page),
        ("/glossary", "glossary", site.glossary),
        ("/search", "search", site.search_page),
        ("/search-index.json", "search_index", site.search_index_json),
    )
    for path, endpoint, view in pages:
        app.add_url_rule(root + path, prefix + endpoint, view)


def create_app(
    content_dir: str | os.PathLike[str] | None = None,
    *,
    max_probes: int = DEFAULT_MAX_PROBES,
    demo: bool = False,
    frame_ancestors: str | None = None,
    probe_app: ProbeTarget | None = None,
) -> App:
    """Build the site's App: routes, error pages, tours and the probe.

    ``probe_app`` is a reader's own app (``walkthrough serve --app``), which
    the probe then offers beside the specimen and its Flask twin.
    """
    editions = make_editions(content_dir, demo=demo)
    site = Site(editions, ProbeLimiter(max_probes), ProbeTargets(probe_app))
    site.frame_ancestors = frame_ancestors_for(frame_ancestors)
    app = App(__name__, static_folder=str(shipped_path("static")))
    for code in editions:
        add_page_routes(app, site, "" if code == DEFAULT_LANGUAGE else code)
    app.add_url_rule("/probe/stream", "probe_stream", site.probe_stream)
    app.add_url_rule("/probe/run", "probe_run", site.probe_run)
    app.add_url_rule("/healthz", "healthz", site.healthz)
    app.add_url_rule("/favicon.ico", "favicon", site.favicon)
    app.add_url_rule(
        "/static/highlight.css", "highlight_css", site.highlight_stylesheet
    )
    app.after_request(site.add_security_headers)
    app.after_request(site.cache_fingerprinted_assets)
    app.register_error_handler(HTTPException, site.http_error)
    app.register_error_handler(ContentError, site.content_error)
    app.register_error_handler(SymbolError, site.content_error)
    return app
