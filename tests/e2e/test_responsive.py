"""The layout at a wide desktop (1400 px) and on a phone (390 × 844).

Wide: prose beside code, and the header on one line. Phone: stacked, and no
page is wider than the screen; a long code line may scroll, but only inside
its own ``overflow: auto`` panel.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
RUN_TIMEOUT_MS = 15_000
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
FRAMES_AT_ONCE = 10
# Load each path in an iframe of the given size; return {path: overflow in px}
# for the pages wider than their frame.
MEASURE_IN_FRAMES = """async ({paths, batch, width, height}) => {
  const measure = (path) => new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.width = String(width);
    frame.height = String(height);
    frame.addEventListener("load", () => {
      const overflow = frame.contentDocument.documentElement.scrollWidth
        - frame.contentWindow.innerWidth;
      frame.remove();
      resolve([path, overflow]);
    });
    frame.src = path;
    document.body.append(frame);
  });
  const tooWide = {};
  for (let at = 0; at < paths.length; at += batch) {
    const sizes = await Promise.all(paths.slice(at, at + batch).map(measure));
    sizes.filter(([, overflow]) => overflow > 0)
      .forEach(([path, overflow]) => { tooWide[path] = overflow; });
  }
  return tooWide;
}"""
HEADER_PARTS = {
    "brand": ".brand",
    "nav": ".site-nav",
    "search": "#site-search-input",
    "theme": "#theme-toggle",
}


def every_page(page: Page) -> list[str]:
    """Return the site's pages: index, tours, every step, search, probe, embeds.

    Embeds (a wiki's iframe is often narrower than a phone) are the tours and
    the first step of each: a step embed shows the same article as its page.
    """
    entries = page.request.get("/search-index.json").json()
    tours = dict.fromkeys(f"/tours/{entry['tour_id']}/" for entry in entries)
    steps = [f"/tours/{entry['tour_id']}/{entry['step_id']}" for entry in entries]
    first_steps: dict[str, str] = {}
    for entry in entries:
        first_steps.setdefault(entry["tour_id"], entry["step_id"])
    embeds = [f"/embed{tour}" for tour in tours] + [
        f"/embed/tours/{tour}/{step}" for tour, step in first_steps.items()
    ]
    return ["/", *tours, *steps, "/search", "/search?q=environ", "/probe", *embeds]


def header_boxes(page: Page) -> dict[str, dict]:
    return {
        name: page.locator(selector).bounding_box()
        for name, selector in HEADER_PARTS.items()
    }


def test_no_page_is_wider_than_a_phone(page: Page, watch) -> None:
    # Each page loads in a phone-sized frame (its own 390 px viewport, so the
    # media queries match), several at a time: a hundred pages in seconds.
    page.goto("/")
    paths = every_page(page)
    assert len(paths) > 50
    too_wide = page.evaluate(
        MEASURE_IN_FRAMES, {"paths": paths, "batch": FRAMES_AT_ONCE, **PHONE}
    )
    assert too_wide == {}
    watch.assert_clean()


def test_the_not_found_page_fits_a_phone(page: Page, watch) -> None:
    # A page of its own: its 404 status is expected, so the watched page
    # (which counts every 404 as broken) stays on pages that should work.
    page.goto("/")
    not_found = page.context.new_page()
    not_found.set_viewport_size(PHONE)
    response = not_found.goto("/tours/no-such-tour/")
    assert response.status == 404
    expect(not_found.get_by_role("heading", level=1)).to_be_visible()
    assert not_found.evaluate(OVERFLOW) <= 0
    watch.assert_clean()


def test_a_long_code_line_scrolls_inside_its_panel(page: Page, watch) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/tours/request/environ")
    panel = page.locator(".source-body")
    scroll_width, client_width, overflow_x = panel.evaluate(
        "panel => [panel.scrollWidth, panel.clientWidth,"
        " getComputedStyle(panel).overflowX]"
    )
    assert scroll_width > client_width  # the code is wider than the phone...
    assert overflow_x == "auto"  # ...so the panel scrolls, not the page
    assert page.evaluate(OVERFLOW) <= 0
    watch.assert_clean()


def test_a_probe_run_fits_a_phone(page: Page, watch) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/probe")
    page.get_by_role("button", name="Run the probe").click()
    expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.locator('.trace-row [data-show-step="request/dispatch"]').first.click()
    expect(page.locator("#probe-source section.source")).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0
    watch.assert_clean()


def test_prose_beside_code_when_wide_stacked_on_a_phone(page: Page, watch) -> None:
    page.set_viewport_size(WIDE)
    page.goto("/tours/request/environ")
    prose = page.locator(".step-layout > .prose")
    source = page.locator(".step-layout > .source")
    wide_prose, wide_source = prose.bounding_box(), source.bounding_box()
    assert wide_source["x"] >= wide_prose["x"] + wide_prose["width"]
    assert abs(wide_source["y"] - wide_prose["y"]) < 20

    page.set_viewport_size(PHONE)
    narrow_prose, narrow_source = prose.bounding_box(), source.bounding_box()
    assert narrow_source["y"] >= narrow_prose["y"] + narrow_prose["height"]
    assert narrow_source["width"] > PHONE["width"] * 0.85
    watch.assert_clean()


def test_header_on_one_line_when_wide_and_wrapped_on_a_phone(page: Page, watch) -> None:
    # The longest tour title is the widest header the site shows.
    entries = page.request.get("/search-index.json").json()
    longest = max(entries, key=lambda entry: len(entry["tour_title"]))
    page.set_viewport_size(WIDE)
    page.goto(f"/tours/{longest['tour_id']}/")
    boxes = header_boxes(page)
    assert max(box["y"] for box in boxes.values()) < min(
        box["y"] + box["height"] for box in boxes.values()
    ), f"not one line: {boxes}"

    page.set_viewport_size(PHONE)
    boxes = header_boxes(page)
    brand, nav, search, theme = (boxes[name] for name in HEADER_PARTS)
    assert (
        abs(brand["y"] + brand["height"] / 2 - (theme["y"] + theme["height"] / 2)) < 8
    )
    assert nav["y"] >= brand["y"] + brand["height"]
    assert search["y"] >= nav["y"] + nav["height"]
    assert search["width"] > PHONE["width"] / 2  # room to type
    assert all(box["x"] + box["width"] <= PHONE["width"] for box in boxes.values())
    assert page.evaluate(OVERFLOW) <= 0

    # The results popup fits the phone too.
    field = page.get_by_role("combobox", name="Search the tours")
    field.click()
    field.press_sequentially("environ")
    popup = page.get_by_role("listbox", name="Matching steps")
    expect(popup).to_be_visible()
    box = popup.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate(OVERFLOW) <= 0
    watch.assert_clean()
