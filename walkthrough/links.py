"""How pages point at each other: served by the app, or exported as files.

Templates never spell a URL. They call three functions from a link style:
``url_for(endpoint, **values)``, ``step_href(step_id)`` for a sibling step,
and ``asset_url(filename)`` for CSS, scripts and icons.

- ``ServedLinks`` gives the app's clean URLs under the script root, and
  fingerprints assets (``site.css?v=…``) so they can be cached for a year.
- ``ExportedLinks`` gives paths relative to the page's own file, with
  ``.html`` names, so an exported folder works from ``file://`` and from any
  sub-path of any static server.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from walkthrough.framework.helpers import url_for as app_url_for

FINGERPRINT_CHARS = 12
# An edited asset reaches the pages' links within this long.
RECHECK_SECONDS = 1.0
# Where each page and asset lives inside an export, by the app's endpoint.
EXPORTED_FILES = {
    "index": "index.html",
    "probe": "probe.html",
    "search": "search.html",
    "glossary": "glossary.html",
    "favicon": "static/favicon.svg",
    "highlight_css": "static/highlight.css",
    "search_index": "data/search-index.js",
    "probe_runs": "data/probe-runs.js",
}


def served_step_link(tour_id: str, step_id: str | None) -> str:
    """Link to a step from any served tour page, without knowing the root.

    Tour pages live at ``tours/<tour>/`` and ``tours/<tour>/<step>``: both
    have ``tours/<tour>/`` as their base, so ``../<tour>/<step>`` works from
    either, and a rendered step can be cached whatever prefix serves it.
    """
    return f"../{quote(tour_id)}/{quote(step_id or '')}"


def exported_step_link(tour_id: str, step_id: str | None) -> str:
    """Link to a step from any exported tour page: a file, never a folder.

    ``file://`` shows a folder as a listing, not its ``index.html``, so an
    export names the file every time.
    """
    filename = f"{quote(step_id)}.html" if step_id else "index.html"
    return f"../{quote(tour_id)}/{filename}"


class AssetFingerprints:
    """Name each asset's content with a short hash, recomputed when it changes.

    A URL that carries the current hash (``?v=``) can be cached for a year:
    new content gets a new URL. Files are hashed once per (mtime, size), and
    looked at (a ``stat``) at most once per ``recheck_seconds``: every page
    asks for all its assets, and the check must cost less than the page.
    Generated assets, like the highlight stylesheet, are hashed once.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        self.directory = Path(directory)
        self.recheck_seconds = recheck_seconds
        self.generated: dict[str, str] = {}
        self.files: dict[str, KnownFile] = {}
        self.lock = threading.Lock()

    def add_generated(self, filename: str, body: bytes) -> None:
        """Fingerprint an asset the app makes rather than reads from disk."""
        self.generated[filename] = fingerprint(body)

    def of(self, filename: str) -> str | None:
        """Return the asset's fingerprint, or None if there is no such file."""
        if filename in self.generated:
            return self.generated[filename]
        known = self.files.get(filename)
        now = time.monotonic()
        if known is not None and now - known.checked_at < self.recheck_seconds:
            return known.digest
        return self.recheck(filename, known, now)

    def recheck(self, filename: str, known: KnownFile | None, now: float) -> str | None:
        """Look at the file; hash it again only if its stamp changed.

        An unchanged file keeps the very same digest object, so caches that
        compare fingerprints by identity keep their pages.
        """
        path = self.directory / filename
        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if known is None or known.stamp != stamp:
            known = KnownFile(stamp, fingerprint(path.read_bytes()), now)
        else:
            known = KnownFile(stamp, known.digest, now)
        with self.lock:
            self.files[filename] = known
        return known.digest

    def is_current(self, filename: str, version: str | None) -> bool:
        """Tell whether ``?v=version`` names the asset's content right now."""
        return version is not None and version == self.of(filename)


