"""The probe page in Chromium: a real traced request, lit stage by stage.

The expected order comes from ``/probe/run`` for the same request, so the
test follows the tours as they change instead of hard-coding the chain.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import Page, Route, expect

from walkthrough.probe.specimen import SCENARIOS, Scenario

HTTP_TIMEOUT_SECONDS = 15
RUN_TIMEOUT_MS = 15_000
LIVE_TOUR = "request"

# Record each step list item the moment it lights, so the test sees the
# order the page lit them in, not just the final state.
RECORD_LIGHTING = """() => {
  window.litOrder = [];
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      const item = record.target;
      const key = item.dataset.step;
      if (item.classList.contains("is-lit") && !window.litOrder.includes(key)) {
        window.litOrder.push(key);
      }
    }
  });
  document.querySelectorAll(".probe-steps li[data-step]").forEach((item) => {
    observer.observe(item, { attributes: true, attributeFilter: ["class"] });
  });
  window.litObserver = observer;
}"""


def probe_document(base_url: str, method: str, path: str) -> dict:
    """Run the same probe as one JSON document, the way the CLI or a script would."""
    query = urllib.parse.urlencode({"mode": "request", "method": method, "path": path})
    url = f"{base_url.rstrip('/')}/probe/run?{query}"
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
        return json.load(response)


def first_entered(stages: list[dict], tour: str) -> list[str]:
    """Return ``tour/step`` keys of ``tour`` in the order they were first entered."""
    order: list[str] = []
    for stage in stages:
        key = f"{stage['tour']}/{stage['step']}"
        if stage["phase"] == "enter" and stage["tour"] == tour and key not in order:
            order.append(key)
    return order


def run_scenario(page: Page, scenario: str) -> None:
    """Pick a scenario, press Run, and wait for the done summary."""
    page.locator(f'input[name="scenario"][value="{scenario}"]').check()
    page.get_by_label("Show it at reading speed").uncheck()  # the order, not the pace
    page.get_by_role("button", name="Run the probe").click()
    expect(page.locator("#probe-summary")).to_be_visible(timeout=RUN_TIMEOUT_MS)


def lit_steps(page: Page, tour: str) -> list[str]:
    """Return the lit step keys of ``tour`` in the order the page lit them."""
    return [
        key for key in page.evaluate("window.litOrder") if key.startswith(tour + "/")
    ]


def test_hello_lights_every_stage_in_order_then_replays(
    page: Page, base_url: str, watch
) -> None:
    expected = first_entered(
        probe_document(base_url, "GET", "/index")["stages"], LIVE_TOUR
    )
    page.goto("/probe")
    page.evaluate(RECORD_LIGHTING)

    run_scenario(page, "hello")

    assert lit_steps(page, LIVE_TOUR) == expected
    summary = page.locator("#probe-summary")
    expect(summary.locator('[data-field="status"]')).to_have_text("200")
    expect(page.get_by_role("status")).to_contain_text("Done: status 200")
    last = expected[-1]
    last_item = page.locator(f'.probe-steps li[data-step="{last}"]')
    expect(last_item).to_have_class(re.compile(r"\bis-lit\b"))
    expect(last_item.locator(".stage-time")).to_have_text(re.compile(r"^\d+\.\d\d ms$"))
    expect(page.locator(f'.chain-wide .node[data-step="{last}"]')).to_have_class(
        re.compile(r"\bis-lit\b")
    )

    # Replay: step back to the event that first entered the last stage, then
    # one more; the stage goes dark, in the list and in the picture.
    total = page.locator(".trace-row").count()
    expect(page.locator("#replay-position")).to_have_text(f"Event {total} of {total}")
    first_row = page.locator(
        f'.trace-row.is-enter:has([data-show-step="{last}"])'
    ).first
    first_index = int(first_row.get_attribute("data-index"))
    for _ in range(total - 1 - first_index):
        page.keyboard.press("ArrowLeft")
    expect(page.locator("#replay-position")).to_have_text(
        f"Event {first_index + 1} of {total}"
    )
    expect(last_item).to_have_class(re.compile(r"\bis-current\b"))
    expect(last_item).to_have_class(re.compile(r"\bis-lit\b"))
    page.keyboard.press("ArrowLeft")
    expect(last_item).not_to_have_class(re.compile(r"\bis-lit\b"))
    expect(page.locator(f'.chain-wide .node[data-step="{last}"]')).not_to_have_class(
        re.compile(r"\bis-lit\b")
    )
    page.get_by_role("button", name="Next event").click()
    expect(last_item).to_have_class(re.compile(r"\bis-lit\b"))

    # A stage in the trace shows its source beside it, lifted from the step page.
    page.locator('.trace-row [data-show-step="request/dispatch"]').first.click()
    source = page.locator("#probe-source")
    expect(source.locator("section.source")).to_contain_text("def dispatch_request")
    expect(source.get_by_role("link", name="Read the full step →")).to_have_attribute(
        "href", re.compile(r"/tours/request/dispatch$")
    )
    watch.assert_clean()


def test_not_found_runs_hooks_but_no_view(page: Page, watch) -> None:
    page.goto("/probe")
    run_scenario(page, "not-found")

    expect(page.locator('#probe-summary [data-field="status"]')).to_have_text("404")
    expect(page.locator(".trace-row.kind-hook").first).to_be_visible()
    expect(page.locator(".trace-row.kind-view")).to_have_count(0)
    expect(page.locator('.probe-steps li[data-step="request/dispatch"]')).to_have_class(
        re.compile(r"\bis-lit\b")
    )
    watch.assert_clean()


def test_a_new_run_replaces_one_still_streaming(page: Page, watch) -> None:
    """A second Run closes the first stream, and only the second run shows."""
    # Hold the startup stream unanswered, so it is surely still open when
    # the second Run is pressed.
    held: list[Route] = []
    page.route("**/probe/stream?mode=startup*", lambda route: held.append(route))
    page.goto("/probe?mode=startup")
    expect(page.locator('input[name="mode"][value="startup"]')).to_be_checked()
    page.get_by_label("Show it at reading speed").uncheck()  # the order, not the pace
    page.get_by_role("button", name="Trace the server starting").click()
    expect(page.locator("#probe-run")).to_have_attribute("aria-busy", "true")

    page.locator('input[name="mode"][value="request"]').check()
    run_scenario(page, "hello")
    assert len(held) == 1
    assert held[0].request.failure == "net::ERR_ABORTED"  # the page closed it

    done = int(page.locator('#probe-summary [data-field="stages"]').inner_text())
    expect(page.locator(".trace-row")).to_have_count(done)
    expect(page.locator('.trace-row[data-index="0"] .trace-thread')).to_have_text(
        "probe-server"
    )
    watch.assert_clean()


@pytest.mark.parametrize(
    "scenario",
    [scenario for scenario in SCENARIOS if scenario.id != "hello"],
    ids=lambda scenario: scenario.id,
)
def test_every_scenario_lights_its_stages_in_order(
    page: Page, base_url: str, watch, scenario: Scenario
) -> None:
    """Each scenario lights exactly the stages that ran, in their order."""
    document = probe_document(base_url, scenario.method, scenario.path)
    expected = first_entered(document["stages"], LIVE_TOUR)
    page.goto("/probe")
    page.evaluate(RECORD_LIGHTING)

    run_scenario(page, scenario.id)

    assert lit_steps(page, LIVE_TOUR) == expected
    status = page.locator('#probe-summary [data-field="status"]')
    expect(status).to_have_text(str(document["done"]["status"]))
    watch.assert_clean()
