"""Share fixtures for the tour tests; make `tourfixture` importable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TOUR_TESTS = Path(__file__).resolve().parent

# Steps in the fixtures name `tourfixture.sample:...`, whatever pytest's import mode.
if str(TOUR_TESTS) not in sys.path:
    sys.path.insert(0, str(TOUR_TESTS))


@pytest.fixture
def fixtures_cwd(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in the fixtures directory, so faults print short relative paths."""
    fixtures = TOUR_TESTS / "fixtures"
    monkeypatch.chdir(fixtures)
    return fixtures
