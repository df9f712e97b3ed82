"""Counterparts: the real Flask/Werkzeug code a step mirrors, parsed, checked, shown.

Resolution runs against the installed Flask and Werkzeug; "not installed" is made
real by putting None in `sys.modules`, which is what makes Python's import system
answer ModuleNotFoundError for a package.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import os
import platform
import sys
from pathlib import Path

import pytest
import werkzeug.local
import werkzeug.serving

from walkthrough.resources import shipped_path
from walkthrough.tour.check import (
    check_content,
    main,
    skipped_counterparts,
    skipped_message,
    summary,
)
from walkthrough.tour.content import ContentError, load_tours, parse_tour
from walkthrough.tour.counterpart import (
    FLASK_EXTRA_HINT,
    distribution_label,
    install_hint,
    missing_package,
)
from walkthrough.tour.render import TourLibrary
from walkthrough.tour.source import resolve_symbol

FRONT = '+++\ntitle = "T"\n+++\n'
NOT_INSTALLED = "no_such_package_for_counterparts"
NESTED_WRITE = "werkzeug.serving:WSGIRequestHandler.run_wsgi.<locals>.write"
SHIPPED_TOURS = ("contexts", "errors", "request", "routing", "startup")


def step_block(*lines: str) -> str:
    """Return a tour with one step whose block holds `lines` after id and symbol."""
    body = "\n".join(['id = "s"', 'symbol = "m:f"', *lines])
    return f"{FRONT}## A\n```step\n{body}\n```\n"


def werkzeug_label() -> str:
    """Name the installed Werkzeug as the page should: "Werkzeug 3.1.9"."""
    return f"Werkzeug {importlib.metadata.version('werkzeug')}"


@pytest.fixture
def without_flask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make Flask and Werkzeug impossible to import, as on a machine without them."""
    for name in ("flask", "werkzeug"):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", None),
        ('counterpart = "flask.app:Flask.wsgi_app"', "flask.app:Flask.wsgi_app"),
        ('counterpart = "flask.globals"', "flask.globals"),
        (f'counterpart = "{NESTED_WRITE}"', NESTED_WRITE),
    ],
)
def test_a_step_reads_its_counterpart(line: str, expected: str | None) -> None:
    (step,) = parse_tour(step_block(line), Path("t.md")).steps
    assert step.counterpart == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'counterpart = "flask.app:Flask.wsgi_app()"',
            "counterpart 'flask.app:Flask.wsgi_app()' is not of the form "
            "'module:qualname'",
        ),
        (
            'counterpart = "flask app"',
            "counterpart 'flask app' is not of the form 'module:qualname'",
        ),
        ("counterpart = 3", "'counterpart' must be a string, not int"),
    ],
)
def test_a_malformed_counterpart_fails_at_its_line(line: str, message: str) -> None:
    with pytest.raises(ContentError) as raised:
        parse_tour(step_block(line), Path("t.md"))
    assert (raised.value.line, raised.value.message) == (8, message)


@pytest.mark.parametrize(
    ("symbol", "missing"),
    [
        ("flask.app:Flask.wsgi_app", None),
        ("werkzeug.serving:run_simple", None),
        ("http.server:BaseHTTPRequestHandler.handle", None),
        (f"{NOT_INSTALLED}.app:App", NOT_INSTALLED),
        (NOT_INSTALLED, NOT_INSTALLED),
    ],
)
def test_missing_package_names_only_what_is_not_installed(
    symbol: str, missing: str | None
) -> None:
    assert missing_package(symbol) == missing


def test_missing_package_sees_a_package_made_unimportable(without_flask) -> None:
    assert missing_package("flask.app:Flask.wsgi_app") == "flask"
    assert missing_package("werkzeug.serving:run_simple") == "werkzeug"


class RefusingFinder:
    """Refuse one package outright, as a `sitecustomize` without Flask does."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, name: str, path: object = None, target: object = None):
        if name.partition(".")[0] == self.name:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def test_missing_package_sees_a_package_a_finder_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "refused_twin.py").write_text("def f():\n    pass\n", "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert missing_package("refused_twin:f") is None
    monkeypatch.setattr(
        sys, "meta_path", [RefusingFinder("refused_twin"), *sys.meta_path]
    )
    assert missing_package("refused_twin:f") == "refused_twin"


@pytest.mark.parametrize(
    ("package", "hint"),
    [
        ("flask", FLASK_EXTRA_HINT),
        ("werkzeug", FLASK_EXTRA_HINT),
        ("bottle", "pip install bottle"),
    ],
)
def test_install_hint(package: str, hint: str) -> None:
    assert install_hint(package) == hint


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("werkzeug.serving", werkzeug_label()),
        ("flask.sansio.app", f"Flask {importlib.metadata.version('flask')}"),
        ("http.server", f"Python {platform.python_version()}"),
    ],
)
def test_distribution_label_names_what_ships_the_code(
    module: str, expected: str
) -> None:
    assert distribution_label(module) == expected


def test_a_class_with_a_wrapped_attribute_is_shown_as_the_class() -> None:
    """Werkzeug's LocalProxy forwards `__wrapped__`; it is not a decorated class."""
    source = resolve_symbol("werkzeug.local:LocalProxy")
    # inspect.getsourcelines itself unwraps, and fails on this very class.
    lines = Path(werkzeug.local.__file__).read_text(encoding="utf-8").split("\n")
    first = lines.index("class LocalProxy(t.Generic[T]):") + 1
    assert (source.qualname, source.first_line) == ("LocalProxy", first)
    assert source.lines[0] == lines[first - 1]


