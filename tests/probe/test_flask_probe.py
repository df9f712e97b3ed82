"""The site's probe on real Flask: ``/probe/stream?app=flask`` over HTTP.

Each scenario runs on the specimen's Flask twin, served by Werkzeug's own
threaded server on a real socket, and every stage the stream reports is a
step of the Flask tour (or the request tour, for the socketserver code that
only it names). Where the twin answers, it answers as the specimen does.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
from collections.abc import Iterable
from urllib.parse import urlencode

import pytest
from probefixture.sse import Run, probe

from walkthrough.probe.specimen import PROBE_HEADER, SCENARIOS, STREAM_PARTS

SOCKET_TIMEOUT_SECONDS = 10.0
TWIN = "walkthrough.probe.flask_twin"
# The request through Werkzeug and Flask, in the order the stages start.
SERVE = ["flask/run-wsgi", "flask/make-environ", "flask/execute", "flask/wsgi-app"]
PUSH = ["flask/ctx-push", "flask/match-request", "flask/match"]
DISPATCH = ["flask/full-dispatch", "flask/preprocess", f"{TWIN}:answer_early"]
FINISH = [
    "flask/finalize",
    "flask/make-response",
    "flask/process-response",
    f"{TWIN}:tag_response",
    "flask/start-response",
    "flask/ctx-pop",
    "flask/teardown",
    f"{TWIN}:clean_up",
]
HTTP_ERROR = ["flask/handle-user-exception", "flask/handle-http-exception"]
VIEW_NAMES = ("index", "show_user", "api_status", "boom", "stream")
VIEWS = {f"{TWIN}:{name}" for name in VIEW_NAMES}

# scenario -> (status, the stages that must appear in this order, the view)
CASES: dict[str, tuple[int, list[str], str | None]] = {
    "hello": (200, [*SERVE, *PUSH, *DISPATCH, "flask/dispatch", *FINISH], "index"),
    "converter": (200, [*PUSH, "flask/dispatch", *FINISH], "show_user"),
    "json": (200, [*DISPATCH, "flask/dispatch", *FINISH], "api_status"),
    "redirect": (308, [*PUSH, *DISPATCH, "flask/dispatch", *HTTP_ERROR, *FINISH], None),
    "not-found": (404, [*PUSH, "flask/dispatch", *HTTP_ERROR, *FINISH], None),
    "not-allowed": (405, ["flask/dispatch", *HTTP_ERROR, *FINISH], None),
    "error": (
        500,
        [
            "flask/dispatch",
            f"{TWIN}:boom",
            "flask/handle-user-exception",
            "flask/handle-exception",
            f"{TWIN}:server_error_page",
            *FINISH,
        ],
        "boom",
    ),
    "early": (200, [*DISPATCH, *FINISH], None),
    "stream": (200, ["flask/dispatch", f"{TWIN}:stream", *FINISH], "stream"),
}


def enters(run: Run) -> list[str]:
    """Name each stage entered: ``tour/step``, or the twin's own symbol."""
    return [
        f"{stage['tour']}/{stage['step']}" if stage["tour"] else stage["symbol"]
        for stage in run.stages
        if stage["phase"] == "enter"
    ]


def in_order(wanted: Iterable[str], seen: list[str]) -> bool:
    """Tell whether ``wanted`` appears in ``seen`` in this order (gaps allowed)."""
    remaining = iter(seen)
    return all(name in remaining for name in wanted)


