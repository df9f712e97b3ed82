"""The site's languages, and the one catalogue of each for the interface's words.

Templates and scripts are written in English and mark each string a reader
sees: ``{{ _("Tours") }}`` in a template, ``t("Copy")`` in a script. The
English text is the key; ``locale/<code>.toml`` holds one language's words
for those keys, under ``[strings]``, and its name under ``[language]``.

Why a small TOML catalogue and not gettext through Babel: it needs no new
dependency nor a compile step (``.po`` to ``.mo``), TOML is read by the
stdlib, and a test (tests/test_i18n.py) does what ``pybabel extract`` would:
it lists every marked string in templates and scripts and fails if a
catalogue lacks one. Scripts never carry a second copy: each page embeds the
words its scripts use in a non-executed ``application/json`` block.

A language's tours live in ``content/<code>/`` (see content/README.md).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from markupsafe import Markup, escape

from walkthrough.resources import shipped_path

DEFAULT_LANGUAGE = "en"
# `t("…")` or `t('…')` in a script: the strings a page hands its scripts.
SCRIPT_STRING_RE = re.compile(
    r"""\bt\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"""
)
PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Language:
    """One edition of the site: its code, what HTML calls it, and its words."""

    code: str
    html_lang: str
    name: str
    strings: Mapping[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        """The endpoint prefix of this edition's pages: '' or 'zh.'."""
        return "" if self.code == DEFAULT_LANGUAGE else f"{self.code}."

    def gettext(self, english: str, **values: object) -> str:
        """Return a string in this language, with ``{name}`` filled from values."""
        text = self.strings.get(english, english)
        if values:
            text = PLACEHOLDER_RE.sub(
                lambda match: str(values.get(match.group(1), match.group(0))), text
            )
        return text

    def markup(self, english: str, **values: object) -> Markup:
        """Return a template's string, escaped, with ``{name}`` filled from values.

        A value that is already markup (a link the template built with
        ``{% set %}``) goes in as it is; anything else is escaped.
        """
        text = str(escape(self.strings.get(english, english)))
        return Markup(
            PLACEHOLDER_RE.sub(
                lambda match: (
                    str(escape(values[match.group(1)]))
                    if match.group(1) in values
                    else match.group(0)
                ),
                text,
            )
        )

    def script_strings(self, keys: frozenset[str]) -> dict[str, str]:
        """Return the words the scripts use, for the page's JSON block."""
        return {key: self.strings[key] for key in sorted(keys) if key in self.strings}


ENGLISH = Language(DEFAULT_LANGUAGE, "en", "English")


def read_catalogue(path: Path) -> Language:
    """Read ``locale/<code>.toml`` into a Language; a bad file fails loudly."""
    with path.open("rb") as file:
        data = tomllib.load(file)
    about = data.get("language", {})
    strings = data.get("strings", {})
    return Language(
        code=path.stem,
        html_lang=str(about.get("html_lang", path.stem)),
        name=str(about.get("name", path.stem)),
        strings=MappingProxyType({str(k): str(v) for k, v in strings.items()}),
    )


def load_languages(directory: Path | None = None) -> dict[str, Language]:
    """Return every language the site speaks, English first, by code."""
    directory = directory or shipped_path("locale")
    languages = {ENGLISH.code: ENGLISH}
    for path in sorted(directory.glob("*.toml")):
        languages[path.stem] = read_catalogue(path)
    return languages


def script_string_keys(static_dir: Path | None = None) -> frozenset[str]:
    """Find every ``t("…")`` string in the shipped scripts."""
    directory = static_dir or shipped_path("static")
    keys = set()
    for script in sorted(directory.glob("*.js")):
        for match in SCRIPT_STRING_RE.finditer(script.read_text(encoding="utf-8")):
            raw = match.group(1) if match.group(1) is not None else match.group(2)
            keys.add(unescape_script_string(raw))
    return frozenset(keys)


def unescape_script_string(raw: str) -> str:
    """Undo the backslash escapes a script string literal may hold."""
    return re.sub(r"\\(.)", r"\1", raw)
