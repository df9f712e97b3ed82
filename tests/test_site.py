"""The site over real HTTP: every tour and step page, errors, assets.

The server is the project's own, on 127.0.0.1 port 0. Each step page must
show its symbol's real source: the same lines, under the same numbers, as
the file on disk.
"""

from __future__ import annotations

import html
import http.client
import importlib
import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import CodeType

import pytest

from walkthrough.links import RECHECK_SECONDS
from walkthrough.resources import shipped_path
from walkthrough.site import create_app
from walkthrough.tour.content import load_tours
from walkthrough.tour.search import MAX_RESULTS

SOCKET_TIMEOUT_SECONDS = 5.0

LINE_ANCHOR_RE = re.compile(r'<a id="L-(\d+)" name="L-\d+"></a>')
TAG_RE = re.compile(r"<[^>]+>")

HOSTILE_TOUR = """+++
title = "Hostile"
summary = "Markdown that tries to run script."
+++

## Try it

```step
id = "try"
symbol = "socketserver:BaseServer.serve_forever"
```

<script>alert("raw html")</script>
[click me](javascript:alert(1)) and [data](data:text/html,hi)
<img src=x onerror=alert(2)>
"""


@pytest.fixture(scope="module")
def site(live_server) -> Iterator:
    """Serve the shipped tours on the real server for this module's tests."""
    with live_server(create_app()) as server:
        yield server


def get(server: object, path: str, headers: dict[str, str] | None = None):
    """GET ``path`` and return (status, headers, body text)."""
    connection = http.client.HTTPConnection(
        server.host, server.port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def shipped_steps() -> list[tuple[str, str, str]]:
    """Return (tour id, step id, symbol) for every shipped step."""
    tours = load_tours(shipped_path("content"))
    return [(tour.id, step.id, step.symbol) for tour in tours for step in tour.steps]


def real_source(symbol: str) -> tuple[Path, int, list[str]]:
    """Resolve a symbol independently of the engine: file, first line, lines."""
    module_name, _, qualname = symbol.partition(":")
    outer_name, _, inner_name = qualname.partition(".<locals>.")
    target = importlib.import_module(module_name)
    for part in filter(None, outer_name.split(".")):
        target = inspect.getattr_static(target, part)
        target = getattr(target, "fget", None) or getattr(target, "__func__", target)
    target = inspect.unwrap(target)
    if inner_name:
        # A nested function is only code until its enclosing function runs.
        target = next(
            const
            for const in target.__code__.co_consts
            if isinstance(const, CodeType) and const.co_name == inner_name
        )
    lines, first_line = inspect.getsourcelines(target)
    return Path(inspect.getsourcefile(target)), max(first_line, 1), lines


def shown_lines(page: str) -> dict[int, str]:
    """Map each line number shown in the code panel to its text."""
    code = page.split('<td class="code">', 1)[1].split("</td>", 1)[0]
    pieces = LINE_ANCHOR_RE.split(code)
    numbered = zip(pieces[1::2], pieces[2::2], strict=True)
    return {
        int(number): html.unescape(TAG_RE.sub("", text)).rstrip("\n")
        for number, text in numbered
    }


def test_shipped_content_has_tours() -> None:
    assert len(shipped_steps()) >= 10


@pytest.mark.parametrize(("tour_id", "step_id", "symbol"), shipped_steps())
def test_step_page_shows_the_real_source(
    site: object, tour_id: str, step_id: str, symbol: str
) -> None:
    status, headers, page = get(site, f"/tours/{tour_id}/{step_id}")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    path, first_line, lines = real_source(symbol)
    file_lines = path.read_text(encoding="utf-8").splitlines()
    shown = shown_lines(page)
    assert min(shown) == first_line
    assert len(shown) == len(lines)
    for number, text in shown.items():
        assert text == file_lines[number - 1].rstrip("\n")
    assert html.escape(symbol) in page


@pytest.mark.parametrize("tour_id", sorted({tour for tour, _, _ in shipped_steps()}))
def test_tour_page_lists_its_steps(site: object, tour_id: str) -> None:
    status, _, page = get(site, f"/tours/{tour_id}/")
    assert status == 200
    for tour, step_id, _ in shipped_steps():
        if tour == tour_id:
            assert f'href="{step_id}"' in page


def test_index_links_every_tour_and_draws_the_chain(site: object) -> None:
    status, _, page = get(site, "/")
    assert status == 200
    assert '<svg class="chain chain-wide"' in page
    assert '<svg class="chain chain-narrow"' in page
    for tour_id in {tour for tour, _, _ in shipped_steps()}:
        assert f'href="/tours/{tour_id}/"' in page


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        ("/no/such/page", "not part of any tour"),
        ("/tours/nosuchtour/", "no tour called"),
        ("/tours/nosuchtour/step", "no step"),
    ],
)
def test_unknown_paths_get_a_helpful_404(site: object, path: str, phrase: str) -> None:
    status, headers, page = get(site, path)
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert phrase in html.unescape(page)
    assert 'href="/"' in page


