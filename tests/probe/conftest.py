"""Share the probe tests' fixtures; make ``probefixture`` importable.

The site is served once per module on the real server (127.0.0.1, port 0):
every probe is a real HTTP request to ``/probe/stream``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from walkthrough.site import create_app

PROBE_TESTS = Path(__file__).resolve().parent

# Fixture symbols live in `probefixture`, whatever pytest's import mode.
if str(PROBE_TESTS) not in sys.path:
    sys.path.insert(0, str(PROBE_TESTS))


@pytest.fixture(scope="module")
def site(live_server) -> Iterator:
    """Serve the shipped tours, with their probe, for this module's tests."""
    with live_server(create_app()) as server:
        yield server
