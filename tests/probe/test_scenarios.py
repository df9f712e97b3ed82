"""Each scenario probed through the site's ``/probe/stream`` over HTTP.

The tables below are the stages that really run, in order: read them beside
the tours (``content/*.md``) and the code. They are built from segments so
that where two paths part, the difference is plain to see.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from probefixture.sse import EventStream, Run, probe

from walkthrough.probe import specimen
from walkthrough.probe.specimen import SCENARIOS, STREAM_PARTS
from walkthrough.resources import shipped_path
from walkthrough.site import create_app

GATE_SECONDS = 10.0

# The accept loop's thread: wake, accept, admit, hand to a connection thread.
ACCEPT = [
    "startup/serve-forever",
    "request/noblock",
    "request/accept",
    "request/verify",
    "request/thread",
]
# The connection's thread, up to the app: handler, request head, environ.
READ_REQUEST = [
    "request/pool",
    "request/thread-run",
    "request/finish-request",
    "request/handler-init",
    "request/setup",
    "request/handle",
    "request/keep-alive",
    "request/one-request",
    "request/parse-request",
    "request/read-head",
    "request/parse-head",
    "errors/framing",
    "request/run-wsgi",
    "request/environ",
    "request/execute",
]
# The app: request context made and pushed, which matches the URL.
PUSH_AND_MATCH = [
    "request/app-call",
    "request/wsgi-app",
    "request/request-context",
    "contexts/request-context",
    "routing/bind",
    "request/push",
    "contexts/app-context-alone",
    "contexts/app-context",
    "routing/match-request",
    "routing/match",
    "routing/walk",
]
# A walk past the static shortcut, visiting one trie state per path segment.
TRIE_WALK_1 = ["routing/attempt", "routing/visit"]
TRIE_WALK_2 = ["routing/attempt", "routing/visit", "routing/visit"]
TRIE_WALK_3 = ["routing/attempt", "routing/visit", "routing/visit", "routing/visit"]
# match raised a 404/405/308, made here and stored for dispatch_request.
ROUTING_ERROR_MADE = ["errors/http-exception"]
BEFORE_HOOKS = ["request/full-dispatch", "request/preprocess", "specimen:answer_early"]
FINALIZE = [
    "request/finalize",
    "request/make-response",
    "request/process-response",
    "specimen:tag_response",
]
# Answer: start_response, pop the context (teardown), then write the body.
ANSWER = [
    "request/response-call",
    "request/start-response",
    "request/pop",
    "specimen:clean_up",
    "request/write",
    "request/response-framing",
]
CLOSE = ["request/drain", "request/close"]
# The routing error raised in dispatch_request, answered by the exception.
HTTP_ERROR = ["request/dispatch", "errors/user-exception", "errors/http-error"]

OPEN = ACCEPT + READ_REQUEST + PUSH_AND_MATCH

EXPECTED_ENTERS: dict[str, list[str]] = {
    "hello": OPEN
    + BEFORE_HOOKS
    + ["request/dispatch", "specimen:index"]
    + FINALIZE
    + ANSWER
    + CLOSE,
    "converter": OPEN
    + TRIE_WALK_3
    + BEFORE_HOOKS
    + ["request/dispatch", "specimen:show_user"]
    + FINALIZE
    + ANSWER
    + CLOSE,
    "json": OPEN
    + BEFORE_HOOKS
    + ["request/dispatch", "specimen:api_status"]
    + FINALIZE
    + ANSWER
    + CLOSE,
    # /docs only lacks its slash: a 308, passed on untouched (no handler lookup).
    "redirect": OPEN
    + TRIE_WALK_2
    + ROUTING_ERROR_MADE
    + BEFORE_HOOKS
    + HTTP_ERROR
    + FINALIZE
    + ANSWER
    + CLOSE,
    # No rule: no view runs; a handler for 404 is looked for, none is found.
    "not-found": OPEN
    + TRIE_WALK_1
    + ROUTING_ERROR_MADE
    + BEFORE_HOOKS
    + HTTP_ERROR
    + ["errors/find-handler"]
    + FINALIZE
    + ANSWER
    + CLOSE,
    # POST /index misses the static shortcut (GET only), walks, finds 405.
    "not-allowed": OPEN
    + TRIE_WALK_2
    + ROUTING_ERROR_MADE
    + BEFORE_HOOKS
    + HTTP_ERROR
    + ["errors/find-handler"]
    + FINALIZE
    + ANSWER
    + CLOSE,
    # The view raises; no handler for RuntimeError, so handle_exception makes
    # an InternalServerError, finds the specimen's 500 handler and finalizes.
    "error": OPEN
    + BEFORE_HOOKS
    + ["request/dispatch", "specimen:boom"]
    + ["errors/user-exception", "errors/find-handler"]
    + ["errors/handle-exception", "errors/http-exception", "errors/find-handler"]
    + ["specimen:server_error_page"]
    + FINALIZE
    + ANSWER
    + CLOSE,
    # /early has no rule (a 404 is made and stored) but the before_request
    # hook answers first: no dispatch_request, so the 404 is never raised.
    "early": OPEN
    + TRIE_WALK_1
    + ROUTING_ERROR_MADE
    + BEFORE_HOOKS
    + FINALIZE
    + ANSWER
    + CLOSE,
    # stream_with_context pushes the context again, so wsgi_app's pop runs no
    # teardown; the body is generated part by part after it, each part one
    # write, and the last resume pops again: now teardown runs.
    "stream": OPEN
    + BEFORE_HOOKS
    + ["request/dispatch", "specimen:stream", "contexts/stream", "request/push"]
    + FINALIZE
    + ["request/response-call", "request/start-response", "request/pop"]
    # Only the first write decides the framing and sends the head.
    + ["specimen:generate_parts", "request/write", "request/response-framing"]
    + ["specimen:generate_parts", "request/write"] * (STREAM_PARTS - 1)
    + ["specimen:generate_parts", "request/pop", "specimen:clean_up"]
    + CLOSE,
}

ADD_ROUTE = [
    "startup/add-url-rule",
    "startup/map-add",
    "startup/rule-bind",
    "routing/compile",
    "routing/parse-rule",
    "routing/trie",
]
EXPECTED_STARTUP_ENTERS = (
    ["startup/create-app", "startup/registries"]
    + ADD_ROUTE
    # /users/<int:id>: the converter's arguments, the converter, the part.
    + ADD_ROUTE[:5]
    + ["routing/converter-args", "routing/converter", "routing/rule-part"]
    + ["routing/trie"]
    + ADD_ROUTE * 4
    + ["errors/register"]
    + ["startup/run", "startup/run-simple", "startup/make-server"]
    + ["startup/server-init", "startup/tcp-init"]
    + ["startup/http-bind", "startup/tcp-bind", "startup/listen"]
    + ["startup/serve-forever"]
)

EXPECTED_STATUS = {
    "hello": 200,
    "converter": 200,
    "json": 200,
    "redirect": 308,
    "not-found": 404,
    "not-allowed": 405,
    "error": 500,
    "early": 200,
    "stream": 200,
}
STDLIB_STAGES = {
    "socketserver:BaseServer.serve_forever",
    "socketserver:BaseServer._handle_request_noblock",
    "socketserver:ThreadingMixIn.process_request_thread",
    "socketserver:BaseServer.finish_request",
    "http.server:BaseHTTPRequestHandler.handle",
    "http.server:BaseHTTPRequestHandler.handle_one_request",
}
SCENARIO_IDS = [scenario.id for scenario in SCENARIOS]


@pytest.fixture(scope="module")
def runs(site) -> dict[str, tuple[int, Run]]:
    """Probe every scenario once, and startup; the tests read the results."""
    results = {
        scenario.id: probe(site, {"method": scenario.method, "path": scenario.path})
        for scenario in SCENARIOS
    }
    results["startup"] = probe(site, {"mode": "startup"})
    return results


def open_stages(run: Run) -> dict[str, list[str]]:
    """Pair each exit with its thread's last enter; return what stays open."""
    stacks: dict[str, list[str]] = {}
    for stage in run.stages:
        stack = stacks.setdefault(stage["thread"], [])
        if stage["phase"] == "enter":
            assert stage["depth"] == len(stack), stage
            stack.append(stage["symbol"])
        else:
            assert stack and stack[-1] == stage["symbol"], (stage, stack)
            stack.pop()
            assert stage["depth"] == len(stack), stage
    return {thread: stack for thread, stack in stacks.items() if stack}


