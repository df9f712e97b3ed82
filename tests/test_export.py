"""``walkthrough export``: the site as a folder of files, checked as a host sees it.

Every link of every exported page must land on a file of the export, the
pages must be the ones the live site serves, and the recorded search index
and probe runs must match what the live site answers. The export must never
replace a folder of the user's, and must refuse a base URL it cannot use.
"""

from __future__ import annotations

import http.client
import json
import posixpath
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache, partial
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlencode, urljoin, urlsplit, urlunsplit

import pytest

from walkthrough.export import MARKER_FILE, ExportError, export_site
from walkthrough.pages import make_pages
from walkthrough.probe.specimen import SCENARIOS
from walkthrough.site import create_app

BASE_URL = "/team/walkthrough/"
SOCKET_TIMEOUT_SECONDS = 30.0
EXPORT_TIMEOUT_SECONDS = 120.0
LINK_ATTRIBUTES = {
    "href",
    "xlink:href",
    "src",
    "action",
    "data-index",
    "data-step-url",
    "data-recordings",
}
# One tour about the standard library: no startup or request chain in it.
MINI_TOUR = """+++
id = "mini"
title = "Mini"
summary = "One step about json."
+++

Intro.

## One

```step
id = "one"
symbol = "json:dumps"
```

Turns a value into JSON text.
"""
FIXED_PAGES = {"index.html", "probe.html", "search.html", "glossary.html", "404.html"}


class PageParser(HTMLParser):
    """Collect a page's links, its inline code, and its markup as tokens.

    ``rewrite`` turns each link into a comparable form, so the same page
    served and exported yields the same tokens however its links are spelt.
    """

    def __init__(self, rewrite: Callable[[str], str] = str) -> None:
        super().__init__(convert_charrefs=True)
        self.rewrite = rewrite
        self.links: list[str] = []
        self.inline: list[str] = []
        self.tokens: list[tuple] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note links and inline code; keep the tag with its links rewritten."""
        for name, value in attrs:
            if name in LINK_ATTRIBUTES and value is not None:
                self.links.append(value)
            if name == "style" or name.startswith("on"):
                self.inline.append(f"<{tag} {name}=…>")
        if tag == "style" or (tag == "script" and not dict(attrs).get("src")):
            self.inline.append(f"<{tag}> without src")
        self.tokens.append(("start", tag, [self.comparable(*pair) for pair in attrs]))

    def handle_endtag(self, tag: str) -> None:
        """Keep the end tag, so nesting counts in a comparison."""
        self.tokens.append(("end", tag))

    def handle_data(self, data: str) -> None:
        """Keep the text, with character references already decoded."""
        self.tokens.append(("data", data))

    def comparable(self, name: str, value: str | None) -> tuple[str, str | None]:
        """Rewrite a link attribute's value; leave any other attribute alone."""
        if name in LINK_ATTRIBUTES and value is not None:
            return name, self.rewrite(value)
        return name, value


def parse(markup: str, rewrite: Callable[[str], str] = str) -> PageParser:
    """Parse ``markup`` to the end and return what the parser collected."""
    parser = PageParser(rewrite)
    parser.feed(markup)
    parser.close()
    return parser


def links_out(page: Path) -> list[str]:
    """Return a page's links to other files: not fragments, not mail."""
    links = parse(page.read_text(encoding="utf-8")).links
    return [link for link in links if not link.startswith(("#", "mailto:"))]


def section(page: str, name: str) -> str:
    """Cut ``<section class="name"…>…</section>`` out of a page, as markup."""
    start = page.index(f'<section class="{name}"')
    return page[start : page.index("</section>", start) + len("</section>")]


def served_url_of(file: str) -> str:
    """Name the URL the site serves an exported file at: a/b.html → /a/b."""
    return "/" + file.removesuffix("index.html").removesuffix(".html")


