"""Take the README's screenshots: light and dark, wide and narrow.

Starts ``walkthrough serve --port 0`` itself, drives Debian's Chromium with
Playwright (never ``playwright install``; see shared/BROWSER.md), and writes
one PNG per page, theme and width, e.g. ``step-dark-narrow.png``::

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "screenshots"
RUNNING_PREFIX = "Running on "
SERVER_START_LINES = 50
SERVER_STOP_SECONDS = 5.0
PROBE_RUN_MS = 15_000
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    # Keep Chromium from resolving outside hosts; both EXCLUDEs or localhost breaks.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]
# name -> (width, height) of the viewport; the shot is that viewport.
SIZES = {"wide": (1400, 900), "narrow": (390, 844)}
THEMES = ("light", "dark")
STEP_PATH = "/tours/request/environ"


def chromium_path() -> str:
    """Find Debian's Chromium: $CHROMIUM_PATH, then PATH, then /usr/bin."""
    candidate = (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or "/usr/bin/chromium"
    )
    if not Path(candidate).exists():
        sys.exit(f"Chromium not found at {candidate!r}: apt-get install -y chromium")
    return candidate


@contextmanager
def live_site() -> Iterator[str]:
    """Serve the site on a free port; yield its base URL, then stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "walkthrough", "serve", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    try:
        yield read_running_url(process)
    finally:
        process.terminate()
        process.wait(SERVER_STOP_SECONDS)


def read_running_url(process: subprocess.Popen[str]) -> str:
    """Return the URL from the server's ``Running on`` line, or fail loudly."""
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith(RUNNING_PREFIX):
            return line.removeprefix(RUNNING_PREFIX).strip()
        if len(seen) > SERVER_START_LINES:
            break
    sys.exit(f"the site did not start; it printed {''.join(seen)!r}")


def show_index(page: Page, base_url: str) -> None:
    page.goto(base_url)


def show_step(page: Page, base_url: str) -> None:
    page.goto(base_url + STEP_PATH.lstrip("/"))


def show_probe_run(page: Page, base_url: str) -> None:
    """Run the hello scenario, open one stage's source, scroll to the result."""
    page.goto(base_url + "probe")
    page.locator('input[name="scenario"][value="hello"]').check()
    # The shot is of the result: skip the reading-speed playback.
    page.get_by_label("Show it at reading speed").uncheck()
    page.get_by_role("button", name="Run the probe").click()
    page.locator("#probe-summary").wait_for(state="visible", timeout=PROBE_RUN_MS)
    # Fill the Source panel too, as a reader would by picking a stage.
    page.locator('.probe-steps li[data-step="request/dispatch"] a').click()
    page.locator("#probe-source section.source").wait_for(timeout=PROBE_RUN_MS)
    # Start the shot at the run's result, not at the form above it.
    page.locator("#probe-stage").evaluate(
        "status => window.scrollTo(0, status.getBoundingClientRect().top"
        " + window.scrollY - 16)"
    )


SHOTS: dict[str, Callable[[Page, str], None]] = {
    "index": show_index,
    "step": show_step,
    "probe": show_probe_run,
}


def take_all(browser: Browser, base_url: str, out: Path) -> list[Path]:
    """Write every page in every theme and size; return the files written."""
    written = []
    for theme in THEMES:
        for size, (width, height) in SIZES.items():
            context = browser.new_context(
                viewport={"width": width, "height": height},
                color_scheme=theme,
                reduced_motion="reduce",
            )
            page = context.new_page()
            for name, show in SHOTS.items():
                show(page, base_url)
                path = out / f"{name}-{theme}-{size}.png"
                page.screenshot(path=path, animations="disabled", caret="hide")
                written.append(path)
            context.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder")
    arguments = parser.parse_args(argv)
    arguments.out.mkdir(parents=True, exist_ok=True)
    with live_site() as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        try:
            written = take_all(browser, base_url, arguments.out)
        finally:
            browser.close()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