def test_healthz_favicon_and_assets(site: object) -> None:
    assert get(site, "/healthz")[::2] == (200, "ok\n")
    status, headers, _ = get(site, "/favicon.ico")
    assert (status, headers["Content-Type"]) == (200, "image/svg+xml")
    for asset, mime in [("site.css", "text/css"), ("site.js", "text/javascript")]:
        status, headers, _ = get(site, f"/static/{asset}")
        assert status == 200
        assert headers["Content-Type"].startswith(mime)
    status, _, css = get(site, "/static/highlight.css")
    assert status == 200
    assert ':root[data-theme="dark"]' in css


def test_step_pages_revalidate_with_etag(site: object) -> None:
    tour_id, step_id, _ = shipped_steps()[0]
    status, headers, _ = get(site, f"/tours/{tour_id}/{step_id}")
    assert status == 200
    status, _, body = get(
        site, f"/tours/{tour_id}/{step_id}", {"If-None-Match": headers["ETag"]}
    )
    assert (status, body) == (304, "")


def test_markdown_cannot_inject_script(live_server, tmp_path: Path) -> None:
    (tmp_path / "hostile.md").write_text(HOSTILE_TOUR, encoding="utf-8")
    with live_server(create_app(tmp_path)) as server:
        status, _, page = get(server, "/tours/hostile/try")
    assert status == 200
    prose = page.split('<section class="prose">', 1)[1].split("</section>", 1)[0]
    assert "<script>" not in prose
    assert "&lt;script&gt;" in prose
    assert "<img" not in prose
    hrefs = re.findall(r'href="([^"]*)"', prose)
    assert not any(href.startswith(("javascript:", "data:")) for href in hrefs)


def test_the_probe_page_answers_for_tours_of_your_own(
    live_server, tmp_path: Path
) -> None:
    """No request tour: the page still renders, and points at the index."""
    (tmp_path / "hostile.md").write_text(HOSTILE_TOUR, encoding="utf-8")
    with live_server(create_app(tmp_path)) as server:
        status, _, page = get(server, "/probe")
    assert status == 200
    assert 'The <a href="/">tours</a>' in page


def test_content_edits_show_on_the_next_request(live_server, tmp_path: Path) -> None:
    tour_file = tmp_path / "live.md"
    tour_file.write_text(HOSTILE_TOUR.replace("Hostile", "Before"), encoding="utf-8")
    with live_server(create_app(tmp_path)) as server:
        assert "Before" in get(server, "/tours/live/")[2]
        tour_file.write_text(HOSTILE_TOUR.replace("Hostile", "After edit"), "utf-8")
        status, _, page = get(server, "/tours/live/")
    assert status == 200
    assert "After edit" in page


