"""Ours beside theirs, over real HTTP: a step page with its Flask/Werkzeug twin.

The site runs on the project's own server on 127.0.0.1, port 0. A step that
names a counterpart shows both sources with their real line numbers and the
installed version, links to the Flask tour's step showing the same code, and
the static export carries the same. Without Flask installed (made real in a
subprocess that cannot import it), the page says how to get it, never a 500.
"""

from __future__ import annotations

import html
import importlib.metadata
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from markupsafe import escape

from walkthrough.export import export_site
from walkthrough.resources import shipped_path
from walkthrough.site import create_app
from walkthrough.tour.content import load_tours
from walkthrough.tour.counterpart import FLASK_EXTRA_HINT
from walkthrough.tour.source import resolve_object

SUBPROCESS_TIMEOUT_SECONDS = 60.0
SERVER_START_SECONDS = 20.0
TAG_RE = re.compile(r"<[^>]+>")
PANEL_RE = re.compile(
    r'<section class="source compare-panel" aria-label="([^"]*)">(.*?)</section>',
    re.S,
)
ANCHOR_RE = re.compile(r'<a id="(ours|real)-(\d+)" name="\1-\d+"></a>')
# Python answers ModuleNotFoundError for a name whose sys.modules entry is None.
WITHOUT_FLASK = "import sys; sys.modules.update(flask=None, werkzeug=None); "
NESTED_WRITE = "werkzeug.serving:WSGIRequestHandler.run_wsgi.<locals>.write"
OURS_TOUR = """+++
title = "Ours"
+++

## The WSGI app

```step
id = "wsgi-app"
symbol = "walkthrough.framework.app:App.wsgi_app"
counterpart = "flask.app:Flask.wsgi_app"
```

Push, dispatch, pop.

## Full dispatch

```step
id = "full-dispatch"
symbol = "walkthrough.framework.app:App.full_dispatch_request"
counterpart = "flask.app:Flask.full_dispatch_request"
```

The Flask tour below has no step for this one.
"""
FLASK_TOUR = """+++
id = "flask"
title = "The real Flask"
+++

## Flask's WSGI app

```step
id = "real-wsgi-app"
symbol = "flask.app:Flask.wsgi_app"
```

The real thing.

## The accept loop under it

```step
id = "serve-forever"
symbol = "socketserver:BaseServer.serve_forever"
```

The export records the Flask twin's startup, which ends in this loop.
"""


def counterpart_steps() -> list[tuple[str, str, str, str]]:
    """Return (tour, step, symbol, counterpart) for each shipped counterpart."""
    return [
        (tour.id, step.id, step.symbol, step.counterpart)
        for tour in load_tours(shipped_path("content"))
        for step in tour.steps
        if step.counterpart
    ]


def flask_tour_steps() -> dict[str, str]:
    """Map each symbol the shipped Flask tour shows to its step id."""
    tours = load_tours(shipped_path("content"))
    flask = next((tour for tour in tours if tour.id == "flask"), None)
    return {step.symbol: step.id for step in flask.steps} if flask else {}


def panels(page: str) -> dict[str, tuple[str, dict[int, str]]]:
    """Map each compare panel's label to its header text and numbered lines."""
    found = {}
    for label, body in PANEL_RE.findall(page):
        header = body.split('<div class="compare-body"', 1)[0]
        code = body.split('<td class="code">', 1)[1].split("</td>", 1)[0]
        pieces = ANCHOR_RE.split(code)
        lines = {
            int(number): html.unescape(TAG_RE.sub("", text)).rstrip("\n")
            for number, text in zip(pieces[2::3], pieces[3::3], strict=True)
        }
        words = " ".join(html.unescape(TAG_RE.sub(" ", header)).split())
        found[html.unescape(label)] = (words, lines)
    return found


def file_lines(symbol: str) -> list[str]:
    """Read the whole file that defines ``symbol``, as it is on disk."""
    target = resolve_object(symbol)
    path = Path(getattr(target, "co_filename", None) or inspect.getsourcefile(target))
    return path.read_text(encoding="utf-8").split("\n")


def label_of(counterpart: str) -> str:
    """Name the distribution a counterpart comes from, with its version."""
    name = "Flask" if counterpart.startswith("flask") else "Werkzeug"
    return f"{name} {importlib.metadata.version(name.lower())}"


