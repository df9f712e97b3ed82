"""Words a reader sees: never the project's internal names for its sources.

Readers meet the tours, the pages and, in every step, our source with its
docstrings and comments. None of them may say "seeds" (our name for the
Flask 1.x source-reading posts the project grew from) or "the style guide"
(our rules for writing code): a reader has never heard of either. Say
"Flask 1.x", "older Flask, as many source-reading posts quote it", or the
version instead.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import walkthrough
from walkthrough.resources import shipped_path
from walkthrough.site import create_app
from walkthrough.tour.content import load_tours
from walkthrough.tour.requirements import split_available

SOCKET_TIMEOUT_SECONDS = 5.0
INTERNAL_WORDS_RE = re.compile(r"\bseeds?\b|\bstyle[\s-]+guide\b", re.IGNORECASE)
PACKAGE_DIR = Path(walkthrough.__file__).resolve().parent


def internal_words(text: str) -> list[tuple[int, str]]:
    """Return (line number, word) for each internal word in ``text``."""
    return [
        (text.count("\n", 0, found.start()) + 1, found.group())
        for found in INTERNAL_WORDS_RE.finditer(text)
    ]


def reader_facing_files() -> list[Path]:
    """Return the tours, templates, static assets and every module of ours.

    A step page shows a module's source as it is on disk, docstrings and
    comments included, so the whole file is reader-facing.
    """
    files = [
        *shipped_path("content").rglob("*.md"),
        *shipped_path("templates").rglob("*"),
        *shipped_path("static").rglob("*"),
        *PACKAGE_DIR.rglob("*.py"),
    ]
    return sorted(
        path for path in files if path.is_file() and "__pycache__" not in path.parts
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("This tour follows the seeds' hello world.", ["seeds"]),
        ("One rule from the style guide runs through it.", ["style guide"]),
        ("The Seeds show it; one seed draws it.", ["Seeds", "seed"]),
        ("See the Style-Guide.", ["Style-Guide"]),
        ("Flask 1.x, as many source-reading posts quote it.", []),
        ("PYTHONHASHSEED and seedless grapes are fine.", []),
    ],
)
def test_the_check_finds_internal_words(text: str, found: list[str]) -> None:
    assert [word for _line, word in internal_words(text)] == found


def test_the_check_reads_every_kind_of_reader_facing_file() -> None:
    files = reader_facing_files()
    suffixes = {path.suffix for path in files}
    assert {".md", ".html", ".css", ".js", ".py"} <= suffixes
    assert PACKAGE_DIR / "framework" / "ctx.py" in files
    assert PACKAGE_DIR / "probe" / "specimen.py" in files


def test_no_reader_facing_file_uses_an_internal_word() -> None:
    faults = [
        f"{path}:{line}: {word!r}"
        for path in reader_facing_files()
        for line, word in internal_words(path.read_text(encoding="utf-8"))
    ]
    assert faults == [], "say 'Flask 1.x' or the version instead:\n" + "\n".join(faults)


@pytest.fixture(scope="module")
def site(live_server) -> Iterator[object]:
    """Serve the shipped tours on the real server for this module's tests."""
    with live_server(create_app()) as server:
        yield server


def page_text(server: object, path: str) -> str:
    """GET ``path`` from the running site and return its body, checking 200."""
    connection = http.client.HTTPConnection(
        server.host, server.port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200, path
    return body


def site_paths() -> list[str]:
    """Return the index and every tour and step page this process can show.

    A tour needing a package that is not installed (the Flask tour without
    Flask) has no step pages here; its words are read from the file instead.
    """
    tours, _unavailable = split_available(load_tours(shipped_path("content")))
    paths = ["/", "/search?q=context"]
    for tour in tours:
        paths.append(f"/tours/{tour.id}/")
        paths.extend(f"/tours/{tour.id}/{step.id}" for step in tour.steps)
    return paths


def test_no_page_of_the_site_uses_an_internal_word(site: object) -> None:
    paths = site_paths()
    assert len(paths) > 50
    faults = [
        f"{path}:{line}: {word!r}"
        for path in paths
        for line, word in internal_words(page_text(site, path))
    ]
    assert faults == []
