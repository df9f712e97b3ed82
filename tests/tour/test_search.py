"""Search over tours: plain text from markdown, ranking, and misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from walkthrough.tour.content import parse_tour
from walkthrough.tour.search import build_index, explain, plain_text, search

TOUR = """+++
title = "Serving"
+++

## Accept the connection

```step
id = "accept"
symbol = "socketserver:TCPServer.get_request"
```

The kernel hands over a socket; see [the loop](#loop).

## Loop over requests

```step
id = "loop"
symbol = "socketserver:BaseServer.serve_forever"
```

Each connection may carry several requests: `keep-alive`.
"""


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("plain words", "plain words"),
        ("**bold** and `code`", "bold and code"),
        ("[a link](https://example.invalid/x)", "a link"),
        ("line one\nline two", "line one line two"),
        ("- item\n- other", "item other"),
    ],
)
def test_plain_text_keeps_words_not_syntax(markdown: str, expected: str) -> None:
    assert plain_text(markdown) == expected


@pytest.mark.parametrize(
    ("query", "expected_ids"),
    [
        ("accept", ["accept"]),  # title
        ("serve_forever", ["loop"]),  # symbol
        ("keep-alive", ["loop"]),  # prose, inline code
        ("socket", ["accept", "loop"]),  # both symbols match: tour order breaks the tie
        ("SOCKET kernel", ["accept"]),  # every word, any case
        ("nothing-like-this", []),
        ("   ", []),
    ],
)
def test_search_finds_and_ranks(query: str, expected_ids: list[str]) -> None:
    entries = build_index([parse_tour(TOUR, Path("serving.md"))])
    assert [entry.step_id for entry in search(entries, query)] == expected_ids


CODE = {
    "accept": ["def get_request(self):", "    return self.socket.accept()"],
    "loop": [
        "def serve_forever(self, poll_interval=0.5):",
        "    self._handle_request_noblock()",
    ],
}
ALIASED = TOUR.replace(
    'symbol = "socketserver:BaseServer.serve_forever"\n',
    'symbol = "socketserver:BaseServer.serve_forever"\nalso = ["get_ident"]\n',
)


def code_index() -> list:
    """Index the fixture tour with made-up code lines, as the site reads real ones."""
    tour = parse_tour(ALIASED, Path("serving.md"))
    return build_index([tour], lambda step: CODE[step.id])


@pytest.mark.parametrize(
    ("query", "expected_ids"),
    [
        ("accept", ["accept"]),  # title and code
        ("noblock", ["loop"]),  # a word inside `_handle_request_noblock`
        ("handle_request", ["loop"]),  # a word start inside an identifier
        ("andle", []),  # never the inside of a word
        ("s", []),  # one letter must be a whole term
        ("get_ident", ["loop"]),  # an older name the step explains
        ("poll_interval", ["loop"]),
        ("Socket", ["accept", "loop"]),
    ],
)
def test_search_matches_code_names_and_word_starts(
    query: str, expected_ids: list[str]
) -> None:
    assert [entry.step_id for entry in search(code_index(), query)] == expected_ids


@pytest.mark.parametrize(
    ("query", "field", "snippet"),
    [
        ("noblock", "code", "self._handle_request_noblock()"),
        ("get_ident", "also", "get_ident"),
        ("serve_forever", "names", "socketserver:BaseServer.serve_forever"),
        ("keep", "text", "Each connection may carry several requests: keep-alive."),
        ("loop", "title", "Loop over requests"),
    ],
)
def test_explain_says_why_a_step_matched(query: str, field: str, snippet: str) -> None:
    entry = next(e for e in code_index() if e.step_id == "loop")
    hit = explain(entry, query)
    assert (hit.field, hit.snippet) == (field, snippet)


def test_one_letter_finds_the_whole_name_only() -> None:
    text = "Flask's `g` holds data for one request; registries are not g-related."
    tour = parse_tour(TOUR + "\n" + text + "\n", Path("serving.md"))
    entries = build_index([tour])
    assert [entry.step_id for entry in search(entries, "g")] == ["loop"]
    assert search(entries, "r") == []