def test_the_scenario_table_covers_every_scenario() -> None:
    assert set(EXPECTED_ENTERS) == set(SCENARIO_IDS) == set(EXPECTED_STATUS)


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_the_stages_entered_are_exactly_those_the_code_runs(
    runs, scenario_id: str
) -> None:
    status, run = runs[scenario_id]
    assert status == 200
    assert run.enters() == EXPECTED_ENTERS[scenario_id]


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_done_reports_the_status_size_and_every_stage(runs, scenario_id) -> None:
    _, run = runs[scenario_id]
    assert run.ending is not None and run.ending.name == "done", run.ending
    done = run.ending.data
    assert done["status"] == EXPECTED_STATUS[scenario_id]
    assert done["stages"] == len(run.stages)
    # The body the client read is exactly what the write stages sent.
    writes = [s for s in run.stages if s["step"] == "write" and s["phase"] == "enter"]
    assert done["size"] == sum(stage["detail"]["bytes"] for stage in writes)
    starts = [s for s in run.stages if s["step"] == "start-response"]
    assert starts[0]["detail"]["status"].startswith(str(done["status"]))
    # Events are numbered in order; the first stage began before the end.
    assert run.ids == list(range(1, len(run.stages) + 2))
    assert run.stages[0]["t_us"] < done["total_us"]
    assert max(stage["t_us"] for stage in run.stages) <= done["total_us"]


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_every_exit_closes_the_last_enter_of_its_thread(runs, scenario_id) -> None:
    _, run = runs[scenario_id]
    # When the request is done, the accept loop waits for the next connection,
    # and the connection's thread waits, idle, in its pool loop.
    assert open_stages(run) == {
        "probe-server": ["socketserver:BaseServer.serve_forever"],
        "connection": [
            "walkthrough.framework.serving:ThreadedWSGIServer.serve_connections"
        ],
    }


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_the_standard_library_stages_are_traced(runs, scenario_id) -> None:
    _, run = runs[scenario_id]
    assert STDLIB_STAGES <= {stage["symbol"] for stage in run.stages}


