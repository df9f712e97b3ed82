"""axe-core on every kind of page, in the light theme and the dark one.

``axe-playwright-python`` bundles axe-core, so this runs offline. A page
passes when axe finds nothing ``serious`` or ``critical``: contrast, names,
landmarks, a scrolling panel that a keyboard cannot reach. Both themes are
checked on the same page load: the stylesheets follow the emulated
``prefers-color-scheme`` at once, as they follow the system.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

AXE = Axe()
SERIOUS = frozenset({"serious", "critical"})
THEMES = ("light", "dark")
# The axe rules whose outcome a theme (a set of colours) can change.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
RUN_TIMEOUT_MS = 15_000
NOT_FOUND_PATH = "/tours/no-such-tour/"
# Chromium logs this when axe adds its own <style> and the page's CSP (rightly)
# refuses it: axe's doing, not the site's, so it is dropped while axe runs.
AXE_STYLE_REFUSED = "Applying inline style violates the following Content Security"
PAGES = [
    "/",
    "/tours/request/",
    "/tours/request/environ",
    "/tours/startup/serve-forever",
    "/tours/routing/converter-args",
    "/search?q=environ",
    "/glossary",
    "/tours/request/pop",
    "/probe",
    "/embed/tours/request/",
    "/embed/tours/request/environ",
]


def serious_violations(
    page: Page,
    watch,
    *,
    rules: list[str] | None = None,
    within: list[str] | None = None,
) -> list[str]:
    """Run axe (or some of its rules) on the page, or a part of it, as it is now.

    Return one line per serious or critical finding.
    """
    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    seen = len(watch.console_errors)
    response = AXE.run(page, context=within, options=options).response
    watch.console_errors[seen:] = [
        error
        for error in watch.console_errors[seen:]
        if not error.startswith(AXE_STYLE_REFUSED)
    ]
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        f"{[node['target'] for node in violation['nodes']][:5]}"
        for violation in response["violations"]
        if violation["impact"] in SERIOUS
    ]


def violations_in_both_themes(
    page: Page,
    watch,
    *,
    rules: list[str] | None = None,
    within: list[str] | None = None,
) -> dict[str, list[str]]:
    """Check the page as the system's light theme shows it, then the dark.

    A theme changes colours only, so after the first theme's full run the
    second runs the rules that colours can break (half the time, same proof).
    """
    found = {}
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        theme_rules = rules if theme == THEMES[0] else rules or COLOUR_RULES
        found[theme] = serious_violations(page, watch, rules=theme_rules, within=within)
    return found


def expect_clean(found: dict[str, list[str]]) -> None:
    assert found == {theme: [] for theme in THEMES}


def test_every_kind_of_page_has_no_serious_violations(page: Page, watch) -> None:
    # One browser page for all of them: a context per page would double the time.
    found = {}
    for path in PAGES:
        page.goto(path)
        found[path] = violations_in_both_themes(page, watch)
    assert found == {path: {theme: [] for theme in THEMES} for path in PAGES}
    watch.assert_clean()


def test_not_found_page_has_no_serious_violations(
    page: Page, watch, base_url: str
) -> None:
    response = page.goto(NOT_FOUND_PATH)
    assert response.status == 404
    expect_clean(violations_in_both_themes(page, watch))
    # The page's own 404 is the point of it; anything else still counts.
    missing = f"{base_url.rstrip('/')}{NOT_FOUND_PATH}: 404"
    watch.failed_requests.remove(missing)
    watch.console_errors.remove(
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    )
    watch.assert_clean()


def test_probe_after_a_run_and_mid_replay(page: Page, watch) -> None:
    page.goto("/probe")
    page.get_by_role("button", name="Run the probe").click()
    expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.locator('.trace-row [data-show-step="request/dispatch"]').first.click()
    expect(page.locator("#probe-source section.source")).to_be_visible()
    done = violations_in_both_themes(page, watch)

    # Back through the replay, later events are shown as "not yet": only
    # their colours change, so contrast is the rule to run again.
    page.locator("#replay-range").focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".trace-row.is-future").first).to_be_attached()
    replaying = violations_in_both_themes(
        page,
        watch,
        rules=["color-contrast"],
        within=[".probe-layout", ".probe-waterfall"],
    )
    assert {"done": done, "replaying": replaying} == {
        "done": {theme: [] for theme in THEMES},
        "replaying": {theme: [] for theme in THEMES},
    }
    watch.assert_clean()


def test_search_popup_has_no_serious_violations(page: Page, watch) -> None:
    page.goto("/tours/request/environ")
    field = page.get_by_role("combobox", name="Search the tours")
    field.click()
    field.press_sequentially("request")
    field.press("ArrowDown")
    expect(page.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    # The rest of the page is the step page's test: check the header alone.
    expect_clean(violations_in_both_themes(page, watch, within=[".site-header"]))
    watch.assert_clean()


def test_the_theme_toggle_against_the_system(page: Page, watch) -> None:
    """A chosen theme that differs from the system's is checked as well."""
    page.goto("/tours/request/dispatch")
    toggle = page.locator("#theme-toggle")
    found = {}
    for system, chosen in (("light", "dark"), ("dark", "light")):
        page.emulate_media(color_scheme=system)
        toggle.click()
        expect(page.locator("html")).to_have_attribute("data-theme", chosen)
        found[f"{chosen} on a {system} system"] = serious_violations(page, watch)
    assert found == {"dark on a light system": [], "light on a dark system": []}
    watch.assert_clean()
