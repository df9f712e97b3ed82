"""Search finds code, names and older Flask names, and ranks alike everywhere.

The server computes the index; ``search.js`` scores it with a copy of
``walkthrough/tour/search.py``'s scorer. The first test holds the two to the
same order for a table of queries; the others look at what a reader sees.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from walkthrough.tour.search import SearchEntry, search

SIZES = {"wide": (1400, 900), "phone": (390, 844)}
# Queries a reader types: names, word starts, two words, case, punctuation.
PARITY_QUERIES = [
    "g", "environ", "teardown_request", "req", "Request context", "WSGI",
    "serving:make_server", "__call__", "call", "_lookup_req_object",
    "get_ident", "the", "x", "App.wsgi_app", "socket accept", "Ünïcode",
    "RequestContext", "handler", "404", "url_for", "  ",
]  # fmt: skip


def served_entries(page: Page) -> tuple[list[dict], list[SearchEntry]]:
    """Return the served index as JSON and as the server's own entries."""
    data = page.request.get("/search-index.json").json()
    entries = [
        SearchEntry(
            **{
                **item,
                "code": tuple(item["code"]),
                "also": tuple(item["also"]),
                "terms": {k: tuple(v) for k, v in item["terms"].items()},
            }
        )
        for item in data
    ]
    return data, entries


def test_browser_and_server_rank_every_query_alike(page: Page, watch) -> None:
    page.goto("/")
    data, entries = served_entries(page)
    browser = page.evaluate(
        """([entries, queries]) => queries.map((query) =>
            window.walkthroughSearch.rankEntries(entries, query)
              .map((entry) => entry.tour_id + "/" + entry.step_id))""",
        [data, PARITY_QUERIES],
    )
    server = [
        [f"{e.tour_id}/{e.step_id}" for e in search(entries, q, limit=len(entries))]
        for q in PARITY_QUERIES
    ]
    assert dict(zip(PARITY_QUERIES, browser, strict=True)) == dict(
        zip(PARITY_QUERIES, server, strict=True)
    )
    assert sum(map(len, server)) > 100  # the table really exercises the ranking
    watch.assert_clean()


def open_results(page: Page, query: str):
    """Type ``query`` into the header field; return the listbox's options."""
    field = page.get_by_role("combobox", name="Search the tours")
    field.click()
    field.fill(query)
    listbox = page.get_by_role("listbox", name="Matching steps")
    expect(listbox).to_be_visible()
    return listbox.get_by_role("option")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_reader_finds_code_names_and_flask_1_names(
    page: Page, watch, size: str, theme: str
) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(color_scheme=theme)
    page.goto("/tours/request/environ")
    # On screen in a step's code, or in a name: every option says which.
    options = open_results(page, "teardown_request")
    expect(options.first).to_be_in_viewport()
    expect(options.first.locator(".search-option-why code")).to_contain_text(
        "teardown_request"
    )
    registries = options.filter(has_text="Make the registries")
    expect(registries.locator(".search-option-why")).to_have_text(
        re.compile(r"^In the code: self\.teardown_request_funcs")
    )

    options = open_results(page, "g")
    expect(options.first.locator(".search-option-title")).to_have_text(
        "AppContext: current_app and g"
    )
    expect(page.get_by_role("option", name="registries")).to_have_count(0)

    options = open_results(page, "_lookup_req_object")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("LocalProxy: a name that looks itself up")
    expect(options.first).to_contain_text("Explains _lookup_req_object")
    watch.assert_clean()


def test_the_search_page_shows_why_each_step_matched(page: Page, watch) -> None:
    page.goto("/search?q=release_local")
    first = page.locator(".search-results li").first
    expect(first.get_by_role("link")).to_have_text(
        "Two context variables instead of LocalStack"
    )
    expect(first.locator(".search-why")).to_have_text("Explains release_local")
    page.goto("/search?q=teardown_request")
    why = page.locator(".search-results li .search-why")
    expect(
        why.filter(has_text="In the code: self.teardown_request_funcs")
    ).not_to_have_count(0)
    watch.assert_clean()
