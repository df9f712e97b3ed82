"""The site's pages, rendered from tours, templates and a link style.

``Pages`` knows nothing of requests: it takes its inputs and a link style
(``walkthrough.links``) and returns finished bytes. The site's views serve
what it makes under the script root; ``walkthrough export`` writes the very
same pages to a folder, with links relative to each file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from jinja2 import Environment

from walkthrough.framework.exceptions import HTTPException
from walkthrough.links import PageLinks, link_functions, served_step_link
from walkthrough.live import ProbeTargets, TargetChoice, probe_page_context
from walkthrough.pagecache import RenderedPage, are_same_objects
from walkthrough.probe.specimen import SCENARIOS
from walkthrough.resources import shipped_path
from walkthrough.tour.chain import NARROW_BOXES_PER_ROW, layout_chain
from walkthrough.tour.content import Step, Tour
from walkthrough.tour.glossary import GLOSSARY, term_heading, term_slug
from walkthrough.tour.render import (
    RenderedStep,
    TourLibrary,
    glossary_uses,
    make_environment,
)
from walkthrough.tour.requirements import UnavailableTour
from walkthrough.tour.search import (
    FIELD_LABELS,
    MAX_RESULTS,
    SearchEntry,
    build_index,
    explain,
    search,
)
from walkthrough.tour.source import resolve_symbol, stylesheet

CONTENT_ENV_VAR = "WALKTHROUGH_CONTENT"
# The tour of the real Flask and Werkzeug, where counterparts are explained.
COUNTERPART_TOUR = "flask"


class CounterpartStep(NamedTuple):
    """A step on the other side of a counterpart, for a link to it."""

    tour_id: str
    tour_title: str
    step_id: str
    step_title: str = ""


def counterpart_step(
    counterpart: str | None, tours: tuple[Tour, ...]
) -> CounterpartStep | None:
    """Find the Flask tour's step whose symbol is this counterpart, if loaded."""
    tour = next((tour for tour in tours if tour.id == COUNTERPART_TOUR), None)
    if counterpart is None or tour is None:
        return None
    step = next((step for step in tour.steps if step.symbol == counterpart), None)
    return CounterpartStep(tour.id, tour.title, step.id) if step else None


def mirroring_steps(symbol: str, tours: tuple[Tour, ...]) -> list[CounterpartStep]:
    """Find our steps that name ``symbol`` as their counterpart.

    A step of the Flask tour links back to them, so a reader of the real code
    can see this project's version of it.
    """
    return [
        CounterpartStep(tour.id, tour.title, step.id, step.title)
        for tour in tours
        for step in tour.steps
        if step.counterpart == symbol
    ]


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


