"""Define the words a tour reader meets, in plain English, for hover hints.

The English definitions live in `content/glossary.toml`; a translation keeps its
own in `content/<language>/glossary.toml`, keyed by the same English term ids.
Prose names a term as `[environ](glossary:environ)` (or `[text](glossary:)` to use
the link text); `render.py` turns it into a `<dfn>` carrying the definition. Terms are
matched without case, with `-`/`_` read as spaces and a plural `s` forgiven.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from walkthrough.resources import shipped_path

GLOSSARY_FILE = "glossary.toml"


class GlossaryError(ValueError):
    """Say which glossary file is malformed and how, for `check` and startup."""


def read_glossary_file(path: Path) -> dict[str, dict[str, str]]:
    """Read a glossary TOML file: a table per term id, with string values.

    A missing file is an empty glossary: a translation may not have one yet.
    """
    try:
        with path.open("rb") as file:
            tables = tomllib.load(file)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise GlossaryError(f"{path}: {error}") from None
    for key, table in tables.items():
        if not isinstance(table, dict) or not all(
            isinstance(value, str) for value in table.values()
        ):
            raise GlossaryError(f"{path}: [{key!r}] must be a table of strings")
    return tables


def load_glossary(
    directory: Path, fallback: Mapping[str, str] | None = None
) -> tuple[Mapping[str, str], Mapping[str, str]]:
    """Return (definitions, headings) by English term id for a content directory.

    A translation's glossary falls back to ``fallback`` (English) per term, so
    a term not yet translated still has a definition; its heading stays the id.
    """
    tables = read_glossary_file(directory / GLOSSARY_FILE)
    keys = list(fallback or {}) + [key for key in tables if key not in (fallback or {})]
    definitions = {
        key: tables.get(key, {}).get("definition") or (fallback or {}).get(key, "")
        for key in keys
    }
    headings = {
        key: tables.get(key, {}).get("term") or term_heading(key) for key in keys
    }
    return MappingProxyType(definitions), MappingProxyType(headings)


_SEPARATORS_RE = re.compile(r"[\s_-]+")
# Terms written in capitals wherever they appear as a heading.
ACRONYMS = frozenset({"wsgi", "sse"})


def term_slug(key: str) -> str:
    """Return a glossary key as an HTML id part: `accept loop` → `accept-loop`."""
    return _SEPARATORS_RE.sub("-", key.strip().lower())


def term_heading(key: str) -> str:
    """Return a glossary key as the glossary page shows it: `WSGI`, `endpoint`."""
    return key.upper() if key in ACRONYMS else key


# The shipped English glossary: the default for rendering and checking prose.
GLOSSARY: Mapping[str, str] = load_glossary(shipped_path("content"))[0]


def normalise_term(term: str) -> str:
    """Fold case and separators so `View-Functions` finds `view function`."""
    return _SEPARATORS_RE.sub(" ", term).strip().lower()


def lookup_term(
    term: str, glossary: Mapping[str, str] = GLOSSARY
) -> tuple[str, str] | None:
    """Return (glossary key, definition) for a term, forgiving a plural 's'."""
    index = {normalise_term(key): key for key in glossary}
    wanted = normalise_term(term)
    for candidate in (wanted, wanted.removesuffix("s")):
        if candidate in index:
            key = index[candidate]
            return key, glossary[key]
    return None
