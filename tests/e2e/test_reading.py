"""What a reader sees while reading a tour: names, glossary, place, code panels.

Each test runs at a wide desktop (1400 × 900) and a phone (390 × 844), in the
light theme and the dark one, and asserts what is on screen: text, what is in
view, where focus goes, how many lines a header takes.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from walkthrough.tour.glossary import GLOSSARY

SIZES = {"wide": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
THEMES = ("light", "dark")
# The ::after popup of a glossary term, as CSS draws it.
POPUP = "(element) => getComputedStyle(element, '::after').content"


@pytest.fixture(
    params=[(s, t) for s in SIZES for t in THEMES], ids=lambda p: "-".join(p)
)
def reader(request: pytest.FixtureRequest, page: Page) -> Iterator[tuple[Page, str]]:
    """The page at one size and in one theme; yield it with the size's name."""
    size, theme = request.param
    page.set_viewport_size(SIZES[size])
    page.emulate_media(color_scheme=theme)
    yield page, size


def test_dunder_names_read_as_written(reader, watch) -> None:
    page, _ = reader
    page.goto("/tours/startup/run")
    link = page.locator("#step .prose").get_by_role("link", name="App.__call__")
    expect(link).to_have_text("App.__call__")
    page.goto("/tours/request/close")
    expect(page.locator("#step .prose")).to_contain_text("BaseRequestHandler.__init__")
    # The names the issue saw as "TCPServer.**init**": whole, none in bold.
    for path, name in (
        ("/tours/startup/make-server", "TCPServer.__init__"),
        ("/tours/request/finish-request", "BaseWSGIServer.__init__"),
    ):
        page.goto(path)
        prose = page.locator("#step .prose")
        expect(prose).to_contain_text(name)
        emphasised = prose.locator("strong, em").all_inner_texts()
        assert not {"init", "call"} & set(emphasised), path
    watch.assert_clean()


def test_skip_link_lands_on_the_step_and_terms_are_near(reader, watch) -> None:
    page, _ = reader
    page.goto("/tours/request/environ")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#step")).to_be_focused()
    expect(page.locator("#step-title")).to_be_in_viewport()
    presses = 0
    while not page.evaluate("document.activeElement.classList.contains('term')"):
        presses += 1
        assert presses <= 5, "no glossary term within 5 Tabs of the step"
        page.keyboard.press("Tab")
    watch.assert_clean()


def test_a_term_shows_one_popup_that_escape_closes(reader, watch) -> None:
    page, _ = reader
    page.goto("/tours/request/environ")
    term = page.locator("#step dfn.term").first
    expect(term).not_to_have_attribute("title", re.compile(".*"))
    term.focus()
    definition = GLOSSARY[term.get_attribute("data-term")]
    assert term.evaluate(POPUP) == f'"{definition}"'
    # Screen readers get the same words as the popup's description.
    expect(term).to_have_accessible_description(definition)
    page.keyboard.press("Escape")
    assert term.evaluate(POPUP) == "none"
    expect(term).to_be_focused()
    # Leaving and coming back shows it again.
    page.locator("#step-title").click()
    term.focus()
    assert term.evaluate(POPUP) == f'"{definition}"'
    watch.assert_clean()


