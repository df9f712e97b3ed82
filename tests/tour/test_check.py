"""Tests for walkthrough/tour/check.py: faults as `file:line: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from walkthrough.tour.check import Fault, check_content, main
from walkthrough.tour.glossary import GLOSSARY
from walkthrough.tour.source import resolve_symbol


def _handle_span() -> str:
    """Say where http.server's `handle` is; it varies by Python version."""
    source = resolve_symbol("http.server:BaseHTTPRequestHandler.handle")
    return f"http/server.py lines {source.first_line}-{source.last_line}"


KNOWN_TERMS = ", ".join(sorted(GLOSSARY))
# The faults of fixtures/broken, one per planted mistake, in file and line order.
BROKEN_FAULTS = [
    "broken/bad_counterpart.md:5: counterpart: class 'BaseHTTPRequestHandler' has "
    "no attribute 'handle_two_requests' (while resolving "
    "'http.server:BaseHTTPRequestHandler.handle_two_requests')",
    "broken/bad_counterpart.md:15: counterpart: cannot import module "
    "'tourfixture.broken_import': this module always fails to import (while "
    "resolving 'tourfixture.broken_import:handle')",
    "broken/bad_toml.md:9: bad TOML in step block of 'Step': Invalid value",
    "broken/broken_link.md:5: link '#nowhere' points to unknown step "
    "'nowhere' in tour 'broken_link'",
    "broken/broken_link.md:14: link 'unknown_symbol#missing' points to "
    "unknown step 'missing' in tour 'unknown_symbol'",
    "broken/broken_link.md:15: link 'no-such-tour#x' points to unknown tour "
    "'no-such-tour'",
    f"broken/broken_link.md:15: unknown glossary term 'flux-capacitor' "
    f"(known: {KNOWN_TERMS})",
    f"broken/broken_link.md:15: unknown glossary term 'warp' (known: {KNOWN_TERMS})",
    "broken/broken_link.md:16: link 'notes.md' is neither a step link "
    "('#step', 'tour#step', 'tour') nor an absolute URL",
    "broken/duplicate_step.md:12: duplicate step id 'same' (first used on line 5)",
    "broken/eaten_names.md:12: 'App.__call__' reads as emphasis in CommonMark "
    "(GitHub shows 'App.**call**'); write it as code: `App.__call__`",
    "broken/eaten_names.md:13: '__init__' reads as emphasis in CommonMark "
    "(GitHub shows '**init**'); write it as code: `__init__`",
    "broken/missing_block.md:5: step 'A heading with prose but no step "
    "block' has no ```step block right after its heading",
    "broken/missing_focus.md:5: focus text 'self.handle_two_requests()' not "
    "found in http.server:BaseHTTPRequestHandler.handle "
    f"({_handle_span()})",
    "broken/missing_front_matter.md:1: missing TOML front matter: the file "
    "must open with a '+++' line",
    "broken/no_steps.md:1: tour 'no_steps' has no steps (add a '## ' "
    "heading and a ```step block)",
    "broken/twin_b.md:1: duplicate tour id 'twin' (also used by broken/twin_a.md)",
    "broken/unknown_symbol.md:5: class 'BaseServer' has no attribute "
    "'serve_whenever' (while resolving "
    "'socketserver:BaseServer.serve_whenever')",
    "broken/unknown_symbol.md:14: cannot import module 'no_such_module_here': "
    "No module named 'no_such_module_here' (while resolving "
    "'no_such_module_here:run')",
]


def test_check_content_reports_every_planted_fault(fixtures_cwd: Path) -> None:
    faults = check_content(Path("broken"))
    assert [str(fault) for fault in faults] == BROKEN_FAULTS


def test_check_content_passes_good_tours(fixtures_cwd: Path) -> None:
    assert check_content("good") == []


@pytest.mark.parametrize(
    ("fault", "printed"),
    [
        (Fault(Path("a.md"), 3, "bad"), "a.md:3: bad"),
        (
            Fault(Path("content"), None, "content directory not found"),
            "content: content directory not found",
        ),
    ],
)
def test_fault_prints_like_a_compiler(fault: Fault, printed: str) -> None:
    assert str(fault) == printed


@pytest.mark.parametrize(
    ("argv", "status", "output"),
    [
        (["--content", "good"], 0, ["2 tours, 5 steps: ok"]),
        (["--content", "missing"], 1, ["missing: content directory not found"]),
        (["--content", "broken"], 1, BROKEN_FAULTS),
    ],
)
def test_main_prints_faults_or_a_summary(
    fixtures_cwd: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    status: int,
    output: list[str],
) -> None:
    assert main(argv) == status
    assert capsys.readouterr().out.splitlines() == output


def test_main_reads_the_directory_from_the_environment(
    fixtures_cwd: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WALKTHROUGH_CONTENT", "good")
    assert main([]) == 0
    assert capsys.readouterr().out == "2 tours, 5 steps: ok\n"
