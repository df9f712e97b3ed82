"""Render tours to HTML: prose with markdown-it-py, code with `source.py`.

Prose is CommonMark with raw HTML off and an allow-list of link schemes; step links
(`#step`, `tour#step`, `tour`) go through a resolver the site passes in, so the engine
knows no URLs. `TourLibrary` is what the site holds: it reloads edited tour files and
caches highlighted steps until the tour or the source file changes.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import is_
from pathlib import Path
from types import CodeType
from typing import NamedTuple
from urllib.parse import unquote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markupsafe import Markup
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from walkthrough.tour.content import (
    SLUG_RE,
    ContentError,
    Step,
    Tour,
    check_unique_tour_ids,
    load_tour,
    sort_tours,
    tour_files,
)
from walkthrough.tour.counterpart import RenderedCounterpart, render_counterpart
from walkthrough.tour.glossary import GLOSSARY, lookup_term, term_slug
from walkthrough.tour.requirements import (
    UnavailableTour,
    installed_labels,
    installed_versions,
    split_available,
)
from walkthrough.tour.source import (
    THEMES,
    SourceCode,
    Stamp,
    StepRef,
    code_objects,
    file_stamp,
    focus_lines,
    highlight,
    missing_focus,
    resolve_symbol,
    source_file,
    source_origin,
    stylesheet,
)
from walkthrough.tour.translation import Translation, load_translation, merge_tour

# Turn (tour id, step id or None for the tour's own page) into a site URL.
LinkResolver = Callable[[str, str | None], str]

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "glossary"})
EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto"})
GLOSSARY_SCHEME = "glossary:"
EXTERNAL_REL = "noopener noreferrer"
# A folder stamp no real folder has: the first look always lists the folder.
NEVER_SEEN: Stamp = (-2, -2)
# Tours readable here, and those that need a package this installation lacks.
Split = tuple[list[Tour], list[UnavailableTour]]
_SCHEME_RE = re.compile(r"([^/?#]*):")
# A Python name that starts with an underscore: `__call__`, `_get_current_object`.
_UNDERSCORE_NAME_RE = re.compile(r"_+[A-Za-z0-9]\w*")
_STEP_LINK_RE = re.compile(
    rf"(?P<tour>{SLUG_RE.pattern})?(?:#(?P<step>{SLUG_RE.pattern}))?"
)


class TourLookupError(LookupError):
    """Say that a tour or step id names nothing, so the site can answer 404."""


class TourUnavailableError(TourLookupError):
    """Say that a tour exists but needs a package this installation lacks."""

    def __init__(self, unavailable: UnavailableTour) -> None:
        super().__init__(f"tour {unavailable.tour.id!r}: {unavailable.hint}")
        self.unavailable = unavailable


@dataclass(frozen=True)
class StepLink:
    """The target of an internal link; `tour_id` None means the current tour."""

    tour_id: str | None
    step_id: str | None


@dataclass(frozen=True)
class RenderedStep:
    """Everything a step page shows, rendered once and cached."""

    tour: Tour
    step: Step
    prose_html: Markup
    code_html: Markup
    emphasised: tuple[int, ...]
    missing_focus: tuple[str, ...]
    first_line: int
    last_line: int
    file: str
    display_file: str
    origin: str | None
    symbol: str
    qualname: str
    position: int
    previous_step: Step | None
    next_step: Step | None
    # The Flask or Werkzeug code the step mirrors, when it names one.
    counterpart: RenderedCounterpart | None = None


def parse_step_link(href: str) -> StepLink | None:
    """Read `#step`, `tour#step` or `tour` as a step link, else return None."""
    match = _STEP_LINK_RE.fullmatch(href)
    if not href or match is None:
        return None
    return StepLink(match.group("tour"), match.group("step"))


def link_scheme(url: str) -> str | None:
    """Return a URL's scheme in lower case, or None for a relative URL."""
    match = _SCHEME_RE.match(url.strip())
    return match.group(1).strip().lower() if match else None


def is_allowed_link(url: str) -> bool:
    """Allow relative URLs and safe schemes only: never javascript: or data:."""
    scheme = link_scheme(url)
    return scheme is None or scheme in ALLOWED_SCHEMES


def _highlight_fence(code: str, language: str, attributes: str) -> str:
    """Highlight a fenced block in prose, or return '' to let it be escaped."""
    try:
        lexer = get_lexer_by_name(language) if language else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""
    spans = pygments_highlight(code, lexer, HtmlFormatter(nowrap=True))
    return f'<pre class="highlight"><code>{spans}</code></pre>'


