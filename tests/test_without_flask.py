"""The site and `walkthrough check` with the Flask extra missing, for real.

A subprocess runs with a `sitecustomize` that refuses to import Flask and
Werkzeug, as on an installation without `walkthrough[flask]`. The Flask tour
must then be listed with how to install it, answer a clear 404 instead of a 500,
stay out of search, the chain picture and the export, and be reported by
`walkthrough check` as skipped, not passed. With Flask installed (this process),
its pages name the installed versions.
"""

from __future__ import annotations

import http.client
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli import RUNNING_RE, WAIT_SECONDS, read_until

from walkthrough.resources import shipped_path
from walkthrough.site import create_app
from walkthrough.tour.content import load_tours

HINT = "Install the Flask extra to read this tour: pip install 'walkthrough[flask]'"
HINT_HTML = HINT.replace("'", "&#39;")
REFUSE_FLASK = '''
"""Refuse Flask and Werkzeug, as if the extra were not installed."""
import sys


class RefuseFlask:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("flask", "werkzeug"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, RefuseFlask())
'''
FLASK_STEPS = [step.id for step in load_tours(shipped_path("content"))[-1].steps]


@pytest.fixture(scope="module")
def no_flask_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Return an environment whose Python cannot import Flask or Werkzeug."""
    folder = tmp_path_factory.mktemp("no_flask")
    (folder / "sitecustomize.py").write_text(REFUSE_FLASK, encoding="utf-8")
    environment = dict(os.environ)
    path = [str(folder), environment.get("PYTHONPATH", "")]
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, path))
    return environment


def run_walkthrough(
    environment: dict[str, str], *args: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run `python -m walkthrough ARGS` to the end, in `environment`."""
    return subprocess.run(
        [sys.executable, "-m", "walkthrough", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS * 6,
    )


def test_the_environment_really_refuses_flask(
    no_flask_env: dict[str, str], tmp_path: Path
) -> None:
    code = "import flask"
    process = subprocess.run(
        [sys.executable, "-c", code],
        env=no_flask_env,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        cwd=tmp_path,
    )
    assert process.returncode == 1
    assert "No module named 'flask'" in process.stderr


def test_check_reports_the_flask_tour_as_skipped(
    no_flask_env: dict[str, str], tmp_path: Path
) -> None:
    content = str(shipped_path("content"))
    process = run_walkthrough(no_flask_env, "check", "--content", content, cwd=tmp_path)
    assert process.returncode == 0, process.stdout + process.stderr
    # Translations may lag the English: those warnings pass, and are not this test's.
    lines = [line for line in process.stdout.splitlines() if ": warning: " not in line]
    tours = load_tours(content)
    others = [tour for tour in tours if tour.id != "flask"]
    steps = sum(len(tour.steps) for tour in others)
    counterparts = sum(1 for tour in others for step in tour.steps if step.counterpart)
    assert lines == [
        f"{Path(content) / 'flask.md'}: skipped tour 'flask': {HINT}",
        f"{content}: skipped {counterparts} counterparts: flask, werkzeug not "
        "installed: pip install 'walkthrough[flask]'",
        f"{len(others)} tours, {steps} steps: ok; 1 skipped; "
        f"{counterparts} counterparts skipped",
    ]
    assert "Traceback" not in process.stderr


def test_check_still_fails_a_broken_tour_beside_a_skipped_one(
    no_flask_env: dict[str, str], tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(shipped_path("content"), content)
    broken = (
        '+++\ntitle = "B"\n+++\n\n## S\n\n```step\nid = "s"\n'
        'symbol = "socketserver:Nope"\n```\n'
    )
    (content / "broken.md").write_text(broken, encoding="utf-8")
    process = run_walkthrough(no_flask_env, "check", "--content", ".", cwd=content)
    assert process.returncode == 1
    # The skipped tour's links are still checked (they need no import): none fail.
    lines = process.stdout.splitlines()
    assert [line for line in lines if ": warning: " not in line] == [
        "broken.md:5: module 'socketserver' has no attribute 'Nope' "
        "(while resolving 'socketserver:Nope')"
    ]


class Site:
    """A `walkthrough serve` subprocess and plain GETs to it."""

    def __init__(self, port: int) -> None:
        self.port = port

    def get(self, path: str) -> tuple[int, str]:
        """GET `path` and return the status and the body as text."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=WAIT_SECONDS
        )
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            connection.close()


@pytest.fixture(scope="module")
def site_without_flask(
    no_flask_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """Serve the shipped tours from a process that cannot import Flask."""
    process = subprocess.Popen(
        [sys.executable, "-m", "walkthrough", "serve", "--port", "0"],
        cwd=tmp_path_factory.mktemp("serve"),
        env=no_flask_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        match = read_until(process.stdout, RUNNING_RE, WAIT_SECONDS)
        yield Site(int(match.group(1)))
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = process.communicate(timeout=WAIT_SECONDS)
        assert b"Traceback" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=WAIT_SECONDS)


def test_index_lists_the_flask_tour_with_how_to_install_it(
    site_without_flask: Site,
) -> None:
    status, page = site_without_flask.get("/")
    assert status == 200
    assert HINT_HTML in page
    assert "The real Flask and Werkzeug" in page
    # No link leads to a tour that cannot be shown; the others are all there.
    assert "/tours/flask/" not in page
    assert 'href="/tours/request/"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/tours/flask/",
        *(f"/tours/flask/{step_id}" for step_id in FLASK_STEPS[:3]),
        "/tours/flask/execute",
        "/embed/tours/flask/",
        "/embed/tours/flask/wsgi-app",
        "/tours/flask/no-such-step",
    ],
)
def test_flask_tour_pages_answer_404_saying_what_to_install(
    site_without_flask: Site, path: str
) -> None:
    status, page = site_without_flask.get(path)
    assert status == 404
    assert "This tour needs a package that is not installed" in page
    assert HINT_HTML in page


@pytest.mark.parametrize(
    "path", ["/zh/", "/zh/tours/flask/", "/zh/tours/flask/execute"]
)
def test_the_chinese_edition_says_what_to_install_in_chinese(
    site_without_flask: Site, path: str
) -> None:
    _status, page = site_without_flask.get(path)
    assert "要阅读这个导览，请安装 Flask 扩展：pip install" in page
    assert HINT_HTML not in page


def test_search_and_the_chain_skip_the_flask_tour(site_without_flask: Site) -> None:
    status, body = site_without_flask.get("/search-index.json")
    assert status == 200
    entries = json.loads(body)
    assert entries
    assert not [entry for entry in entries if "/tours/flask/" in json.dumps(entry)]
    status, page = site_without_flask.get("/search?q=wsgi_app")
    assert status == 200
    assert "/tours/flask/" not in page
    status, page = site_without_flask.get("/probe")
    assert status == 200
    assert "/tours/flask/" not in page


def test_other_tours_and_the_probe_still_work(site_without_flask: Site) -> None:
    status, page = site_without_flask.get("/tours/request/run-wsgi")
    assert status == 200
    assert "installed-versions" not in page
    status, body = site_without_flask.get("/probe/run?path=/index&method=GET")
    assert status == 200
    run = json.loads(body)
    assert run["done"]["status"] == 200


def test_export_skips_the_flask_tour(
    no_flask_env: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "out"
    process = run_walkthrough(no_flask_env, "export", str(target), cwd=tmp_path)
    assert process.returncode == 0, process.stdout + process.stderr
    assert (target / "tours" / "request" / "index.html").is_file()
    assert not (target / "tours" / "flask").exists()
    index = (target / "index.html").read_text(encoding="utf-8")
    assert HINT_HTML in index
    assert "tours/flask/" not in index


def expected_versions() -> str:
    """Build the versions line independently of the engine."""
    flask = importlib.metadata.version("flask")
    werkzeug = importlib.metadata.version("werkzeug")
    python = platform.python_version()
    return f"Flask {flask} · Werkzeug {werkzeug} · Python {python}, as installed here"


@pytest.mark.parametrize("path", ["/tours/flask/", "/tours/flask/wsgi-app"])
def test_flask_tour_pages_name_the_installed_versions(live_server, path: str) -> None:
    pytest.importorskip("flask")
    with live_server(create_app()) as server:
        site = Site(server.port)
        status, page = site.get(path)
        assert status == 200
        line = re.search(r'<p class="installed-versions">([^<]*)</p>', page)
        assert line is not None
        assert line.group(1) == expected_versions()
        _status, other = site.get("/tours/request/wsgi-app")
        assert "installed-versions" not in other
