"""Load tours: one markdown file per tour into `Tour` and `Step` values.

A tour file is CommonMark with `+++` TOML front matter, a `## ` heading per step and a
```` ```step ```` TOML block right after each heading (see content/README.md). This is a
pure parser over text read at its edge (`load_tour`); it does not import the symbols
the steps name, which is `source.py`'s job, so a broken symbol never hides a tour.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from markdown_it import MarkdownIt
from markdown_it.token import Token

CONTENT_ENV_VAR = "WALKTHROUGH_CONTENT"
DEFAULT_CONTENT_DIR = "content"
FRONT_MATTER_FENCE = "+++"
STEP_INFO = "step"
# Files in a content directory that describe the format instead of being a tour.
SKIPPED_FILE_NAMES = frozenset({"readme.md"})
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
# `module` (a whole module) or `module:Qual.name`; dotted parts are identifiers, and
# a function's nested code is named as Python names it: `outer.<locals>.inner`.
SYMBOL_RE = re.compile(
    r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*(\.(<locals>\.)?[A-Za-z_]\w*)*)?"
)
TOML_POSITION_RE = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)")
TOUR_KEYS = ("id", "order", "requires", "summary", "title")
# A required package is named as it is imported (`flask`), one dotted name each.
IMPORT_NAME_RE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
STEP_KEYS = ("also", "chain", "counterpart", "focus", "id", "phase", "symbol")


class ContentError(Exception):
    """Report a malformed tour file at the line an author should fix."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        super().__init__(path, line, message)
        self.path = path
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Step:
    """One stop of a tour: the code it shows, what to emphasise, and its prose."""

    id: str
    title: str
    symbol: str
    focus: tuple[str, ...]
    chain: str | None
    prose_markdown: str
    line: int
    prose_line: int
    also: tuple[str, ...] = ()
    phase: str | None = None
    # The Flask or Werkzeug code this step mirrors, as `module:qualname`.
    counterpart: str | None = None
    # In a translated edition: "missing" or "stale" when the English is shown.
    untranslated: str | None = None


@dataclass(frozen=True)
class Tour:
    """An ordered walk through the chain, loaded from one markdown file."""

    id: str
    title: str
    summary: str
    order: int
    steps: tuple[Step, ...]
    path: Path
    intro_markdown: str = ""
    intro_line: int = 1
    requires: tuple[str, ...] = ()
    # In a translated edition: "missing" or "stale" when the English is shown.
    intro_untranslated: str | None = None

    def step(self, step_id: str) -> Step | None:
        """Find a step by id, so callers need not scan `steps` themselves."""
        return next((step for step in self.steps if step.id == step_id), None)

    def phases(self) -> list[Phase]:
        """Group the steps into phases: a step's `phase` opens a new one.

        Steps before the first `phase` (or in a tour without any) form one
        untitled group, so a short tour reads as a plain list.
        """
        groups: list[Phase] = []
        for position, step in enumerate(self.steps, start=1):
            if not groups or step.phase is not None:
                groups.append(Phase(step.phase, position, []))
            groups[-1].steps.append(step)
        return groups

    def phase_of(self, step: Step) -> Phase | None:
        """Return the titled phase a step belongs to, or None."""
        for phase in self.phases():
            if step in phase.steps and phase.title is not None:
                return phase
        return None


@dataclass(frozen=True)
class Phase:
    """A run of steps under one title: where in a long tour a step sits."""

    title: str | None
    first_position: int
    steps: list[Step]


@dataclass(frozen=True)
class _Section:
    """The raw pieces of one `## ` section, before its step block is read."""

    title: str
    heading_line: int
    block: Token | None
    prose_start: int
    prose_end: int


def content_directory(argument: str | os.PathLike[str] | None = None) -> Path:
    """Pick the content directory: argument, else environment, else ./content.

    The CLI passes `--content`, then $WALKTHROUGH_CONTENT is tried, so nothing in
    the engine assumes the shipped tours.
    """
    chosen = argument or os.environ.get(CONTENT_ENV_VAR) or DEFAULT_CONTENT_DIR
    return Path(chosen)