@dataclass(frozen=True)
class KnownFile:
    """An asset as last seen: its (mtime, size), its digest, and when."""

    stamp: tuple[int, int]
    digest: str
    checked_at: float


def fingerprint(body: bytes) -> str:
    """Return a short, stable name for some bytes."""
    return hashlib.sha256(body).hexdigest()[:FINGERPRINT_CHARS]


class ServedLinks:
    """Links for pages the app serves: its routes, under the script root."""

    def __init__(self, fingerprints: AssetFingerprints) -> None:
        self.fingerprints = fingerprints
        # Replaced, never changed in place: request threads read it unlocked.
        self.linked_assets: frozenset[str] = frozenset()

    def url_for(self, endpoint: str, **values: object) -> str:
        """Build the URL of an endpoint for the current request."""
        return app_url_for(endpoint, **values)

    def step_href(self, step_id: str) -> str:
        """Link to a sibling step: every tour page's base is ``tours/<tour>/``."""
        return quote(step_id)

    def asset_url(self, filename: str) -> str:
        """Link to an asset with its fingerprint, so it may be cached for long."""
        values = {"filename": filename}
        version = self.fingerprints.of(filename)
        if filename not in self.linked_assets:
            self.linked_assets = self.linked_assets | {filename}
        if version is not None:
            values["v"] = version
        return app_url_for("static", **values)

    def asset_versions(self) -> tuple[str | None, ...]:
        """Return the fingerprint of every asset a page has linked so far.

        ``of`` returns the very same string until a file changes, so a page
        cache may compare these by identity, like its other inputs.
        """
        return tuple(self.fingerprints.of(name) for name in sorted(self.linked_assets))


class ExportedLinks:
    """Links for one exported page, relative to the file it is written to.

    ``base_url`` makes them absolute instead, for ``404.html``: a static
    server returns that page at whatever depth the missing path had.
    """

    def __init__(self, page_path: str, base_url: str | None = None) -> None:
        self.page_path = page_path
        self.base_url = base_url

    def url_for(self, endpoint: str, **values: object) -> str:
        """Return where an endpoint's page or file lies in the export."""
        target = exported_path(endpoint, values)
        query = urlencode(values)
        return self.link_to(target) + (f"?{query}" if query else "")

    def step_href(self, step_id: str) -> str:
        """Link to a sibling step's file, in the same folder."""
        folder = posixpath.dirname(self.page_path)
        return self.link_to(posixpath.join(folder, f"{quote(step_id)}.html"))

    def asset_url(self, filename: str) -> str:
        """Link to an asset: plain, as the export's host decides caching."""
        return self.url_for("static", filename=filename)

    def link_to(self, target: str) -> str:
        """Point from this page to ``target``, a path inside the export."""
        if self.base_url is not None:
            return self.base_url + target
        start = posixpath.dirname(self.page_path) or "."
        return posixpath.relpath(target, start)


PageLinks = ServedLinks | ExportedLinks


def exported_path(endpoint: str, values: dict[str, object]) -> str:
    """Map an endpoint to its file in the export, taking the values it uses."""
    if endpoint in EXPORTED_FILES:
        return EXPORTED_FILES[endpoint]
    if endpoint == "static":
        return "static/" + quote(str(values.pop("filename")))
    page = endpoint.removeprefix("embed_")
    if page not in ("tour", "step"):
        # The probe's stream and JSON run need a server: no file stands in.
        raise LookupError(f"An export has no file for the endpoint {endpoint!r}.")
    embed = "embed/" if page != endpoint else ""
    folder = f"{embed}tours/{quote(str(values.pop('tour_id')))}"
    if page == "tour":
        return f"{folder}/index.html"
    return f"{folder}/{quote(str(values.pop('step_id')))}.html"


def link_functions(links: PageLinks) -> dict[str, Callable[..., str]]:
    """Name a link style's functions as templates call them."""
    return {
        "url_for": links.url_for,
        "step_href": links.step_href,
        "asset_url": links.asset_url,
    }
