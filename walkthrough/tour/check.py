"""Validate a content directory, reporting faults as `file:line: message`.

`walkthrough check` loads every tour, resolves every symbol and counterpart, finds
every focus text, and follows every step and glossary link, so a renamed function
in the framework fails the build instead of a page. It reports all faults, not just
the first. A tour that needs a package not installed here, and a counterpart whose
package (Flask, an extra) is not installed, are reported as skipped, not passed.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from walkthrough.tour.content import (
    CONTENT_ENV_VAR,
    ContentError,
    Tour,
    content_directory,
    load_tour,
    tour_files,
)
from walkthrough.tour.counterpart import install_hint, missing_package
from walkthrough.tour.glossary import GLOSSARY, lookup_term
from walkthrough.tour.render import (
    GLOSSARY_SCHEME,
    LinkRef,
    find_eaten_names,
    find_links,
    link_scheme,
    parse_step_link,
)
from walkthrough.tour.requirements import missing_packages, split_available
from walkthrough.tour.source import (
    SymbolError,
    missing_focus,
    missing_focus_message,
    resolve_symbol,
)


@dataclass(frozen=True)
class Fault:
    """One problem in the content, printed as `path:line: message` for editors."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


def check_content(directory: str | os.PathLike[str]) -> list[Fault]:
    """Return every fault in a content directory, in file and line order."""
    return _check(directory)[1]


def _check(directory: str | os.PathLike[str]) -> tuple[list[Tour], list[Fault]]:
    """Return the tours that load and every fault, in file and line order."""
    try:
        paths = tour_files(directory)
    except ContentError as error:
        return [], [Fault(error.path, error.line, error.message)]
    tours, faults = [], []
    for path in paths:
        try:
            tours.append(load_tour(path))
        except ContentError as error:
            faults.append(Fault(error.path, error.line, error.message))
    faults += _duplicate_tour_faults(tours)
    for tour in tours:
        faults += check_tour(tour, tours)
    return tours, sorted(faults, key=lambda fault: (str(fault.path), fault.line or 0))


def check_tour(tour: Tour, tours: list[Tour]) -> list[Fault]:
    """Return one tour's faults: no steps, bad symbols, focus texts, links."""
    if not tour.steps:
        message = (
            f"tour {tour.id!r} has no steps (add a '## ' heading and a ```step block)"
        )
        return [Fault(tour.path, 1, message)]
    # A tour whose package is missing still has its links checked (they need no
    # import); its symbols cannot be, and `main` reports it as skipped.
    is_readable = not missing_packages(tour)
    faults = list(_prose_faults(tour, tour.intro_markdown, tour.intro_line, tours))
    for step in tour.steps:
        if is_readable:
            faults += _symbol_faults(tour, step.line, step.symbol, step.focus)
        faults += _counterpart_faults(tour, step.line, step.counterpart)
        faults += _prose_faults(tour, step.prose_markdown, step.prose_line, tours)
    return faults


def _duplicate_tour_faults(tours: list[Tour]) -> list[Fault]:
    """Report each tour whose id an earlier file (by name) already uses."""
    seen: dict[str, Path] = {}
    faults = []
    for tour in sorted(tours, key=lambda tour: str(tour.path)):
        if tour.id in seen:
            message = f"duplicate tour id {tour.id!r} (also used by {seen[tour.id]})"
            faults.append(Fault(tour.path, 1, message))
        seen.setdefault(tour.id, tour.path)
    return faults


def _symbol_faults(
    tour: Tour, line: int, symbol: str, focus: tuple[str, ...]
) -> list[Fault]:
    """Report a symbol that does not resolve, or focus text its source lacks."""
    try:
        source = resolve_symbol(symbol)
    except SymbolError as error:
        return [Fault(tour.path, line, str(error))]
    return [
        Fault(tour.path, line, missing_focus_message(source, text))
        for text in missing_focus(source, focus)
    ]


def _counterpart_faults(tour: Tour, line: int, counterpart: str | None) -> list[Fault]:
    """Report a counterpart that does not resolve; skip one not installed."""
    if counterpart is None or missing_package(counterpart) is not None:
        return []
    try:
        resolve_symbol(counterpart)
    except SymbolError as error:
        return [Fault(tour.path, line, f"counterpart: {error}")]
    return []


