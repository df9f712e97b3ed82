"""Tell which tours can be read here: a tour may need an optional package.

The tour of the real Flask shows Flask's installed source, so it needs Flask
(`requires = ["flask"]` in its front matter). Without the package the site lists
the tour with one line saying how to install it, instead of failing on its
symbols, and `walkthrough check` reports it as skipped rather than passed.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import platform
from collections.abc import Iterable
from dataclasses import dataclass

from walkthrough.tour.content import Tour

# Packages an extra of this project installs: `pip install 'walkthrough[flask]'`.
PACKAGE_EXTRAS = {"flask": "flask", "werkzeug": "flask"}


@dataclass(frozen=True)
class UnavailableTour:
    """A tour whose packages are missing, and the line that says how to fix it."""

    tour: Tour
    missing: tuple[str, ...]

    @property
    def hint(self) -> str:
        """Return one sentence naming what to install to read this tour."""
        return install_hint(self.missing)


@functools.cache
def is_importable(name: str) -> bool:
    """Tell whether a module imports here, deciding once per process.

    Importing is the honest test: an installed package that fails to import is
    as unreadable as a missing one. Every page asks, for every tour, so the
    answer is kept: a failed import would otherwise be retried on each page
    (a search of every folder on `sys.path`). Hence a server started before
    `pip install 'walkthrough[flask]'` needs a restart to show the Flask tour.
    """
    try:
        importlib.import_module(name)
    # Importing runs the package's code, which may fail in any way; any failure
    # means its tour cannot be shown.
    except Exception:
        return False
    return True


def missing_packages(tour: Tour) -> tuple[str, ...]:
    """Return the packages a tour requires that cannot be imported here."""
    return tuple(name for name in tour.requires if not is_importable(name))


def split_available(
    tours: Iterable[Tour],
) -> tuple[list[Tour], list[UnavailableTour]]:
    """Split tours into those readable here and those missing a package."""
    readable, unavailable = [], []
    for tour in tours:
        missing = missing_packages(tour)
        if missing:
            unavailable.append(UnavailableTour(tour, missing))
        else:
            readable.append(tour)
    return readable, unavailable


def install_hint(missing: Iterable[str]) -> str:
    """Say in one line how to install what a tour needs.

    A package that an extra of this project brings is named by that extra, since
    `pip install 'walkthrough[flask]'` also pins the versions the tour is checked
    against; anything else is named as it is imported.
    """
    roots = sorted({name.partition(".")[0] for name in missing})
    extras = sorted({PACKAGE_EXTRAS[root] for root in roots if root in PACKAGE_EXTRAS})
    others = [root for root in roots if root not in PACKAGE_EXTRAS]
    targets = [f"'walkthrough[{','.join(extras)}]'"] if extras else []
    what = " and ".join(
        [f"the {extra.capitalize()} extra" for extra in extras] + others
    )
    return f"Install {what} to read this tour: pip install {' '.join(targets + others)}"


def installed_versions(tour: Tour) -> str:
    """Name the installed versions of a tour's packages, and of Python.

    A tour of installed code shows whatever version is installed, which may be
    newer than the one its prose was written against: the page says which it is.
    A tour that requires nothing gets "" (its code is this project's own).
    """
    labels = installed_labels(tour)
    return f"{labels}, as installed here" if labels else ""


def installed_labels(tour: Tour) -> str:
    """Name the installed versions alone (``Flask 3.1.3 · Python 3.12.1``).

    The pages wrap this in their own language's words.
    """
    if not tour.requires:
        return ""
    roots = dict.fromkeys(name.partition(".")[0] for name in tour.requires)
    labels = [label for root in roots if (label := _distribution_label(root))]
    labels.append(f"Python {platform.python_version()}")
    return " · ".join(labels)


def _distribution_label(name: str) -> str:
    """Return "Flask 3.1.3" for an installed distribution, or "" if it is absent."""
    try:
        metadata = importlib.metadata.metadata(name)
    except importlib.metadata.PackageNotFoundError:
        return ""
    return f"{metadata['Name']} {metadata['Version']}"
