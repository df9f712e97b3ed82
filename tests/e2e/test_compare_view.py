"""Ours beside theirs in Chromium: the compare view on a desktop and a phone.

Wide (1400 × 900): our code and Werkzeug's side by side. Phone (390 × 844): one
above the other. Either way both panels show, and the page is never wider than
the screen; a long line scrolls inside its own panel. axe finds nothing serious
in the open view, in the light theme or the dark one.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from test_accessibility import expect_clean, violations_in_both_themes

WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
STEP = "/tours/request/run-wsgi"
COUNTERPART = "werkzeug.serving:WSGIRequestHandler.run_wsgi"
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def open_compare_view(page: Page) -> tuple[Locator, Locator]:
    """Open the step's compare view as a reader does; return its two panels."""
    page.goto(STEP)
    compare = page.locator("#compare")
    expect(compare).to_contain_text(f"This step mirrors {COUNTERPART}")
    panels = compare.locator(".compare-panel")
    expect(panels.first).to_be_hidden()
    compare.get_by_text("Show both sources side by side").click()
    ours, theirs = panels.nth(0), panels.nth(1)
    for panel in (ours, theirs):
        panel.scroll_into_view_if_needed()
        expect(panel).to_be_visible()
        expect(panel.locator("td.code")).to_be_visible()
    expect(ours.locator(".source-header")).to_contain_text("Ours")
    expect(theirs.locator(".source-header")).to_contain_text("Werkzeug 3.1")
    expect(theirs.locator(".source-header")).to_contain_text("werkzeug/serving.py")
    return ours, theirs


@pytest.mark.parametrize(
    ("viewport", "side_by_side"), [(WIDE, True), (PHONE, False)], ids=["wide", "phone"]
)
def test_the_compare_view_fits_the_screen(
    page: Page, watch, viewport: dict[str, int], side_by_side: bool
) -> None:
    page.set_viewport_size(viewport)
    ours, theirs = open_compare_view(page)
    left, right = ours.bounding_box(), theirs.bounding_box()
    assert left is not None and right is not None
    if side_by_side:
        assert left["y"] == right["y"]
        assert left["x"] + left["width"] <= right["x"]
    else:
        assert left["x"] == right["x"]
        assert left["y"] + left["height"] <= right["y"]
    for box in (left, right):
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert page.evaluate(OVERFLOW) <= 0
    # The long lines of Werkzeug's run_wsgi scroll inside the panel instead.
    body = theirs.locator(".compare-body")
    assert body.evaluate("node => node.scrollWidth > node.clientWidth")
    watch.assert_clean()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["wide", "phone"])
def test_the_open_compare_view_has_no_serious_violations(
    page: Page, watch, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    open_compare_view(page)
    expect_clean(violations_in_both_themes(page, watch))
    watch.assert_clean()


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_the_compare_view_opens_with_scripts_off(page: Page) -> None:
    page.set_viewport_size(WIDE)
    ours, theirs = open_compare_view(page)
    expect(ours.locator("td.code")).to_contain_text("def run_wsgi(self)")
    expect(theirs.locator("td.code")).to_contain_text("def run_wsgi(self)")


def test_a_flask_tour_step_links_back_to_ours(page: Page, watch) -> None:
    page.goto("/tours/flask/ctx-push")
    mirrored = page.locator(".mirrored-by")
    expect(mirrored.get_by_role("link")).to_have_count(2)
    mirrored.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/tours/request/push$"))
    expect(page.locator("#compare")).to_contain_text("flask.ctx:RequestContext.push")
    page.go_back()
    expect_clean(violations_in_both_themes(page, watch))
    watch.assert_clean()