def tour_files(directory: str | os.PathLike[str]) -> list[Path]:
    """List the tour files of a content directory, skipping its README."""
    directory = Path(directory)
    try:
        # scandir knows each entry's type without a stat per file: this runs
        # on every page request, to notice tours added or removed.
        with os.scandir(directory) as entries:
            names = [
                entry.name
                for entry in entries
                if entry.name.endswith(".md")
                and entry.name.lower() not in SKIPPED_FILE_NAMES
                and entry.is_file()
            ]
    except (FileNotFoundError, NotADirectoryError):
        raise ContentError(directory, None, "content directory not found") from None
    return [directory / name for name in sorted(names)]


def load_tours(directory: str | os.PathLike[str]) -> list[Tour]:
    """Load every tour in a directory, sorted by `order` then id."""
    tours = [load_tour(path) for path in tour_files(directory)]
    check_unique_tour_ids(tours)
    return sort_tours(tours)


def sort_tours(tours: list[Tour]) -> list[Tour]:
    """Order tours as the index page lists them: by `order`, then by id."""
    return sorted(tours, key=lambda tour: (tour.order, tour.id))


def check_unique_tour_ids(tours: list[Tour]) -> None:
    """Raise if two files claim one tour id, since links would be ambiguous."""
    seen: dict[str, Path] = {}
    for tour in sorted(tours, key=lambda tour: str(tour.path)):
        if tour.id in seen:
            message = f"duplicate tour id {tour.id!r} (also used by {seen[tour.id]})"
            raise ContentError(tour.path, 1, message)
        seen[tour.id] = tour.path


def load_tour(path: str | os.PathLike[str]) -> Tour:
    """Read one tour file and parse it; errors carry the file and line."""
    path = Path(path)
    return parse_tour(read_content_file(path, "tour file"), path)


def read_content_file(path: Path, what: str) -> str:
    """Read a tour or translation file's text, or say which file failed."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError(path, None, f"cannot read {what}: {error}") from None


def parse_tour(text: str, path: Path) -> Tour:
    """Parse a tour file's text into a `Tour` (pure: `path` only labels it)."""
    lines, front, sections, (intro, intro_line) = split_content(text, path, TOUR_KEYS)
    steps = [_parse_step(section, lines, path) for section in sections]
    _check_unique_step_ids(steps, path)
    return Tour(
        id=front.slug("id") if "id" in front.values else _file_slug(path),
        title=str(front.string("title", required=True)),
        summary=front.string("summary") or "",
        order=_tour_order(front),
        steps=tuple(steps),
        path=path,
        intro_markdown=intro,
        intro_line=intro_line,
        requires=_tour_requires(front),
    )


def split_content(
    text: str, path: Path, front_keys: tuple[str, ...]
) -> tuple[list[str], _Table, list[_Section], tuple[str, int]]:
    """Split a file into its lines, front matter, step sections and intro.

    Shared by tours and their translations, which have the same shape.
    """
    lines = text.split("\n")
    front_end = _front_matter_end(lines, path)
    front = _parse_toml(lines, (1, front_end), path, "front matter")
    front.reject_unknown_keys(front_keys)
    # Blank the front matter so markdown-it's line numbers are the file's.
    body = "\n".join([""] * (front_end + 1) + lines[front_end + 1 :])
    tokens = MarkdownIt("commonmark").parse(body)
    intro_end, sections = _split_sections(tokens, len(lines), path)
    return lines, front, sections, _text_between(lines, front_end + 1, intro_end)


@dataclass(frozen=True)
class _Table:
    """A TOML block's values and where it sits, so errors name the right line."""

    values: Mapping[str, Any]
    lines: list[str]
    span: tuple[int, int]
    path: Path
    what: str

    def fail(self, key: str | None, message: str) -> NoReturn:
        """Raise at the line that sets `key`, or at the block's opening fence."""
        raise ContentError(self.path, self.key_line(key), message)

    def key_line(self, key: str | None) -> int:
        """Return the 1-based line setting `key` in the block, or the fence's."""
        pattern = re.compile(rf"\s*[\"']?{re.escape(key or '')}[\"']?\s*=")
        for index in range(*self.span):
            if key is not None and pattern.match(self.lines[index]):
                return index + 1
        return self.span[0]

    def string(self, key: str, *, required: bool = False) -> str | None:
        """Return the string at `key`, raising if it is missing or not a string."""
        value = self.values.get(key)
        if value is None and required:
            self.fail(None, f"{self.what} has no {key!r}")
        if value is not None and not isinstance(value, str):
            self.fail(key, f"{key!r} must be a string, not {type(value).__name__}")
        return value

    def slug(self, key: str) -> str:
        """Return the string at `key` if it is a slug usable in a URL, else raise."""
        value = str(self.string(key, required=True))
        if not SLUG_RE.fullmatch(value):
            self.fail(key, f"{key} {value!r} is not a slug (use a-z, 0-9, '-' and '_')")
        return value

    def reject_unknown_keys(self, known: tuple[str, ...]) -> None:
        """Raise for a misspelt key, which TOML alone would silently accept."""
        for key in self.values:
            if key not in known:
                self.fail(key, f"unknown key {key!r} (known: {', '.join(known)})")