def get_json(server, path: str) -> tuple[int, dict]:
    """GET ``path``; return the status and the JSON body."""
    connection = http.client.HTTPConnection(
        server.host, server.port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.getheader("Content-Type").startswith("application/json")
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_each_scenario_streams_the_flask_chain_then_done(site, scenario) -> None:
    status, steps, view = CASES[scenario.id]
    query = {"app": "flask", "method": scenario.method, "path": scenario.path}
    http_status, run = probe(site, query)
    assert http_status == 200
    assert run.ending is not None and run.ending.name == "done", run.ending
    done = run.ending.data
    assert done["status"] == status
    assert done["stages"] == len(run.stages)
    seen = enters(run)
    assert in_order(steps, seen), seen
    assert VIEWS & set(seen) == ({f"{TWIN}:{view}"} if view else set())
    # The response head as the client got it: the after_request hook's header.
    response = done["response"]
    assert response["status_line"].startswith(f"HTTP/1.1 {status} ")
    assert [PROBE_HEADER, "1"] in response["headers"]


def header(done: dict, name: str) -> str:
    """Return one header of the response ``done`` describes."""
    return next(value for key, value in done["response"]["headers"] if key == name)


def test_the_redirect_names_its_location_and_the_stream_its_parts(site) -> None:
    _, redirect = probe(site, {"app": "flask", "path": "/docs"})
    assert header(redirect.ending.data, "Location").endswith("/docs/")
    _, streamed = probe(site, {"app": "flask", "path": "/stream"})
    writes = [
        s for s in streamed.stages if s["step"] == "write" and s["phase"] == "enter"
    ]
    assert len(writes) >= STREAM_PARTS
    body = streamed.ending.data["response"]["body"]
    assert body.count("\n") == STREAM_PARTS and body.startswith("part 1 of 3")


def test_the_match_reports_endpoint_and_view_args(site) -> None:
    _, run = probe(site, {"app": "flask", "path": "/users/42"})
    match = next(
        stage
        for stage in run.stages
        if stage["step"] == "match-request" and stage["phase"] == "exit"
    )
    assert match["detail"] == {"endpoint": "show_user", "view_args": {"id": "42"}}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_the_twin_answers_as_the_specimen_does(site, scenario) -> None:
    statuses = []
    for app in ("walkthrough", "flask"):
        query = {"app": app, "method": scenario.method, "path": scenario.path}
        status, document = get_json(site, "/probe/run?" + urlencode(query))
        assert status == 200
        statuses.append(document["done"]["status"])
    assert statuses[0] == statuses[1]


def test_flask_startup_runs_app_run_to_serve_forever(site) -> None:
    _, run = probe(site, {"app": "flask", "mode": "startup"})
    assert run.ending.name == "done" and run.ending.data["status"] is None
    assert run.ending.data["response"] is None
    chain = [
        "flask/add-url-rule",
        "flask/flask-run",
        "flask/run-simple",
        "flask/make-server",
        "flask/server-init",
        "flask/listen",
        "flask/serve-forever",
        "flask/accept-loop",
    ]
    assert in_order(chain, enters(run)), enters(run)


def test_an_unknown_app_is_a_400_naming_the_choices(site) -> None:
    for endpoint in ("/probe/run", "/probe/stream"):
        status, document = get_json(site, f"{endpoint}?app=django")
        assert status == 400
        assert document == {
            "error": {
                "message": "Unknown app 'django': choose one of walkthrough, flask."
            }
        }


def test_without_flask_the_choice_is_a_503_and_the_page_says_why(
    site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An import of a module set to None fails, as a missing package does.
    monkeypatch.setitem(sys.modules, "flask", None)
    for endpoint in ("/probe/run", "/probe/stream"):
        status, document = get_json(site, f"{endpoint}?app=flask&path=/index")
        assert status == 503
        assert "pip install 'walkthrough[flask]'" in document["error"]["message"]
    connection = http.client.HTTPConnection(
        site.host, site.port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    try:
        connection.request("GET", "/probe")
        response = connection.getresponse()
        page = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200
    assert re.search(r'value="flask"[^>]*\sdisabled aria-describedby=', page)
    assert "Real Flask is not installed: pip install" in page
    # This framework's probe still runs.
    status, document = get_json(site, "/probe/run?path=/index")
    assert status == 200 and document["done"]["status"] == 200
