"""Search across tours: names, titles, the code shown and the prose.

Pure: tours (and a way to read a step's code) in, entries and matches out.
The server computes every entry's terms once; the browser gets the same
entries as JSON and runs `static/search.js`'s copy of `score`, a dozen lines
that must stay identical to this one, so the page and `/search?q=` (and an
export with no server) rank alike. A query word matches a whole term or the
start of one (`req` finds `request` and `teardown_request`, `g` never finds
"registries"); an exact name beats a word start, and a name or title beats
code, which beats prose. Every word must match somewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from markdown_it import MarkdownIt

from walkthrough.tour.content import Step, Tour

MAX_RESULTS = 50
SNIPPET_CHARS = 90
TEXT_TOKEN_TYPES = frozenset({"text", "code_inline"})
# A term: a run of anything but white space and ASCII punctuation other than
# `_`. The same pattern, character for character, is in search.js.
TERM_RE = re.compile(r"[^\s!-/:-@\[-^`{-~]+")
# Where a new word starts inside a term: after `_`, at a lower-to-upper step
# (`RequestContext`), or at the last capital of a run (`WSGIRequest`).
WORD_START_RE = re.compile(r"(?<=_)[^_]|(?<=[a-z0-9])[A-Z]|(?<=[A-Z])[A-Z](?=[a-z])")
# What one word earns in each field: an exact term, then a word start.
FIELD_WEIGHTS = {"names": (40, 12), "title": (30, 10), "code": (6, 3), "text": (2, 1)}

# How a result says why it matched (search.js uses the same words).
FIELD_LABELS = {
    "also": "Explains",
    "names": "Symbol",
    "code": "In the code:",
    "text": "In the text:",
}

CodeReader = Callable[[Step], Iterable[str]]


@dataclass(frozen=True)
class SearchEntry:
    """One step as search sees it: where it lives, what it says, its terms."""

    tour_id: str
    tour_title: str
    step_id: str
    title: str
    symbol: str
    text: str
    code: tuple[str, ...]
    also: tuple[str, ...]
    terms: dict[str, tuple[str, str]]

    def to_json(self) -> dict[str, Any]:
        """Return the entry as the JSON index holds it."""
        return asdict(self)


@dataclass(frozen=True)
class SearchHit:
    """A matching entry and the snippet that shows why it matched."""

    entry: SearchEntry
    field: str
    snippet: str


def fold(text: str) -> str:
    """Fold case as `String.prototype.toLowerCase` does in search.js."""
    return text.lower()


def split_terms(text: str) -> list[str]:
    """Return the terms of some text, case kept (identifiers stay whole)."""
    return TERM_RE.findall(text)


def query_words(query: str) -> list[str]:
    """Return a query's words, folded: `serving:make_server` is two words."""
    return [fold(term) for term in split_terms(query)]


def field_terms(text: str) -> tuple[str, str]:
    """Return a field's folded terms, and the word starts inside them.

    Each is one string, " term term ", so both scorers test a term with a
    substring search: `" req" in starts` is "some term starts with req".
    """
    exact: dict[str, None] = {}
    starts: dict[str, None] = {}
    for term in split_terms(text):
        exact[fold(term)] = None
        for match in WORD_START_RE.finditer(term):
            starts[fold(term[match.start() :])] = None
    inner = [start for start in starts if start not in exact]
    return f" {' '.join(exact)} ", f" {' '.join(inner)} "


def plain_text(markdown: str) -> str:
    """Return the words of some markdown, without its syntax or link targets."""
    blocks = []
    for block in MarkdownIt("commonmark").parse(markdown):
        pieces = [
            token.content if token.type in TEXT_TOKEN_TYPES else " "
            for token in block.children or []
            if token.type in TEXT_TOKEN_TYPES or token.type.endswith("break")
        ]
        blocks.append("".join(pieces))
    return " ".join(" ".join(blocks).split())


