"""A static export in Chromium: read, search and replay with no walkthrough server.

The export is served by the stdlib's plain file server under a sub-path, as
a wiki's file host would, and opened straight from disk (``file://``). Either
way a reader moves through a tour, searches, and replays recorded probe runs.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PageWatch, serving_folder
from playwright.sync_api import Page, expect
from test_accessibility import violations_in_both_themes

from walkthrough.export import export_site
from walkthrough.probe.specimen import SCENARIOS

SUB_PATH = "team/walkthrough/"
RUN_TIMEOUT_MS = 15_000
RUNS_PREFIX = "window.WALKTHROUGH_PROBE_RUNS = "


@pytest.fixture(scope="module")
def export_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Export the shipped tours once, into a sub-folder of a host's root."""
    host_root = tmp_path_factory.mktemp("wiki-files")
    export_site(host_root / SUB_PATH, base_url=f"/{SUB_PATH}")
    yield host_root
    shutil.rmtree(host_root, ignore_errors=True)


@pytest.fixture(scope="module")
def static_host(export_root: Path) -> Iterator[str]:
    """Serve the host folder with ``python -m http.server``; yield the export URL."""
    with serving_folder(export_root) as url:
        yield url + SUB_PATH


@pytest.fixture(params=["http", "file"])
def export_url(request: pytest.FixtureRequest, export_root: Path) -> str:
    """The export's address: from the file server, or opened from disk."""
    if request.param == "file":
        return (export_root / SUB_PATH).as_uri() + "/"
    return request.getfixturevalue("static_host")


def recorded_runs(export_root: Path) -> dict:
    """Read the probe runs the export recorded, as the page's script does."""
    script = (export_root / SUB_PATH / "data" / "probe-runs.js").read_text("utf-8")
    return json.loads(script.removeprefix(RUNS_PREFIX).rstrip().removesuffix(";"))


def first_entered(stages: list[dict], tours: tuple[str, ...]) -> list[str]:
    """Return the ``tour/step`` keys in the order they were first entered."""
    order: list[str] = []
    for stage in stages:
        key = f"{stage['tour']}/{stage['step']}"
        if stage["phase"] == "enter" and stage["tour"] in tours and key not in order:
            order.append(key)
    return order


def test_a_tour_reads_from_the_index_to_the_next_step(
    page: Page, export_url: str
) -> None:
    watch = PageWatch(page, export_url)
    page.goto(export_url + "index.html")
    page.locator(".tour-card h3 a").first.click()
    expect(page).to_have_url(f"{export_url}tours/startup/index.html")
    page.get_by_role("link", name="Start the tour →").click()
    first_step = page.url
    assert first_step.endswith(".html")
    expect(page.locator(".source-body td.code")).to_contain_text("def ")
    page.keyboard.press("ArrowRight")
    expect(page).not_to_have_url(first_step)
    expect(page.locator("#step-title")).to_be_visible()
    page.get_by_role("link", name="Tours").first.click()
    expect(page).to_have_url(f"{export_url}index.html")
    watch.assert_clean()


def test_search_works_offline_as_you_type_and_on_its_page(
    page: Page, export_url: str
) -> None:
    watch = PageWatch(page, export_url)
    page.goto(export_url + "tours/request/index.html")
    box = page.get_by_role("combobox", name="Search the tours")
    box.fill("parse_request")
    first = page.get_by_role("option").first
    expect(first).to_be_visible()
    title = first.locator(".search-option-title").inner_text()
    box.press("ArrowDown")
    box.press("Enter")
    expect(page.locator("#step-title")).to_have_text(title)
    assert page.url.startswith(export_url) and page.url.endswith(".html")

    page.get_by_role("combobox", name="Search the tours").fill("environ")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{export_url}search.html?q=environ")
    expect(page.locator("#offline-search-title")).to_have_text(
        "Steps matching “environ”"
    )
    results = page.locator("#offline-search-results li a")
    expect(results.first).to_be_visible()
    assert results.count() > 1
    expect(page.locator("#offline-search-summary")).to_contain_text("steps found")
    results.first.click()
    expect(page.locator("#step-title")).to_be_visible()

    page.goto(export_url + "search.html?q=nothing-mentions-this")
    expect(page.locator("#offline-search-summary")).to_contain_text("No step mentions")
    watch.assert_clean()


