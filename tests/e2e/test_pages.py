"""The tour pages in Chromium: the journeys a reader takes, as a reader sees them."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

STEP_URL = re.compile(r"/tours/request/[^/]+$")


def test_index_to_a_tour_then_steps_by_keyboard(page: Page, watch) -> None:
    page.goto("/")
    expect(page.locator(".chain-wide .node").first).to_be_visible()
    page.locator('.tour-card h3 a[href$="/tours/request/"]').click()
    expect(page).to_have_url(re.compile(r"/tours/request/$"))
    page.get_by_role("link", name="Start the tour →").click()
    expect(page).to_have_url(STEP_URL)
    # The key handler is set up on DOMContentLoaded; a click waits only for
    # the new page to commit.
    page.wait_for_load_state()
    first_step = page.url
    expect(page.locator(".step-meta")).to_contain_text("Step 1 of")
    expect(page.locator("section.source .source-body")).to_be_visible()

    page.keyboard.press("ArrowRight")
    expect(page.locator(".step-meta")).to_contain_text("Step 2 of")
    assert page.url != first_step
    page.wait_for_load_state()
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".step-meta")).to_contain_text("Step 1 of")
    assert page.url == first_step
    watch.assert_clean()


def test_theme_choice_survives_a_reload(page: Page, watch) -> None:
    page.emulate_media(color_scheme="light")
    page.goto("/")
    toggle = page.locator("#theme-toggle")
    expect(toggle).to_have_text("Dark theme")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_text("Light theme")
    watch.assert_clean()


def test_startup_tour_links_to_its_live_run(page: Page, watch) -> None:
    page.goto("/tours/startup/")
    page.get_by_role("link", name="Run this tour's chain live →").click()
    expect(page).to_have_url(re.compile(r"/probe\?mode=startup$"))
    expect(
        page.get_by_role("navigation", name="Site").get_by_role("link", name="Probe")
    ).to_have_attribute("aria-current", "page")
    expect(page.locator('input[name="mode"][value="startup"]')).to_be_checked()
    # A startup run sends no request, so the request's fields are off.
    expect(page.locator('input[name="scenario"]').first).to_be_disabled()
    expect(page.locator("#probe-path")).to_be_disabled()

    page.get_by_role("button", name="Trace the server starting").click()
    expect(page.get_by_role("status")).to_contain_text(
        "the server is up and serving", timeout=15_000
    )
    expect(
        page.locator('.chain-wide .node[data-step="startup/serve-forever"]')
    ).to_have_class(re.compile(r"\bis-lit\b"))
    watch.assert_clean()