def exported_link_as_url(page_file: str, link: str) -> str:
    """Resolve a link of an exported page to the served URL it stands for."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        return link
    target = page_file
    if parts.path:
        folder = posixpath.dirname(page_file)
        target = posixpath.normpath(posixpath.join(folder, parts.path))
    return urlunsplit(("", "", served_url_of(target), parts.query, parts.fragment))


def read_script_data(path: Path, name: str) -> object:
    """Load the JSON that a data script assigns to ``window[name]``."""
    text = path.read_text(encoding="utf-8").strip()
    prefix = f"window.{name} = "
    assert text.startswith(prefix) and text.endswith(";"), text[:80]
    return json.loads(text.removeprefix(prefix).removesuffix(";"))


def html_files(root: Path) -> set[str]:
    """Return every ``.html`` file of an export, relative to its root."""
    return {path.relative_to(root).as_posix() for path in root.rglob("*.html")}


def expected_pages() -> set[str]:
    """List the files the export must have: fixed pages, each tour and step."""
    pages = set(FIXED_PAGES)
    for tour in make_pages().library.tours():
        for prefix in ("", "embed/"):
            folder = f"{prefix}tours/{tour.id}"
            pages.add(f"{folder}/index.html")
            pages.update(f"{folder}/{step.id}.html" for step in tour.steps)
    return pages


@cache
def some_step() -> tuple[str, str]:
    """Return a real (tour, step), to fill the ``data-step-url`` template."""
    tour = make_pages().library.tours()[0]
    return tour.id, tour.steps[0].id


def target_path(link: str) -> str:
    """Return a link's file path, unquoted, the step-URL template filled."""
    tour_id, step_id = some_step()
    path = unquote(urlsplit(link).path)
    return path.replace("__tour__", tour_id).replace("__step__", step_id)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Map every entry under ``folder`` to its bytes (None for folders)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        if path.is_file()
        else None
        for path in folder.rglob("*")
    }


