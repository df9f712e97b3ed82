"""``walkthrough export``: the whole site as a folder of files, for any host.

Some wikis accept only files. The export writes the very pages the site
serves (same ``Pages``, same templates), with links relative to each file,
so the folder works opened from disk (``file://``) and from any sub-path of
any static server. What the live site computes on request is recorded:

- ``data/search-index.js``: every step's text, for search as you type and
  for the search page, with no server to ask.
- ``data/probe-runs.js``: one real probe run of each scenario and of the
  server starting, per app (this framework's specimen, and its Flask twin
  where Flask is installed), traced now, replayed later by the same page.

Both are scripts, not JSON: a page opened from ``file://`` may not
``fetch`` a file beside it, but it may load a script.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from walkthrough import __version__
from walkthrough.framework.exceptions import NotFound
from walkthrough.i18n import DEFAULT_LANGUAGE
from walkthrough.links import (
    EXPORTED_FILES,
    EditionLinks,
    ExportedLinks,
    exported_step_link,
)
from walkthrough.live import ProbeRequest, ProbeTargets, make_probe, run_to_document
from walkthrough.pagecache import RenderedPage
from walkthrough.pages import Pages, make_editions
from walkthrough.probe.targets import ProbeTarget
from walkthrough.resources import shipped_path
from walkthrough.tour.content import Tour

MARKER_FILE = ".walkthrough-export"
STARTUP_RUN = "startup"
NOT_FOUND_PAGE = "404.html"


class ExportError(Exception):
    """The export cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class StaticCopy:
    """What the pages say about the copy they are part of."""

    version: str
    exported_on: str


@dataclass
class ExportSummary:
    """What was written, for the command to report."""

    outdir: Path
    pages: list[str] = field(default_factory=list)
    probe_runs: list[str] = field(default_factory=list)


def export_site(
    outdir: str | os.PathLike[str],
    *,
    content_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
) -> ExportSummary:
    """Write the site to ``outdir``, replacing an earlier export there.

    The files are written to a new folder beside ``outdir`` and swapped in
    at the end, so a failed export leaves the earlier one untouched.
    """
    target = Path(outdir).resolve()
    check_target(target)
    base_url = normalise_base_url(base_url)
    editions = make_editions(content_dir, resolve_link=exported_step_link)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        summary = Exporter(editions, staging, base_url).write_all()
        swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    summary.outdir = target
    return summary


def check_target(target: Path) -> None:
    """Refuse to replace a folder that holds anything but an earlier export."""
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target} is a file; give a folder to export into.")
    if target.is_dir() and any(target.iterdir()):
        if not (target / MARKER_FILE).is_file():
            raise ExportError(
                f"{target} is not empty and holds no earlier export; "
                "choose a new or empty folder, so nothing of yours is replaced."
            )


def normalise_base_url(base_url: str | None) -> str | None:
    """Accept ``/prefix/`` or ``https://host/prefix/``; always end with ``/``."""
    if base_url is None:
        return None
    is_path = base_url.startswith("/") and not base_url.startswith("//")
    if not (is_path or base_url.startswith(("http://", "https://"))):
        raise ExportError(
            f"--base-url {base_url!r}: give the path the export will be served "
            "under, starting with '/' (e.g. /team/walkthrough/), or a full URL."
        )
    if any(character in base_url for character in "?#\"'<> \t\r\n"):
        raise ExportError(f"--base-url {base_url!r}: no query, fragment or quotes.")
    return base_url if base_url.endswith("/") else base_url + "/"


def swap_in(staging: Path, target: Path) -> None:
    """Put the finished export where the old one was, in two renames."""
    (staging / MARKER_FILE).write_text(
        json.dumps({"version": __version__}) + "\n", encoding="utf-8"
    )
    if not target.exists():
        staging.rename(target)
    else:
        retired = Path(
            tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent)
        )
        target.rename(retired / target.name)
        try:
            staging.rename(target)
        except OSError:
            (retired / target.name).rename(target)  # put the earlier export back
            raise
        finally:
            shutil.rmtree(retired, ignore_errors=True)
    target.chmod(0o755)


