"""The Chinese edition: /zh/ twins, the language switch, translations, catalogue."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from walkthrough.i18n import load_languages, script_string_keys
from walkthrough.live import ProbeTargets
from walkthrough.probe.runner import FAILURE_MESSAGES
from walkthrough.probe.specimen import SCENARIOS
from walkthrough.resources import shipped_path
from walkthrough.site import create_app
from walkthrough.tour.check import check_content, main
from walkthrough.tour.content import load_tours
from walkthrough.tour.fingerprint import step_fingerprint

FIXTURES = Path(__file__).parent / "tour" / "fixtures"
HTML_LANG_RE = re.compile(r'<html lang="([^"]+)"')
SWITCH_RE = re.compile(r'class="language-switch" href="([^"]+)"')
SOURCE_RE = re.compile(r'<code class="source-symbol">(.*?)</code>')
NOTICE_RE = re.compile(r'class="translation-notice"[^>]*>([^<]+)<')
TEMPLATE_STRING_RE = re.compile(r'''\b_\(\s*"((?:[^"\\]|\\.)*)"''')
PYTHON_STRING_RE = re.compile(r'''gettext\(\s*"((?:[^"\\]|\\.)*)"''')


@pytest.fixture(scope="module")
def site(live_server) -> Iterator:
    """Serve the shipped tours, both editions, on the real server."""
    with live_server(create_app()) as server:
        yield server


def english_pages() -> list[str]:
    """Every English page a reader can reach: index, tours, steps, the rest."""
    paths = ["/", "/probe", "/glossary", "/search?q=environ"]
    for tour in load_tours(shipped_path("content")):
        paths.append(f"/tours/{tour.id}/")
        paths += [f"/tours/{tour.id}/{step.id}" for step in tour.steps]
    return paths


def test_every_english_page_has_a_chinese_twin_with_the_same_code(site) -> None:
    for path in english_pages():
        status, english = site.get_text(path)
        twin_status, chinese = site.get_text("/zh" + path)
        assert (status, twin_status) == (200, 200), path
        assert HTML_LANG_RE.search(english).group(1) == "en", path
        assert HTML_LANG_RE.search(chinese).group(1) == "zh-CN", path
        assert SOURCE_RE.findall(chinese) == SOURCE_RE.findall(english), path


def test_the_switch_lands_on_the_same_page_and_back(site) -> None:
    for path in ["/", "/tours/request/run-wsgi", "/glossary", "/search?q=environ"]:
        _, english = site.get_text(path)
        assert SWITCH_RE.findall(english) == ["/zh" + path]
        _, chinese = site.get_text("/zh" + path)
        assert SWITCH_RE.findall(chinese) == [path]


def test_a_404_under_zh_is_chinese_and_its_switch_never_leads_to_a_404(site) -> None:
    status, body = site.get_text("/zh/tours/nope/")
    assert status == 404
    assert HTML_LANG_RE.search(body).group(1) == "zh-CN"
    assert "没有名为 'nope' 的导览。" in html.unescape(body)
    assert SWITCH_RE.findall(body) == ["/tours/nope/"]  # a route: its own twin
    status, body = site.get_text("/zh/no/such/page")
    assert status == 404
    assert SWITCH_RE.findall(body) == ["/"]  # no route: the other edition's home
    _, body = site.get_text("/no/such/page")
    assert SWITCH_RE.findall(body) == ["/zh/"]


def test_the_cache_keeps_each_language_apart(site) -> None:
    _, english = site.get_text("/tours/flask/route")
    _, chinese = site.get_text("/zh/tours/flask/route")
    _, english_again = site.get_text("/tours/flask/route")
    assert english_again == english
    assert "Scaffold.route：一个负责注册的装饰器" in chinese
    assert "一个负责注册的装饰器" not in english


def fixture_copy(tmp_path: Path) -> Path:
    """Copy the translated fixtures, so a test may edit them."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURES / "translated", target)
    return target


def test_missing_and_stale_steps_show_english_with_a_notice(
    live_server, tmp_path: Path
) -> None:
    content = fixture_copy(tmp_path)
    (content / "zh" / "other.md").unlink()  # a malformed file: served as English
    with live_server(create_app(content)) as server:
        kept = server.get_text("/zh/tours/demo/kept")
        changed = server.get_text("/zh/tours/demo/changed")
        untranslated = server.get_text("/zh/tours/demo/untranslated")
    assert kept[0] == changed[0] == untranslated[0] == 200
    assert "这一步的译文是最新的。" in kept[1]
    assert NOTICE_RE.search(kept[1]) is None
    assert NOTICE_RE.search(changed[1]).group(1) == (
        "此步骤的中文译文已过期，下面显示英文原文。"
    )
    assert "This English prose changed after it was translated." in changed[1]
    assert NOTICE_RE.search(untranslated[1]).group(1) == (
        "此步骤的中文译文尚未完成，下面显示英文原文。"
    )


def test_a_translation_updated_to_the_current_fingerprint_is_served(
    live_server, tmp_path: Path
) -> None:
    content = fixture_copy(tmp_path)
    english = load_tours(content)[0]
    current = step_fingerprint(english.step("changed"))
    path = content / "zh" / "demo.md"
    path.write_text(path.read_text().replace("00000000", current, 1))
    with live_server(create_app(content)) as server:
        status, body = server.get_text("/zh/tours/demo/changed")
    assert status == 200
    assert "这段译文翻译的是旧的英文。" in body
    assert NOTICE_RE.search(body) is None


