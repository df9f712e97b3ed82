"""Chinese steps read well on a phone: CJK fonts, air between lines, no overflow.

A real step page is turned into its Chinese twin in place (``lang="zh-CN"``,
the translated title and prose from content/zh/flask.md, rendered by the
site's markdown parser), so the real markup and site.css are what is checked.
Which font Chromium really drew with comes from the DevTools protocol: a
system font, never a downloaded one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from walkthrough.tour.content import Tour
from walkthrough.tour.render import make_markdown

PHONE = {"width": 390, "height": 844}
CJK_STACK = ('"PingFang SC"', '"Noto Sans CJK SC"', '"Microsoft YaHei"')
# Steps whose lines mix Chinese with long code names, paths and messages.
STEPS = ["route", "add-url-rule", "make-environ"]

SHOW_IN_CHINESE = """([title, html]) => {
  document.documentElement.lang = "zh-CN";
  const heading = document.getElementById("step-title");
  heading.textContent = title;
  while (heading.nextSibling) heading.nextSibling.remove();
  heading.closest(".prose").insertAdjacentHTML("beforeend", html);
}"""
MEASURE = """() => {
  const paragraph = document.querySelector(".prose > p:not([class])");
  const style = getComputedStyle(paragraph);
  const code = getComputedStyle(paragraph.parentNode.querySelector("p > code"));
  const outside = [...document.querySelectorAll(".prose *")]
    .filter((element) => element.getBoundingClientRect().right > innerWidth + 0.5)
    .map((element) => element.outerHTML.slice(0, 80));
  return {
    fontFamily: style.fontFamily,
    lineHeight: parseFloat(style.lineHeight) / parseFloat(style.fontSize),
    codeRoom: parseFloat(code.marginLeft) + parseFloat(code.paddingLeft),
    pageWidth: document.documentElement.scrollWidth,
    outside,
  };
}"""


def show_in_chinese(page: Page, tour: Tour, step_id: str) -> None:
    """Open the English step, then give it the Chinese title, prose and lang."""
    step = tour.step(step_id)
    assert step is not None
    page.goto(f"/tours/flask/{step_id}")
    html = make_markdown().render(step.prose_markdown)
    page.evaluate(SHOW_IN_CHINESE, [step.title, html])


def drawn_fonts(page: Page, selector: str) -> list[dict]:
    """Return the fonts Chromium drew an element's text with (DevTools)."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("DOM.enable")
    devtools.send("CSS.enable")
    root = devtools.send("DOM.getDocument")["root"]["nodeId"]
    node = devtools.send("DOM.querySelector", {"nodeId": root, "selector": selector})
    return devtools.send("CSS.getPlatformFontsForNode", node)["fonts"]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("step_id", STEPS)
def test_a_chinese_step_reads_well_on_a_phone(
    page: Page, watch, zh_flask_tour: Tour, step_id: str, theme: str, tmp_path: Path
) -> None:
    page.set_viewport_size(PHONE)
    page.emulate_media(color_scheme=theme)
    show_in_chinese(page, zh_flask_tour, step_id)
    measured = page.evaluate(MEASURE)
    assert all(name in measured["fontFamily"] for name in CJK_STACK)
    assert measured["lineHeight"] >= 1.6
    assert measured["codeRoom"] > 0
    assert measured["pageWidth"] <= PHONE["width"]
    assert measured["outside"] == []
    fonts = drawn_fonts(page, ".prose > p:not([class])")
    cjk = [font for font in fonts if "CJK" in font["familyName"]]
    assert cjk, fonts  # the system's CJK font drew the Chinese characters
    assert not any(font["isCustomFont"] for font in fonts)  # nothing downloaded
    page.locator(".prose").screenshot(path=tmp_path / f"{step_id}-{theme}.png")
    watch.assert_clean()


def test_english_pages_keep_their_fonts_and_lines(page: Page, watch) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/tours/flask/route")
    measured = page.evaluate(MEASURE)
    assert not any(name in measured["fontFamily"] for name in CJK_STACK)
    assert measured["lineHeight"] == pytest.approx(1.55, abs=0.01)
    watch.assert_clean()