def skipped_counterparts(tours: list[Tour]) -> dict[str, int]:
    """Count the counterparts that cannot be checked, by missing package."""
    skipped: dict[str, int] = {}
    for tour in tours:
        for step in tour.steps:
            package = missing_package(step.counterpart) if step.counterpart else None
            if package is not None:
                skipped[package] = skipped.get(package, 0) + 1
    return skipped


def skipped_message(skipped: dict[str, int]) -> str | None:
    """Say in one line how many counterparts went unchecked, why, and the fix."""
    if not skipped:
        return None
    packages = sorted(skipped)
    hints = "; ".join(sorted({install_hint(package) for package in packages}))
    what = _count(sum(skipped.values()), "counterpart")
    return f"skipped {what}: {', '.join(packages)} not installed: {hints}"


def _prose_faults(
    tour: Tour, markdown: str, first_line: int, tours: list[Tour]
) -> Iterator[Fault]:
    """Report bad links, unknown glossary terms and names eaten by emphasis."""
    for link in find_links(markdown):
        problem = link_problem(link, tour, tours)
        if problem is not None:
            yield Fault(tour.path, first_line + link.line, problem)
    for eaten in find_eaten_names(markdown):
        message = (
            f"{eaten.name!r} reads as emphasis in CommonMark (GitHub shows "
            f"{eaten.shown!r}); write it as code: `{eaten.name}`"
        )
        yield Fault(tour.path, first_line + eaten.line, message)


def link_problem(link: LinkRef, tour: Tour, tours: list[Tour]) -> str | None:
    """Say what is wrong with a link in `tour`'s prose, or None if fine."""
    href = link.href
    if href.startswith(GLOSSARY_SCHEME):
        term = unquote(href.removeprefix(GLOSSARY_SCHEME)) or link.text
        if lookup_term(term) is None:
            known = ", ".join(sorted(GLOSSARY))
            return f"unknown glossary term {term!r} (known: {known})"
        return None
    if link_scheme(href) is not None or href.startswith("//"):
        return None
    target = parse_step_link(href)
    if target is None:
        return (
            f"link {href!r} is neither a step link ('#step', 'tour#step', 'tour') "
            "nor an absolute URL"
        )
    return _step_link_problem(href, target.tour_id or tour.id, target.step_id, tours)


def _step_link_problem(
    href: str, tour_id: str, step_id: str | None, tours: list[Tour]
) -> str | None:
    """Say which part of a step link names nothing, or None if it resolves."""
    target = next((tour for tour in tours if tour.id == tour_id), None)
    if target is None:
        return f"link {href!r} points to unknown tour {tour_id!r}"
    if step_id is not None and target.step(step_id) is None:
        return f"link {href!r} points to unknown step {step_id!r} in tour {tour_id!r}"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run `walkthrough check`: print faults and return 1, or a summary and 0."""
    parser = argparse.ArgumentParser(
        prog="walkthrough check", description="Validate the tours in a directory."
    )
    parser.add_argument(
        "--content",
        metavar="DIR",
        help=f"tour directory (default: ${CONTENT_ENV_VAR} or ./content)",
    )
    arguments = parser.parse_args(argv)
    directory = content_directory(arguments.content)
    tours, faults = _check(directory)
    for fault in faults:
        print(fault)
    if faults:
        return 1
    for line in summary(tours, directory):
        print(line)
    return 0


def summary(tours: list[Tour], directory: str | os.PathLike[str]) -> list[str]:
    """Say what a clean check had to skip, one line each, then what it covered."""
    readable, unavailable = split_available(tours)
    lines = [
        f"{missing.tour.path}: skipped tour {missing.tour.id!r}: {missing.hint}"
        for missing in unavailable
    ]
    skipped = skipped_counterparts(readable)
    message = skipped_message(skipped)
    lines += [f"{directory}: {message}"] if message else []
    steps = sum(len(tour.steps) for tour in readable)
    named = sum(1 for tour in readable for step in tour.steps if step.counterpart)
    unchecked = sum(skipped.values())
    checked = named - unchecked
    counted = f", {_count(checked, 'counterpart')}" if checked else ""
    gaps = f"; {len(unavailable)} skipped" if unavailable else ""
    gaps += f"; {_count(unchecked, 'counterpart')} skipped" if unchecked else ""
    return [*lines, f"{len(readable)} tours, {steps} steps{counted}: ok{gaps}"]


def _count(number: int, noun: str) -> str:
    """Write a count with its noun, singular or plural: `1 counterpart`."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