class Pages:
    """Render every kind of page the site has, for any link style."""

    def __init__(
        self, library: TourLibrary, environment: Environment, *, demo: bool = False
    ) -> None:
        self.library = library
        self.environment = environment
        self.demo = demo
        self.search_index: tuple[tuple[Tour, ...], list[SearchEntry]] = ((), [])
        self.highlight_css = highlight_stylesheet().encode("utf-8")

    def render_page(
        self, template: str, links: PageLinks, **context: object
    ) -> RenderedPage:
        """Render a template with the navigation every page shows."""
        context.setdefault("nav_current", "")
        context.setdefault("nav_tours", self.library.tours())
        context.setdefault("query", "")
        context.setdefault("demo", self.demo)
        context.setdefault("static_copy", None)
        context.setdefault("embedded", False)
        template_object = self.environment.get_template(template)
        return RenderedPage.from_html(
            template_object.render(**link_functions(links), **context)
        )

    def render_index(
        self,
        tours: tuple[Tour, ...],
        links: PageLinks,
        *,
        unavailable: tuple[UnavailableTour, ...] = (),
        **context: object,
    ) -> RenderedPage:
        """Render the index: the tours, their chain picture, and what is missing."""
        return self.render_page(
            "index.html",
            links,
            page_title="How a Python web framework really works",
            nav_current="tours",
            nav_tours=tours,
            tours=tours,
            chain=layout_chain(tours),
            narrow_chain=layout_chain(tours, per_row=NARROW_BOXES_PER_ROW),
            unavailable=unavailable,
            **context,
        )

    def render_tour(
        self,
        tour: Tour,
        tours: tuple[Tour, ...],
        links: PageLinks,
        *,
        embedded: bool = False,
        **context: object,
    ) -> RenderedPage:
        """Render a tour's page, or its frameless embed: introduction and steps."""
        return self.render_page(
            "embed_tour.html" if embedded else "tour.html",
            links,
            page_title=tour.title,
            nav_current=tour.id,
            nav_tours=tours,
            tour=tour,
            intro=self.library.render_intro(tour.id),
            embedded=embedded,
            **context,
        )

    def render_step(
        self,
        rendered: RenderedStep,
        tours: tuple[Tour, ...],
        links: PageLinks,
        *,
        embedded: bool = False,
        **context: object,
    ) -> RenderedPage:
        """Render a step's page, or its frameless embed, around its prose and code."""
        return self.render_page(
            "embed_step.html" if embedded else "step.html",
            links,
            page_title=f"{rendered.step.title} · {rendered.tour.title}",
            nav_current=rendered.tour.id,
            nav_tours=tours,
            tour=rendered.tour,
            rendered=rendered,
            next_tour=next_tour(tours, rendered.tour),
            embedded=embedded,
            counterpart_step=counterpart_step(rendered.step.counterpart, tours),
            mirrored_by=mirroring_steps(rendered.step.symbol, tours),
            **context,
        )

    def render_probe(
        self,
        links: PageLinks,
        choices: Sequence[TargetChoice] | None = None,
        **context: object,
    ) -> RenderedPage:
        """Render the probe page: apps and scenarios, and the chains they light.

        ``choices`` are the apps offered (by default this framework's
        specimen and its Flask twin, whichever can run here).
        """
        offered = ProbeTargets().choices() if choices is None else choices
        return self.render_page(
            "probe.html",
            links,
            page_title="Watch a real request",
            nav_current="probe",
            scenarios=SCENARIOS,
            **probe_page_context(offered, self.library.tours()),
            **context,
        )

    def render_search(
        self, query: str, links: PageLinks, **context: object
    ) -> RenderedPage:
        """Render the search page: the best steps that match ``query``, and how many.

        The list is capped; the count is not, so a reader learns that a query
        matched more than is shown and can narrow it.
        """
        index = self.current_index()
        found = search(index, query, limit=len(index))
        return self.render_page(
            "search.html",
            links,
            page_title=f"Search: {query}" if query else "Search",
            query=query,
            results=[explain(entry, query) for entry in found[:MAX_RESULTS]],
            search_labels=FIELD_LABELS,
            total=len(found),
            **context,
        )

    def render_glossary(
        self, tours: tuple[Tour, ...], links: PageLinks, **context: object
    ) -> RenderedPage:
        """Render the glossary: every term, its definition, the steps using it."""
        return self.render_page(
            "glossary.html",
            links,
            page_title="Glossary",
            nav_current="glossary",
            nav_tours=tours,
            entries=glossary_entries(tours),
            **context,
        )

    def render_frame_refused(self, links: PageLinks, **context: object) -> RenderedPage:
        """Render what a frame shows when its page may not frame the site."""
        return self.render_page(
            "frame_refused.html",
            links,
            page_title="This page may not show the walkthrough in a frame",
            embedded=True,
            **context,
        )

    def render_error(
        self, error: HTTPException, links: PageLinks, **context: object
    ) -> RenderedPage:
        """Render an HTTP error as a page in the site's style."""
        return self.render_page(
            "error.html",
            links,
            page_title=error.name,
            code=error.code,
            name=error.name,
            headline=getattr(error, "headline", None)
            or ERROR_HEADLINES.get(error.code, error.name),
            description=error.description,
            **context,
        )

    def current_index(self) -> list[SearchEntry]:
        """Return the search entries, rebuilt only when a tour changed."""
        tours = tuple(self.library.tours())
        known_tours, entries = self.search_index
        if not are_same_objects(known_tours, tours):
            entries = build_index(tours, read_step_code)
            self.search_index = (tours, entries)
        return entries


def next_tour(tours: tuple[Tour, ...], tour: Tour) -> Tour | None:
    """Return the tour after this one in the index's order, so a last step leads on."""
    ids = [other.id for other in tours]
    position = ids.index(tour.id) if tour.id in ids else len(ids)
    return tours[position + 1] if position + 1 < len(tours) else None


@dataclass(frozen=True)
class GlossaryEntry:
    """One term on the glossary page, with the steps whose prose uses it."""

    key: str
    slug: str
    heading: str
    definition: str
    steps: tuple[tuple[Tour, Step | None], ...]


def glossary_entries(tours: tuple[Tour, ...]) -> list[GlossaryEntry]:
    """List every glossary term, alphabetically, with the steps that use it.

    A term used in a tour's introduction lists the tour (its step is None).
    """
    uses: dict[str, list[tuple[Tour, Step | None]]] = {key: [] for key in GLOSSARY}
    for tour in tours:
        for key in glossary_uses(tour.intro_markdown):
            uses[key].append((tour, None))
        for step in tour.steps:
            for key in glossary_uses(step.prose_markdown):
                uses[key].append((tour, step))
    return [
        GlossaryEntry(
            key, term_slug(key), term_heading(key), GLOSSARY[key], tuple(uses[key])
        )
        for key in sorted(GLOSSARY)
    ]


def read_step_code(step: Step) -> tuple[str, ...]:
    """Return the source lines a step shows, so search finds what is on screen."""
    return resolve_symbol(step.symbol).lines


ERROR_HEADLINES = {
    404: "This page is not part of any tour",
    405: "That method is not allowed here",
}


def make_pages(
    content_dir: str | os.PathLike[str] | None = None,
    *,
    resolve_link: Callable[[str, str | None], str] = served_step_link,
    demo: bool = False,
) -> Pages:
    """Build the pages for the tours in ``content_dir`` (see content_dir_for)."""
    directory = content_dir_for(content_dir)
    library = TourLibrary(directory, resolve_link=resolve_link)
    environment = make_environment(
        [shipped_path("templates")], resolve_link=resolve_link
    )
    return Pages(library, environment, demo=demo)
