"""Fingerprinted assets and the /embed/ views, over real HTTP on 127.0.0.1.

An asset URL that names its content (``?v=``) may be cached for a year; any
other URL for it must revalidate. An embed page is a step or tour without
the site's chrome, for a wiki's iframe, whose step links stay in /embed/.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from walkthrough.framework.app import App
from walkthrough.links import AssetFingerprints
from walkthrough.resources import shipped_path
from walkthrough.site import FRAME_ANCESTORS_ENV_VAR, create_app

SOCKET_TIMEOUT_SECONDS = 5.0
PREFIX = "/team/walkthrough"
IMMUTABLE = "public, max-age=31536000, immutable"
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
WIKI = "'self' https://wiki.example.org"
# A step with both a previous and a next step, and its tour.
TOUR, STEP = "request", "environ"
EMBED_PAGES = [f"/embed/tours/{TOUR}/", f"/embed/tours/{TOUR}/{STEP}"]


# -- clients and parsing -------------------------------------------------------


@dataclass
class Answer:
    """One response, read to its end."""

    status: int
    headers: dict[str, str]
    body: bytes


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> Answer:
    """GET ``path`` on 127.0.0.1 without following redirects."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


class PageParser(HTMLParser):
    """Keep every start tag, the visible text, and the code section's events.

    The code section is kept as parser events, so two pages can be compared
    on their markup without comparing the rest of the page.
    """

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.source: list[tuple[str, ...]] = []
        self.source_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        opens_source = tag == "section" and attributes.get("class") == "source"
        if self.source_depth or opens_source:
            self.source.append(("start", tag, *sorted(attributes.items())))
            self.source_depth += tag == "section"

    def handle_endtag(self, tag: str) -> None:
        if self.source_depth:
            self.source.append(("end", tag))
            self.source_depth -= tag == "section"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.source_depth:
            self.source.append(("data", data))


def parse(answer: Answer) -> PageParser:
    """Parse a response's HTML body."""
    parser = PageParser()
    parser.feed(answer.body.decode("utf-8"))
    parser.close()
    return parser


def elements(page: PageParser, tag: str, css_class: str = "") -> list[dict[str, str]]:
    """Return the attributes of each ``tag`` (having ``css_class``, if given)."""
    return [
        attributes
        for name, attributes in page.tags
        if name == tag
        and (not css_class or css_class in attributes.get("class", "").split())
    ]


def asset_urls(page: PageParser) -> list[str]:
    """Return the stylesheets and scripts a page loads, as written."""
    links = elements(page, "link")
    sheets = [link["href"] for link in links if link.get("rel") == "stylesheet"]
    scripts = [script for script in elements(page, "script") if "src" in script]
    return sheets + [script["src"] for script in scripts]


def version_of(url: str) -> str | None:
    """Return the ``v`` query value of a URL, or None."""
    return parse_qs(urlsplit(url).query).get("v", [None])[0]


def fingerprint(body: bytes) -> str:
    """Name bytes as the site is meant to: sha256, first 12 hex digits."""
    return hashlib.sha256(body).hexdigest()[:12]


def step_links(page: PageParser) -> list[str]:
    """Return the pager's and the head's prev/next links, as written."""
    return [
        attributes["href"]
        for tag in ("a", "link")
        for attributes in elements(page, tag)
        if attributes.get("rel") in ("prev", "next")
    ]


# -- servers -------------------------------------------------------------------


def make_site(frame_ancestors: str | None = None) -> App:
    """Build the site with no frame-ancestors from the environment.

    A developer's WALKTHROUGH_FRAME_ANCESTORS would change the default the
    policy tests expect.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(FRAME_ANCESTORS_ENV_VAR, raising=False)
        return create_app(frame_ancestors=frame_ancestors)


class PrefixDispatcher:
    """Mount an app at ``prefix`` (test_hosting.py's, as Werkzeug's does)."""

    def __init__(self, app: App, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
        environ["PATH_INFO"] = path[len(self.prefix) :]
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def site(live_server) -> Iterator:
    """Serve the shipped site at the root for this module's tests."""
    with live_server(make_site()) as server:
        yield server


@pytest.fixture(scope="module")
def mounted(live_server) -> Iterator:
    """Serve the shipped site at PREFIX, as a team's sub-path does."""
    with live_server(PrefixDispatcher(make_site(), PREFIX)) as server:
        yield server


# -- fingerprinted assets ------------------------------------------------------


@pytest.mark.parametrize("path", ["/", f"/tours/{TOUR}/{STEP}"])
def test_every_asset_url_names_its_content_and_is_immutable(site, path) -> None:
    page = parse(fetch(site.port, path))
    urls = asset_urls(page)
    names = {urlsplit(url).path.rsplit("/", 1)[1] for url in urls}
    assert {"site.css", "highlight.css", "site.js"} <= names, urls
    for url in urls:
        version = version_of(url)
        assert version and len(version) == 12, url
        assert set(version) <= set("0123456789abcdef"), url
        answer = fetch(site.port, url)
        assert answer.status == 200, url
        assert answer.headers["Cache-Control"] == IMMUTABLE, url
        suffix = Path(urlsplit(url).path).suffix
        assert answer.headers["Content-Type"] == CONTENT_TYPES[suffix], url
        assert fingerprint(answer.body) == version, url


