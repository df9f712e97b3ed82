"""Demo mode in Chromium: the site presents itself, and hands over on request.

The demo walks the startup tour, the request tour and a live probe run, then
loops. ``speed=`` divides every dwell, so a whole loop takes seconds here. Step
URLs come from the tour pages, never from a list kept in this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe

# tests/e2e/conftest.py: its server helpers start the second, --demo, site.
from conftest import (
    PageWatch,
    serving_site,
)
from playwright.sync_api import Page, expect

FAST_SPEED = 50
# Slow enough (1 s a step) that a key press lands before the page turns,
# even on a busy machine.
PAUSE_SPEED = 6
# Dwell periods to watch a paused demo not move.
PAUSED_DWELLS = 3
EXITED_DWELLS = 2
# A whole loop is about 50 page loads; a busy machine may take 20 s.
LOOP_TIMEOUT_MS = 45_000
MOVE_TIMEOUT_MS = 5_000
# `serve --demo` runs at 1×: the home page pauses DEMO_TIMINGS.loopPauseMs.
SERVED_DEMO_TIMEOUT_MS = 10_000
SERIOUS = frozenset({"serious", "critical"})
# Chromium logs this when axe adds its own <style> and the CSP refuses it.
AXE_STYLE_REFUSED = "Applying inline style violates the following Content Security"
BANNER_TEXT = (
    "Demo — the site is presenting itself. Press any key or click to take over."
)

# Report what a viewer sees the moment the probe's summary appears; the demo
# moves on soon after, so the page hands it to the test as it happens.
RECORD_PROBE = """
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("probe-summary");
  if (!summary) return;
  new MutationObserver(() => {
    if (summary.hidden) return;
    const lit = document.querySelectorAll(".probe-steps li.is-lit[data-step]");
    window.reportProbe({
      status: summary.querySelector('[data-field="status"]').textContent,
      lit: Array.from(lit, (item) => item.dataset.step),
    });
  }).observe(summary, { attributes: true, attributeFilter: ["hidden"] });
});
"""


def tour_step_urls(page: Page, tour: str) -> list[str]:
    """Read a tour's step URLs, in order, from its tour page (demo off)."""
    page.goto(f"/tours/{tour}/")
    return page.locator(".step-index a").evaluate_all(
        "links => links.map((link) => link.href)"
    )


def with_demo(url: str, speed: float) -> str:
    return f"{url}?demo=1&speed={speed}"


def banner(page: Page):
    return page.get_by_role("region", name="Demo")


def dwell_ms(page: Page, speed: float) -> float:
    """One step's dwell at ``speed``, read from the page's DEMO_TIMINGS."""
    return page.evaluate("DEMO_TIMINGS.stepDwellMs") / speed


def banner_violations(page: Page, watch: PageWatch) -> dict[str, list[str]]:
    """Run axe on the banner in the light and the dark theme; serious findings."""
    found = {}
    for theme in ("light", "dark"):
        page.emulate_media(color_scheme=theme)
        seen = len(watch.console_errors)
        response = Axe().run(page, context=".demo-banner").response
        watch.console_errors[seen:] = [
            error
            for error in watch.console_errors[seen:]
            if not error.startswith(AXE_STYLE_REFUSED)
        ]
        found[theme] = [
            f"{violation['id']}: {violation['help']}"
            for violation in response["violations"]
            if violation["impact"] in SERIOUS
        ]
    return found


def test_demo_walks_both_tours_runs_the_probe_and_loops(
    page: Page, base_url: str, watch: PageWatch
) -> None:
    startup = tour_step_urls(page, "startup")
    request = tour_step_urls(page, "request")
    home = base_url.rstrip("/") + "/"
    seen_probe: list[dict] = []
    page.expose_function("reportProbe", lambda seen: seen_probe.append(seen))
    page.add_init_script(RECORD_PROBE)
    visited: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: visited.append(frame.url) if frame == page.main_frame else None,
    )

    page.goto(with_demo(startup[0], FAST_SPEED))
    expect(banner(page)).to_contain_text(BANNER_TEXT)
    # The startup tour's own page is first reached when the demo loops.
    page.wait_for_url(re.compile(r"/tours/startup/\?demo=1&"), timeout=LOOP_TIMEOUT_MS)

    # The same sequence every time: each step, the probe, home, round again.
    assert [url.split("?")[0] for url in visited] == [
        *startup,
        f"{home}tours/request/",
        *request,
        f"{home}probe",
        home,
        f"{home}tours/startup/",
    ]
    assert all(f"demo=1&speed={FAST_SPEED}" in url for url in visited)
    [seen] = seen_probe
    assert seen["status"] == "200"
    assert f"request/{request[0].rsplit('/', 1)[1]}" in seen["lit"]
    assert len(seen["lit"]) > len(request) // 2
    watch.assert_clean()