def test_startup_runs_the_whole_chain_and_ends_in_serve_forever(runs) -> None:
    status, run = runs["startup"]
    assert status == 200
    assert run.enters() == EXPECTED_STARTUP_ENTERS
    assert run.ending is not None and run.ending.name == "done"
    assert run.ending.data["status"] is None
    assert run.ending.data["stages"] == len(run.stages)
    # Startup is over once the server waits; it is stopped after ``done``.
    assert open_stages(run) == {
        "probe-startup": [
            "walkthrough.framework.app:App.run",
            "walkthrough.framework.serving:run_simple",
            "socketserver:BaseServer.serve_forever",
        ]
    }
    binds = [s for s in run.stages if s["step"] == "tcp-bind" and s["phase"] == "exit"]
    host, _, port = binds[0]["detail"]["address"].partition(":")
    assert host == "127.0.0.1" and int(port) > 0


def enters(runs, scenario_id: str) -> set[str]:
    """Return the set of stages a scenario entered."""
    return set(runs[scenario_id][1].enters())


def test_a_404_runs_no_view(runs) -> None:
    hello, not_found = enters(runs, "hello"), enters(runs, "not-found")
    assert hello - not_found == {"specimen:index"}
    assert not_found - hello == {
        "routing/attempt",
        "routing/visit",
        "errors/http-exception",
        "errors/user-exception",
        "errors/http-error",
        "errors/find-handler",
    }
    assert "specimen:show_user" not in not_found


def test_an_early_answer_skips_dispatch_and_never_raises_its_404(runs) -> None:
    hello, early = enters(runs, "hello"), enters(runs, "early")
    assert hello - early == {"request/dispatch", "specimen:index"}
    assert early - hello == {
        "routing/attempt",
        "routing/visit",
        "errors/http-exception",
    }


def test_a_500_goes_through_handle_user_exception_then_handle_exception(runs) -> None:
    hello, error = enters(runs, "hello"), enters(runs, "error")
    assert hello - error == {"specimen:index"}
    assert error - hello == {
        "specimen:boom",
        "errors/user-exception",
        "errors/find-handler",
        "errors/handle-exception",
        "errors/http-exception",
        "specimen:server_error_page",
    }
    stages = runs["error"][1].stages
    handlers = ("user-exception", "handle-exception")
    seen = [s for s in stages if s["step"] in handlers and s["phase"] == "enter"]
    assert [s["detail"]["exception"] for s in seen] == ["RuntimeError"] * 2


