"""A wheel built from this checkout serves the same site from a fresh venv.

Content, templates and static files must ship inside the wheel; this builds
one, installs it (with its run-time dependencies) into a new virtual env, starts
``walkthrough serve --port 0`` from a folder far from the checkout, and compares
pages with the ones the checkout serves.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from walkthrough.site import create_app

REPO = Path(__file__).resolve().parent.parent
RUNNING_RE = re.compile(r"Running on http://127\.0\.0\.1:(\d+)/")
INSTALL_TIMEOUT_SECONDS = 600
READY_TIMEOUT_SECONDS = 30


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the project's wheel once for this module."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, REPO],
        check=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
    )
    return next(out.glob("walkthrough-*.whl"))


def test_wheel_carries_content_templates_and_static(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped_tours = sorted(path.name for path in (REPO / "content").glob("*.md"))
    for tour in shipped_tours:
        assert f"walkthrough/content/{tour}" in names
    for required in ("templates/step.html", "static/site.css", "static/site.js"):
        assert f"walkthrough/{required}" in names


def test_wheel_carries_every_python_package(wheel: Path) -> None:
    """pyproject lists packages by hand (to map content/ etc.): none may be missed."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in (REPO / "walkthrough").rglob("*.py"):
        assert module.relative_to(REPO).as_posix() in names


def test_installed_wheel_serves_the_same_pages(
    wheel: Path, tmp_path: Path, live_server
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
    subprocess.run(
        # With the Flask extra, as scripts/serve.sh installs it: the index then
        # lists the same six tours as the checkout's.
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", f"{wheel}[flask]"],
        check=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
    )
    server = subprocess.Popen(
        [venv / "bin" / "walkthrough", "serve", "--port", "0", "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(RUNNING_RE.search(read_line(server)).group(1))
        with live_server(create_app()) as checkout:
            for path in ("/", "/tours/request/", "/static/site.css"):
                assert fetch(port, path) == fetch(checkout.port, path)
    finally:
        server.terminate()
        server.wait(timeout=10)


def read_line(process: subprocess.Popen[str]) -> str:
    """Read the server's first line, failing rather than hanging."""
    line = process.stdout.readline()
    assert line, "the installed walkthrough exited before printing its address"
    return line


def fetch(port: int, path: str) -> tuple[int, str]:
    """GET ``path`` and return (status, body)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=READY_TIMEOUT_SECONDS
    )
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()