def test_check_counts_an_uninstalled_counterpart_as_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "t.md").write_text(
        step_block(f'counterpart = "{NOT_INSTALLED}.app:App"').replace(
            'symbol = "m:f"', 'symbol = "http.server:BaseHTTPRequestHandler.handle"'
        ),
        encoding="utf-8",
    )
    assert check_content(tmp_path) == []
    assert main(["--content", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path}: skipped 1 counterpart: {NOT_INSTALLED} not installed: "
        f"pip install {NOT_INSTALLED}",
        "1 tours, 1 steps: ok; 1 counterpart skipped",
    ]


def test_check_resolves_every_shipped_counterpart() -> None:
    """With Flask installed, all of them resolve, and the summary counts them."""
    content = shipped_path("content")
    tours = [tour for tour in load_tours(content) if tour.id in SHIPPED_TOURS]
    named = [step.counterpart for tour in tours for step in tour.steps]
    counterparts = [name for name in named if name]
    assert len(counterparts) >= 40
    assert check_content(content) == []
    assert skipped_counterparts(tours) == {}
    assert f", {len(counterparts)} counterparts: ok" in summary(tours, content)[-1]


def test_check_without_flask_skips_the_shipped_counterparts(without_flask) -> None:
    content = shipped_path("content")
    tours = [tour for tour in load_tours(content) if tour.id in SHIPPED_TOURS]
    skipped = skipped_counterparts(tours)
    assert set(skipped) == {"flask", "werkzeug"}
    faults = [str(fault) for fault in check_content(content)]
    assert [fault for fault in faults if "counterpart" in fault] == []
    assert skipped_message(skipped) == (
        f"skipped {sum(skipped.values())} counterparts: flask, werkzeug not "
        f"installed: {FLASK_EXTRA_HINT}"
    )


def test_library_renders_the_counterpart_beside_our_source(tmp_path: Path) -> None:
    symbol = NESTED_WRITE
    (tmp_path / "t.md").write_text(
        step_block(f'counterpart = "{symbol}"').replace(
            'symbol = "m:f"', 'symbol = "http.server:BaseHTTPRequestHandler.handle"'
        ),
        encoding="utf-8",
    )
    counterpart = TourLibrary(tmp_path).render_step("t", "s").counterpart
    assert counterpart is not None
    real_file = inspect.getsourcefile(werkzeug.serving)
    lines = Path(real_file).read_text(encoding="utf-8").split("\n")
    first = next(
        number
        for number, line in enumerate(lines, 1)
        if line.strip().startswith("def write(data: bytes)")
    )
    assert (counterpart.distribution, counterpart.display_file) == (
        werkzeug_label(),
        "werkzeug/serving.py",
    )
    assert counterpart.first_line == first
    assert f'<a id="real-{first}" name="real-{first}"></a>' in counterpart.code_html
    assert 'id="ours-' in counterpart.ours_html
    assert counterpart.missing_package is None and counterpart.problem is None


def test_library_says_when_the_counterpart_is_not_installed(
    tmp_path: Path, without_flask
) -> None:
    (tmp_path / "t.md").write_text(
        step_block('counterpart = "flask.app:Flask.wsgi_app"').replace(
            'symbol = "m:f"', 'symbol = "http.server:BaseHTTPRequestHandler.handle"'
        ),
        encoding="utf-8",
    )
    counterpart = TourLibrary(tmp_path).render_step("t", "s").counterpart
    assert counterpart is not None and counterpart.code_html is None
    assert (counterpart.missing_package, counterpart.install_hint) == (
        "flask",
        FLASK_EXTRA_HINT,
    )


def test_library_rerenders_when_the_counterpart_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counterpart's file is an input of the cached step, like the main one."""
    package = tmp_path / "pkg"
    package.mkdir()
    theirs = package / "counterpart_twin.py"
    theirs.write_text("def handle():\n    return 'first'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(package))
    content = tmp_path / "content"
    content.mkdir()
    (content / "t.md").write_text(
        step_block('counterpart = "counterpart_twin:handle"').replace(
            'symbol = "m:f"', 'symbol = "http.server:BaseHTTPRequestHandler.handle"'
        ),
        encoding="utf-8",
    )
    library = TourLibrary(content)
    first = library.render_step("t", "s")
    assert library.render_step("t", "s") is first
    assert "first" in first.counterpart.code_html

    theirs.write_text("def handle():\n    return 'second'\n", encoding="utf-8")
    stamp = os.stat(theirs)
    os.utime(theirs, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))
    second = library.render_step("t", "s")
    assert second is not first
    assert "second" in second.counterpart.code_html