def test_routing_errors_carry_their_status_in_the_facts(runs) -> None:
    for scenario_id, error, status in [
        ("redirect", "RequestRedirect", 308),
        ("not-found", "NotFound", 404),
        ("not-allowed", "MethodNotAllowed", 405),
        ("early", "NotFound", 404),
    ]:
        stages = runs[scenario_id][1].stages
        match = next(
            s for s in stages if s["step"] == "match-request" and s["phase"] == "exit"
        )
        assert match["detail"] == {"routing_error": error, "status": status}
    converter = runs["converter"][1].stages
    match = next(
        s for s in converter if s["step"] == "match-request" and s["phase"] == "exit"
    )
    assert match["detail"] == {"endpoint": "show_user", "view_args": {"id": "42"}}
    parsed = next(
        s for s in converter if s["step"] == "parse-request" and s["phase"] == "exit"
    )
    assert parsed["detail"] == {"method": "GET", "path": "/users/42"}


def test_a_405_is_answered_by_handle_http_exception(runs) -> None:
    stages = runs["not-allowed"][1].stages
    http_error = next(s for s in stages if s["step"] == "http-error")
    assert http_error["detail"]["exception"] == "MethodNotAllowed"
    assert http_error["detail"]["status"] == 405


def test_a_stream_writes_one_block_per_part(runs) -> None:
    stages = runs["stream"][1].stages
    writes = [s for s in stages if s["step"] == "write" and s["phase"] == "enter"]
    assert len(writes) == STREAM_PARTS
    assert len({write["detail"]["bytes"] for write in writes}) == 1


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Make the specimen's stream stop after its first part until opened."""
    opened = threading.Event()

    def generate_parts() -> Iterator[str]:
        """Yield one part, wait at the gate, then yield the rest."""
        yield "part 1 before the gate\n"
        if not opened.wait(GATE_SECONDS):
            raise TimeoutError("the test never opened the gate")
        yield "part 2 after the gate\n"

    monkeypatch.setattr(specimen, "generate_parts", generate_parts)
    yield opened
    opened.set()


def test_stages_arrive_while_the_request_is_still_running(site, gate) -> None:
    # The specimen is held mid-body, so every event read so far left the
    # server while the request was provably unfinished.
    with EventStream(site, {"path": "/stream"}) as stream:
        first = stream.next_stage()
        seen = [first]
        while not (seen[-1]["step"] == "write" and seen[-1]["phase"] == "exit"):
            seen.append(stream.next_stage())
        assert not gate.is_set()
        assert first["symbol"] == "socketserver:BaseServer.serve_forever"
        gate.set()
        run = stream.read_run()
    assert run.ending is not None and run.ending.name == "done"
    assert run.ending.data["status"] == 200
    assert run.ending.data["stages"] == len(seen) + len(run.stages)
    assert first["t_us"] < run.ending.data["total_us"]
    later_writes = [s for s in run.stages if s["step"] == "write"]
    assert [
        s["detail"].get("bytes") for s in later_writes if s["phase"] == "enter"
    ] == [len("part 2 after the gate\n")]


NEW_STEP = """
## Build the Request object

```step
id = "request-object"
symbol = "walkthrough.framework.wrappers:Request.__init__"
```

The request context wraps the environ in a `Request`.
"""


def test_a_step_added_to_a_tour_is_traced_with_no_probe_change(
    tmp_path, live_server
) -> None:
    content = tmp_path / "content"
    shutil.copytree(shipped_path("content"), content)
    with (content / "request.md").open("a", encoding="utf-8") as tour:
        tour.write(NEW_STEP)
    with live_server(create_app(content)) as server:
        _, run = probe(server, {"path": "/index"})
    expected = list(EXPECTED_ENTERS["hello"])
    expected.insert(
        expected.index("contexts/request-context") + 1, "request/request-object"
    )
    assert run.enters() == expected
    assert "request/request-object" not in EXPECTED_ENTERS["hello"]