def get(server: object, path: str) -> tuple[int, bytes]:
    """GET ``path`` from the live server; return status and body."""
    connection = http.client.HTTPConnection(
        server.host, server.port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def walkthrough_export(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m walkthrough export ARGS`` as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "walkthrough", "export", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=EXPORT_TIMEOUT_SECONDS,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Export the shipped site once for the module (it takes seconds)."""
    outdir = tmp_path_factory.mktemp("export") / "site"
    export_site(outdir, base_url=BASE_URL)
    return outdir


@pytest.fixture(scope="module")
def site(live_server) -> Iterator:
    """Serve the same shipped site live, to compare the export with."""
    with live_server(create_app()) as server:
        yield server


@pytest.fixture(scope="module")
def reexported(
    exported: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the CLI, without --base-url, over a copy of an earlier export.

    A stale file planted in the copy must be gone afterwards: the command
    replaces an earlier export whole, never merges into it.
    """
    outdir = tmp_path_factory.mktemp("reexport") / "site"
    shutil.copytree(exported, outdir)
    (outdir / "tours" / "stale.html").write_text("old", encoding="utf-8")
    return walkthrough_export(outdir), outdir


def test_the_export_has_every_page_full_and_embedded(exported: Path) -> None:
    assert html_files(exported) == expected_pages()
    assert (exported / MARKER_FILE).is_file()


def test_every_link_lands_on_a_file_of_the_export(exported: Path) -> None:
    broken = []
    for name in sorted(html_files(exported) - {"404.html"}):
        page = exported / name
        for link in links_out(page):
            parts = urlsplit(link)
            # A root-absolute or off-site link breaks under file:// or a sub-path.
            assert not (parts.scheme or parts.netloc), f"{name}: off-site {link}"
            assert not parts.path.startswith("/"), f"{name}: absolute {link}"
            target = (page.parent / target_path(link)).resolve()
            if not (target.is_relative_to(exported.resolve()) and target.is_file()):
                broken.append(f"{name}: {link}")
    assert broken == []


def test_404_links_are_absolute_under_the_base_url(exported: Path) -> None:
    links = links_out(exported / "404.html")
    assert links
    for link in links:
        assert link.startswith(BASE_URL), link
        path = target_path(link).removeprefix(BASE_URL)
        assert (exported / path).is_file(), link


def test_no_page_has_inline_script_or_style(exported: Path) -> None:
    # The live site's policy refuses inline code; an export must not need it.
    inline = {
        name: found
        for name in sorted(html_files(exported))
        if (found := parse((exported / name).read_text(encoding="utf-8")).inline)
    }
    assert inline == {}


def prose_markup(page: str) -> str:
    """Cut out a step's prose, up to the link to the probe.

    That link says "Replay … as recorded" in a copy and "Run … live" when
    served, on purpose; all before it must be the same.
    """
    return section(page, "prose").partition('<p class="live-link">')[0]


def prose_as_served(page: str, url: str) -> list[tuple]:
    """Tokenise a served step's prose, each link resolved against ``url``."""
    return parse(prose_markup(page), partial(urljoin, url)).tokens


def prose_as_exported(page: str, file: str) -> list[tuple]:
    """Tokenise an exported step's prose, each link as the URL it stands for."""
    return parse(prose_markup(page), partial(exported_link_as_url, file)).tokens


def test_step_pages_show_the_same_source_and_prose_as_served(
    exported: Path, site: object
) -> None:
    prose_links = 0
    for tour in make_pages().library.tours():
        for step in tour.steps:
            file = f"tours/{tour.id}/{step.id}.html"
            url = served_url_of(file)
            status, body = get(site, url)
            assert status == 200, url
            served = body.decode("utf-8")
            copy = (exported / file).read_text(encoding="utf-8")
            assert section(copy, "source") == section(served, "source"), url
            prose = prose_as_exported(copy, file)
            assert prose == prose_as_served(served, url), url
            prose_links += sum(token[:2] == ("start", "a") for token in prose)
    assert prose_links, "no step's prose has a link to compare"


def test_search_index_matches_the_served_one(exported: Path, site: object) -> None:
    entries = read_script_data(
        exported / "data" / "search-index.js", "WALKTHROUGH_SEARCH_INDEX"
    )
    status, body = get(site, "/search-index.json")
    assert status == 200
    assert entries == json.loads(body)


def stage_keys_by_thread(run: dict) -> dict[str, list[tuple]]:
    """Group a run's (tour, step, phase) stage keys by thread, in order.

    Checked over 16 runs of each scenario and 10 of startup: the serving
    thread's last exits (``thread``, ``noblock``) land anywhere among the
    handler thread's stages, so the merged order varies, but each thread's
    own sequence never changed. Threads are keyed by role, not number:
    ``Thread-9 (process_request_thread)`` → process_request_thread.
    """
    threads: dict[str, list[tuple]] = {}
    for stage in run["stages"]:
        role = stage["thread"].rpartition("(")[2].removesuffix(")")
        key = (stage["tour"], stage["step"], stage["phase"])
        threads.setdefault(role, []).append(key)
    return threads


def test_probe_runs_are_recorded_for_every_scenario_and_startup(
    exported: Path,
) -> None:
    runs = read_script_data(
        exported / "data" / "probe-runs.js", "WALKTHROUGH_PROBE_RUNS"
    )
    assert set(runs["walkthrough"]) == {s.id for s in SCENARIOS} | {"startup"}
    for app, app_runs in runs.items():
        for name, run in app_runs.items():
            assert run["stages"], (app, name)
            assert run["done"]["stages"] == len(run["stages"]), (app, name)


def recorded_runs() -> list:
    """Name each recorded run with the ``/probe/run`` query that repeats it."""
    startup = {"mode": "startup", "method": "GET", "path": "/"}
    runs = [pytest.param("startup", startup, id="startup")]
    for scenario in SCENARIOS:
        query = {"mode": "request", "method": scenario.method, "path": scenario.path}
        runs.append(pytest.param(scenario.id, query, id=scenario.id))
    return runs


@pytest.mark.parametrize(("name", "query"), recorded_runs())
def test_recorded_probe_runs_match_live_runs(
    exported: Path, site: object, name: str, query: dict[str, str]
) -> None:
    runs = read_script_data(
        exported / "data" / "probe-runs.js", "WALKTHROUGH_PROBE_RUNS"
    )
    recorded = runs["walkthrough"][name]
    assert {key: recorded[key] for key in query} == query
    status, body = get(site, "/probe/run?" + urlencode(query))
    assert status == 200
    live = json.loads(body)
    assert recorded["done"]["status"] == live["done"]["status"]
    assert stage_keys_by_thread(recorded) == stage_keys_by_thread(live)


def test_cli_replaces_an_earlier_export(reexported: tuple) -> None:
    result, outdir = reexported
    assert result.returncode == 0, result.stderr
    pages = expected_pages()
    runs = read_script_data(outdir / "data" / "probe-runs.js", "WALKTHROUGH_PROBE_RUNS")
    recorded = sum(len(app_runs) for app_runs in runs.values())
    assert recorded >= len(SCENARIOS) + 1
    assert result.stdout.splitlines()[0] == (
        f"Exported {len(pages)} pages and {recorded} recorded probe "
        f"runs to {outdir.resolve()}"
    )
    assert html_files(outdir) == pages
    assert not (outdir / "tours" / "stale.html").exists()
    assert (outdir / MARKER_FILE).is_file()
    # The staging and retired folders were renamed or removed, not left beside it.
    assert [path.name for path in outdir.parent.iterdir()] == [outdir.name]


def test_404_links_are_root_absolute_without_a_base_url(reexported: tuple) -> None:
    result, outdir = reexported
    assert result.returncode == 0, result.stderr
    links = links_out(outdir / "404.html")
    assert links
    for link in links:
        assert link.startswith("/") and not link.startswith("//"), link
        assert (outdir / target_path(link).removeprefix("/")).is_file(), link


def test_cli_refuses_a_folder_that_is_not_an_export(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    before = snapshot(tmp_path)
    result = walkthrough_export(mine)
    assert result.returncode == 2
    assert f"walkthrough export: {mine.resolve()} is not empty" in result.stderr
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


def test_cli_refuses_a_relative_base_url(tmp_path: Path) -> None:
    result = walkthrough_export(tmp_path / "out", "--base-url", "team/")
    assert result.returncode == 2
    assert "--base-url 'team/'" in result.stderr
    assert "starting with '/'" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("prefix", "problem"),
    [("team/", "starting with '/'"), ("/x?y", "no query, fragment or quotes")],
)
def test_a_bad_base_url_is_refused(tmp_path: Path, prefix: str, problem: str) -> None:
    # Not named base_url: pytest-base-url owns a fixture of that name.
    with pytest.raises(ExportError) as caught:
        export_site(tmp_path / "out", base_url=prefix)
    assert f"--base-url {prefix!r}" in str(caught.value)
    assert problem in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_file_is_not_replaced_by_an_export(tmp_path: Path) -> None:
    file = tmp_path / "site"
    file.write_text("mine", encoding="utf-8")
    with pytest.raises(ExportError, match="is a file") as caught:
        export_site(file)
    assert str(file.resolve()) in str(caught.value)
    assert file.read_text(encoding="utf-8") == "mine"


def test_tours_of_your_own_export_without_probe_runs(tmp_path: Path) -> None:
    """Content with no startup or request tour has no chain for the probe to light."""
    content = tmp_path / "tours"
    content.mkdir()
    (content / "mini.md").write_text(MINI_TOUR, encoding="utf-8")
    summary = export_site(tmp_path / "site", content_dir=content)
    assert "tours/mini/one.html" in summary.pages
    assert summary.probe_runs == []
    assert "probe.html" in summary.pages
    runs_file = tmp_path / "site" / "data" / "probe-runs.js"
    assert read_script_data(runs_file, "WALKTHROUGH_PROBE_RUNS") == {}