def test_check_reports_missing_extra_stale_links_and_keys() -> None:
    faults = [str(fault) for fault in check_content(FIXTURES / "translated")]
    where = str(FIXTURES / "translated") + "/"
    assert [fault.removeprefix(where) for fault in faults] == [
        "zh/demo.md:1: warning: English step 'untranslated' "
        f"({where}demo.md:26) is not translated",
        "zh/demo.md:7: link '#nowhere' points to unknown step 'nowhere' in tour 'demo'",
        "zh/demo.md:18: warning: step 'changed' is stale: translated from 00000000, "
        "the English is now 1f2eb98b; see what changed with "
        f"`git log -p {where}demo.md` and "
        f"`python -m walkthrough.tour.fingerprint {where}demo.md`",
        f"zh/demo.md:27: step 'extra' has no English step in {where}demo.md",
        "zh/other.md:11: unknown key 'symbol' (known: chain, id, phase, "
        "translated_from)",
    ]


def test_missing_and_stale_are_warnings_unless_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = fixture_copy(tmp_path)
    (content / "zh" / "other.md").unlink()
    demo = content / "zh" / "demo.md"
    text = demo.read_text().replace("(#nowhere)", "(#kept)")
    demo.write_text(text[: text.index("## 多出来的")])
    assert main(["--content", str(content)]) == 0
    assert "warning: step 'changed' is stale" in capsys.readouterr().out
    assert main(["--content", str(content), "--strict-translations"]) == 1


def test_the_command_takes_strict_translations_too(tmp_path: Path) -> None:
    content = fixture_copy(tmp_path)
    (content / "zh" / "other.md").unlink()
    demo = content / "zh" / "demo.md"
    text = demo.read_text().replace("(#nowhere)", "(#kept)")
    demo.write_text(text[: text.index("## 多出来的")])
    command = [sys.executable, "-m", "walkthrough", "check", "--content", str(content)]
    lenient = subprocess.run(command, capture_output=True, text=True, timeout=60)
    strict = subprocess.run(
        [*command, "--strict-translations"], capture_output=True, text=True, timeout=60
    )
    assert lenient.returncode == 0, lenient.stderr
    assert "warning: step 'changed' is stale" in lenient.stdout
    assert strict.returncode == 1, strict.stderr
    assert "warning: step 'changed' is stale" in strict.stdout


def test_the_shipped_content_passes_check() -> None:
    faults = check_content(shipped_path("content"))
    assert [str(fault) for fault in faults if not fault.warning] == []


def marked_strings() -> set[str]:
    """Every string a template, script or view marks for translation."""
    found = set(script_string_keys())
    for template in shipped_path("templates").glob("*.html"):
        found |= set(TEMPLATE_STRING_RE.findall(template.read_text()))
    package = Path(__file__).parent.parent / "walkthrough"
    for module in package.glob("*.py"):
        found |= set(PYTHON_STRING_RE.findall(module.read_text()))
    return found


def test_the_chinese_catalogue_has_every_marked_string() -> None:
    catalogue = load_languages()["zh"].strings
    marked = marked_strings()
    assert "Copy" in marked and "Tours" in marked  # the extraction finds both kinds
    assert sorted(marked - set(catalogue)) == []


def test_placeholders_match_between_english_and_chinese() -> None:
    placeholder = re.compile(r"\{(\w+)\}")
    for english, chinese in load_languages()["zh"].strings.items():
        assert set(placeholder.findall(english)) == set(placeholder.findall(chinese))


def test_scripts_get_their_words_from_the_page(site) -> None:
    _, chinese = site.get_text("/zh/tours/request/run-wsgi")
    _, english = site.get_text("/tours/request/run-wsgi")
    assert ui_strings(chinese)["Copied"] == "已复制"
    assert ui_strings(english) == {}


def ui_strings(page: str) -> dict[str, str]:
    """Read the words a page hands its scripts (a JSON block, never run)."""
    block = re.search(r'id="ui-strings"[^>]*>(.*?)</script>', page, re.S)
    return json.loads(block.group(1))


def test_the_probe_scenarios_and_apps_are_in_the_catalogue() -> None:
    catalogue = load_languages()["zh"].strings
    words = {
        text for scenario in SCENARIOS for text in (scenario.title, scenario.shows)
    }
    words |= {choice.title for choice in ProbeTargets().choices()}
    assert sorted(words - set(catalogue)) == []


def test_why_a_probe_failed_is_in_the_catalogue() -> None:
    catalogue = load_languages()["zh"].strings
    assert sorted(set(FAILURE_MESSAGES) - set(catalogue)) == []


def test_chinese_search_is_served_from_the_chinese_edition(site) -> None:
    status, page = site.get_text("/zh/search?q=" + quote("上下文"))
    assert status == 200
    assert 'href="/zh/tours/contexts/' in page
    status, index = site.get_text("/zh/search-index.json")
    assert "上下文" in index  # written as it is, not as \\u escapes
    entries = json.loads(index)
    assert status == 200 and {entry["tour_id"] for entry in entries} >= {"contexts"}
    assert any("上下文" in entry["title"] for entry in entries)


def test_an_edited_translation_shows_once_the_site_looks_again(
    live_server, tmp_path: Path
) -> None:
    content = fixture_copy(tmp_path)
    translation = content / "zh" / "demo.md"
    app = create_app(content)
    edition = app.view_functions["zh.index"].__self__.editions["zh"]
    edition.library.recheck_seconds = 3600.0
    with live_server(app) as server:
        first = server.get_text("/zh/tours/demo/kept")[1]
        text = translation.read_text(encoding="utf-8")
        translation.write_text(text.replace("是最新的", "刚刚改过"), encoding="utf-8")
        within_interval = server.get_text("/zh/tours/demo/kept")[1]
        edition.library.recheck_seconds = 0.0
        edited = server.get_text("/zh/tours/demo/kept")[1]
    assert "这一步的译文是最新的。" in first
    assert within_interval == first
    assert "这一步的译文刚刚改过。" in edited