class ProseRenderer:
    """Render prose: safe links, step links resolved, glossary terms defined."""

    def __init__(
        self,
        resolve_link: LinkResolver | None = None,
        glossary: Mapping[str, str] = GLOSSARY,
    ) -> None:
        """Build the markdown-it parser once; it is reused for every render."""
        self._resolve_link = resolve_link
        self._glossary = glossary
        self.glossary = glossary
        self._markdown = make_markdown()
        self._markdown.options["highlight"] = _highlight_fence
        self._markdown.core.ruler.push("walkthrough_links", self._rewrite_links)

    def render(self, markdown: str, *, tour_id: str = "") -> str:
        """Render markdown to HTML; `tour_id` is the tour `#step` links stay in."""
        return self._markdown.render(markdown, {"tour_id": tour_id})

    def markup(self, markdown: str, tour_id: str = "") -> Markup:
        """Render markdown as `Markup`, which jinja2 inserts without escaping."""
        return Markup(self.render(markdown, tour_id=tour_id))

    def _rewrite_links(self, state: StateCore) -> None:
        """Rewrite every link in the parsed prose (a markdown-it core rule)."""
        tour_id = str(state.env.get("tour_id", ""))
        for block in state.tokens:
            closing_tag = "a"
            for token in block.children or []:
                if token.type == "link_open":
                    closing_tag = self._rewrite_link(token, tour_id)
                elif token.type == "link_close":
                    token.tag = closing_tag

    def _rewrite_link(self, token: Token, tour_id: str) -> str:
        """Rewrite one link token in place; return the tag its closing token needs."""
        href = str(token.attrGet("href") or "")
        if href.startswith(GLOSSARY_SCHEME):
            return self._define_term(token, href)
        link = parse_step_link(href)
        if link is not None and self._resolve_link is not None:
            target_tour = link.tour_id or tour_id
            if target_tour:
                token.attrSet("href", self._resolve_link(target_tour, link.step_id))
        if link_scheme(href) in EXTERNAL_SCHEMES or href.startswith("//"):
            token.attrSet("rel", EXTERNAL_REL)
        return "a"

    def _define_term(self, token: Token, href: str) -> str:
        """Turn a `glossary:` link into a focusable <dfn> carrying its definition."""
        term = href.removeprefix(GLOSSARY_SCHEME) or _link_text(token)
        found = lookup_term(unquote(term), self._glossary)
        if found is None:
            token.attrs = {"class": "term term-unknown"}
            return _retag(token, "span")
        key, definition = found
        # One popup (CSS, from data-definition), no `title` tooltip on top of
        # it; screen readers get the same words from the page's hidden list.
        token.attrs = {
            "class": "term",
            "tabindex": "0",
            "data-term": key,
            "data-definition": definition,
            "aria-describedby": f"term-{term_slug(key)}",
        }
        return _retag(token, "dfn")


def _retag(token: Token, tag: str) -> str:
    """Give a token a new HTML tag and return it, for its closing token."""
    token.tag = tag
    return tag


def _link_text(token: Token) -> str:
    """Return the text of the link a link_open token opens."""
    return str(token.meta.get("text", ""))


def make_markdown() -> MarkdownIt:
    """Return a CommonMark parser with raw HTML off and only safe link schemes."""
    markdown = MarkdownIt("commonmark", {"html": False})
    markdown.validateLink = is_allowed_link
    markdown.inline.ruler.before("emphasis", "python_name", _python_name)
    markdown.core.ruler.push("walkthrough_link_text", _remember_link_text)
    return markdown


def is_python_name(name: str, before: str) -> bool:
    """Tell whether `name`, after the character `before`, reads as Python.

    A dunder (`__call__`) or an attribute after a dot (`App._private_`) is a
    name in a tour about Python, never emphasis: CommonMark alone would show
    `App.__call__` as "App." and a bold "call".
    """
    is_dunder = len(name) > 4 and name.startswith("__") and name.endswith("__")
    return before == "." or is_dunder


def _python_name(state: StateInline, silent: bool) -> bool:
    """Read a Python name at an underscore as text (a markdown-it inline rule)."""
    position = state.pos
    before = state.src[position - 1] if position > 0 else " "
    match = _UNDERSCORE_NAME_RE.match(state.src, position)
    if match is None or before.isalnum() or before == "_":
        return False
    if not is_python_name(match.group(), before):
        return False
    if not silent:
        state.push("text", "", 0).content = match.group()
    state.pos = match.end()
    return True


