"""Tests for walkthrough/tour/render.py: prose, links, templates, caching."""

from __future__ import annotations

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from jinja2 import UndefinedError
from markupsafe import Markup
from tourfixture.helpers import FIXTURES, SAMPLE_FILE, line_of

from walkthrough.tour.content import ContentError
from walkthrough.tour.glossary import GLOSSARY
from walkthrough.tour.render import (
    ProseRenderer,
    StepLink,
    TourLibrary,
    TourLookupError,
    find_eaten_names,
    find_links,
    make_environment,
    parse_step_link,
)


def site_url(tour_id: str, step_id: str | None) -> str:
    """Build URLs the way the site does, under a script root of /w."""
    return f"/w/tours/{tour_id}/{step_id}" if step_id else f"/w/tours/{tour_id}/"


def _dfn(text: str, term: str) -> str:
    """Return the HTML expected for a known glossary term."""
    definition = GLOSSARY[term]
    slug = term.replace(" ", "-")
    return (
        f'<dfn class="term" tabindex="0" data-term="{term}" '
        f'data-definition="{definition}" aria-describedby="term-{slug}">{text}</dfn>'
    )


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("[x](JaVaScRiPt:alert(1))", "<p>[x](JaVaScRiPt:alert(1))</p>"),
        ("[x](vbscript:msgbox(1))", "<p>[x](vbscript:msgbox(1))</p>"),
        ("[x](data:text/html;base64,PHA+)", "<p>[x](data:text/html;base64,PHA+)</p>"),
        # markdown-it itself would allow data:image; we allow no data: at all.
        ("![x](data:image/png;base64,AA)", "<p>![x](data:image/png;base64,AA)</p>"),
        ("<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>"),
        # Entities are decoded before the scheme is checked.
        ("[x](javascript&#58;alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("[x](&#106;avascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        (
            "[x](https://example.org/a)",
            '<p><a href="https://example.org/a" rel="noopener noreferrer">x</a></p>',
        ),
        (
            "<mailto:a@example.org>",
            '<p><a href="mailto:a@example.org" '
            'rel="noopener noreferrer">mailto:a@example.org</a></p>',
        ),
        ("[x](#accept)", '<p><a href="/w/tours/serving/accept">x</a></p>'),
        ("[x](routing#match)", '<p><a href="/w/tours/routing/match">x</a></p>'),
        ("[x](routing)", '<p><a href="/w/tours/routing/">x</a></p>'),
        ("[x](notes.md)", '<p><a href="notes.md">x</a></p>'),
        ("An [environ](glossary:environ).", f"<p>An {_dfn('environ', 'environ')}.</p>"),
        (
            "[View Functions](glossary:)",
            f"<p>{_dfn('View Functions', 'view function')}</p>",
        ),
        ("[k](glossary:keep-alive)", f"<p>{_dfn('k', 'keep-alive')}</p>"),
        # Link text wrapped across lines still names the term.
        (
            "[app\ncontext](glossary:)",
            f"<p>{_dfn('app' + chr(10) + 'context', 'app context')}</p>",
        ),
        (
            "[x *y*](glossary:nope)",
            '<p><span class="term term-unknown">x <em>y</em></span></p>',
        ),
        ("```\n<b>\n```", "<pre><code>&lt;b&gt;\n</code></pre>"),
    ],
)
def test_prose_is_inert_and_links_resolve(markdown: str, expected: str) -> None:
    renderer = ProseRenderer(site_url)
    assert renderer.render(markdown, tour_id="serving").strip() == expected


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[App.__call__](#a)", '<p><a href="#a">App.__call__</a></p>'),
        ("its __init__ runs", "<p>its __init__ runs</p>"),
        ("Handler.__init__ and self._x_", "<p>Handler.__init__ and self._x_</p>"),
        ("Flask 1.x's __ident_func__.", "<p>Flask 1.x's __ident_func__.</p>"),
        ("_lookup_req_object", "<p>_lookup_req_object</p>"),
        # Emphasis that is not a Python name still works.
        ("an _emphasised_ word", "<p>an <em>emphasised</em> word</p>"),
        ("a **strong** word", "<p>a <strong>strong</strong> word</p>"),
    ],
)
def test_prose_keeps_python_names_literal(markdown: str, expected: str) -> None:
    assert ProseRenderer().render(markdown).strip() == expected


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[App.__call__](#a)", [(0, "App.__call__", "App.**call**")]),
        ("one\nthe __init__ runs", [(1, "__init__", "**init**")]),
        ("self._x_ here", [(0, "self._x_", "self.*x*")]),
        ("`App.__call__` and _emphasis_ and **strong**", []),
    ],
)
def test_find_eaten_names(markdown: str, expected: list[tuple[int, str, str]]) -> None:
    assert [tuple(found) for found in find_eaten_names(markdown)] == expected


