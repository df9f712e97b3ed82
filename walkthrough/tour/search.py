"""Search across tours: names, titles, the code shown and the prose.

Pure: tours (and a way to read a step's code) in, entries and matches out.
The server computes every entry's terms once; the browser gets the same
entries as JSON and runs `static/search.js`'s copy of `score`, a dozen lines
that must stay identical to this one, so the page and `/search?q=` (and an
export with no server) rank alike. A query word matches a whole term or the
start of one (`req` finds `request` and `teardown_request`, `g` never finds
"registries"); an exact name beats a word start, and a name or title beats
code, which beats prose. Every word must match somewhere.

Chinese (and Japanese, Korean) is written without spaces, so a run of those
characters is cut into overlapping pairs, `请求上下文` into `请求 求上 上下
下文`, on both sides: the index holds each field's pairs as exact terms, and
a query's run becomes the same pairs, each one a word that must match. A
query of one character matches any character of a run. This is how CJK
search engines index text: it needs no dictionary, and a query finds any
text holding the same characters in the same order. Full-width letters,
digits and punctuation (`ｗｓｇｉ`, `，`) are read as their ASCII forms first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from markdown_it import MarkdownIt

from walkthrough.tour.content import Step, Tour

MAX_RESULTS = 50
SNIPPET_CHARS = 90
TEXT_TOKEN_TYPES = frozenset({"text", "code_inline"})
# A term: a run of anything but white space, ASCII punctuation other than `_`
# and CJK punctuation (`。`, `、`, `「`). The same pattern, character for
# character, is in search.js, as are the three below.
TERM_RE = re.compile(r"[^\s!-/:-@\[-^`{-~\u3000-\u303f]+")
# Characters written without spaces between words: CJK radicals, kana,
# bopomofo, the ideographs (with extensions and compatibility forms), Hangul.
CJK = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
# A term's pieces: runs of CJK characters, and runs of anything else.
CJK_PIECE_RE = re.compile(f"[{CJK}]+|[^{CJK}]+")
CJK_START_RE = re.compile(f"[{CJK}]")
# Full-width and half-width forms, which NFKC maps to ASCII (`Ａ`, `，`, `：`).
WIDE_FORM_RE = re.compile("[\uff01-\uffee]")
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


def narrow(text: str) -> str:
    """Map full-width forms to ASCII (NFKC), one character for one.

    Only those forms: NFKC on all text would also turn `…` into `...` and so
    change how English terms split. search.js narrows the same characters.
    """
    return WIDE_FORM_RE.sub(lambda match: unicodedata.normalize("NFKC", match[0]), text)


def fold(text: str) -> str:
    """Narrow, then fold case as `String.prototype.toLowerCase` does in search.js."""
    return narrow(text).lower()


def split_terms(text: str) -> list[str]:
    """Return the terms of some text, case kept (identifiers stay whole)."""
    return TERM_RE.findall(narrow(text))


def is_cjk(text: str) -> bool:
    """Say whether text starts with a character written without spaces."""
    return CJK_START_RE.match(text) is not None


def term_pieces(term: str) -> list[str]:
    """Split a term where CJK starts or ends: `wsgi_app的请求` is two pieces."""
    return CJK_PIECE_RE.findall(term)


def cjk_pairs(run: str) -> list[str]:
    """Cut a run of CJK characters into overlapping pairs; one stays one."""
    if len(run) < 2:
        return [run]
    return [run[at : at + 2] for at in range(len(run) - 1)]


def query_words(query: str) -> list[str]:
    """Return a query's words, folded: `serving:make_server` is two words.

    A CJK run gives its pairs, so `请求上下文` is four words that must all match.
    """
    words = []
    for term in split_terms(query):
        for piece in term_pieces(term):
            words.extend(cjk_pairs(piece) if is_cjk(piece) else [fold(piece)])
    return words


def field_terms(text: str) -> tuple[str, str]:
    """Return a field's folded terms, and the word starts inside them.

    Each is one string, " term term ", so both scorers test a term with a
    substring search: `" req" in starts` is "some term starts with req".
    """
    exact: dict[str, None] = {}
    starts: dict[str, None] = {}
    for term in split_terms(text):
        for piece in term_pieces(term):
            if is_cjk(piece):
                # Pairs are whole terms; every character starts one.
                exact.update(dict.fromkeys(cjk_pairs(piece)))
                starts.update(dict.fromkeys(piece))
                continue
            exact[fold(piece)] = None
            for match in WORD_START_RE.finditer(piece):
                starts[fold(piece[match.start() :])] = None
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
    """Make one entry per step of every tour, in tour order.

    Any language: a translated edition passes its own tours (titles and prose
    in that language, symbols and code as in English) and serves the result
    as its own index. Chinese needs no switch; its characters are cut into
    pairs wherever they appear.
    """
    return [
        make_entry(tour, step, read_code(step) if read_code else ())
        for tour in tours
        for step in tour.steps
    ]


def word_score(terms: tuple[str, str], word: str, weights: tuple[int, int]) -> int:
    """Score one word in one field: a whole term, else a word's start, else 0.

    A one-character word must be a whole term: `g` is Flask's `g`, not every
    word that begins with a g. A CJK character is a word of its own, so one
    alone matches any character of a run.
    """
    exact, starts = terms
    if f" {word} " in exact:
        return weights[0]
    may_start = len(word) > 1 or is_cjk(word)
    if may_start and (f" {word}" in exact or f" {word}" in starts):
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
    """Return where `word` starts a term or a word inside one in `text`, or -1.

    In CJK text every character may start a word.
    """
    if is_cjk(word):
        return fold(text).find(word)
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
