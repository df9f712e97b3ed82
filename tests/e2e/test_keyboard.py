"""The site by keyboard alone: skip links, Tab order, focus rings, step keys.

A focus ring counts as visible when the focused element's computed outline
is drawn and at least 2 px wide. Skip-link targets (``main``, headings with
``tabindex="-1"``) take focus without a ring, but they are not Tab stops.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

FIRST_STEP = "/tours/request/noblock"
CODE_STEP = "/tours/request/environ"
MAX_TAB_STOPS = 150
MIN_OUTLINE_PX = 2.0
RUN_TIMEOUT_MS = 15_000

# What the focused element is, and how its focus shows.
FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    className: String(element.className && element.className.baseVal !== undefined
      ? element.className.baseVal : element.className),
    href: element.getAttribute("href") || "",
    text: (element.textContent || "").trim().slice(0, 40),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    inMain: Boolean(element.closest("main")),
  };
}"""


def focused(page: Page) -> dict:
    """Describe the element that has focus now."""
    return page.evaluate(FOCUSED)


def has_visible_ring(element: dict) -> bool:
    """Tell whether a ``focused()`` description shows a focus outline."""
    is_drawn = element["outlineStyle"] != "none"
    return is_drawn and element["outlineWidth"] >= MIN_OUTLINE_PX


def tab_until(page: Page, matches) -> dict:
    """Press Tab until ``matches(focused)``; fail if focus never gets there."""
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        element = focused(page)
        if matches(element):
            return element
    raise AssertionError("Tab never reached the element")


def tab_stops(page: Page) -> list[dict]:
    """Tab from the top until focus leaves the page; return every stop."""
    stops = []
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        element = focused(page)
        if element["tag"] == "body" or (stops and element == stops[0]):
            return stops
        stops.append(element)
    raise AssertionError(f"more than {MAX_TAB_STOPS} Tab stops")


def press_and_land(page: Page, key: str, step: str) -> None:
    """Press a step key and wait until the new step's keys work too."""
    page.keyboard.press(key)
    expect(page).to_have_url(re.compile(rf"/tours/request/{step}$"))
    page.wait_for_load_state()


def test_read_a_tour_with_the_keyboard_only(page: Page, watch) -> None:
    page.goto(FIRST_STEP)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert has_visible_ring(focused(page))

    page.keyboard.press("Enter")
    # Past the header and the step list, straight to the step itself.
    expect(page.locator("#step")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page)["inMain"]  # the header is behind us
    assert page.evaluate("document.activeElement.closest('#step') !== null")

    steps = page.get_by_role("navigation", name=re.compile("^Steps of")).locator("ol a")
    second, third = (
        steps.nth(1).get_attribute("href"),
        steps.nth(2).get_attribute("href"),
    )
    press_and_land(page, "ArrowRight", second)
    expect(page.locator(".step-meta")).to_have_text(re.compile(r"^Step 2 of \d+ · "))
    press_and_land(page, "j", third)
    press_and_land(page, "k", second)
    press_and_land(page, "ArrowLeft", "noblock")
    expect(page.locator(".step-meta")).to_have_text(re.compile(r"^Step 1 of \d+ · "))

    # Typing in the search field keeps its keys: no step change.
    page.get_by_role("combobox", name="Search the tours").press("ArrowRight")
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(r"/noblock$"))
    watch.assert_clean()


def test_arrows_scroll_a_focused_code_panel(page: Page, watch) -> None:
    """In the code panel ←/→ scroll the code; j still goes to the next step."""
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    # Narrow enough that the code is wider than its panel.
    page.set_viewport_size({"width": 500, "height": 800})
    page.goto(CODE_STEP)
    panel = page.locator(".source-body")
    panel.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.source-body').scrollLeft > 0", timeout=5_000
    )
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(r"/tours/request/execute$"))
    assert [url.rsplit("/", 1)[1] for url in visited] == ["environ", "execute"]
    watch.assert_clean()


def test_every_stop_on_a_step_page_shows_its_focus(page: Page, watch) -> None:
    page.goto(CODE_STEP)
    stops = tab_stops(page)
    hidden_rings = [stop for stop in stops if not has_visible_ring(stop)]
    assert hidden_rings == []

    # Header first, in reading order; the code panel is a stop of its own
    # after its Copy button, and its line-number links are not stops (one
    # Tab per line would wear a keyboard user out).
    names = [stop["id"] or stop["className"] or stop["text"] for stop in stops]
    assert names[0] == "skip-link"
    header = names[: names.index("theme-toggle") + 1]
    assert header.index("site-search-input") < header.index("theme-toggle")
    assert not any(stop["inMain"] for stop in stops[: len(header)])
    assert names.index("copy-button") + 1 == names.index("source-body")
    assert not [stop for stop in stops if stop["href"].startswith("#L-")]
    watch.assert_clean()


def test_the_tours_come_before_the_picture_on_the_index(page: Page, watch) -> None:
    page.goto("/")
    page.locator("#theme-toggle").focus()
    page.keyboard.press("Tab")
    expect(page.locator(".tour-card a").first).to_be_focused()
    # The picture's links still take focus for those who want them, with a ring.
    node = page.locator(".chain .node").first
    node.focus()
    assert has_visible_ring(focused(page))
    watch.assert_clean()


@pytest.mark.browser_context_args(permissions=["clipboard-read", "clipboard-write"])
def test_buttons_answer_enter_and_space_and_copy_code_only(page: Page, watch) -> None:
    page.emulate_media(color_scheme="light")
    page.goto(CODE_STEP)
    # Tab order is the previous test's business: go straight to the buttons.
    page.locator("#theme-toggle").focus()
    page.keyboard.press("Space")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")

    page.locator(".copy-button").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".copy-button")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("    def make_environ(self)")
    assert copied.rstrip().endswith("return environ")
    assert not re.search(r"^\s*389\b", copied, re.MULTILINE)  # no line numbers

    # Selecting the panel by hand leaves the numbers out too: they sit in
    # their own cell, which the user cannot select.
    numbers = page.locator(".source-body td.linenos")
    assert numbers.evaluate("cell => getComputedStyle(cell).userSelect") == "none"
    selected = page.locator(".source-body").evaluate(
        """panel => {
          const range = document.createRange();
          range.selectNodeContents(panel);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
          return getSelection().toString();
        }"""
    )
    assert selected.startswith("    def make_environ(self)")
    assert "389\n390" not in selected
    watch.assert_clean()


def test_run_the_probe_by_keyboard_and_hear_its_progress(page: Page, watch) -> None:
    page.goto("/probe")
    status = page.locator("#probe-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    tab_until(page, lambda element: element["id"] == "probe-run")
    assert has_visible_ring(focused(page))
    page.keyboard.press("Enter")
    expect(status).to_have_text(
        re.compile(r"^Done: status 200, "), timeout=RUN_TIMEOUT_MS
    )

    # Replay by its buttons: Space on "Previous event" steps back one event.
    position = page.locator("#replay-position")
    total = page.locator(".trace-row").count()
    expect(position).to_have_text(f"Event {total} of {total}")
    page.get_by_role("button", name="Previous event").focus()
    page.keyboard.press("Space")
    expect(position).to_have_text(f"Event {total - 1} of {total}")
    assert has_visible_ring(focused(page))
    watch.assert_clean()
