"""The live probe's web face over HTTP: input checks, limits, no leaks.

``/probe/stream`` and ``/probe/run`` refuse bad input with a 400 that names
the problem, refuse a probe beyond the limit with 429 and Retry-After, give
the slot back however a probe ends, and leave no thread or file behind.
"""

from __future__ import annotations

import gc
import html
import http.client
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from walkthrough.live import RETRY_AFTER_SECONDS, ProbeLimiter, ProbeStream
from walkthrough.probe import specimen
from walkthrough.probe.runner import STARTUP_FAILED, ProbeFailed, RequestProbe
from walkthrough.probe.specimen import SCENARIOS
from walkthrough.site import create_app

# The SSE client the probe tests share, whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent / "probe"))
from probefixture.sse import EventStream, probe  # noqa: E402

SOCKET_TIMEOUT_SECONDS = 10.0
GATE_SECONDS = 10.0
SETTLE_SECONDS = 10.0
LEAK_PROBES = 200
LEAK_ABORT_EVERY = 4  # so 50 of the 200 hang up after the first event
LEAK_STARTUP_EVERY = 25  # and 8 of them trace startup instead
LEAK_WORKERS = 2
# A hung-up probe holds its slot until the server notices, so leave room.
LEAK_MAX_PROBES = 8
FD_TOLERANCE = 2


