"""The probe page on real Flask, in Chromium: choose the app, run, watch.

Choosing "Real Flask" shows the Flask tour's chain picture and steps in
place of this framework's, and a run lights the boxes of exactly the Flask
tour steps that the same request reports through ``/probe/run?app=flask``.
A reader's own app (``walkthrough serve --app``) is offered beside them.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import PageWatch, serving_site
from playwright.sync_api import Page, expect

HTTP_TIMEOUT_SECONDS = 15
RUN_TIMEOUT_MS = 15_000
AXE = Axe()
SERIOUS = frozenset({"serious", "critical"})
FLASK_CHAIN = '.probe-chain[data-tours="flask"]'
SHOP_APP = """\
from flask import Flask

app = Flask(__name__)


@app.after_request
def sign(response):
    response.headers["X-Signed"] = "yes"
    return response


@app.route("/hello/<name>")
def hello(name):
    return f"Hello, {name}!"
"""


def flask_run(base_url: str, path: str, app: str = "flask") -> dict:
    """Run the same probe as one JSON document, as a script would."""
    query = urllib.parse.urlencode({"app": app, "path": path})
    url = f"{base_url.rstrip('/')}/probe/run?{query}"
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
        return json.load(response)


def flask_steps_entered(stages: list[dict]) -> set[str]:
    """Return the ``flask/step`` keys a run entered."""
    return {
        f"flask/{stage['step']}"
        for stage in stages
        if stage["tour"] == "flask" and stage["phase"] == "enter"
    }


def boxes(page: Page, selector: str) -> set[str]:
    """Return the ``data-step`` keys of the chain boxes matching ``selector``."""
    found = page.locator(f"{FLASK_CHAIN} {selector}")
    return {found.nth(i).get_attribute("data-step") for i in range(found.count())}


def serious_violations(page: Page) -> list[str]:
    """Run axe on the page as it is now; one line per serious finding."""
    response = AXE.run(page, options={"resultTypes": ["violations"]}).response
    return [
        f"{violation['id']}: {violation['help']}"
        for violation in response["violations"]
        if violation["impact"] in SERIOUS
    ]


def test_real_flask_lights_the_flask_tours_chain(
    page: Page, base_url: str, watch: PageWatch
) -> None:
    expected = flask_steps_entered(flask_run(base_url, "/index")["stages"])
    page.goto("/probe")
    expect(page.locator(FLASK_CHAIN)).to_be_hidden()
    page.get_by_label("Real Flask").check()
    expect(page.locator(FLASK_CHAIN)).to_be_visible()
    expect(page.locator('.probe-chain[data-tours="startup request"]')).to_be_hidden()
    expect(page.locator('.probe-steps ol[data-tour="flask"]')).to_be_visible()
    expect(page.locator('.probe-steps ol[data-tour="request"]')).to_be_hidden()

    page.locator('input[name="scenario"][value="hello"]').check()
    page.get_by_label("Show it at reading speed").uncheck()  # the order, not the pace
    page.get_by_role("button", name="Run the probe").click()
    expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.locator('#probe-summary [data-field="status"]')).to_have_text("200")

    all_boxes = boxes(page, ".node")
    lit = boxes(page, ".node.is-lit")
    assert lit == expected & all_boxes
    assert {"flask/execute", "flask/wsgi-app", "flask/dispatch"} <= lit
    # The view is the twin's own code: its row says so and shows its source.
    view = page.locator(".trace-row.kind-view .stage-name", has_text="index")
    view.first.click()
    expect(page.locator("#probe-source")).to_contain_text("def index() -> str:")
    expect(page.locator("#probe-source")).to_contain_text("flask_twin.py, line")

    for theme in ("light", "dark"):
        page.emulate_media(color_scheme=theme)
        assert serious_violations(page) == [], theme
    watch.assert_clean()


def test_a_flask_startup_lights_app_run_to_serve_forever(
    page: Page, watch: PageWatch
) -> None:
    page.goto("/probe?app=flask&mode=startup")
    expect(page.get_by_label("Real Flask")).to_be_checked()
    page.get_by_label("Show it at reading speed").uncheck()  # the order, not the pace
    page.get_by_role("button", name="Trace the server starting").click()
    expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    for step in ("flask-run", "run-simple", "make-server", "serve-forever"):
        expect(
            page.locator(f'{FLASK_CHAIN} .chain-wide .node[data-step="flask/{step}"]')
        ).to_have_class(re.compile(r"\bis-lit\b"), timeout=RUN_TIMEOUT_MS)
    watch.assert_clean()


@pytest.fixture(scope="module")
def own_app_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the site with ``--app shop:app``: a reader's own Flask app."""
    folder: Path = tmp_path_factory.mktemp("own-app")
    (folder / "shop.py").write_text(SHOP_APP, encoding="utf-8")
    with serving_site("--app", "shop:app", env={"PYTHONPATH": str(folder)}) as url:
        yield url


def test_serve_with_app_offers_the_readers_own_app(
    page: Page, own_app_site: str
) -> None:
    watch = PageWatch(page, own_app_site)
    page.goto(own_app_site + "probe")
    page.get_by_label("Your app (shop:app)").check()
    expect(page.locator("#probe-scenarios")).to_be_hidden()
    expect(page.get_by_label("the server starting")).to_be_disabled()
    page.locator("#probe-path").fill("/hello/ada")
    page.get_by_label("Show it at reading speed").uncheck()  # the order, not the pace
    page.get_by_role("button", name="Run the probe").click()
    expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.locator('#probe-summary [data-field="status"]')).to_have_text("200")
    expect(page.locator(".trace-row.is-enter.kind-view .stage-name")).to_have_text(
        ["hello"]
    )
    expect(page.locator(".trace-row.kind-hook .stage-name").first).to_have_text("sign")
    assert "flask/dispatch" in boxes(page, ".node.is-lit")
    watch.assert_clean()
