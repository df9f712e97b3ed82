"""Show the real Flask or Werkzeug code that a step of ours mirrors.

A step may name a `counterpart` (`werkzeug.serving:WSGIRequestHandler.run_wsgi`).
This module resolves it like any symbol, names the installed distribution that
ships it ("Werkzeug 3.1.9"), and tells a package that is not installed apart from
a name that is wrong: the first is the reader's choice (Flask is an extra), the
second is the author's mistake, which `walkthrough check` reports.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import platform
import re
import sys
from dataclasses import dataclass

from markupsafe import Markup

from walkthrough.tour.requirements import PACKAGE_EXTRAS
from walkthrough.tour.source import (
    SourceCode,
    Stamp,
    SymbolError,
    file_stamp,
    highlight,
    resolve_symbol,
    source_file,
)

# Line anchors of the two compare panels, apart from the main panel's `L-<n>`.
OURS_ANCHOR_PREFIX = "ours"
THEIRS_ANCHOR_PREFIX = "real"
FLASK_EXTRA_HINT = "pip install 'walkthrough[flask]'"
# A line number that links to its own line: `<a href="#real-12">12</a>`.
NUMBER_LINK_RE = re.compile(r'<a href="#[\w-]+">(\d+)</a>')


@dataclass(frozen=True)
class RenderedCounterpart:
    """A counterpart as a step page shows it: its source, or why there is none.

    `code_html` is None when the source cannot be shown; `missing_package` then
    names a package that is not installed, or `problem` says what else is wrong.
    """

    symbol: str
    code_html: Markup | None = None
    ours_html: Markup | None = None
    distribution: str = ""
    display_file: str = ""
    file: str = ""
    first_line: int = 0
    last_line: int = 0
    # The file's stamp before it was read, as `TourLibrary` keeps the main one.
    stamp: Stamp = (-1, -1)
    missing_package: str | None = None
    problem: str | None = None

    @property
    def install_hint(self) -> str:
        """Return the command that installs the missing package."""
        return install_hint(self.missing_package or "")

    def is_current(self) -> bool:
        """Tell whether the counterpart's file is unchanged since it was read.

        An upgraded Flask, or an edited checkout of it, then shows on the page.
        """
        return not self.file or file_stamp(self.file) == self.stamp


def missing_package(symbol: str) -> str | None:
    """Return the top-level package of `symbol` if it is not installed, else None.

    Only a package that cannot be found at all counts: a module that exists but
    fails to import, or a wrong name inside it, is a fault for `check` to report.
    """
    package = symbol.partition(":")[0].split(".")[0]
    try:
        is_installed = importlib.util.find_spec(package) is not None
    except ImportError:
        # A finder that refuses the package outright: it cannot be imported.
        is_installed = False
    except ValueError:
        # Found in sys.modules but without a spec (such as __main__): present.
        is_installed = True
    return None if is_installed else package


def install_hint(package: str) -> str:
    """Say how to install a package a counterpart needs, in one command.

    A package that an extra of this project brings is named by that extra, which
    also pins the versions the counterparts are checked against.
    """
    extra = PACKAGE_EXTRAS.get(package)
    return f"pip install 'walkthrough[{extra}]'" if extra else f"pip install {package}"


def distribution_label(module: str) -> str:
    """Name what ships `module` and its version: "Werkzeug 3.1.9".

    A standard-library module is labelled with the running Python's version.
    """
    package = module.split(".")[0]
    if package in sys.stdlib_module_names:
        return f"Python {platform.python_version()}"
    names = _distributions().get(package, [])
    if not names:
        return package
    name = names[0]
    try:
        metadata = importlib.metadata.metadata(name)
        return f"{metadata['Name']} {metadata['Version']}"
    except importlib.metadata.PackageNotFoundError:
        return name


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    """Map top-level packages to the distributions that install them, once."""
    return dict(importlib.metadata.packages_distributions())


def render_counterpart(
    symbol: str, ours: SourceCode, emphasised: list[int]
) -> RenderedCounterpart:
    """Highlight a counterpart beside our own source, or say why it cannot be.

    Our source is highlighted again with its own line anchors, so the compare
    view's line links do not collide with the main panel's.
    """
    package = missing_package(symbol)
    if package is not None:
        return RenderedCounterpart(symbol, missing_package=package)
    try:
        stamp = file_stamp(source_file(symbol))
        theirs = resolve_symbol(symbol)
    except SymbolError as error:
        return RenderedCounterpart(symbol, problem=str(error))
    return RenderedCounterpart(
        symbol,
        code_html=_compare_html(theirs, [], THEIRS_ANCHOR_PREFIX),
        ours_html=_compare_html(ours, emphasised, OURS_ANCHOR_PREFIX),
        distribution=distribution_label(theirs.module),
        display_file=theirs.display_file,
        file=theirs.file,
        first_line=theirs.first_line,
        last_line=theirs.last_line,
        stamp=stamp,
    )


def _compare_html(source: SourceCode, emphasised: list[int], prefix: str) -> Markup:
    """Highlight source for a compare panel: numbered lines, numbers not links.

    The panel itself takes keyboard focus and scrolls; a link per line number
    would cost a keyboard user a Tab per line, twice over.
    """
    html = highlight(source, emphasised, anchor_prefix=prefix)
    return Markup(NUMBER_LINK_RE.sub(r"\1", html))