def test_a_key_pauses_the_demo_and_play_resumes_it(
    page: Page, watch: PageWatch
) -> None:
    startup = tour_step_urls(page, "startup")
    page.goto(with_demo(startup[0], PAUSE_SPEED))
    expect(banner(page)).to_contain_text(BANNER_TEXT)

    page.keyboard.press("x")
    expect(banner(page)).to_contain_text("Demo paused")
    paused_at = page.url
    page.wait_for_timeout(PAUSED_DWELLS * dwell_ms(page, PAUSE_SPEED))
    assert page.url == paused_at
    expect(banner(page)).to_contain_text("Demo paused")
    expect(banner(page).locator(".demo-position")).to_have_text(
        re.compile(r"^Demo: step \d+ of \d+ — \S")
    )
    assert banner_violations(page, watch) == {"light": [], "dark": []}

    # Next is a control like any but Play: one step on, still paused.
    following = page.locator('link[rel="next"]').get_attribute("href")
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_url(
        re.compile(rf"/{re.escape(following)}\?demo=1&"), timeout=MOVE_TIMEOUT_MS
    )
    expect(banner(page)).to_contain_text("Demo paused")

    # Keyboard only: Tab past the skip link to Play, which shows its focus.
    play = page.get_by_role("button", name="Play", exact=True)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(play).to_be_focused()
    assert play.evaluate("(button) => getComputedStyle(button).outlineStyle") != "none"
    next_at = page.url
    page.keyboard.press("Enter")
    expect(banner(page)).to_contain_text(BANNER_TEXT)
    page.wait_for_url(lambda url: url != next_at, timeout=MOVE_TIMEOUT_MS)
    watch.assert_clean()


def test_speed_then_exit_leaves_the_plain_site(page: Page, watch: PageWatch) -> None:
    startup = tour_step_urls(page, "startup")
    page.goto(with_demo(startup[0], PAUSE_SPEED))

    # A speed button takes over too; Play carries on at the new pace.
    fastest = banner(page).get_by_role("button", name="4×")
    fastest.click()
    expect(fastest).to_have_attribute("aria-pressed", "true")
    expect(banner(page)).to_contain_text("Demo paused")
    assert "speed=4" in page.url
    page.get_by_role("button", name="Play", exact=True).click()
    expect(banner(page)).to_contain_text(BANNER_TEXT)

    page.get_by_role("button", name="Exit demo").click()
    expect(banner(page)).to_have_count(0)
    left_at = page.url
    assert "demo=" not in left_at and "speed=" not in left_at
    page.wait_for_timeout(EXITED_DWELLS * dwell_ms(page, 4))
    assert page.url == left_at
    page.reload()
    expect(page.locator("#step-title")).to_be_visible()
    expect(banner(page)).to_have_count(0)
    watch.assert_clean()


@pytest.fixture(scope="module")
def demo_site() -> Iterator[str]:
    """Serve a second site with ``serve --demo``; yield its base URL."""
    with serving_site("--demo") as url:
        yield url


def test_serve_demo_presents_from_the_home_page(page: Page, demo_site: str) -> None:
    watch = PageWatch(page, demo_site)
    page.goto(demo_site)
    expect(page.locator("html")).to_have_attribute("data-demo", "on")
    expect(banner(page)).to_contain_text(BANNER_TEXT)
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    page.wait_for_url(
        re.compile(r"/tours/startup/\?demo=1&speed=1$"),
        timeout=SERVED_DEMO_TIMEOUT_MS,
    )
    expect(banner(page)).to_be_visible()
    watch.assert_clean()