def _remember_link_text(state: StateCore) -> None:
    """Store each link's text on its link_open token, for `[term](glossary:)`."""
    for block in state.tokens:
        opened: Token | None = None
        for token in block.children or []:
            if token.type == "link_open":
                opened, token.meta["text"] = token, ""
            elif token.type == "link_close":
                opened = None
            elif opened is not None and token.type in ("text", "code_inline"):
                opened.meta["text"] += token.content
            elif opened is not None and token.type in ("softbreak", "hardbreak"):
                # Link text wrapped across lines: `[app\ncontext](glossary:)`.
                opened.meta["text"] += " "


class LinkRef(NamedTuple):
    """A link found in prose: its 0-based line, target and text."""

    line: int
    href: str
    text: str


def find_links(markdown: str) -> list[LinkRef]:
    """Return every link markdown-it would render, with its line, for `check`."""
    found = []
    for block in make_markdown().parse(markdown):
        line = block.map[0] if block.map else 0
        for token in block.children or []:
            if token.type in ("softbreak", "hardbreak"):
                line += 1
            elif token.type == "link_open":
                href = str(token.attrGet("href") or "")
                found.append(LinkRef(line, href, _link_text(token)))
    return found


class EatenName(NamedTuple):
    """A name plain CommonMark would turn into emphasis: its 0-based line."""

    line: int
    name: str
    shown: str


def find_eaten_names(markdown: str) -> list[EatenName]:
    """Return Python names that plain CommonMark reads as emphasis, for `check`.

    The site's renderer keeps them literal, but a tour file is also read on
    GitHub and in editors, where `App.__call__` shows as "App.**call**".
    """
    found = []
    for block in MarkdownIt("commonmark").parse(markdown):
        line = block.map[0] if block.map else 0
        children = block.children or []
        for index, token in enumerate(children):
            if token.type in ("softbreak", "hardbreak"):
                line += 1
            eaten = _eaten_name(children, index)
            if eaten is not None:
                found.append(EatenName(line, *eaten))
    return found


def _eaten_name(children: list[Token], index: int) -> tuple[str, str] | None:
    """Return (name, as shown) if children[index] opens emphasis around a name."""
    token = children[index]
    if token.type not in ("em_open", "strong_open") or "_" not in token.markup:
        return None
    inner = children[index + 1] if index + 1 < len(children) else None
    if inner is None or inner.type != "text" or not inner.content.isidentifier():
        return None
    previous = children[index - 1].content if index and children[index - 1] else ""
    prefix = re.search(r"[\w.]*$", previous)
    before = prefix.group() if prefix else ""
    name = f"{token.markup}{inner.content}{token.markup}"
    if not is_python_name(name, before[-1:] or " "):
        return None
    stars = "*" * len(token.markup)
    return before + name, f"{before}{stars}{inner.content}{stars}"


def glossary_uses(markdown: str) -> list[str]:
    """Return the glossary keys a piece of prose links to, in order, once each."""
    keys: dict[str, None] = {}
    for link in find_links(markdown):
        if link.href.startswith(GLOSSARY_SCHEME):
            term = unquote(link.href.removeprefix(GLOSSARY_SCHEME)) or link.text
            found = lookup_term(term)
            if found is not None:
                keys[found[0]] = None
    return list(keys)