def make_entry(tour: Tour, step: Step, code: Iterable[str]) -> SearchEntry:
    """Build one step's entry: its fields as text, and their terms."""
    lines = tuple(line.strip() for line in code if line.strip())
    text = plain_text(step.prose_markdown)
    names = " ".join([step.symbol, *step.also])
    fields = {"names": names, "title": step.title, "code": "\n".join(lines)}
    fields["text"] = text
    terms = {field: field_terms(value) for field, value in fields.items()}
    return SearchEntry(
        tour.id, tour.title, step.id, step.title, step.symbol, text, lines,
        step.also, terms,
    )  # fmt: skip


def build_index(
    tours: Iterable[Tour], read_code: CodeReader | None = None
) -> list[SearchEntry]:
    """Make one entry per step of every tour, in tour order."""
    return [
        make_entry(tour, step, read_code(step) if read_code else ())
        for tour in tours
        for step in tour.steps
    ]


def word_score(terms: tuple[str, str], word: str, weights: tuple[int, int]) -> int:
    """Score one word in one field: a whole term, else a word's start, else 0.

    A one-character word must be a whole term: `g` is Flask's `g`, not every
    word that begins with a g.
    """
    exact, starts = terms
    if f" {word} " in exact:
        return weights[0]
    if len(word) > 1 and (f" {word}" in exact or f" {word}" in starts):
        return weights[1]
    return 0


def score(entry: SearchEntry, words: list[str]) -> int:
    """Rank an entry for the query's words; 0 means some word matched nowhere."""
    total = 0
    for word in words:
        best = max(
            word_score(entry.terms[field], word, weights)
            for field, weights in FIELD_WEIGHTS.items()
        )
        if not best:
            return 0
        total += best
    return total


def search(
    entries: Iterable[SearchEntry], query: str, *, limit: int = MAX_RESULTS
) -> list[SearchEntry]:
    """Return the entries matching every word of ``query``, best first."""
    words = query_words(query)
    if not words:
        return []
    scored = [
        (score(entry, words), index, entry) for index, entry in enumerate(entries)
    ]
    ranked = sorted(
        (item for item in scored if item[0]), key=lambda item: (-item[0], item[1])
    )
    return [entry for _, _, entry in ranked[:limit]]


def explain(entry: SearchEntry, query: str) -> SearchHit:
    """Say where the query's first word matched best, with a snippet around it."""
    words = query_words(query)
    word = words[0] if words else ""
    field = max(
        FIELD_WEIGHTS,
        key=lambda name: word_score(entry.terms[name], word, FIELD_WEIGHTS[name]),
    )
    if field == "names":
        alias = next((name for name in entry.also if word_at(name, word) >= 0), None)
        if alias is not None and word_at(entry.symbol, word) < 0:
            return SearchHit(entry, "also", alias)
        return SearchHit(entry, field, entry.symbol)
    if field == "code":
        line = next((line for line in entry.code if word_at(line, word) >= 0), "")
        return SearchHit(entry, field, line[:SNIPPET_CHARS])
    if field == "text":
        return SearchHit(entry, field, snippet(entry.text, word))
    return SearchHit(entry, field, entry.title)


def word_at(text: str, word: str) -> int:
    """Return where `word` starts a term or a word inside one in `text`, or -1."""
    starts = {match.start() for match in TERM_RE.finditer(text)}
    starts |= {match.start() for match in WORD_START_RE.finditer(text)}
    folded = fold(text)
    for start in sorted(starts):
        if folded.startswith(word, start):
            return start
    return -1


def snippet(text: str, word: str) -> str:
    """Return about SNIPPET_CHARS of `text` around the first word start."""
    if len(text) <= SNIPPET_CHARS:
        return text
    start = max(word_at(text, word), 0)
    begin = max(0, start - SNIPPET_CHARS // 3)
    end = begin + SNIPPET_CHARS
    prefix = "…" if begin else ""
    suffix = "…" if end < len(text) else ""
    return f"{prefix}{text[begin:end].strip()}{suffix}"
