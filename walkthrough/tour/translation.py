"""Load a tour's translation and lay it over the English tour, step by step.

A translation (`content/<language>/<tour>.md`) carries only words: the tour's
title, summary and introduction, and per step its title, prose and optionally
a translated `chain` or `phase` label. Everything else (symbol, focus, order,
requires) comes from the English step with the same id. Each part records the
English fingerprint it was made from (`translated_from`, see `fingerprint.py`):
a part that is missing, or whose English changed since, is shown in English
and marked, so a reader is never served a 500 nor silently outdated words.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from walkthrough.tour.content import (
    Step,
    Tour,
    _read_step_section,
    _Section,
    read_content_file,
    split_content,
)

TRANSLATION_TOUR_KEYS = ("summary", "title", "translated_from")
TRANSLATION_STEP_KEYS = ("chain", "id", "phase", "translated_from")
MISSING = "missing"
STALE = "stale"


@dataclass(frozen=True)
class TranslatedStep:
    """The words of one step in another language, and the English they render."""

    id: str
    title: str
    translated_from: str
    chain: str | None
    phase: str | None
    prose_markdown: str
    line: int
    prose_line: int


@dataclass(frozen=True)
class Translation:
    """A tour's words in another language, read from one file."""

    path: Path
    title: str
    summary: str
    translated_from: str
    intro_markdown: str
    intro_line: int
    steps: tuple[TranslatedStep, ...]

    @property
    def tour_id(self) -> str:
        """The English tour this translates: the one with the same file name."""
        return self.path.stem

    def step(self, step_id: str) -> TranslatedStep | None:
        """Find a translated step by its English id."""
        return next((step for step in self.steps if step.id == step_id), None)


def load_translation(path: str | os.PathLike[str]) -> Translation:
    """Read one translation file; errors carry the file and line."""
    path = Path(path)
    return parse_translation(read_content_file(path, "translation"), path)


def parse_translation(text: str, path: Path) -> Translation:
    """Parse a translation's text (pure: `path` only labels it)."""
    lines, front, sections, (intro, intro_line) = split_content(
        text, path, TRANSLATION_TOUR_KEYS
    )
    return Translation(
        path=path,
        title=str(front.string("title", required=True)),
        summary=front.string("summary") or "",
        translated_from=str(front.string("translated_from", required=True)),
        intro_markdown=intro,
        intro_line=intro_line,
        steps=tuple(
            _parse_translated_step(section, lines, path) for section in sections
        ),
    )


def _parse_translated_step(
    section: _Section, lines: list[str], path: Path
) -> TranslatedStep:
    """Read a translated step block: only its id, fingerprint and labels."""
    table, prose, prose_line = _read_step_section(
        section, lines, path, TRANSLATION_STEP_KEYS
    )
    return TranslatedStep(
        id=table.slug("id"),
        title=section.title,
        translated_from=str(table.string("translated_from", required=True)),
        chain=table.string("chain"),
        phase=table.string("phase"),
        prose_markdown=prose,
        line=section.heading_line,
        prose_line=prose_line,
    )


def merge_tour(english: Tour, translation: Translation | None) -> Tour:
    """Return the English tour in the translation's words where they are current.

    The result keeps the English tour's path, order and requirements, and each
    step's code; an untranslated part carries why (`MISSING` or `STALE`).
    """
    # Imported here so `python -m walkthrough.tour.fingerprint` runs cleanly.
    from walkthrough.tour.fingerprint import intro_fingerprint

    steps = tuple(
        merge_step(step, translation.step(step.id) if translation else None)
        for step in english.steps
    )
    status = _status(translation, intro_fingerprint(english))
    if translation is None or status is not None:
        return replace(english, steps=steps, intro_untranslated=status)
    return replace(
        english,
        title=translation.title,
        summary=translation.summary or english.summary,
        intro_markdown=translation.intro_markdown,
        steps=steps,
    )


def merge_step(english: Step, translated: TranslatedStep | None) -> Step:
    """Return the English step in translated words, or marked as untranslated."""
    from walkthrough.tour.fingerprint import step_fingerprint

    status = _status(translated, step_fingerprint(english))
    if translated is None or status is not None:
        return replace(english, untranslated=status)
    return replace(
        english,
        title=translated.title,
        prose_markdown=translated.prose_markdown,
        chain=translated.chain or english.chain,
        phase=(translated.phase or english.phase) if english.phase else None,
    )


def _status(
    translated: Translation | TranslatedStep | None, current: str
) -> str | None:
    """Say whether a translated part is missing, stale, or (None) current."""
    if translated is None:
        return MISSING
    return None if translated.translated_from == current else STALE
