"""Browser tests: Debian's Chromium, driven by Playwright, against the real site.

Follows /work/shared/BROWSER.md: never ``playwright install``; point the
plugin at the system Chromium, keep it off the network, and serve the site
with ``python -m walkthrough serve --port 0`` (so the CLI is exercised too).
A failing test leaves a trace and a screenshot under ``test-results/``.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    # Keep Chromium from resolving outside hosts; both EXCLUDEs or localhost breaks.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]
SERVER_START_SECONDS = 15.0
SERVER_STOP_SECONDS = 5.0
RUNNING_PREFIX = "Running on "
# The tab icon: served at /favicon.ico, exported as static/favicon.svg.
ICONS = ("/favicon.ico", "/favicon.svg")
# Evidence for a red run, unless the command line already chose otherwise.
FAILURE_EVIDENCE = {"--tracing": "retain-on-failure", "--screenshot": "only-on-failure"}


def pytest_configure(config: pytest.Config) -> None:
    """Keep a trace and a screenshot of failing browser tests by default."""
    given = " ".join(config.invocation_params.args)
    for option, value in FAILURE_EVIDENCE.items():
        name = option.lstrip("-")
        if option not in given and getattr(config.option, name, None) == "off":
            setattr(config.option, name, value)


def chromium_path() -> str:
    """Find Debian's Chromium: $CHROMIUM_PATH, then PATH, then /usr/bin."""
    candidate = (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or "/usr/bin/chromium"
    )
    if not Path(candidate).exists():
        pytest.fail(
            f"Chromium not found at {candidate!r}: apt-get install -y chromium "
            "(or set CHROMIUM_PATH). Never run `playwright install` here.",
            pytrace=False,
        )
    return candidate


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict:
    """Extend the plugin's launch options, so --headed and --slowmo still work."""
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path(),
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


def read_line_after(process: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    """Return the rest of the first line the process prints after ``prefix``.

    A reader thread keeps the wait within ``timeout`` even if the server
    prints nothing, and drains its output for the rest of the session.
    """
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, name="live-site-output", daemon=True).start()
    seen = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            break
        seen.append(line)
        if line.startswith(prefix):
            return line.removeprefix(prefix).strip()
    raise RuntimeError(f"the server did not start in {timeout} s; it printed {seen!r}")


@contextmanager
def serving_site(*options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``walkthrough serve --port 0 --quiet OPTIONS``; yield its base URL."""
    command = ["-m", "walkthrough", "serve", "--port", "0", "--quiet", *options]
    with running(command, RUNNING_PREFIX, env) as url:
        yield url


@contextmanager
def serving_folder(directory: Path) -> Iterator[str]:
    """Serve ``directory`` with the stdlib's plain file server; yield its URL.

    Nothing of walkthrough runs there: it is what a wiki's file host does.
    """
    command = ["-m", "http.server", "--bind", "127.0.0.1", "--directory"]
    with running([*command, str(directory), "0"], "Serving HTTP on ", None) as line:
        port = line.split(" port ")[1].split()[0]
        yield f"http://127.0.0.1:{port}/"


@contextmanager
def running(
    arguments: list[str], prefix: str, env: dict[str, str] | None
) -> Iterator[str]:
    """Run Python with ``arguments``; yield the rest of its line after ``prefix``."""
    process = subprocess.Popen(
        [sys.executable, "-u", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        yield read_line_after(process, prefix, SERVER_START_SECONDS)
    finally:
        process.terminate()
        try:
            process.wait(SERVER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(SERVER_STOP_SECONDS)


@pytest.fixture(scope="session")
def live_site() -> Iterator[str]:
    """Serve the site in a subprocess on 127.0.0.1, port 0; yield its base URL."""
    with serving_site() as url:
        yield url


@pytest.fixture(scope="session")
def base_url(live_site: str) -> str:
    """Point ``page.goto("/...")`` at the live site."""
    return live_site


class PageWatch:
    """Collect what a user would call broken: console errors, failed requests."""

    def __init__(self, page: Page, base_url: str) -> None:
        # ``base_url`` may be file:///folder/ for an export opened from disk.
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.foreign_requests: list[str] = []
        self.origin = base_url.rstrip("/")
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("requestfailed", self.on_request_failed)
        page.on("response", self.on_response)
        page.on("request", self.on_request)

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def on_request_failed(self, request: Any) -> None:
        # The page closes its EventSource on purpose at ``done`` (else the
        # browser reconnects); if the server has not ended the body by then,
        # Chromium reports the stream as aborted. That is not a failure.
        # Chromium fetches the icon just after a page loads; a key that leaves
        # the page at once aborts that fetch. Nothing is broken either.
        is_aborted = request.failure == "net::ERR_ABORTED"
        is_closed_stream = is_aborted and "/probe/stream?" in request.url
        is_left_icon = is_aborted and request.url.endswith(ICONS)
        if not (is_closed_stream or is_left_icon):
            self.failed_requests.append(f"{request.url}: {request.failure}")

    def on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed_requests.append(f"{response.url}: {response.status}")

    def on_request(self, request: Any) -> None:
        if not request.url.startswith((self.origin + "/", "data:", "about:")):
            self.foreign_requests.append(request.url)

    def assert_clean(self) -> None:
        """Fail with everything that went wrong, not just the first thing."""
        assert self.console_errors == []
        assert self.failed_requests == []
        assert self.foreign_requests == []


@pytest.fixture
def watch(page: Page, base_url: str) -> PageWatch:
    """Record console errors, failed and off-site requests of ``page``."""
    return PageWatch(page, base_url)
