"""Find the folders that ship with walkthrough: content, templates, static.

In a checkout they sit beside the package (the layout DESIGN.md shows); in an
installed wheel, setuptools maps them inside it. Both are looked for, so the
same code serves from either.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_path(name: str) -> Path:
    """Return the shipped folder ``name``, from the wheel or the checkout."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"walkthrough's {name!r} folder is missing from {PACKAGE_DIR}"
    )