@pytest.mark.parametrize("scenario", [s.id for s in SCENARIOS] + ["startup"])
def test_every_recorded_run_replays_its_stages_in_order(
    page: Page, static_host: str, export_root: Path, scenario: str
) -> None:
    recorded = recorded_runs(export_root)["walkthrough"][scenario]
    watch = PageWatch(page, static_host)
    page.goto(static_host + "probe.html")
    expect(page.locator("#probe-custom")).to_be_hidden()
    expect(page.locator("#probe-static-note")).to_contain_text("walkthrough serve")
    if scenario == "startup":
        page.get_by_label("the server starting").check()
        expect(page.locator("#probe-run")).to_have_text("Replay the server starting")
    else:
        page.locator(f'input[name="scenario"][value="{scenario}"]').check()
        expect(page.locator("#probe-run")).to_have_text("Replay this run")
    page.get_by_label("Show it at reading speed").uncheck()  # the order, not the pace
    page.locator("#probe-run").click()
    expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    lit = page.locator(".probe-steps li.is-lit")
    lit_keys = sorted(
        lit.nth(index).get_attribute("data-step") for index in range(lit.count())
    )
    expected = first_entered(recorded["stages"], ("startup", "request"))
    assert lit_keys == sorted(expected)
    by_order = sorted(
        lit_keys,
        key=lambda key: int(
            page.locator(f'.probe-steps li[data-step="{key}"]').get_attribute(
                "data-lit-order"
            )
        ),
    )
    assert by_order == expected
    stages = str(recorded["done"]["stages"])
    expect(page.locator('#probe-summary [data-field="stages"]')).to_have_text(stages)
    watch.assert_clean()


def test_probe_replays_from_disk_and_links_to_code(
    page: Page, export_root: Path
) -> None:
    export_url = (export_root / SUB_PATH).as_uri() + "/"
    watch = PageWatch(page, export_url)
    page.goto(export_url + "probe.html?mode=startup")
    expect(page.get_by_label("the server starting")).to_be_checked()
    page.get_by_label("Show it at reading speed").uncheck()  # the order, not the pace
    page.locator("#probe-run").click()
    expect(page.locator("#probe-status")).to_contain_text(
        "the server is up", timeout=RUN_TIMEOUT_MS
    )
    page.locator(".probe-steps li.is-lit a").first.click()
    link = page.get_by_role("link", name="Read the full step →")
    expect(link).to_be_visible()
    expect(page.locator("#probe-source")).to_contain_text("Opened from disk")
    link.click()
    expect(page.locator(".source-body td.code")).to_contain_text("def ")
    watch.assert_clean()


def test_probe_source_opens_beside_the_trace_over_http(
    page: Page, static_host: str
) -> None:
    watch = PageWatch(page, static_host)
    page.goto(static_host + "probe.html")
    page.get_by_label("Show it at reading speed").uncheck()  # the order, not the pace
    page.locator("#probe-run").click()
    expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.locator(".probe-steps li.is-lit a").first.click()
    expect(page.locator("#probe-source section.source")).to_be_visible()
    expect(page.locator("#probe-source td.code")).to_contain_text("def ")
    watch.assert_clean()


def test_unknown_pages_get_the_exported_404_with_working_links(
    page: Page, static_host: str
) -> None:
    """http.server has no 404 page of its own; a wiki host serves ours.

    So the page is opened as a host would serve it, at a deep missing path
    (set as the URL with its content), and its absolute links must work.
    """
    not_found = page.context.request.get(static_host + "404.html").text()
    page.route(
        static_host + "no/such/page.html",
        lambda route: route.fulfill(
            status=404, body=not_found, content_type="text/html"
        ),
    )
    page.goto(static_host + "no/such/page.html")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("link", name="Back to all tours").click()
    expect(page).to_have_url(static_host + "index.html")
    expect(page.locator(".tour-card").first).to_be_visible()


@pytest.mark.parametrize("path", ["probe.html", "search.html?q=environ", "404.html"])
def test_static_copy_pages_pass_axe(page: Page, static_host: str, path: str) -> None:
    """The pages only an export has: replayed probe, offline search, its 404."""
    watch = PageWatch(page, static_host)
    page.goto(static_host + path)
    if path == "probe.html":
        page.get_by_label(
            "Show it at reading speed"
        ).uncheck()  # the order, not the pace
        page.locator("#probe-run").click()
        expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    if path.startswith("search"):
        expect(page.locator("#offline-search-results li").first).to_be_visible()
    assert violations_in_both_themes(page, watch) == {"light": [], "dark": []}
    watch.assert_clean()


@pytest.mark.parametrize("scenario", ["hello", "error", "startup"])
def test_a_recorded_flask_run_replays_on_the_flask_chain(
    page: Page, static_host: str, export_root: Path, scenario: str
) -> None:
    recorded = recorded_runs(export_root)["flask"][scenario]
    watch = PageWatch(page, static_host)
    page.goto(static_host + "probe.html")
    page.get_by_label("Real Flask").check()
    if scenario == "startup":
        page.get_by_label("the server starting").check()
    else:
        page.locator(f'input[name="scenario"][value="{scenario}"]').check()
    page.locator("#probe-run").click()
    expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    status = recorded["done"]["status"]
    expected_status = "serving" if status is None else str(status)
    expect(page.locator('#probe-summary [data-field="status"]')).to_have_text(
        expected_status
    )
    chain = page.locator('.probe-chain[data-tours="flask"]')
    expect(chain).to_be_visible()
    lit = chain.locator(".node.is-lit")
    lit_keys = {lit.nth(i).get_attribute("data-step") for i in range(lit.count())}
    boxes = chain.locator(".node")
    all_keys = {boxes.nth(i).get_attribute("data-step") for i in range(boxes.count())}
    assert lit_keys == set(first_entered(recorded["stages"], ("flask",))) & all_keys
    assert lit_keys
    watch.assert_clean()
