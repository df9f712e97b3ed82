"""With scripts off, the tours still read and the probe explains itself."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_a_tour_reads_and_moves_on_with_scripts_off(page: Page) -> None:
    page.goto("/tours/request/")
    page.get_by_role("link", name="Start the tour →").click()
    expect(page).to_have_url(re.compile(r"/tours/request/[\w-]+$"))
    first_url = page.url
    expect(page.locator(".source-body td.code")).to_contain_text("def ")
    expect(page.locator(".prose p").first).not_to_be_empty()
    page.locator(".step-pager a[rel=next]").click()
    expect(page).not_to_have_url(first_url)
    expect(page.locator("#step-title")).not_to_be_empty()
    expect(page.locator("#theme-toggle")).to_be_hidden()  # it needs a script


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_the_probe_page_explains_itself_with_scripts_off(page: Page) -> None:
    page.goto("/probe")
    notice = page.locator(".probe-noscript")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("needs JavaScript")
    expect(notice.get_by_role("link")).to_have_attribute("href", "/tours/request/")