def _front_matter_end(lines: list[str], path: Path) -> int:
    """Find the index of the closing `+++` line of the front matter."""
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        message = "missing TOML front matter: the file must open with a '+++' line"
        raise ContentError(path, 1, message)
    for index in range(1, len(lines)):
        if lines[index].strip() == FRONT_MATTER_FENCE:
            return index
    message = "front matter opened on line 1 is never closed by '+++'"
    raise ContentError(path, 1, message)


def _parse_toml(
    lines: list[str], span: tuple[int, int], path: Path, what: str
) -> _Table:
    """Parse lines[span] as TOML; errors name the file's line number."""
    start, end = span
    try:
        values = tomllib.loads("\n".join(lines[start:end]) + "\n")
    except tomllib.TOMLDecodeError as error:
        position = TOML_POSITION_RE.search(str(error))
        line = max(start, end)
        if position and position.group(1):
            line = start + int(position.group(1))
        reason = TOML_POSITION_RE.sub("", str(error))
        raise ContentError(path, line, f"bad TOML in {what}: {reason}") from None
    return _Table(values, lines, span, path, what)


def _split_sections(
    tokens: list[Token], line_count: int, path: Path
) -> tuple[int, list[_Section]]:
    """Cut top-level blocks at each `## ` heading; return the intro's end too."""
    headings = [
        index
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag == "h2" and token.level == 0
    ]
    _reject_stray_step_blocks(tokens, headings, path)
    if not headings:
        return line_count, []
    ends = [_token_line(tokens[index]) for index in headings[1:]] + [line_count]
    pairs = zip(headings, ends, strict=True)
    sections = [_section_at(tokens, index, end) for index, end in pairs]
    return _token_line(tokens[headings[0]]), sections


def _section_at(tokens: list[Token], index: int, end: int) -> _Section:
    """Build the section whose heading is tokens[index], ending at `end`."""
    heading = tokens[index]
    block = tokens[index + 3] if index + 3 < len(tokens) else None
    if block is not None and not _is_step_block(block):
        block = None
    heading_line = _token_line(heading)
    prose_start = block.map[1] if block is not None and block.map else heading_line + 1
    title = _plain_text(tokens[index + 1])
    return _Section(title, heading_line + 1, block, prose_start, end)


def _reject_stray_step_blocks(
    tokens: list[Token], headings: list[int], path: Path
) -> None:
    """Raise for a step block that does not follow a `## ` heading directly."""
    allowed = {index + 3 for index in headings}
    for index, token in enumerate(tokens):
        if _is_step_block(token) and token.level == 0 and index not in allowed:
            message = "```step block is not right after a '## ' step heading"
            raise ContentError(path, _token_line(token) + 1, message)


def _is_step_block(token: Token) -> bool:
    """Tell whether a token is a fenced block whose info string is `step`."""
    return token.type == "fence" and token.info.strip().split(" ")[0] == STEP_INFO


def _token_line(token: Token) -> int:
    """Return the 0-based first line of a block token."""
    return token.map[0] if token.map else 0


def _plain_text(inline: Token) -> str:
    """Flatten a heading's inline markdown to the plain text of its title."""
    pieces = [
        " " if child.type in ("softbreak", "hardbreak") else child.content
        for child in inline.children or []
        if child.type in ("text", "code_inline", "softbreak", "hardbreak")
    ]
    return "".join(pieces).strip()


def _parse_step(section: _Section, lines: list[str], path: Path) -> Step:
    """Read a section's step block and prose into a `Step`."""
    table, prose, prose_line = _read_step_section(section, lines, path, STEP_KEYS)
    return Step(
        id=table.slug("id"),
        title=section.title,
        symbol=_step_symbol(table),
        focus=_string_list(table, "focus"),
        chain=table.string("chain"),
        also=_string_list(table, "also"),
        phase=table.string("phase"),
        prose_markdown=prose,
        line=section.heading_line,
        prose_line=prose_line,
        counterpart=_step_counterpart(table),
    )


