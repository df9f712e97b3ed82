"""Fingerprints change with a step's English words, and only with them."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from walkthrough.tour.content import content_directory, load_tour
from walkthrough.tour.fingerprint import (
    FINGERPRINT_CHARS,
    intro_fingerprint,
    step_fingerprint,
    words_fingerprint,
)


def test_rewrapping_keeps_the_fingerprint():
    assert words_fingerprint("one two\nthree") == words_fingerprint("one  two three")


def test_a_changed_word_changes_it():
    assert words_fingerprint("one two") != words_fingerprint("one too")


@pytest.fixture
def content_dir():
    """The shipped tours."""
    return content_directory()


def test_title_and_prose_are_kept_apart():
    assert words_fingerprint("a b", "c") != words_fingerprint("a", "b c")


def test_a_step_is_fingerprinted_by_words_not_code(content_dir):
    tour = load_tour(content_dir / "request.md")
    step = tour.steps[0]
    moved = dataclasses.replace(step, symbol="x:y", focus=(), line=step.line + 9)
    reworded = dataclasses.replace(step, prose_markdown=step.prose_markdown + " More.")
    assert len(step_fingerprint(step)) == FINGERPRINT_CHARS
    assert step_fingerprint(moved) == step_fingerprint(step)
    assert step_fingerprint(reworded) != step_fingerprint(step)
    assert intro_fingerprint(tour) != intro_fingerprint(
        dataclasses.replace(tour, summary=tour.summary + "!")
    )


def test_the_command_prints_each_step_and_survives_a_closed_pipe(content_dir):
    command = [sys.executable, "-m", "walkthrough.tour.fingerprint"]
    listed = subprocess.run(
        [*command, str(content_dir / "request.md")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    tour = load_tour(content_dir / "request.md")
    assert f"  {tour.steps[0].id} {step_fingerprint(tour.steps[0])}" in listed.stdout
    closed = subprocess.run(
        f"{sys.executable} -m walkthrough.tour.fingerprint "
        f"{content_dir / 'request.md'} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert closed.stderr == ""
