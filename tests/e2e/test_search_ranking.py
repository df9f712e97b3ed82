"""Search finds code, names and older Flask names, and ranks alike everywhere.

The server computes the index; ``search.js`` scores it with a copy of
``walkthrough/tour/search.py``'s scorer. The first test holds the two to the
same order for a table of queries; the others look at what a reader sees.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from walkthrough.pages import read_step_code
from walkthrough.tour.content import Tour, load_tour
from walkthrough.tour.search import SearchEntry, build_index, explain, search

SIZES = {"wide": (1400, 900), "phone": (390, 844)}
# Queries a reader types: names, word starts, two words, case, punctuation.
PARITY_QUERIES = [
    "g", "environ", "teardown_request", "req", "Request context", "WSGI",
    "serving:make_server", "__call__", "call", "_lookup_req_object",
    "get_ident", "the", "x", "App.wsgi_app", "socket accept", "Ünïcode",
    "RequestContext", "handler", "404", "url_for", "  ",
]  # fmt: skip
# Chinese and mixed: pairs, one character, full-width forms, CJK punctuation.
ZH_PARITY_QUERIES = [
    "上下文", "请求上下文", "请求 上下文", "wsgi_app 上下文", "上下文 wsgi_app",
    "wsgi_app的上下文", "ｗｓｇｉ＿ａｐｐ，上下文", "栈", "文", "视图函数", "钩子",
    "套接字", "应用上下文", "「上下文」。", "RequestContext 请求", "Flask 1.x",
    "数据库连接池", "g", "environ 字典", "监听套接字", "　",
]  # fmt: skip
CONTENT = Path(__file__).resolve().parents[2] / "content"


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


@pytest.fixture(scope="module")
def bilingual_index(zh_flask_tour: Tour) -> list[SearchEntry]:
    """The Chinese Flask tour, then an English one: both kinds of terms."""
    tours = [zh_flask_tour, load_tour(CONTENT / "contexts.md")]
    return build_index(tours, read_step_code)


def test_browser_and_server_rank_chinese_alike(
    page: Page, watch, bilingual_index: list[SearchEntry]
) -> None:
    page.goto("/")
    data = [entry.to_json() for entry in bilingual_index]
    browser = page.evaluate(
        """([entries, queries]) => queries.map((query) =>
            window.walkthroughSearch.rankEntries(entries, query).map((entry) => {
              const hit = window.walkthroughSearch.explain(entry, query);
              return [entries.indexOf(entry), hit.field, hit.snippet];
            }))""",
        [data, ZH_PARITY_QUERIES],
    )
    server = []
    for query in ZH_PARITY_QUERIES:
        found = search(bilingual_index, query, limit=len(bilingual_index))
        hits = [explain(entry, query) for entry in found]
        server.append(
            [[bilingual_index.index(h.entry), h.field, h.snippet] for h in hits]
        )
    assert dict(zip(ZH_PARITY_QUERIES, browser, strict=True)) == dict(
        zip(ZH_PARITY_QUERIES, server, strict=True)
    )
    assert sum(map(len, server)) > 60  # the table really exercises the ranking
    watch.assert_clean()


def test_a_reader_searches_in_chinese_as_they_type(
    page: Page, watch, bilingual_index: list[SearchEntry]
) -> None:
    # The header's field loads whatever index the page names; this page's
    # index is answered with the Chinese one.
    data = [entry.to_json() for entry in bilingual_index]

    def chinese_index(route: Route) -> None:
        route.fulfill(json=data)

    page.route("**/search-index.json", chinese_index)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/tours/flask/route")
    options = open_results(page, "上下文")
    first = options.first
    expect(first.locator(".search-option-title")).to_have_text(
        "request_context：每个 environ 一个上下文"
    )
    # The query's overlapping pairs are marked as the one word typed.
    expect(first.locator(".search-option-title mark")).to_have_text(["上下文"])
    options = open_results(page, "栈")
    expect(options.first.locator(".search-option-why")).to_contain_text("In the text:")
    expect(options.first.locator(".search-option-why mark").first).to_have_text("栈")
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
