"""Embedding in a wiki, in Chromium: a page on another origin frames a step.

The "wiki" is a plain file server on its own port, so it is another origin.
The site lets it frame the embed view only when ``frame-ancestors`` names it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PageWatch, serving_folder, serving_site
from playwright.sync_api import Page, expect

EMBED_PATH = "embed/tours/request/accept"
WIKI_PAGE = "wiki-page.html"


@pytest.fixture(scope="module")
def wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Serve an empty folder as the wiki; yield the folder and its URL."""
    folder = tmp_path_factory.mktemp("wiki")
    with serving_folder(folder) as url:
        yield folder, url


@pytest.fixture(scope="module")
def wiki_friendly_site(wiki: tuple[Path, str]) -> Iterator[str]:
    """Serve the site with the wiki's origin allowed to frame it."""
    origin = wiki[1].rstrip("/")
    allowed = {"WALKTHROUGH_FRAME_ANCESTORS": f"'self' {origin}"}
    with serving_site(env=allowed) as url:
        yield url


def wiki_page_framing(wiki: tuple[Path, str], site_url: str) -> str:
    """Write the wiki's page with an iframe snippet, as the README shows it."""
    folder, wiki_url = wiki
    snippet = (
        f'<iframe src="{site_url}{EMBED_PATH}" title="How a request is accepted" '
        'width="100%" height="600" loading="lazy"></iframe>'
    )
    head = '<!doctype html><title>Team wiki</title><link rel="icon" href="data:,">'
    html = f"{head}<h1>Our stack</h1>{snippet}"
    (folder / WIKI_PAGE).write_text(html, encoding="utf-8")
    return wiki_url + WIKI_PAGE


def test_an_allowed_wiki_frames_a_step_and_the_reader_moves_on(
    page: Page, wiki: tuple[Path, str], wiki_friendly_site: str
) -> None:
    watch = PageWatch(page, wiki[1])
    page.goto(wiki_page_framing(wiki, wiki_friendly_site))
    frame = page.frame_locator("iframe")
    expect(frame.locator(".embed-header")).to_be_visible()
    expect(frame.locator(".site-header")).to_have_count(0)
    expect(frame.locator(".source-body td.code")).to_contain_text("def ")
    title = frame.locator("#step-title").inner_text()
    frame.locator(".step-pager a[rel=next]").click()
    expect(frame.locator("#step-title")).not_to_have_text(title)
    expect(frame.locator(".embed-header")).to_be_visible()
    open_full = frame.get_by_role("link", name="Open the full walkthrough")
    with page.context.expect_page() as new_tab:
        open_full.click()
    full = new_tab.value
    expect(full.locator(".site-header")).to_be_visible()
    assert "/embed/" not in full.url
    assert page.url.endswith(WIKI_PAGE)
    # Two origins take part, the wiki's and the site's; nothing else may.
    watch.foreign_requests = [
        url for url in watch.foreign_requests if not url.startswith(wiki_friendly_site)
    ]
    watch.assert_clean()


def test_a_wiki_not_named_in_frame_ancestors_is_told_why(
    page: Page, wiki: tuple[Path, str], live_site: str
) -> None:
    # The site allows only 'self': instead of the browser's grey refusal the
    # frame explains itself, names the fix, and offers the way out.
    page.goto(wiki_page_framing(wiki, live_site))
    expect(page.get_by_role("heading", name="Our stack")).to_be_visible()
    frame = page.frame_locator("iframe")
    expect(frame.locator(".source-body")).to_have_count(0)
    expect(frame.get_by_role("heading", level=1)).to_have_text(
        "This page may not show the walkthrough in a frame"
    )
    wiki_origin = wiki[1].rstrip("/")
    expect(frame.locator("main")).to_contain_text(f"this page comes from {wiki_origin}")
    expect(frame.locator("main")).to_contain_text(
        f"WALKTHROUGH_FRAME_ANCESTORS=\"'self' {wiki_origin}\" walkthrough serve"
    )
    with page.context.expect_page() as new_tab:
        frame.get_by_role("link", name="read it in a new tab").click()
    full = new_tab.value
    expect(full.locator("#step-title")).to_have_text("Accept the connection")


def readme_frame_page(wiki: tuple[Path, str], site_url: str, query: str = "") -> str:
    """Write a wiki page with the README's iframe (100% × 640) in a 940 px column."""
    folder, wiki_url = wiki
    snippet = (
        f'<iframe src="{site_url}{EMBED_PATH}{query}" title="How a request is '
        'accepted" width="100%" height="640" loading="lazy"></iframe>'
    )
    style = '<link rel="stylesheet" href="column.css">'
    (folder / "column.css").write_text(
        "body { margin: 0; } main { width: 940px; } iframe { border: 0; }",
        encoding="utf-8",
    )
    head = (
        f'<!doctype html><title>Team wiki</title><link rel="icon" href="data:,">{style}'
    )
    (folder / "column.html").write_text(
        f"{head}<main>{snippet}</main>", encoding="utf-8"
    )
    return wiki_url + "column.html"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_wiki_column_frame_shows_prose_and_code_in_the_chosen_theme(
    page: Page, wiki: tuple[Path, str], wiki_friendly_site: str, theme: str
) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    # The reader's system says the other theme: the embedder's choice wins.
    page.emulate_media(color_scheme="dark" if theme == "light" else "light")
    page.goto(readme_frame_page(wiki, wiki_friendly_site, f"?theme={theme}"))
    frame = page.frame_locator("iframe")
    expect(frame.locator("html")).to_have_attribute("data-theme", theme)
    title = frame.locator("#step-title")
    expect(title).to_be_visible()
    # Every line of this short function is on screen, beside the prose.
    inner = page.locator("iframe").element_handle().content_frame()
    seen = inner.evaluate(
        """() => {
          const code = document.querySelector('.source-body td.code');
          const box = code.getBoundingClientRect();
          const prose = document.querySelector('#step .prose').getBoundingClientRect();
          return {
            bottom: box.bottom, left: box.left, height: innerHeight,
            lines: code.textContent.trim().split('\\n').length,
            proseRight: prose.right, proseVisible: prose.top < innerHeight,
          };
        }"""
    )
    assert seen["bottom"] <= seen["height"]
    assert seen["lines"] >= 5
    assert seen["proseVisible"] and seen["proseRight"] <= seen["left"]
    background = inner.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(21, 23, 26)") is (theme == "dark")
    # Moving on inside the frame keeps the theme.
    frame.locator(".step-pager a[rel=next]").click()
    expect(frame.locator("#step-title")).to_have_text("Admit it, or answer 503")
    expect(frame.locator("html")).to_have_attribute("data-theme", theme)