def test_the_glossary_page_lists_every_term_and_its_steps(reader, watch) -> None:
    page, size = reader
    page.goto("/tours/request/environ")
    page.get_by_role("navigation", name="Site").get_by_role(
        "link", name="Glossary"
    ).click()
    expect(page).to_have_url(re.compile(r"/glossary$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Glossary")
    expect(page.locator(".glossary dt")).to_have_count(len(GLOSSARY))
    entry = page.locator("#glossary-environ")
    expect(entry.locator("dt")).to_have_text("environ")
    expect(entry.locator("dd")).to_contain_text(GLOSSARY["environ"])
    entry.get_by_role("link", name="Build the environ").click()
    expect(page).to_have_url(re.compile(r"/tours/request/environ$"))
    watch.assert_clean()


def test_a_long_tour_shows_its_phase_and_keeps_the_step_in_view(reader, watch) -> None:
    page, size = reader
    page.goto("/tours/request/pop")
    expect(page.locator(".step-meta")).to_have_text(
        re.compile(r"^Step 3\d of 3\d · Send the response back$")
    )
    steps = page.get_by_role("navigation", name="Steps of Serving a request")
    expect(steps.get_by_role("heading")).to_have_text(
        [
            "Accept the connection",
            "Set up the handler",
            "Read the request",
            "Hand the request to the app",
            "Inside the app",
            "Send the response back",
        ]
    )
    current = steps.locator('[aria-current="step"]')
    expect(current).to_have_text("Pop the context, run teardown")
    if size == "wide":  # beside the step; on a phone the list follows it
        expect(current).to_be_in_viewport()
    watch.assert_clean()


def test_the_last_step_leads_to_the_next_tour(reader, watch) -> None:
    page, _ = reader
    page.goto("/tours/startup/serve-forever")
    onward = page.locator(".step-pager").get_by_role(
        "link", name=re.compile("Next tour")
    )
    expect(onward).to_have_text("Next tour: Serving a request →")
    page.locator("#step-title").click()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"/tours/request/$"))
    # Start the tour comes before the 33-step list, and is on screen.
    start = page.get_by_role("link", name="Start the tour →")
    expect(start).to_be_in_viewport()
    first_step = page.locator(".step-index a").first
    assert start.bounding_box()["y"] < first_step.bounding_box()["y"]
    watch.assert_clean()


def test_the_index_shows_the_tours_without_scrolling(reader, watch) -> None:
    page, size = reader
    page.goto("/")
    expect(page.get_by_role("heading", name="The tours")).to_be_in_viewport()
    expect(page.locator(".tour-card").first).to_be_in_viewport()
    if size == "wide":
        for card in page.locator(".tour-card h3 a").all():
            expect(card).to_be_in_viewport()
    watch.assert_clean()


def test_code_panels_show_whole_lines_and_name_their_python(reader, watch) -> None:
    page, size = reader
    page.goto("/tours/startup/run")
    body = page.locator(".source-body")
    if size == "wide":
        # The docstring line is the widest: nothing is clipped at 1400 px.
        fits = body.evaluate("(element) => element.scrollWidth <= element.clientWidth")
        assert fits
    page.goto("/tours/startup/serve-forever")
    where = "socketserver.py, lines"
    python = f"Python {platform.python_version()} · "
    shown = page.locator(".source-where" if size == "wide" else ".source-foot")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text(re.compile(rf"^{re.escape(python + where)} \d+–\d+$"))
    header = page.locator(".source:not(.compare-panel) > .source-header")
    copy = header.get_by_role("button", name="Copy")
    symbol = header.locator(".source-symbol")
    # One row: the name and the Copy button side by side.
    assert abs(copy.bounding_box()["y"] - symbol.bounding_box()["y"]) < 12
    assert header.bounding_box()["height"] < 2.5 * symbol.bounding_box()["height"]
    if size == "phone":
        pager = page.locator(".step-pager")
        assert body.bounding_box()["y"] < pager.bounding_box()["y"]
    watch.assert_clean()


@pytest.mark.parametrize("size", SIZES)
def test_the_next_link_stays_put_from_step_to_step(page: Page, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    edges = set()
    for step in ("noblock", "accept", "verify", "thread", "thread-run"):
        page.goto(f"/tours/request/{step}")
        box = page.locator(".pager-next").bounding_box()
        edges.add(round(box["x"] + box["width"]))
    assert len(edges) == 1, edges


def test_no_key_hint_on_a_touch_screen(browser: Browser, base_url: str) -> None:
    phone = browser.new_context(
        base_url=base_url, viewport=SIZES["phone"], is_mobile=True, has_touch=True
    )
    try:
        page = phone.new_page()
        page.goto("/tours/request/environ")
        expect(page.locator(".step-pager")).to_be_attached()
        expect(page.locator(".key-hint")).to_be_hidden()
    finally:
        phone.close()
    desktop = browser.new_context(base_url=base_url, viewport=SIZES["wide"])
    try:
        page = desktop.new_page()
        page.goto("/tours/request/environ")
        expect(page.locator(".key-hint")).to_be_visible()
    finally:
        desktop.close()
