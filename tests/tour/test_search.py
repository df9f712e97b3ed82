"""Search over tours: plain text from markdown, ranking, and misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from walkthrough.tour.content import parse_tour
from walkthrough.tour.search import build_index, plain_text, search

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