def make_environment(
    template_dirs: Iterable[str | os.PathLike[str]],
    *,
    resolve_link: LinkResolver | None = None,
) -> Environment:
    """Return the jinja2 environment for the site's pages, autoescaping all.

    Adds a `markdown` filter (`{{ text | markdown }}`, or `markdown(tour_id)`) and
    globals `stylesheet(theme)`, `themes` and `glossary`. Undefined names raise,
    so a template typo fails loudly instead of rendering blank.
    """
    environment = Environment(
        loader=FileSystemLoader([os.fspath(path) for path in template_dirs]),
        autoescape=select_autoescape(default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["markdown"] = ProseRenderer(resolve_link).markup
    environment.globals.update(stylesheet=stylesheet, themes=tuple(THEMES))
    environment.globals["glossary"] = GLOSSARY
    environment.filters["term_slug"] = term_slug
    environment.globals["installed_versions"] = installed_versions
    environment.globals["installed_labels"] = installed_labels
    return environment


class TourLibrary:
    """Serve tours and rendered steps, reloading whatever an author edits.

    Tour files are re-read when their (mtime_ns, size) changes; a rendered step is
    reused until its tour or its source file changes. One lock guards both caches,
    since the server answers requests on many threads.

    ``recheck_seconds`` bounds how often the disk is looked at: 0 (the default)
    looks on every call, so a one-shot command always sees the files as they
    are; the site passes a second, since a page served from memory would
    otherwise spend most of its time on a ``stat`` per file, and an author
    sees an edit on the next request made a second or more after the last look.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        resolve_link: LinkResolver | None = None,
        glossary: Mapping[str, str] = GLOSSARY,
        recheck_seconds: float = 0.0,
    ) -> None:
        """Remember where the tours live; nothing is read until first asked."""
        self.directory = Path(directory)
        self.recheck_seconds = recheck_seconds
        self.prose = ProseRenderer(resolve_link, glossary)
        self._lock = threading.Lock()
        self._loaded: dict[Path, tuple[Stamp, Tour]] = {}
        self._rendered: dict[tuple[str, str], tuple[Stamp, RenderedStep]] = {}
        self._listing: tuple[Stamp, list[Path]] = (NEVER_SEEN, [])
        self._sorted: tuple[list[Path], tuple[Stamp, ...], list[Tour]] = ([], (), [])
        # When the tour files were last found unchanged (time.monotonic()).
        self._looked_at = float("-inf")
        # Each source file's stamp and when it was taken, for `_is_fresh`.
        self._source_stamps: dict[str, tuple[float, Stamp]] = {}
        self._last_split: tuple[tuple[Tour, ...], Split] = ((), ([], []))

    def tours(self) -> list[Tour]:
        """Return every tour readable here, sorted, re-reading changed files.

        A tour whose required package is missing is left out, so the navigation,
        search, chain picture, probe and export all skip it alike.
        """
        return list(self._split(self._all_tours())[0])

    def unavailable_tours(self) -> list[UnavailableTour]:
        """Return the tours that need a package this installation lacks."""
        return list(self._split(self._all_tours())[1])

    def _split(self, tours: list[Tour]) -> Split:
        """Split tours into readable and unavailable, once per set of tours.

        Availability is decided once per process, so the split only changes
        when the tours do; reusing it spares every page a check per package.
        """
        known, split = self._last_split
        if len(known) != len(tours) or not all(map(is_, known, tours)):
            split = split_available(tours)
            self._last_split = (tuple(tours), split)
        return split

    def _all_tours(self) -> list[Tour]:
        """Return every tour, sorted, re-reading files that changed on disk."""
        tours = self._unchanged_tours()
        if tours is not None:
            return tours
        with self._lock:
            return self._refresh()

    def tour(self, tour_id: str) -> Tour:
        """Return one tour by id, or raise `TourLookupError`."""
        with self._lock:
            return self._find_tour(tour_id)

    def render_intro(self, tour_id: str) -> Markup:
        """Render a tour's introduction (the prose before its first step)."""
        tour = self.tour(tour_id)
        return self.prose.markup(tour.intro_markdown, tour.id)

    def tours_and_step(
        self, tour_id: str, step_id: str
    ) -> tuple[list[Tour], RenderedStep]:
        """Return every readable tour and one step, from one look at the disk.

        A step page needs both (the step, and the tours for its navigation):
        looking once halves the file checks a cached page costs.
        """
        tours = self._unchanged_tours()
        if tours is not None:
            readable = list(self._split(tours)[0])
            rendered = self._unchanged_step(readable, tour_id, step_id)
            if rendered is not None:
                return readable, rendered
        with self._lock:
            tours = self._refresh()
            tour = self._pick_tour(tours, tour_id)
            return list(self._split(tours)[0]), self._render_step(tour, step_id)

    def _unchanged_tours(self) -> list[Tour] | None:
        """Return the tours if no file changed since the last look, else None.

        Runs without the lock: a stat lets other threads run, and with the
        lock held across the stats, busy threads queued behind one another.
        Each cache is one tuple, replaced whole, so a read sees one version.
        """
        listing_stamp, paths = self._listing
        known_paths, known_stamps, tours = self._sorted
        now = time.monotonic()
        if paths is known_paths and now - self._looked_at < self.recheck_seconds:
            return list(tours)
        if paths is not known_paths or file_stamp(self.directory) != listing_stamp:
            return None
        if tuple(file_stamp(path) for path in paths) != known_stamps:
            return None
        self._looked_at = now
        return list(tours)

    def _unchanged_step(
        self, tours: list[Tour], tour_id: str, step_id: str
    ) -> RenderedStep | None:
        """Return the cached step if it is still fresh, else None (no lock)."""
        tour = next((tour for tour in tours if tour.id == tour_id), None)
        cached = self._rendered.get((tour_id, step_id))
        if tour is None or cached is None or not self._is_fresh(cached, tour):
            return None
        return cached[1]

    def render_step(self, tour_id: str, step_id: str) -> RenderedStep:
        """Return a step rendered to HTML, from the cache while nothing changed."""
        with self._lock:
            return self._render_step(self._find_tour(tour_id), step_id)

    def _render_step(self, tour: Tour, step_id: str) -> RenderedStep:
        """Render one step of a fresh tour, or reuse it; caller holds the lock."""
        step = tour.step(step_id)
        if step is None:
            raise TourLookupError(f"tour {tour.id!r} has no step {step_id!r}")
        cached = self._rendered.get((tour.id, step.id))
        if cached is not None and self._is_fresh(cached, tour):
            return cached[1]
        stamp, rendered = self._render(tour, step)
        self._rendered[(tour.id, step.id)] = (stamp, rendered)
        return rendered

    def code_objects(self) -> dict[CodeType, StepRef]:
        """Return the code objects the current tours name, for the probe to watch."""
        return code_objects(self.tours())

    def _refresh(self) -> list[Tour]:
        """Reload changed tour files, drop deleted ones; caller holds the lock.

        Runs whenever a look is due, so an unchanged folder costs one stat per
        file (and one for the folder), and gives back the tours sorted before.
        """
        looked_at = time.monotonic()
        paths = self._tour_paths()
        # Stamp before reading, so an edit during the read is seen next time.
        stamps = tuple(file_stamp(path) for path in paths)
        if paths is self._sorted[0] and stamps == self._sorted[1]:
            self._looked_at = looked_at
            return list(self._sorted[2])
        loaded: dict[Path, tuple[Stamp, Tour]] = {}
        for path, stamp in zip(paths, stamps, strict=True):
            known = self._loaded.get(path)
            loaded[path] = (
                known if known and known[0] == stamp else (stamp, load_tour(path))
            )
        tours = [tour for _, tour in loaded.values()]
        check_unique_tour_ids(tours)
        self._loaded = loaded
        self._sorted = (paths, stamps, sort_tours(tours))
        self._looked_at = looked_at
        return list(self._sorted[2])

    def _tour_paths(self) -> list[Path]:
        """List the tour files, reading the folder again only if it changed.

        Adding, removing or renaming a file changes the folder's own mtime,
        and a stat is ~40x cheaper than listing the folder (measured here).
        """
        stamp = file_stamp(self.directory)
        if stamp != self._listing[0]:
            self._listing = (stamp, tour_files(self.directory))
        return self._listing[1]

    def all_tours(self) -> list[Tour]:
        """Return every tour, available or not, re-reading changed files."""
        with self._lock:
            return self._refresh()

    def _find_tour(self, tour_id: str) -> Tour:
        """Return the tour with this id from fresh files; caller holds the lock."""
        return self._pick_tour(self._refresh(), tour_id)

    def _pick_tour(self, tours: list[Tour], tour_id: str) -> Tour:
        """Return the readable tour with this id, or raise saying why not."""
        tours, unavailable = self._split(tours)
        for tour in tours:
            if tour.id == tour_id:
                return tour
        for missing in unavailable:
            if missing.tour.id == tour_id:
                raise TourUnavailableError(missing)
        known = ", ".join(tour.id for tour in tours)
        raise TourLookupError(f"no tour {tour_id!r} (known: {known})")

    def _is_fresh(self, cached: tuple[Stamp, RenderedStep], tour: Tour) -> bool:
        """Tell whether a cached step still matches its tour and its source files."""
        stamp, rendered = cached
        counterpart = rendered.counterpart
        return (
            rendered.tour is tour
            and self._source_stamp(rendered.file, self.recheck_seconds) == stamp
            and (
                counterpart is None
                or not counterpart.file
                or self._source_stamp(counterpart.file, self.recheck_seconds)
                == counterpart.stamp
            )
        )

    def _source_stamp(self, path: str, looked_before: float) -> Stamp:
        """Return a source file's stamp, looking again if the last look is older.

        Many steps show the same file (Flask's ``app.py``): one look serves them
        all until ``looked_before`` seconds have passed.
        """
        now = time.monotonic()
        seen = self._source_stamps.get(path)
        if seen is not None and now - seen[0] < looked_before:
            return seen[1]
        stamp = file_stamp(path)
        self._source_stamps[path] = (now, stamp)
        return stamp

    def _render(self, tour: Tour, step: Step) -> tuple[Stamp, RenderedStep]:
        """Highlight a step's source and render its prose; stamp the source."""
        stamp = self._source_stamp(source_file(step.symbol), looked_before=0.0)
        source = resolve_symbol(step.symbol)
        emphasised = focus_lines(source, step.focus, strict=False)
        position = tour.steps.index(step)
        rendered = RenderedStep(
            tour=tour,
            step=step,
            prose_html=self.prose.markup(step.prose_markdown, tour.id),
            code_html=Markup(highlight(source, emphasised)),
            emphasised=tuple(emphasised),
            missing_focus=tuple(missing_focus(source, step.focus)),
            first_line=source.first_line,
            last_line=source.last_line,
            file=source.file,
            display_file=source.display_file,
            origin=source_origin(source.module, source.file),
            symbol=step.symbol,
            qualname=source.qualname,
            position=position + 1,
            previous_step=_neighbour(tour.steps, position - 1),
            next_step=_neighbour(tour.steps, position + 1),
            counterpart=_render_counterpart(step, source, emphasised),
        )
        return stamp, rendered


def _render_counterpart(
    step: Step, source: SourceCode, emphasised: list[int]
) -> RenderedCounterpart | None:
    """Render the Flask or Werkzeug code a step mirrors, if it names any."""
    if step.counterpart is None:
        return None
    return render_counterpart(step.counterpart, source, emphasised)


def _neighbour(steps: Sequence[Step], index: int) -> Step | None:
    """Return steps[index] if it exists, without Python's negative wrap-around."""
    return steps[index] if 0 <= index < len(steps) else None


class TranslatedLibrary(TourLibrary):
    """Serve the English tours in another language's words, part by part.

    The English library stays the source of every tour, step and symbol; this
    one lays the translation files of ``directory`` over it (`merge_tour`).
    A merged tour is reused while neither its English tour nor its
    translation changed, so pages cached by identity stay cached.
    """

    def __init__(
        self,
        english: TourLibrary,
        directory: str | os.PathLike[str],
        *,
        resolve_link: LinkResolver | None = None,
        glossary: Mapping[str, str] = GLOSSARY,
    ) -> None:
        super().__init__(
            english.directory, resolve_link=resolve_link, glossary=glossary
        )
        self.english = english
        self.translations = Path(directory)
        self._read: dict[Path, tuple[Stamp, Translation | None]] = {}
        self._merged: dict[str, tuple[Tour, Translation | None, Tour]] = {}

    def _unchanged_tours(self) -> list[Tour] | None:
        """Return the merged tours if nothing was looked at too long ago, else None.

        As the English library does: the translation files are stat'ed at most
        once per ``recheck_seconds`` (0 looks every time), and the merge is
        reused while the English tours are the very same objects.
        """
        english = self.english._unchanged_tours()
        if english is None:
            return None
        if time.monotonic() - self._looked_at >= self.recheck_seconds:
            return None
        merged = self._merged
        known = [merged.get(tour.id) for tour in english]
        if any(
            entry is None or entry[0] is not tour
            for entry, tour in zip(known, english, strict=True)
        ):
            return None
        return [entry[2] for entry in known if entry is not None]

    def _refresh(self) -> list[Tour]:
        """Merge fresh English tours with fresh translations; caller holds the lock."""
        merged = []
        for tour in self.english.all_tours():
            translation = self._translation(self.translations / tour.path.name)
            known = self._merged.get(tour.id)
            if known is None or known[0] is not tour or known[1] is not translation:
                known = (tour, translation, merge_tour(tour, translation))
                self._merged[tour.id] = known
            merged.append(known[2])
        self._looked_at = time.monotonic()
        return merged

    def _translation(self, path: Path) -> Translation | None:
        """Return a tour's translation, re-read when its file changed.

        A missing or unreadable file serves the English (with the notice);
        `walkthrough check` names what is wrong with it.
        """
        stamp = file_stamp(path)
        if stamp == (-1, -1):
            return None
        known = self._read.get(path)
        if known is None or known[0] != stamp:
            try:
                known = (stamp, load_translation(path))
            except ContentError:
                known = (stamp, None)
            self._read[path] = known
        return known[1]