@pytest.mark.parametrize("path", ["/", "/tours/request/", "/no/such/page", "/healthz"])
def test_every_response_carries_the_security_headers(site: object, path: str) -> None:
    _, headers, _ = get(site, path)
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'self'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(site: object) -> None:
    tour_id, step_id, _ = shipped_steps()[0]
    for path in ("/", f"/tours/{tour_id}/", f"/tours/{tour_id}/{step_id}"):
        page = get(site, path)[2]
        # A JSON data block is never run, so the CSP need not allow it.
        executable = r'<script(?![^>]*\b(?:src=|type="application/json"))'
        assert re.search(executable, page) is None
        assert "<style" not in page
        assert re.search(r"\sstyle=", page) is None
        assert re.search(r"\son[a-z]+=", page) is None


def test_error_pages_keep_the_errors_own_headers(site: object) -> None:
    connection = http.client.HTTPConnection(site.host, site.port, timeout=5)
    try:
        connection.request("POST", "/healthz")
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 405
    assert response.getheader("Allow") == "GET, HEAD, OPTIONS"
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"


def test_a_cached_step_page_shows_an_edit_once_the_site_looks_again(
    live_server, tmp_path: Path
) -> None:
    """The site looks at the tour files at most once per ``recheck_seconds``.

    Within the interval the cached page is served without touching the disk;
    the first request after it shows the edit.
    """
    tour_file = tmp_path / "live.md"
    tour_file.write_text(HOSTILE_TOUR.replace("<script>", "Before<script>"), "utf-8")
    app = create_app(tmp_path)
    library = app.view_functions["index"].__self__.library
    assert library.recheck_seconds == RECHECK_SECONDS
    library.recheck_seconds = 3600.0
    with live_server(app) as server:
        first = get(server, "/tours/live/try")[2]
        tour_file.write_text(
            HOSTILE_TOUR.replace("<script>", "Edited<script>"), "utf-8"
        )
        within_interval = get(server, "/tours/live/try")[2]
        library.recheck_seconds = 0.05
        page = server.get_text_until("/tours/live/try", "Edited")
    assert "Before" in first
    assert within_interval == first
    assert "Edited" in page
    assert "Before" not in page


def test_search_works_without_scripts(site: object) -> None:
    status, _, page = get(site, "/search?q=make_environ")
    assert status == 200
    assert 'href="/tours/request/environ"' in page
    status, _, page = get(site, "/search?q=zyzzyva-quux")
    assert status == 200
    assert "No step mentions" in html.unescape(page)


def test_search_says_how_many_matched_when_it_lists_fewer(site: object) -> None:
    """A word in nearly every step matches more than the page lists."""
    _, _, page = get(site, "/search?q=the")
    found = re.search(r"(\d+) steps found; the best (\d+) are listed", page)
    assert found, page
    total, listed = map(int, found.groups())
    assert total > listed == MAX_RESULTS
    assert page.count('<li>\n    <a href="/tours/') == listed


def test_search_index_lists_every_step(site: object) -> None:
    connection = http.client.HTTPConnection(site.host, site.port, timeout=5)
    try:
        connection.request("GET", "/search-index.json")
        response = connection.getresponse()
        entries = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 200
    assert {(e["tour_id"], e["step_id"]) for e in entries} == {
        (tour, step) for tour, step, _ in shipped_steps()
    }
    assert all(e["text"] and "](" not in e["text"] for e in entries)


def test_frame_ancestors_can_be_widened_but_not_injected(
    live_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALKTHROUGH_FRAME_ANCESTORS", "'self' https://wiki.example.org")
    with live_server(create_app()) as server:
        _, headers, _ = get(server, "/healthz")
    assert headers["Content-Security-Policy"].endswith(
        "frame-ancestors 'self' https://wiki.example.org"
    )
    for bad in ("'self'; script-src *", "'self', *", "'self'\r\nX-Evil: 1"):
        with pytest.raises(ValueError, match="frame-ancestors"):
            create_app(frame_ancestors=bad)
