"""Search in Chromium: as you type in the header, and as a plain form.

The popup must agree with the server's ``/search`` (same words, same order),
so the tests read the expected order from the server's own results page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

ENVIRON_STEP = re.compile(r"/tours/request/environ$")
MAX_OPTIONS = 8  # search.js shows this many steps, then an "All N" option


def server_titles(page: Page, query: str) -> list[str]:
    """Return the step titles the server's /search page lists, in order."""
    response = page.request.get(f"/search?q={query}")
    titles = re.findall(
        r'<li>\s*<a href="[^"]+">([^<]+)</a>', response.text().split("<main", 1)[1]
    )
    return [title.replace("&#39;", "'").replace("&amp;", "&") for title in titles]


def server_total(page: Page, query: str) -> int:
    """Return how many steps the server's /search page says matched."""
    response = page.request.get(f"/search?q={query}")
    return int(re.search(r"(\d+) steps? found", response.text()).group(1))


def open_results(page: Page, query: str):
    """Type ``query`` into the header field; return the field and its listbox."""
    field = page.get_by_role("combobox", name="Search the tours")
    field.click()
    field.press_sequentially(query)
    listbox = page.get_by_role("listbox", name="Matching steps")
    expect(listbox).to_be_visible()
    return field, listbox


def test_typing_lists_steps_in_the_servers_order(page: Page, watch) -> None:
    index_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            "/search-index.json" in request.url and index_requests.append(request.url)
        ),
    )
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert index_requests == []  # fetched lazily, on focus, not on every page

    field, listbox = open_results(page, "environ")
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(field).to_have_attribute("aria-controls", "site-search-results")
    options = listbox.get_by_role("option")
    titles = server_titles(page, "environ")
    assert len(titles) > MAX_OPTIONS
    expected = [*titles[:MAX_OPTIONS], f"All {len(titles)} matching steps →"]
    expect(options.locator(".search-option-title")).to_have_text(expected)
    expect(options.first).to_contain_text("Build the environ")
    expect(options.first).to_contain_text("Serving a request")
    announcer = page.locator("#site-search-status")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_contain_text(re.compile(r"\d+ steps match “environ”"))
    assert len(index_requests) == 1  # once, however many keys were typed
    watch.assert_clean()


def test_arrows_and_enter_open_a_step(page: Page, watch) -> None:
    page.goto("/")
    field, listbox = open_results(page, "environ")
    first, second = (
        listbox.get_by_role("option").nth(0),
        listbox.get_by_role("option").nth(1),
    )

    field.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    field.press("ArrowDown")
    expect(second).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    field.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(field).to_be_focused()  # focus never leaves the field

    field.press("Enter")
    expect(page).to_have_url(ENVIRON_STEP)
    expect(page.get_by_role("heading", level=1)).to_have_text("Build the environ")
    watch.assert_clean()


def test_escape_closes_and_keeps_the_text(page: Page, watch) -> None:
    page.goto("/tours/request/")
    field, listbox = open_results(page, "environ")
    field.press("Escape")
    expect(listbox).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(field).not_to_have_attribute("aria-activedescendant", re.compile(".+"))
    expect(field).to_have_value("environ")
    expect(field).to_be_focused()

    # The list comes back with an arrow, and goes when focus leaves.
    field.press("ArrowDown")
    expect(listbox).to_be_visible()
    page.keyboard.press("Tab")
    expect(listbox).to_be_hidden()
    watch.assert_clean()


def test_enter_without_a_choice_submits_the_form(page: Page, watch) -> None:
    page.goto("/")
    field, _ = open_results(page, "environ")
    field.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=environ$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Steps matching “environ”"
    )
    watch.assert_clean()


def test_many_matches_end_with_a_link_to_all_of_them(page: Page, watch) -> None:
    page.goto("/")
    total = server_total(page, "request")
    assert total > MAX_OPTIONS
    field, listbox = open_results(page, "request")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(MAX_OPTIONS + 1)
    expect(options.last).to_have_text(f"All {total} matching steps →")
    field.press("ArrowUp")  # wraps round to the last option
    expect(options.last).to_have_attribute("aria-selected", "true")
    field.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=request$"))
    watch.assert_clean()


def test_a_click_opens_a_step_and_no_match_says_so(page: Page, watch) -> None:
    page.goto("/probe")
    field, listbox = open_results(page, "environ")
    listbox.get_by_role("option", name=re.compile("^Build the environ")).click()
    expect(page).to_have_url(ENVIRON_STEP)

    field = page.get_by_role("combobox", name="Search the tours")
    field.click()
    field.press_sequentially("zzzqqq")
    expect(page.locator(".search-empty")).to_be_visible()
    expect(page.get_by_role("listbox", name="Matching steps")).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#site-search-status")).to_have_text(
        "No step mentions every word of “zzzqqq”."
    )
    watch.assert_clean()


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_search_works_with_scripts_off(page: Page, watch) -> None:
    page.goto("/tours/request/")
    field = page.get_by_role("searchbox", name="Search the tours")
    expect(field).not_to_have_attribute("role", "combobox")  # no script ran
    field.fill("environ")
    field.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=environ$"))
    results = page.locator(".search-results li")
    expect(results.first).to_contain_text("Build the environ")
    expect(field).to_have_value("environ")  # the query stays in the field
    results.first.get_by_role("link").click()
    expect(page).to_have_url(ENVIRON_STEP)

    page.goto("/search?q=zzzqqq")
    expect(page.get_by_text("No step mentions every word")).to_be_visible()
    watch.assert_clean()