def test_an_asset_without_its_current_fingerprint_must_revalidate(site) -> None:
    """A stale page's old ``?v=`` must never earn a year in the cache."""
    for url in asset_urls(parse(fetch(site.port, "/"))):
        path = urlsplit(url).path
        for query in ("", "?v=000000000000", "?v="):
            answer = fetch(site.port, path + query)
            assert answer.status == 200, path + query
            assert answer.headers.get("Cache-Control") == "no-cache", path + query


def test_revalidating_a_fingerprinted_asset_stays_immutable(site) -> None:
    for url in asset_urls(parse(fetch(site.port, "/"))):
        etag = fetch(site.port, url).headers["ETag"]
        answer = fetch(site.port, url, {"If-None-Match": etag})
        assert (answer.status, answer.body) == (304, b""), url
        assert answer.headers["Cache-Control"] == IMMUTABLE, url


def test_a_fingerprint_is_the_content_hash_and_follows_an_edit(tmp_path) -> None:
    """Same size, new bytes: only the changed mtime tells the cache to rehash."""
    asset = tmp_path / "theme.css"
    asset.write_bytes(b"a { color: red }")
    assets = AssetFingerprints(tmp_path, recheck_seconds=0)
    before = assets.of("theme.css")
    assert before == fingerprint(b"a { color: red }")
    assert assets.is_current("theme.css", before)

    asset.write_bytes(b"a { color: tan }")
    mtime_ns = asset.stat().st_mtime_ns + 5_000_000_000
    os.utime(asset, ns=(mtime_ns, mtime_ns))
    after = assets.of("theme.css")
    assert after == fingerprint(b"a { color: tan }") != before
    assert not assets.is_current("theme.css", before)
    assert assets.of("missing.css") is None
    assert not assets.is_current("missing.css", None)


def test_a_fingerprint_is_rechecked_at_most_once_per_interval(tmp_path) -> None:
    """Within the interval the file is not even looked at: same object back."""
    asset = tmp_path / "theme.css"
    asset.write_bytes(b"a { color: red }")
    assets = AssetFingerprints(tmp_path, recheck_seconds=3600)
    before = assets.of("theme.css")
    asset.write_bytes(b"a { color: tan }")
    assert assets.of("theme.css") is before
    assets.recheck_seconds = 0
    assert assets.of("theme.css") == fingerprint(b"a { color: tan }")


def test_a_cached_page_links_an_edited_asset_by_its_new_fingerprint(
    live_server, tmp_path
) -> None:
    """A browser holds the old ``?v=`` URL as immutable: pages must move on.

    The site's fingerprints read a copy of the static folder here, so the
    test can edit an asset without touching the shipped one.
    """
    shutil.copytree(shipped_path("static"), tmp_path / "static")
    app = make_site()
    assets = app.view_functions["index"].__self__.assets
    assets.directory = tmp_path / "static"
    assets.recheck_seconds = 0
    with live_server(app) as server:
        first = asset_urls(parse(fetch(server.port, "/")))
        stylesheet = tmp_path / "static" / "site.css"
        stylesheet.write_bytes(stylesheet.read_bytes() + b"\n/* edited */\n")
        mtime_ns = stylesheet.stat().st_mtime_ns + 5_000_000_000
        os.utime(stylesheet, ns=(mtime_ns, mtime_ns))
        second = asset_urls(parse(fetch(server.port, "/")))
    [old] = [url for url in first if "/site.css?" in url]
    [new] = [url for url in second if "/site.css?" in url]
    assert version_of(new) == fingerprint(stylesheet.read_bytes()) != version_of(old)


def test_assets_under_a_sub_path_keep_the_prefix_and_are_immutable(mounted) -> None:
    for path in (PREFIX + "/", f"{PREFIX}/embed/tours/{TOUR}/{STEP}"):
        urls = asset_urls(parse(fetch(mounted.port, path)))
        assert urls
        for url in urls:
            assert url.startswith(PREFIX + "/static/") and version_of(url), url
            answer = fetch(mounted.port, url)
            assert answer.status == 200, url
            assert answer.headers["Cache-Control"] == IMMUTABLE, url


