"""The Chinese edition in Chromium: reading, the probe, the demo, the switch.

Every path here is under /zh/; the checks are the English ones' (axe clean,
no overflow at 390 px, no console errors), plus what only an edition has:
the switch, the offer to a Chinese browser, and the scripts' Chinese words.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Browser, Page, expect
from test_accessibility import THEMES, violations_in_both_themes
from test_responsive import FRAMES_AT_ONCE, MEASURE_IN_FRAMES, PHONE

RUN_TIMEOUT_MS = 15_000
DEMO_TIMEOUT_MS = 20_000
ZH_PAGES = [
    "/zh/",
    "/zh/tours/request/",
    "/zh/tours/request/environ",
    "/zh/tours/flask/route",
    "/zh/search?q=environ",
    "/zh/glossary",
    "/zh/probe",
    "/zh/embed/tours/request/environ",
]


def test_reading_a_chinese_tour_with_the_arrow_keys(page: Page, watch) -> None:
    page.goto("/zh/tours/request/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("link", name="开始导览 →").click()
    first = page.url
    expect(page.locator(".step-meta")).to_contain_text("第 1 步")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".step-meta")).to_contain_text("第 2 步")
    assert "/zh/tours/request/" in page.url
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(first)
    expect(page.locator(".key-hint")).to_contain_text("在步骤间移动")
    watch.assert_clean()


def test_the_switch_lands_on_the_same_page_and_is_remembered(page: Page, watch) -> None:
    page.goto("/tours/request/environ")
    page.locator(".language-switch").click()
    page.wait_for_url(re.compile(r"/zh/tours/request/environ$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert page.evaluate("localStorage.getItem('walkthrough-language')") == "zh"
    page.locator(".language-switch").click()
    page.wait_for_url(re.compile(r"[^h]/tours/request/environ$"))
    assert page.evaluate("localStorage.getItem('walkthrough-language')") == "en"
    watch.assert_clean()


def test_a_chinese_browser_is_offered_the_chinese_index_once(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(base_url=base_url, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto("/")
        offer = page.locator("#language-offer")
        expect(offer).to_be_visible()
        assert page.url.rstrip("/") == base_url.rstrip("/")  # no redirect
        offer.get_by_role("button").click()
        expect(offer).to_be_hidden()
        page.reload()
        expect(offer).to_be_hidden()
    finally:
        context.close()


def test_an_english_browser_gets_no_offer(page: Page, watch) -> None:
    page.goto("/")
    expect(page.locator("#language-offer")).to_be_hidden()
    watch.assert_clean()


def test_the_probe_runs_and_speaks_chinese(page: Page, watch) -> None:
    page.goto("/zh/probe")
    with page.expect_request(re.compile(r"/probe/stream\?")) as sent:
        page.get_by_role("button", name="运行探针").click()
    # The shared endpoint learns the page's language, so its refusals are Chinese.
    query = parse_qs(urlsplit(sent.value.url).query)
    assert query["lang"] == ["zh"]
    refused = page.request.get(
        "/probe/run?" + urlencode({**query, "path": "nope"}, True)
    )
    assert refused.status == 400
    assert (
        refused.json()["error"]["message"]
        == "路径必须以“/”开头：它是应用上的一个路径。"
    )
    expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#probe-status")).to_contain_text("完成：状态 200")
    expect(page.locator("#replay-position")).to_contain_text("个事件")
    watch.assert_clean()


def test_the_demo_presents_the_chinese_edition(page: Page, watch) -> None:
    page.goto("/zh/tours/startup/?demo=1&speed=6")
    banner = page.locator(".demo-banner")
    expect(banner).to_contain_text("演示中：本站正在自我介绍")
    page.wait_for_url(re.compile(r"/zh/tours/startup/[^?]+\?demo=1&"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.keyboard.press("x")
    expect(banner).to_contain_text("演示已暂停")
    watch.assert_clean()


def test_search_as_you_type_uses_the_chinese_index(page: Page, watch) -> None:
    page.goto("/zh/")
    page.locator("#site-search-input").fill("environ")
    options = page.locator("#site-search-results [role=option]")
    expect(options.first).to_be_visible()
    expect(options.first).to_contain_text(re.compile("[\u4e00-\u9fff]"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/zh/tours/"))
    watch.assert_clean()


def test_chinese_pages_have_no_serious_violations(page: Page, watch) -> None:
    found = {}
    for path in ZH_PAGES:
        page.goto(path)
        found[path] = violations_in_both_themes(page, watch)
    assert found == {path: {theme: [] for theme in THEMES} for path in ZH_PAGES}
    watch.assert_clean()


def test_no_chinese_page_is_wider_than_a_phone(page: Page, watch) -> None:
    page.goto("/zh/")
    entries = page.request.get("/zh/search-index.json").json()
    paths = [f"/zh/tours/{entry['tour_id']}/{entry['step_id']}" for entry in entries]
    paths += ZH_PAGES
    too_wide = page.evaluate(
        MEASURE_IN_FRAMES, {"paths": paths, "batch": FRAMES_AT_ONCE, **PHONE}
    )
    assert too_wide == {}
    watch.assert_clean()
