"""The probe page as a reader follows a run: in view, at reading speed, whole.

A live run is over in milliseconds; the page shows it event by event, keeps
the lit box on screen, then shows what the client got and the app's own code.
Each test runs at 1400 × 900 and 390 × 844, in both themes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

SIZES = {"wide": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
RUN_TIMEOUT_MS = 20_000
# Count the lit stages at the moment the page says it is playing the run back.
RECORD_LIT_AT_PACING = """() => {
  window.litWhenPacing = null;
  const status = document.getElementById("probe-status");
  new MutationObserver(() => {
    if (window.litWhenPacing === null && status.textContent.includes("reading speed")) {
      window.litWhenPacing = document.querySelectorAll(".probe-steps li.is-lit").length;
    }
  }).observe(status, { childList: true, characterData: true, subtree: true });
}"""
CURRENT_BOX_IN_VIEW = """() => {
  const boxes = [...document.querySelectorAll(".chain .node.is-current rect")]
    .map((rect) => rect.getBoundingClientRect()).filter((box) => box.width > 0);
  return boxes.length > 0
    && boxes.every((box) => box.top >= 0 && box.bottom <= innerHeight);
}"""


@pytest.fixture(params=[(s, t) for s in SIZES for t in ("light", "dark")], ids="-".join)
def reader(request: pytest.FixtureRequest, page: Page) -> Iterator[tuple[Page, str]]:
    """The probe page at one size and theme; yield it with the size's name."""
    size, theme = request.param
    page.set_viewport_size(SIZES[size])
    page.emulate_media(color_scheme=theme)
    page.goto("/probe")
    yield page, size


def test_a_run_plays_in_view_at_reading_speed_with_real_times(reader, watch) -> None:
    page, _ = reader
    page.evaluate(RECORD_LIT_AT_PACING)
    expect(page.get_by_label("Show it at reading speed")).to_be_checked()
    page.get_by_role("button", name="Run the probe").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text(
        re.compile(r"The run took \d+\.\d\d ms; showing it at reading speed")
    )
    # While it plays, the lit box is on screen, and the way to skip is offered.
    page.wait_for_function(CURRENT_BOX_IN_VIEW, timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Show the end now")).to_be_visible()
    expect(status).to_contain_text("Done: status 200", timeout=RUN_TIMEOUT_MS)
    lit_at_end = page.locator(".probe-steps li.is-lit").count()
    lit_when_pacing = page.evaluate("window.litWhenPacing")
    assert lit_when_pacing is not None and lit_when_pacing < lit_at_end
    # Real times stay on every lit stage; replay is right there, in view.
    times = page.locator(".probe-steps li.is-lit .stage-time").all_inner_texts()
    assert times and all(re.fullmatch(r"\d+\.\d\d ms", text) for text in times)
    expect(page.get_by_role("button", name="Play")).to_be_in_viewport()
    expect(page.locator('#probe-summary [data-field="total"]')).to_have_text(
        re.compile(r"^\d+\.\d\d ms$")
    )
    expect(page.get_by_role("button", name="Show the end now")).to_be_hidden()
    watch.assert_clean()


def test_the_reader_can_skip_or_turn_off_reading_speed(page: Page, watch) -> None:
    page.goto("/probe")
    page.get_by_role("button", name="Run the probe").click()
    page.get_by_role("button", name="Show the end now").click()
    expect(page.get_by_role("status")).to_contain_text("Done: status 200")
    expect(page.locator("#replay-position")).to_have_text(
        re.compile(r"^Event (\d+) of \1$")
    )

    page.get_by_label("Show it at reading speed").uncheck()
    page.evaluate(RECORD_LIT_AT_PACING)
    page.get_by_role("button", name="Run the probe").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Done: status 200", timeout=RUN_TIMEOUT_MS
    )
    assert page.evaluate("window.litWhenPacing") is None
    watch.assert_clean()


def test_the_apps_own_code_and_the_response_are_shown(reader, watch) -> None:
    page, _ = reader
    own = page.locator("#own-list .own-item")
    boom = own.filter(has=page.locator(".own-name", has_text=re.compile("^boom$")))
    expect(boom.locator(".badge")).to_have_text("view")
    expect(boom.locator(".own-source")).to_contain_text(
        'raise RuntimeError("the specimen\'s /boom view failed on purpose")'
    )
    hook = own.filter(has=page.locator(".own-name", has_text="tag_response"))
    expect(hook.locator(".badge")).to_have_text("hook")

    page.get_by_label("Show it at reading speed").uncheck()
    page.locator('input[name="scenario"][value="error"]').check()
    page.get_by_role("button", name="Run the probe").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Done: status 500", timeout=RUN_TIMEOUT_MS
    )
    expect(boom).to_have_class(re.compile(r"\bis-lit\b"))
    expect(boom.locator(".stage-time")).to_have_text(re.compile(r"^\d+\.\d\d ms$"))
    head = page.get_by_role("region", name="Status line and headers")
    expect(head).to_contain_text(
        re.compile(r"^HTTP/1\.1 500 INTERNAL SERVER ERROR", re.I)
    )
    expect(head).to_contain_text("X-Walkthrough-Probe: 1")  # the after_request hook
    body = page.get_by_role("region", name="Start of the body")
    expect(body).to_have_text("the specimen's error handler answered this 500")

    # The trace's own-code stage opens its three lines beside the trace.
    page.locator('.trace-row [data-show-symbol$=":boom"]').first.click()
    source = page.locator("#probe-source")
    expect(source).to_contain_text("A view of the app being probed")
    expect(source.locator("pre")).to_contain_text("def boom() -> str:")

    # A redirect shows where it points.
    page.locator('input[name="scenario"][value="redirect"]').check()
    page.get_by_role("button", name="Run the probe").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Done: status 308", timeout=RUN_TIMEOUT_MS
    )
    expect(head).to_contain_text(re.compile(r"^Location: .*/docs/$", re.M))
    watch.assert_clean()


def test_the_chain_fits_the_width_it_is_shown_at(reader, watch) -> None:
    page, size = reader
    figure = page.locator(".probe-chain:not([hidden])")
    picture = figure.locator(
        "svg.chain-narrow" if size == "phone" else "svg.chain-wide"
    )
    expect(picture).to_be_visible()
    fits = figure.evaluate(
        """(figure) => {
          const svg = [...figure.querySelectorAll('svg')]
            .find((shown) => shown.getBoundingClientRect().width);
          const right = figure.getBoundingClientRect().right;
          const boxes = [...svg.querySelectorAll('.node rect')]
            .map((rect) => rect.getBoundingClientRect());
          return figure.scrollWidth <= figure.clientWidth
            && boxes.every((box) => box.left >= 0 && box.right <= right);
        }"""
    )
    assert fits
    # Every stage of the request lane is drawn, none hidden off to the side.
    lane = picture.locator('.lane[data-tour="request"] .node')
    expect(lane.first).to_be_visible()
    assert lane.count() > 20
    watch.assert_clean()
