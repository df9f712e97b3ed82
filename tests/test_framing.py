"""Tests for walkthrough/framing.py: a frame-ancestors list judging a framer."""

from __future__ import annotations

import subprocess
import sys

import pytest

from walkthrough.framing import is_framer_allowed, origin_of, refused_framer

SELF = "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://wiki.example.org/page?x=1", "https://wiki.example.org"),
        ("HTTPS://Wiki.Example.org:443/", "https://wiki.example.org"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("", None),
        ("not a url", None),
        ("http://[::1:bad/", None),
    ],
)
def test_origin_of(url: str, expected: str | None) -> None:
    assert origin_of(url) == expected


@pytest.mark.parametrize(
    ("sources", "origin", "allowed"),
    [
        ("'self'", SELF, True),
        ("'self'", "http://127.0.0.1:8080", False),
        ("'self' https://wiki.example.org", "https://wiki.example.org", True),
        ("'self' https://wiki.example.org", "http://wiki.example.org", False),
        ("https://*.example.org", "https://docs.example.org", True),
        ("https://*.example.org", "https://example.org.evil.test", False),
        ("https:", "https://anything.test", True),
        ("https:", "http://anything.test", False),
        ("wiki.example.org", "https://wiki.example.org", True),
        ("*", "http://anything.test", True),
        ("'none'", SELF, False),
    ],
)
def test_is_framer_allowed(sources: str, origin: str, allowed: bool) -> None:
    assert is_framer_allowed(sources, origin, SELF) is allowed


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        (
            {"sec-fetch-dest": "iframe", "referer": "http://wiki.test/p"},
            "http://wiki.test",
        ),
        ({"sec-fetch-dest": "iframe", "referer": SELF + "/x"}, None),  # allowed
        ({"sec-fetch-dest": "document", "referer": "http://wiki.test/"}, None),
        ({"sec-fetch-dest": "iframe", "referer": ""}, None),  # framer unknown
        ({}, None),
    ],
)
def test_refused_framer(headers: dict[str, str], refused: str | None) -> None:
    assert refused_framer(headers, "'self'", SELF) == refused


def test_serve_help_names_the_frame_ancestors_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "walkthrough", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "WALKTHROUGH_FRAME_ANCESTORS" in result.stdout
    assert "'self' https://wiki.example.org" in result.stdout