def _read_step_section(
    section: _Section, lines: list[str], path: Path, keys: tuple[str, ...]
) -> tuple[_Table, str, int]:
    """Read a step section's block (only ``keys`` allowed) and its prose.

    Returns the block's table, the prose and the prose's first line. A tour
    and its translation share this; each reads the keys it knows.
    """
    if section.block is None:
        message = f"step {section.title!r} has no ```step block right after its heading"
        raise ContentError(path, section.heading_line, message)
    span = _block_span(section.block, lines)
    table = _parse_toml(lines, span, path, f"step block of {section.title!r}")
    table.reject_unknown_keys(keys)
    prose, prose_line = _text_between(lines, section.prose_start, section.prose_end)
    return table, prose, prose_line


def _step_symbol(table: _Table) -> str:
    """Return the step's `module:qualname`, checking only its shape here."""
    symbol = str(table.string("symbol", required=True))
    if not SYMBOL_RE.fullmatch(symbol):
        table.fail("symbol", f"symbol {symbol!r} is not of the form 'module:qualname'")
    return symbol


def _step_counterpart(table: _Table) -> str | None:
    """Return the real Flask/Werkzeug code the step mirrors, shape checked.

    Like `symbol`, it is not imported here: Flask may not be installed, and
    `check` says so instead of failing the tour.
    """
    counterpart = table.string("counterpart")
    if counterpart is not None and not SYMBOL_RE.fullmatch(counterpart):
        message = f"counterpart {counterpart!r} is not of the form 'module:qualname'"
        table.fail("counterpart", message)
    return counterpart


def _string_list(table: _Table, key: str) -> tuple[str, ...]:
    """Return `focus` or `also` as a tuple, accepting one string or a list."""
    value = table.values.get(key, [])
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(
        isinstance(text, str) and text.strip() for text in texts
    ):
        table.fail(key, f"{key!r} must be a non-empty string or a list of them")
    return tuple(texts)


def _block_span(block: Token, lines: list[str]) -> tuple[int, int]:
    """Return the 0-based span [start, end) of a fenced block's body.

    The span leaves out both fences; a block left open runs to the end of the file.
    """
    start, end = block.map if block.map else (0, 0)
    start += 1
    closing = lines[end - 1].strip() if end > start else ""
    is_closed = closing.startswith(block.markup) and not closing.strip(block.markup)
    return start, end - 1 if is_closed else end


def _check_unique_step_ids(steps: list[Step], path: Path) -> None:
    """Raise at the second use of a step id, since its URL would be ambiguous."""
    seen: dict[str, int] = {}
    for step in steps:
        if step.id in seen:
            first = seen[step.id]
            message = f"duplicate step id {step.id!r} (first used on line {first})"
            raise ContentError(path, step.line, message)
        seen[step.id] = step.line


def _file_slug(path: Path) -> str:
    """Return the file name without `.md` as the tour id, if it is a slug."""
    if not SLUG_RE.fullmatch(path.stem):
        message = (
            f"file name {path.stem!r} is not a slug; add an 'id' to the front matter"
        )
        raise ContentError(path, 1, message)
    return path.stem


def _tour_order(front: _Table) -> int:
    """Return the tour's `order` (default 0), which sorts the index page."""
    order = front.values.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        front.fail("order", f"'order' must be an integer, not {type(order).__name__}")
    return int(order)


def _tour_requires(front: _Table) -> tuple[str, ...]:
    """Return the packages a tour's code needs (`requires`), as import names.

    A tour about an optional package (the real Flask) declares it, so the site can
    say how to install it instead of failing on the tour's symbols.
    """
    names = front.values.get("requires", [])
    if not isinstance(names, list) or not all(
        isinstance(name, str) and IMPORT_NAME_RE.fullmatch(name) for name in names
    ):
        front.fail("requires", "'requires' must be a list of importable module names")
    return tuple(names)


def _text_between(lines: list[str], start: int, end: int) -> tuple[str, int]:
    """Return lines[start:end] without blank edges, and its 1-based first line."""
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]), start + 1