# -- embed views ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "full_page"),
    [(EMBED_PAGES[0], f"/tours/{TOUR}/"), (EMBED_PAGES[1], f"/tours/{TOUR}/{STEP}")],
)
def test_an_embed_page_has_no_chrome_but_a_way_out(site, path, full_page) -> None:
    answer = fetch(site.port, path)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    page = parse(answer)
    assert elements(page, "header", "site-header") == []
    assert elements(page, "form") == []
    assert elements(page, "footer") == []
    assert len(elements(page, "header", "embed-header")) == 1
    [way_out] = elements(page, "a", "embed-open")
    assert way_out["href"] == full_page
    assert way_out["target"] == "_blank"
    assert "noopener" in way_out["rel"].split()
    assert fetch(site.port, full_page).status == 200


@pytest.mark.parametrize("path", EMBED_PAGES)
def test_links_from_an_embed_page_stay_in_the_embed_view(site, path) -> None:
    """Everything a reader can follow inside the frame, but the way out."""
    page_url = f"http://127.0.0.1:{site.port}{path}"
    page = parse(fetch(site.port, path))
    hrefs = [
        a["href"]
        for a in elements(page, "a")
        if "href" in a and "embed-open" not in a.get("class", "")
    ]
    hrefs += step_links(page)
    targets = set()
    for href in hrefs:
        url = urlsplit(urljoin(page_url, href))
        if url.netloc == urlsplit(page_url).netloc and not href.startswith("#"):
            targets.add(url.path)
    assert targets
    assert [t for t in targets if not t.startswith("/embed/tours/")] == []
    statuses = {target: fetch(site.port, target).status for target in targets}
    assert {t: status for t, status in statuses.items() if status != 200} == {}


def test_embed_step_links_are_relative_and_answer(site) -> None:
    path = EMBED_PAGES[1]
    links = step_links(parse(fetch(site.port, path)))
    assert len(links) == 4, links
    for href in links:
        assert not urlsplit(href).scheme and not href.startswith("/"), href
        target = urlsplit(urljoin(f"http://127.0.0.1:{site.port}{path}", href)).path
        assert target.startswith(f"/embed/tours/{TOUR}/"), href
        assert fetch(site.port, target).status == 200, target


@pytest.mark.parametrize("path", EMBED_PAGES)
def test_embed_pages_send_the_site_policy(site, path) -> None:
    policy = fetch(site.port, path).headers["Content-Security-Policy"]
    assert policy == fetch(site.port, "/").headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors 'self'")


def test_a_wiki_named_in_frame_ancestors_may_frame_embeds(live_server) -> None:
    with live_server(make_site(frame_ancestors=WIKI)) as server:
        for path in EMBED_PAGES:
            policy = fetch(server.port, path).headers["Content-Security-Policy"]
            assert policy.endswith(f"frame-ancestors {WIKI}"), path


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        ("/embed/tours/nosuchtour/", "There is no tour called 'nosuchtour'."),
        ("/embed/tours/nosuchtour/x", "There is no step 'x' in tour 'nosuchtour'."),
        (f"/embed/tours/{TOUR}/nosuchstep", f"no step 'nosuchstep' in tour '{TOUR}'"),
    ],
)
def test_an_unknown_embed_is_a_404_naming_it(site, path, phrase) -> None:
    answer = fetch(site.port, path)
    assert answer.status == 404
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert phrase in "".join(parse(answer).text)


@pytest.mark.parametrize(("server_name", "prefix"), [("site", ""), ("mounted", PREFIX)])
def test_a_bare_embed_tour_redirects_to_its_slash_form(
    request, server_name, prefix
) -> None:
    """The router answers a missing trailing slash with 308 (method kept)."""
    server = request.getfixturevalue(server_name)
    answer = fetch(server.port, f"{prefix}/embed/tours/{TOUR}?x=1")
    assert answer.status == 308
    assert answer.headers["Location"] == f"{prefix}/embed/tours/{TOUR}/?x=1"


def test_the_embed_step_shows_the_full_steps_code(site) -> None:
    full = parse(fetch(site.port, f"/tours/{TOUR}/{STEP}")).source
    embedded = parse(fetch(site.port, EMBED_PAGES[1])).source
    assert len(full) > 10
    assert embedded == full


@pytest.mark.parametrize("path", EMBED_PAGES)
def test_embed_pages_revalidate_with_etag(site, path) -> None:
    etag = fetch(site.port, path).headers["ETag"]
    answer = fetch(site.port, path, {"If-None-Match": etag})
    assert (answer.status, answer.body) == (304, b"")


def test_an_embed_under_a_sub_path_stays_under_it(mounted) -> None:
    path = f"{PREFIX}/embed/tours/{TOUR}/{STEP}"
    page = parse(fetch(mounted.port, path))
    [way_out] = elements(page, "a", "embed-open")
    assert way_out["href"] == f"{PREFIX}/tours/{TOUR}/{STEP}"
    assert fetch(mounted.port, way_out["href"]).status == 200
    for href in step_links(page):
        target = urlsplit(urljoin(f"http://127.0.0.1:{mounted.port}{path}", href)).path
        assert target.startswith(f"{PREFIX}/embed/tours/{TOUR}/"), href
        assert fetch(mounted.port, target).status == 200, target
