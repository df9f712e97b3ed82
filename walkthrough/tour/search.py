"""Search across tours: step titles, symbols and prose, as plain text.

Pure: tours in, entries and matches out. The site serves the entries as a
JSON index (the browser filters it as you type) and also answers ``/search``
itself, so search works with scripts off. Ranking is deliberately simple:
every word must appear; a hit in the title beats one in the symbol, which
beats one in the prose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from markdown_it import MarkdownIt

from walkthrough.tour.content import Tour

MAX_RESULTS = 50
TEXT_TOKEN_TYPES = frozenset({"text", "code_inline"})


@dataclass(frozen=True)
class SearchEntry:
    """One step as search sees it: where it lives and what it says."""

    tour_id: str
    tour_title: str
    step_id: str
    title: str
    symbol: str
    text: str

    def to_json(self) -> dict[str, Any]:
        """Return the entry as the JSON index holds it."""
        return asdict(self)


def plain_text(markdown: str) -> str:
    """Return the words of some markdown, without its syntax or link targets."""
    words = []
    for block in MarkdownIt("commonmark").parse(markdown):
        for token in block.children or []:
            if token.type in TEXT_TOKEN_TYPES:
                words.append(token.content)
    return " ".join(" ".join(words).split())


def build_index(tours: Iterable[Tour]) -> list[SearchEntry]:
    """Make one entry per step of every tour, in tour order."""
    return [
        SearchEntry(
            tour.id,
            tour.title,
            step.id,
            step.title,
            step.symbol,
            plain_text(step.prose_markdown),
        )
        for tour in tours
        for step in tour.steps
    ]


def score(entry: SearchEntry, words: list[str]) -> int:
    """Rank an entry for the query's words; 0 means it does not match."""
    title, symbol, text = (
        entry.title.casefold(),
        entry.symbol.casefold(),
        entry.text.casefold(),
    )
    total = 0
    for word in words:
        if word in title:
            total += 100
        elif word in symbol:
            total += 10
        elif word in text:
            total += 1
        else:
            return 0
    return total


def search(
    entries: Iterable[SearchEntry], query: str, *, limit: int = MAX_RESULTS
) -> list[SearchEntry]:
    """Return the entries holding every word of ``query``, best first."""
    words = query.casefold().split()
    if not words:
        return []
    scored = [
        (score(entry, words), index, entry) for index, entry in enumerate(entries)
    ]
    ranked = sorted(
        (item for item in scored if item[0]), key=lambda item: (-item[0], item[1])
    )
    return [entry for _, _, entry in ranked[:limit]]