def test_prose_without_resolver_keeps_step_links() -> None:
    assert ProseRenderer().render("[x](#a)") == '<p><a href="#a">x</a></p>\n'


def test_prose_highlights_fenced_python_with_classes_only() -> None:
    rendered = ProseRenderer().render("```python\ndef f(): pass\n```")
    assert rendered.startswith('<pre class="highlight"><code><span class="k">def')
    assert "style=" not in rendered


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("#step-1", StepLink(None, "step-1")),
        ("tour#step", StepLink("tour", "step")),
        ("tour_2", StepLink("tour_2", None)),
        ("", None),
        ("#", None),
        ("Tour#step", None),
        ("notes.md", None),
        ("https://x.org#a", None),
        ("/tours/a/b", None),
    ],
)
def test_parse_step_link(href: str, expected: StepLink | None) -> None:
    assert parse_step_link(href) == expected


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("no links", []),
        (
            "[a](#x)\nand [b *c*](t#y)\n\n- [`d`](https://e.org)",
            [(0, "#x", "a"), (1, "t#y", "b c"), (3, "https://e.org", "d")],
        ),
        ("[bad](javascript:x) [ok](#ok)", [(0, "#ok", "ok")]),
        ("[context\nvariable](glossary:)", [(0, "glossary:", "context variable")]),
    ],
)
def test_find_links_reports_lines(
    markdown: str, expected: list[tuple[int, str, str]]
) -> None:
    assert find_links(markdown) == expected


def test_environment_autoescapes_and_renders_markdown(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "{{ text }}|{{ text | markdown }}|{{ '[s](#a)' | markdown('t') }}",
        encoding="utf-8",
    )
    (tmp_path / "typo.html").write_text("{{ missing.name }}", encoding="utf-8")
    environment = make_environment([tmp_path], resolve_link=site_url)
    page = environment.get_template("page.html").render(text="<b>*hi*</b>")
    assert page == (
        "&lt;b&gt;*hi*&lt;/b&gt;|<p>&lt;b&gt;<em>hi</em>&lt;/b&gt;</p>\n"
        '|<p><a href="/w/tours/t/a">s</a></p>\n'
    )
    assert "data-theme" in environment.globals["stylesheet"]("dark")
    with pytest.raises(UndefinedError):
        environment.get_template("typo.html").render()


def _copy_fixtures(tmp_path: Path) -> Path:
    """Copy the good fixture tours into a directory the test may edit."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "good", content)
    return content


def _rewrite(path: Path, text: str) -> None:
    """Rewrite a file and move its mtime forward, so no clock tick is needed."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_library_renders_a_step(tmp_path: Path) -> None:
    library = TourLibrary(_copy_fixtures(tmp_path), resolve_link=site_url)
    assert [tour.id for tour in library.tours()] == ["sample", "serving"]
    rendered = library.render_step("sample", "loud")
    first = line_of(SAMPLE_FILE, "@shout")
    assert (rendered.first_line, rendered.emphasised) == (first, (first, first + 1))
    assert rendered.file == str(SAMPLE_FILE)
    assert rendered.display_file == "tourfixture/sample.py"
    assert (rendered.symbol, rendered.qualname) == (
        "tourfixture.sample:decorated",
        "decorated",
    )
    assert (rendered.previous_step.id, rendered.next_step.id) == ("plain", "property")
    assert (rendered.position, rendered.missing_focus) == (2, ())
    assert isinstance(rendered.code_html, Markup)
    assert f'id="L-{first}"' in rendered.code_html
    assert "<code>@shout</code>" in rendered.prose_html
    assert library.render_step("sample", "plain").previous_step is None
    assert "/w/tours/sample/plain" in library.render_intro("sample")


@pytest.mark.parametrize(
    ("tour_id", "step_id", "message"),
    [
        ("nope", "plain", "no tour 'nope' (known: sample, serving)"),
        ("sample", "nope", "tour 'sample' has no step 'nope'"),
    ],
)
def test_library_lookup_errors(
    tmp_path: Path, tour_id: str, step_id: str, message: str
) -> None:
    library = TourLibrary(_copy_fixtures(tmp_path))
    with pytest.raises(TourLookupError) as raised:
        library.render_step(tour_id, step_id)
    assert raised.value.args[0] == message