def get(server, path: str, headers: dict[str, str] | None = None):
    """GET ``path``; return (status, headers, body text)."""
    connection = http.client.HTTPConnection(
        server.host, server.port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def site(live_server) -> Iterator:
    """Serve the shipped tours, with the default probe limit."""
    with live_server(create_app()) as server:
        yield server


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold the specimen's ``/index`` view until the test opens the gate."""
    opened = threading.Event()

    def index() -> str:
        """Wait at the gate, then answer as the real view does."""
        if not opened.wait(GATE_SECONDS):
            raise TimeoutError("the test never opened the gate")
        return "index"

    monkeypatch.setattr(specimen, "index", index)
    yield opened
    opened.set()


BAD_INPUT = [
    ("method", {"method": "TRACE"}, "Method 'TRACE' cannot be probed"),
    ("method-junk", {"method": "G E T"}, "cannot be probed; choose one of GET"),
    ("relative", {"path": "index"}, "The path must start with '/'"),
    ("absolute-url", {"path": "http://example.com/"}, "must start with '/'"),
    ("too-long", {"path": "/" + "a" * 2048}, "longer than 2048 characters"),
    ("non-ascii", {"path": "/café"}, "printable ASCII without spaces"),
    ("space", {"path": "/a b"}, "printable ASCII without spaces"),
    ("control", {"path": "/a\r\nX-Evil: 1"}, "printable ASCII without spaces"),
    ("mode", {"mode": "shutdown"}, "Unknown probe mode 'shutdown'"),
]


@pytest.mark.parametrize("endpoint", ["/probe/stream", "/probe/run"])
@pytest.mark.parametrize(
    ("query", "message"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_a_400_naming_the_problem(site, endpoint, query, message) -> None:
    status, _, body = get(site, f"{endpoint}?{urlencode(query)}")
    assert status == 400
    assert message in html.unescape(body)


def refusal(server, endpoint: str, query: dict[str, str]) -> tuple[int, str]:
    """GET a probe endpoint that refuses; return (status, the JSON message)."""
    status, _, body = get(server, f"{endpoint}?{urlencode(query)}")
    return status, json.loads(body)["error"]["message"]


@pytest.mark.parametrize("endpoint", ["/probe/stream", "/probe/run"])
def test_a_refusal_answers_in_the_language_the_page_asked_for(site, endpoint) -> None:
    english = "The path must start with '/': it is a path on the app."
    chinese = "路径必须以“/”开头：它是应用上的一个路径。"
    assert refusal(site, endpoint, {"path": "nope", "lang": "zh"}) == (400, chinese)
    assert refusal(site, endpoint, {"path": "nope"}) == (400, english)
    # An unknown language is no error: the refusal is the English one.
    assert refusal(site, endpoint, {"path": "nope", "lang": "xx"}) == (400, english)


@pytest.mark.parametrize(
    ("query", "english"),
    [case[1:] for case in BAD_INPUT] + [({"app": "nope"}, "Unknown app 'nope'")],
    ids=[case[0] for case in BAD_INPUT] + ["app"],
)
def test_every_refusal_has_its_chinese_words(site, query, english) -> None:
    status, message = refusal(site, "/probe/run", {**query, "lang": "zh"})
    assert status == 400
    assert english not in message and any(
        "\u4e00" <= char <= "\u9fff" for char in message
    )


def test_the_chinese_probe_form_asks_for_chinese_without_script(site) -> None:
    assert '<input type="hidden" name="lang" value="zh">' in get(site, "/zh/probe")[2]
    assert 'name="lang"' not in get(site, "/probe")[2]


def test_an_unknown_app_names_the_choices_in_chinese(site) -> None:
    status, message = refusal(site, "/probe/run", {"app": "nope", "lang": "zh"})
    assert (status, message) == (
        400,
        "未知的应用 'nope'：请从 walkthrough, flask 中选择。",
    )


def test_probe_run_answers_the_whole_run_as_one_document(site) -> None:
    status, headers, body = get(site, "/probe/run?path=/users/3&method=get")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    document = json.loads(body)
    assert set(document) == {"stages", "done"}
    done = document["done"]
    assert set(done) == {"status", "size", "total_us", "stages", "response"}
    assert done["status"] == 200
    # What the client got: the head, and the body's first bytes as text.
    response = done["response"]
    assert response["status_line"] == "HTTP/1.1 200 OK"
    assert ["X-Walkthrough-Probe", "1"] in response["headers"]
    assert json.loads(response["body"]) == {"id": 3, "type": "int"}
    assert response["body_truncated"] is False
    assert document["done"]["stages"] == len(document["stages"])
    keys = {"step", "tour", "symbol", "phase", "t_us", "depth", "thread", "detail"}
    assert all(set(stage) == keys for stage in document["stages"])
    views = [stage["symbol"] for stage in document["stages"]]
    assert "walkthrough.probe.specimen:show_user" in views


def test_probe_stream_is_an_uncached_event_stream(site) -> None:
    with EventStream(site, {"path": "/index"}) as stream:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        assert stream.response.getheader("Cache-Control") == "no-cache"
        run = stream.read_run()
    assert run.ending is not None and run.ending.name == "done"


def test_a_reconnect_with_last_event_id_gets_204_and_runs_nothing(
    live_server,
) -> None:
    with live_server(create_app(max_probes=1)) as server:
        status, _, body = get(
            server, "/probe/stream?path=/index", headers={"Last-Event-ID": "7"}
        )
        assert (status, body) == (204, "")
        # No slot was taken: the one probe allowed still runs.
        status, run = probe(server, {"path": "/index"})
        assert status == 200 and run.ending.name == "done"


def test_one_slot_refuses_a_second_probe_and_comes_back(live_server, gate) -> None:
    with live_server(create_app(max_probes=1)) as server:
        with EventStream(server, {"path": "/index"}) as held:
            held.next_stage()
            for endpoint in ("/probe/stream?path=/index", "/probe/run?path=/index"):
                status, _, body = get(server, endpoint)
                assert status == 429, endpoint
                assert "All probe slots are busy" in body
            # The site still answers everything else while a probe streams.
            assert get(server, "/healthz")[:1] == (200,)
            assert get(server, "/tours/request/")[0] == 200
            gate.set()
            run = held.read_run()
        assert run.ending.name == "done" and run.ending.data["status"] == 200
        # The slot is free as soon as the stream has ended.
        status, again = probe(server, {"path": "/index"})
        assert status == 200 and again.ending.name == "done"


def test_a_refused_probe_says_when_to_retry(live_server, gate) -> None:
    with live_server(create_app(max_probes=1)) as server:
        with EventStream(server, {"path": "/index"}) as held:
            held.next_stage()
            status, headers, _ = get(server, "/probe/stream?path=/index")
            _, busy = refusal(server, "/probe/run", {"path": "/index", "lang": "zh"})
            gate.set()
            held.read_run()
    assert status == 429
    assert headers.get("Retry-After") == str(RETRY_AFTER_SECONDS)
    assert busy == "探针的运行名额已满，请稍后再试。"


def test_a_stream_closed_before_it_is_read_frees_its_slot() -> None:
    limiter = ProbeLimiter(1)
    limiter.acquire()
    request_probe = RequestProbe({}, path="/index")
    ProbeStream(request_probe, limiter).close()
    limiter.acquire()
    limiter.release()
    assert not hasattr(request_probe, "server")  # nothing was started


def test_a_probe_that_overruns_its_time_ends_in_an_error(gate) -> None:
    from walkthrough.live import run_to_document

    document = run_to_document(RequestProbe({}, path="/index", timeout_seconds=0.2))
    gate.set()
    assert set(document) == {"stages", "error"}
    # The run's deadline or the client's socket timeout, whichever fires first.
    assert document["error"]["message"] in {
        "The probe took longer than 0.2 s.",
        "The probe request failed: timed out",
    }


def test_a_probe_that_fails_says_why_in_the_readers_language(gate) -> None:
    from walkthrough.i18n import load_languages
    from walkthrough.live import format_message, run_to_document

    chinese = load_languages()["zh"]
    probe = RequestProbe({}, path="/index", timeout_seconds=0.2)
    document = run_to_document(probe, chinese)
    gate.set()
    assert document["error"]["message"] in {
        "探针运行超过了 0.2 秒，已停止。",
        "探针发出的请求失败了：timed out",
    }
    failed = ProbeFailed(STARTUP_FAILED, {"error": "no module named {app}"})
    _, event, data = format_message(failed, 7, chinese).splitlines()[:3]
    assert event == "event: error"
    sent = json.loads(data.removeprefix("data: "))
    assert sent == {"message": "应用启动失败：no module named {app}"}


def run_leak_probes(server, worker: int, failures: list[str]) -> None:
    """Run this worker's share of probes: some whole, some hung up early."""
    for number in range(worker, LEAK_PROBES, LEAK_WORKERS):
        scenario = SCENARIOS[number % len(SCENARIOS)]
        query = {"method": scenario.method, "path": scenario.path}
        if number % LEAK_STARTUP_EVERY == 0:
            query = {"mode": "startup"}
        with EventStream(server, query) as stream:
            if stream.response.status != 200:
                failures.append(f"probe {number}: {stream.response.status}")
            elif number % LEAK_ABORT_EVERY == 1:
                stream.next_stage()  # then hang up mid-stream
            elif (ending := stream.read_run().ending) is None or ending.name != "done":
                failures.append(f"probe {number}: {ending}")


def check_health_until(server, done: threading.Event, answers: list[int]) -> None:
    """Ask /healthz again and again while the probes run."""
    while not done.is_set():
        answers.append(get(server, "/healthz")[0])


def open_fds() -> int:
    """Count this process's open file descriptors."""
    return len(os.listdir("/proc/self/fd"))


def join_new_threads(before: set[threading.Thread]) -> list[str]:
    """Wait, bounded, for threads started since ``before``; name those left.

    A thread can be listed while it is still starting, and cannot be joined
    until it runs: such a thread is looked at again on the next pass. Each
    thread left is named with where it waits, so a failure says why.
    """
    deadline = time.monotonic() + SETTLE_SECONDS
    while (new := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        for thread in new:
            if thread.is_alive():
                thread.join(max(deadline - time.monotonic(), 0))
        time.sleep(0.001)
    left = set(threading.enumerate()) - before
    return sorted(f"{thread.name} {where_waiting(thread)}" for thread in left)


def where_waiting(thread: threading.Thread) -> str:
    """Name the innermost few functions a live thread is in."""
    frame = sys._current_frames().get(thread.ident or 0)
    places = []
    while frame is not None and len(places) < 4:
        places.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    return " < ".join(places)


def test_probes_leak_no_threads_or_files(live_server) -> None:
    with live_server(create_app(max_probes=LEAK_MAX_PROBES)) as server:
        # The site's own connection threads leave as soon as they are idle,
        # instead of waiting in its pool: every thread left is a probe's.
        server.server.idle_thread_seconds = 0.0
        threads_at_start = set(threading.enumerate())
        probe(server, {"path": "/index"})  # warm up imports and caches
        probe(server, {"mode": "startup"})
        assert join_new_threads(threads_at_start) == []
        gc.collect()
        threads_before = set(threading.enumerate())
        count_before, fds_before = threading.active_count(), open_fds()

        failures: list[str] = []
        answers: list[int] = []
        probes_done = threading.Event()
        health = threading.Thread(
            target=check_health_until, args=(server, probes_done, answers)
        )
        workers = [
            threading.Thread(target=run_leak_probes, args=(server, n, failures))
            for n in range(LEAK_WORKERS)
        ]
        health.start()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        probes_done.set()
        health.join(SOCKET_TIMEOUT_SECONDS)

        assert failures == []
        assert answers and set(answers) == {200}
        assert join_new_threads(threads_before) == []
        assert threading.active_count() == count_before
        gc.collect()
        assert abs(open_fds() - fds_before) <= FD_TOLERANCE

        # Every slot came back: as many probes as allowed run side by side.
        streams = [
            EventStream(server, {"path": "/index"}) for _ in range(LEAK_MAX_PROBES)
        ]
        try:
            assert [stream.response.status for stream in streams] == [200] * len(
                streams
            )
            endings = [stream.read_run().ending for stream in streams]
        finally:
            for stream in streams:
                stream.close()
        assert [ending.name for ending in endings] == ["done"] * len(streams)
