"""Paths and small helpers shared by the tour engine's tests."""

from __future__ import annotations

from pathlib import Path

TOUR_TESTS = Path(__file__).resolve().parent.parent
FIXTURES = TOUR_TESTS / "fixtures"
SAMPLE_FILE = TOUR_TESTS / "tourfixture" / "sample.py"


def line_of(path: Path, text: str) -> int:
    """Return the 1-based number of the first line of `path` containing `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)
