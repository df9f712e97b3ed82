"""Fingerprint the English words a translation was made from.

A translation records the fingerprint of the English it renders
(`translated_from = "…"`). When the English title or prose changes, the
fingerprint changes, and `walkthrough check` can say which translated steps
are stale. Only words count: editing a step's symbol or focus, or rewrapping
its lines, leaves its translations current.

Run `python -m walkthrough.tour.fingerprint content/request.md` to print each
step's current fingerprint, to copy into a translation.
"""

from __future__ import annotations

import hashlib
import os
import sys

from walkthrough.tour.content import Step, Tour, load_tour

FINGERPRINT_CHARS = 8


def words_fingerprint(*texts: str) -> str:
    """Return a short hash of texts, blind to how their lines are wrapped."""
    joined = "\n\n".join(" ".join(text.split()) for text in texts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


def step_fingerprint(step: Step) -> str:
    """Return the fingerprint of a step's English title and prose."""
    return words_fingerprint(step.title, step.prose_markdown)


def intro_fingerprint(tour: Tour) -> str:
    """Return the fingerprint of a tour's title, summary and introduction."""
    return words_fingerprint(tour.title, tour.summary, tour.intro_markdown)


def main(argv: list[str]) -> int:
    """Print the fingerprints of the tours named on the command line."""
    for path in argv:
        tour = load_tour(path)
        print(f"{path}: intro {intro_fingerprint(tour)}")
        for step in tour.steps:
            print(f"  {step.id} {step_fingerprint(step)}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main(sys.argv[1:]))
    except BrokenPipeError:
        # `… | head` closed the pipe: stop quietly, as `ls | head` does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None