@pytest.fixture(scope="module")
def site(live_server) -> Iterator:
    """Serve the shipped tours on the real server."""
    with live_server(create_app()) as server:
        yield server


@pytest.fixture(scope="module")
def small_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tour of ours and a stand-in Flask tour, to follow the link between them."""
    content = tmp_path_factory.mktemp("content")
    (content / "ours.md").write_text(OURS_TOUR, encoding="utf-8")
    (content / "flask.md").write_text(FLASK_TOUR, encoding="utf-8")
    return content


@pytest.fixture(scope="module")
def small_site(live_server, small_content: Path) -> Iterator:
    """Serve the small content on the real server."""
    with live_server(create_app(small_content)) as server:
        yield server


def test_the_five_tours_name_at_least_forty_counterparts() -> None:
    assert len(counterpart_steps()) >= 40


@pytest.mark.parametrize(
    ("tour_id", "step_id", "symbol", "counterpart"), counterpart_steps()
)
def test_a_step_shows_both_real_sources_side_by_side(
    site: object, tour_id: str, step_id: str, symbol: str, counterpart: str
) -> None:
    status, page = site.get_text(f"/tours/{tour_id}/{step_id}")
    assert status == 200
    assert f"This step mirrors <code>{html.escape(counterpart)}</code>" in page
    found = panels(page)
    label = label_of(counterpart)
    assert list(found) == [f"Our source: {symbol}", f"{label} source: {counterpart}"]
    for (header, lines), named in zip(
        found.values(), (symbol, counterpart), strict=True
    ):
        real = file_lines(named)
        first, last = min(lines), max(lines)
        assert header.endswith(f", lines {first}–{last}")
        assert list(lines) == list(range(first, last + 1))
        assert all(text == real[number - 1] for number, text in lines.items())
    theirs_header = found[f"{label} source: {counterpart}"][0]
    package = counterpart.split(".")[0]
    assert theirs_header.startswith(f"{label} {package}/")
    links = re.findall(r'<a href="([^"]+)">Read it in “', page)
    flask_step = flask_tour_steps().get(counterpart)
    assert links == ([f"/tours/flask/{flask_step}"] if flask_step else [])


def test_the_flask_tour_explains_most_counterparts() -> None:
    """Each link target is a step of the Flask tour showing that very code."""
    linked = [
        counterpart
        for *_, counterpart in counterpart_steps()
        if counterpart in flask_tour_steps()
    ]
    assert len(linked) >= 30


def test_the_counterpart_links_to_the_flask_tour_step(small_site: object) -> None:
    status, page = small_site.get_text("/tours/ours/wsgi-app")
    assert status == 200
    link = re.search(r'<a href="([^"]+)">Read it in “The real Flask” →</a>', page)
    assert link is not None and link.group(1) == "/tours/flask/real-wsgi-app"
    status, target = small_site.get_text(link.group(1))
    assert status == 200 and "flask.app:Flask.wsgi_app" in target

    status, embedded = small_site.get_text("/embed/tours/ours/wsgi-app")
    assert status == 200
    assert '<a href="/embed/tours/flask/real-wsgi-app">' in embedded
    assert len(panels(embedded)) == 2


def test_the_flask_tour_step_links_back_to_ours(small_site: object) -> None:
    status, page = small_site.get_text("/tours/flask/real-wsgi-app")
    assert status == 200
    mirrored = page.split('<p class="mirrored-by">', 1)[1].split("</p>", 1)[0]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a> \(([^)]+)\)', mirrored) == [
        ("/tours/ours/wsgi-app", "The WSGI app", "Ours")
    ]
    status, ours = small_site.get_text("/tours/ours/full-dispatch")
    assert status == 200 and "mirrored-by" not in ours


def test_no_link_when_the_flask_tour_has_no_such_step(small_site: object) -> None:
    status, page = small_site.get_text("/tours/ours/full-dispatch")
    assert status == 200
    assert len(panels(page)) == 2
    assert "Read it in" not in page and "/tours/flask/" not in page


def test_the_export_shows_both_sources_and_links_to_the_flask_step(
    small_content: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "site"
    export_site(outdir, content_dir=small_content)
    page = (outdir / "tours" / "ours" / "wsgi-app.html").read_text(encoding="utf-8")
    found = panels(page)
    assert list(found) == [
        "Our source: walkthrough.framework.app:App.wsgi_app",
        f"{label_of('flask')} source: flask.app:Flask.wsgi_app",
    ]
    assert all(lines for _, lines in found.values())
    assert '<a href="../flask/real-wsgi-app.html">' in page
    theirs = (outdir / "tours" / "flask" / "real-wsgi-app.html").read_text("utf-8")
    assert '<a href="../ours/wsgi-app.html">The WSGI app</a> (Ours)' in theirs
    assert (outdir / "tours" / "flask" / "real-wsgi-app.html").is_file()
    embedded = outdir / "embed" / "tours" / "ours" / "wsgi-app.html"
    assert len(panels(embedded.read_text(encoding="utf-8"))) == 2


def run_without_flask(code: str) -> subprocess.CompletedProcess[str]:
    """Run Python code in a process where Flask and Werkzeug cannot be imported."""
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_FLASK + code],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
    )


def test_without_flask_the_page_says_how_to_get_it() -> None:
    """The real server, in a process without Flask: 200, a name and a hint."""
    code = (
        "import http.client, threading\n"
        "from walkthrough.framework.serving import make_server\n"
        "from walkthrough.site import create_app\n"
        "server = make_server('127.0.0.1', 0, create_app(), log_requests=False)\n"
        "threading.Thread(target=server.serve_forever, daemon=True).start()\n"
        "for path in ('/tours/request/wsgi-app', '/embed/tours/request/write'):\n"
        "    c = http.client.HTTPConnection('127.0.0.1', server.server_address[1],"
        " timeout=5)\n"
        "    c.request('GET', path)\n"
        "    r = c.getresponse()\n"
        "    print(r.status, r.read().decode().replace('\\n', ' '))\n"
        "server.shutdown()\n"
    )
    result = run_without_flask(code)
    assert result.returncode == 0, result.stderr
    answers = result.stdout.splitlines()
    assert [answer.split(" ", 1)[0] for answer in answers] == ["200", "200"]
    # Escaped as the templates escape it (jinja2 writes ' as &#39;).
    hint = str(escape(FLASK_EXTRA_HINT))
    for answer, counterpart in zip(
        answers,
        ("flask.app:Flask.wsgi_app", NESTED_WRITE),
        strict=True,
    ):
        assert f"This step mirrors <code>{html.escape(counterpart)}</code>" in answer
        assert "is not installed here" in answer and hint in answer
        assert "compare-panel" not in answer


def test_without_flask_check_reports_counterparts_as_skipped() -> None:
    content = shipped_path("content")
    result = run_without_flask(
        "from walkthrough.tour.check import main; "
        f"raise SystemExit(main(['--content', {str(content)!r}]))"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(counterpart_steps())
    lines = result.stdout.splitlines()
    assert (
        f"{content}: skipped {count} counterparts: flask, werkzeug not "
        f"installed: {FLASK_EXTRA_HINT}" in lines
    )
    assert lines[-1].endswith(f": ok; 1 skipped; {count} counterparts skipped")


def test_a_cached_page_shows_an_edit_of_the_counterpart(
    live_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counterpart's file is an input of the page cache, like our own file.

    The site looks at source files once per ``recheck_seconds``: the test
    shortens it, then asks until the edit shows.
    """
    package = tmp_path / "pkg"
    package.mkdir()
    theirs = package / "site_counterpart_twin.py"
    theirs.write_text("def handle():\n    return 'first answer'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(package))
    content = tmp_path / "content"
    content.mkdir()
    (content / "ours.md").write_text(
        OURS_TOUR.replace(
            "flask.app:Flask.wsgi_app", "site_counterpart_twin:handle", 1
        ),
        encoding="utf-8",
    )
    app = create_app(content)
    app.view_functions["index"].__self__.library.recheck_seconds = 0.05
    with live_server(app) as server:
        first = server.get_text("/tours/ours/wsgi-app")[1]
        assert "first answer" in first
        assert server.get_text("/tours/ours/wsgi-app")[1] == first

        theirs.write_text("def handle():\n    return 'second'\n", encoding="utf-8")
        stamp = theirs.stat()
        os.utime(theirs, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))
        second = server.get_text_until("/tours/ours/wsgi-app", "second")
    assert "second" in second and "first answer" not in second