class Exporter:
    """Write every page, asset and recording of one export into a folder."""

    def __init__(
        self, pages: Pages | dict[str, Pages], root: Path, base_url: str | None
    ) -> None:
        self.editions = pages if isinstance(pages, dict) else {"en": pages}
        self.pages = self.editions[DEFAULT_LANGUAGE]
        # The folder of the edition being written: '' for English, 'zh/'.
        self.folder = ""
        self.root = root
        self.base_url = base_url
        today = datetime.date.today().isoformat()
        self.static_copy = StaticCopy(__version__, today)
        self.summary = ExportSummary(root)

    def write_all(self) -> ExportSummary:
        """Write every edition's pages, then the files all of them share."""
        for code, pages in self.editions.items():
            self.pages = pages
            self.folder = "" if code == DEFAULT_LANGUAGE else f"{code}/"
            self.write_edition()
        self.pages, self.folder = self.editions[DEFAULT_LANGUAGE], ""
        self.copy_assets()
        tours = tuple(self.pages.library.tours())
        self.write_script(
            EXPORTED_FILES["probe_runs"],
            "WALKTHROUGH_PROBE_RUNS",
            self.record_probe_runs(tours),
        )
        return self.summary

    def write_edition(self) -> None:
        """Write one language's pages and its search index, in its folder."""
        tours = tuple(self.pages.library.tours())
        unavailable = tuple(self.pages.library.unavailable_tours())
        self.write_page(
            "index.html", self.pages.render_index, tours, unavailable=unavailable
        )
        for tour in tours:
            self.write_tour(tour, tours)
        self.write_page("probe.html", self.pages.render_probe)
        self.write_page("search.html", self.pages.render_search, "")
        self.write_page("glossary.html", self.pages.render_glossary, tours)
        self.write_not_found_page()
        self.write_script(
            self.folder + EXPORTED_FILES["search_index"],
            "WALKTHROUGH_SEARCH_INDEX",
            [entry.to_json() for entry in self.pages.current_index()],
        )

    def write_tour(self, tour: Tour, tours: tuple[Tour, ...]) -> None:
        """Write a tour's page and each step's, full and embeddable."""
        for prefix, embedded in (("", False), ("embed/", True)):
            folder = f"{prefix}tours/{tour.id}"
            self.write_page(
                f"{folder}/index.html",
                self.pages.render_tour,
                tour,
                tours,
                embedded=embedded,
            )
            for step in tour.steps:
                rendered = self.pages.library.render_step(tour.id, step.id)
                self.write_page(
                    f"{folder}/{step.id}.html",
                    self.pages.render_step,
                    rendered,
                    tours,
                    embedded=embedded,
                )

    def write_page(
        self,
        path: str,
        render: Callable[..., RenderedPage],
        *args: object,
        **context: object,
    ) -> None:
        """Render one page of this edition, with links relative to its file.

        ``path`` is inside the edition (``tours/x/index.html``); the page goes
        to the edition's folder, and its switch to its twins in the others.
        """
        path = self.folder + path
        links = self.edition_links(ExportedLinks(path), path)
        page = render(*args, links, static_copy=self.static_copy, **context)
        self.write_bytes(path, page.body)
        self.summary.pages.append(path)

    def edition_links(self, links: ExportedLinks, path: str) -> EditionLinks:
        """Wrap a page's links in its edition, with its twins as alternates."""
        inside = path.removeprefix(self.folder)
        alternates = tuple(
            (
                pages.language,
                links.link_to(f"{pages.language.prefix.replace('.', '/')}{inside}"),
            )
            for pages in self.editions.values()
            if pages is not self.pages
        )
        return EditionLinks(links, self.pages.language.prefix, alternates=alternates)

    def write_not_found_page(self) -> None:
        """Write 404.html with absolute links: hosts serve it at any depth."""
        error = NotFound(
            self.pages.language.gettext(
                "This page is not part of this copy of the walkthrough."
            )
        )
        path = self.folder + NOT_FOUND_PAGE
        exported = ExportedLinks(path, base_url=self.base_url or "/")
        links = self.edition_links(exported, path)
        page = self.pages.render_error(error, links, static_copy=self.static_copy)
        self.write_bytes(path, page.body)
        self.summary.pages.append(path)

    def copy_assets(self) -> None:
        """Copy the shipped static files, and the generated code colours."""
        shutil.copytree(
            shipped_path("static"),
            self.root / "static",
            ignore=shutil.ignore_patterns("__pycache__", "*.py"),
        )
        self.write_bytes(EXPORTED_FILES["highlight_css"], self.pages.highlight_css)

    def record_probe_runs(self, tours: tuple[Tour, ...]) -> dict[str, dict]:
        """Run the probe for real, per app: once per scenario and for startup.

        Every app that can run here is recorded (the Flask twin only where
        Flask is installed), and only for the chains the tours explain: an
        app none of whose tours are present has no stages to light.
        """
        tour_ids = {tour.id for tour in tours}
        runs: dict[str, dict] = {}
        for choice in ProbeTargets().choices():
            if choice.target is not None:
                recorded = self.record_target_runs(choice.target, tours, tour_ids)
                if recorded:
                    runs[choice.id] = recorded
        return runs

    def record_target_runs(
        self, target: ProbeTarget, tours: tuple[Tour, ...], tour_ids: set[str]
    ) -> dict[str, dict]:
        """Record one app's runs, each keyed as the page's script asks for it."""
        runs = {}
        for name, probe_request in recordable_requests(target, tour_ids).items():
            with quiet_output():
                probe = make_probe(probe_request, tours, target)
                document = run_to_document(probe)
            if "done" not in document:
                message = document.get("error", {}).get("message", "no result")
                raise ExportError(
                    f"The probe run {target.id}/{name!r} failed: {message}"
                )
            runs[name] = {
                "mode": probe_request.mode,
                "method": probe_request.method,
                "path": probe_request.path,
                **document,
            }
            self.summary.probe_runs.append(f"{target.id}/{name}")
        return runs

    def write_script(self, path: str, name: str, value: object) -> None:
        """Write data as a script that sets ``window[name]``, characters as they are."""
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        self.write_bytes(path, f"window.{name} = {data};\n".encode())

    def write_bytes(self, path: str, body: bytes) -> None:
        """Write a file of the export, making its folders."""
        destination = self.root / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(body)


def recordable_requests(
    target: ProbeTarget, tour_ids: set[str]
) -> dict[str, ProbeRequest]:
    """Name the runs worth recording for an app: startup, then each scenario."""
    requests = {}
    if target.startup is not None and tour_ids & set(target.startup_tours):
        requests[STARTUP_RUN] = ProbeRequest("startup", "GET", "/", target.id)
    if tour_ids & set(target.request_tours):
        for scenario in target.scenarios:
            requests[scenario.id] = ProbeRequest(
                "request", scenario.method, scenario.path, target.id
            )
    return requests


@contextlib.contextmanager
def quiet_output() -> Iterator[None]:
    """Keep what the specimen prints out of the command's output.

    Its server says ``Running on``, and the ``/boom`` scenario's traceback
    is logged on purpose; a failed run is still reported, by its document.
    """
    with contextlib.redirect_stdout(io.StringIO()):
        with contextlib.redirect_stderr(io.StringIO()):
            yield