def test_library_caches_until_the_tour_file_changes(tmp_path: Path) -> None:
    content = _copy_fixtures(tmp_path)
    library = TourLibrary(content)
    first = library.render_step("serving", "handle")
    assert library.render_step("serving", "handle") is first
    path = content / "serving.md"
    _rewrite(path, path.read_text(encoding="utf-8").replace("[back]", "[go back]"))
    second = library.render_step("serving", "handle")
    assert second is not first
    assert ">go back</a>" in second.prose_html
    assert library.render_step("serving", "handle") is second


def test_library_sees_tours_added_and_removed(tmp_path: Path) -> None:
    content = _copy_fixtures(tmp_path)
    library = TourLibrary(content)
    assert [tour.id for tour in library.tours()] == ["sample", "serving"]
    (content / "sample.md").unlink()
    shutil.copy(FIXTURES / "good" / "sample.md", content / "again.md")
    assert [tour.id for tour in library.tours()] == ["again", "serving"]


def test_tours_and_step_looks_once_and_agrees_with_the_separate_calls(
    tmp_path: Path,
) -> None:
    content = _copy_fixtures(tmp_path)
    library = TourLibrary(content)
    tours, rendered = library.tours_and_step("serving", "handle")
    assert tours == library.tours()
    assert rendered is library.render_step("serving", "handle")
    path = content / "serving.md"
    _rewrite(path, path.read_text(encoding="utf-8").replace("[back]", "[go back]"))
    tours, edited = library.tours_and_step("serving", "handle")
    assert edited is not rendered and ">go back</a>" in edited.prose_html
    assert edited.tour in tours


def test_a_library_looks_at_its_files_at_most_once_per_recheck_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within the interval an edit is not seen; the first look after it sees it."""
    module = tmp_path / "tour_render_interval_module.py"
    module.write_text("def stage():\n    return 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    content = _copy_fixtures(tmp_path)
    tour_file = content / "live.md"
    tour_file.write_text(
        '+++\ntitle = "Live"\n+++\n## Stage\n```step\nid = "stage"\n'
        'symbol = "tour_render_interval_module:stage"\n```\n[back](#stage)\n',
        encoding="utf-8",
    )
    library = TourLibrary(content, recheck_seconds=3600.0)
    tours, rendered = library.tours_and_step("live", "stage")
    _rewrite(tour_file, tour_file.read_text(encoding="utf-8").replace("back", "up"))
    _rewrite(module, "# moved\n\ndef stage():\n    return 2\n")
    assert library.tours_and_step("live", "stage") == (tours, rendered)
    assert library.tours() == tours
    library.recheck_seconds = 0.0
    tours, edited = library.tours_and_step("live", "stage")
    assert ">up</a>" in edited.prose_html and edited.first_line == 3
    assert edited.tour in tours


def test_a_content_folder_removed_after_loading_is_a_content_error(
    tmp_path: Path,
) -> None:
    content = _copy_fixtures(tmp_path)
    library = TourLibrary(content)
    assert library.tours()
    shutil.rmtree(content)
    with pytest.raises(ContentError, match="content directory not found"):
        library.tours()


def test_library_rerenders_when_the_source_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "tour_render_live_module.py"
    module.write_text("def stage():\n    return 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    content = tmp_path / "content"
    content.mkdir()
    (content / "live.md").write_text(
        '+++\ntitle = "Live"\n+++\n## Stage\n```step\nid = "stage"\n'
        'symbol = "tour_render_live_module:stage"\nfocus = "return"\n```\n',
        encoding="utf-8",
    )
    library = TourLibrary(content)
    first = library.render_step("live", "stage")
    assert (first.first_line, first.emphasised) == (1, (2,))
    _rewrite(module, "# moved\n\ndef stage():\n    return 2\n")
    second = library.render_step("live", "stage")
    assert (second.first_line, second.emphasised) == (3, (4,))
    assert 'id="L-4"' in second.code_html and "2</span>" in second.code_html
    assert library.render_step("live", "stage") is second


def test_library_fills_the_cache_once_under_concurrent_requests(
    tmp_path: Path,
) -> None:
    library = TourLibrary(_copy_fixtures(tmp_path))
    barrier = threading.Barrier(6, timeout=10)

    def render() -> object:
        """Start all threads together, then render the same uncached step."""
        barrier.wait()
        return library.render_step("serving", "accept")

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: render(), range(6)))
    assert len({id(result) for result in results}) == 1
