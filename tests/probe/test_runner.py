"""The runner cut short: a probe left early still cleans up after itself.

``ProbeStream.close`` closes the probe's generator when a client hangs up;
whatever stage the run had reached, its threads must end and its specimen
server must stop, including a startup that had not reached serve_forever.
A run that finishes reports what the client received, bounded and safe.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from walkthrough.framework.app import App
from walkthrough.framework.wrappers import Response
from walkthrough.live import watches_for
from walkthrough.probe import specimen
from walkthrough.probe.runner import (
    MAX_BODY_PREVIEW_BYTES,
    Probe,
    ProbeDone,
    RequestProbe,
    StageChannel,
    StartupProbe,
)
from walkthrough.probe.targets import app_target, flask_target, walkthrough_target
from walkthrough.probe.tracer import StageEvent
from walkthrough.site import content_dir_for
from walkthrough.tour.content import load_tours

GATE_SECONDS = 10.0
SETTLE_SECONDS = 10.0


@pytest.fixture(scope="module")
def watched() -> dict:
    """Watch what the shipped tours name, as the site does."""
    return watches_for(load_tours(content_dir_for(None)), prefer_tour="startup")


def new_threads_after(before: set[threading.Thread]) -> list[str]:
    """Wait, bounded, for threads started since ``before``; name those left."""
    deadline = time.monotonic() + SETTLE_SECONDS
    # A thread listed while still starting cannot be joined yet: look again.
    while (new := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        for thread in new:
            if thread.is_alive():
                thread.join(max(deadline - time.monotonic(), 0))
        time.sleep(0.001)
    return sorted(thread.name for thread in set(threading.enumerate()) - before)


def open_when_stopping(probe: Probe, gate: threading.Event) -> None:
    """Open ``gate`` the moment the probe starts to stop, and not before."""
    stop = probe.stop

    def stop_after_opening() -> None:
        gate.set()
        stop()

    probe.stop = stop_after_opening  # type: ignore[method-assign]


@pytest.fixture
def held_startup(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold the specimen's startup after building the app, until opened."""
    gate = threading.Event()
    create: Callable = specimen.create_specimen

    def create_then_wait():
        app = create()
        if not gate.wait(GATE_SECONDS):
            raise TimeoutError("the test never opened the gate")
        return app

    monkeypatch.setattr(specimen, "create_specimen", create_then_wait)
    yield gate
    gate.set()


def test_a_startup_left_before_serving_still_stops_its_server(
    watched, held_startup
) -> None:
    before = set(threading.enumerate())
    probe = StartupProbe(watched)
    open_when_stopping(probe, held_startup)
    messages = probe.run()
    first = next(messages)
    assert isinstance(first, StageEvent) and first.step == "create-app"
    # The client leaves while startup is held, before serve_forever.
    messages.close()
    assert probe.server is not None
    assert new_threads_after(before) == []
    assert probe.server.socket.fileno() == -1  # the listening socket is closed


def test_a_request_probe_left_after_its_first_stage_ends_cleanly(watched) -> None:
    before = set(threading.enumerate())
    probe = RequestProbe(watched, path="/stream")
    messages = probe.run()
    assert isinstance(next(messages), StageEvent)
    messages.close()
    assert new_threads_after(before) == []
    port = probe.server.server_address[1]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=SETTLE_SECONDS).close()


def test_done_carries_the_head_and_a_bounded_safe_body() -> None:
    app = App(__name__, static_folder=None)
    # Not UTF-8, and longer than the preview: the page must still get text.
    body = "é".encode("latin-1") * (MAX_BODY_PREVIEW_BYTES + 100)
    app.add_url_rule(
        "/bytes", "bytes", lambda: Response(body, mimetype="application/octet-stream")
    )
    probe = RequestProbe({}, target=app_target(app, "test:app"), path="/bytes")
    ending = list(probe.run())[-1]
    assert isinstance(ending, ProbeDone)
    assert ending.size == len(body)
    response = ending.response
    assert response["status_line"] == "HTTP/1.1 200 OK"
    assert ["Content-Length", str(len(body))] in response["headers"]
    assert response["body"] == "\ufffd" * MAX_BODY_PREVIEW_BYTES
    assert response["body_truncated"] is True


@pytest.mark.parametrize("target_id", ["walkthrough", "flask"])
def test_a_startup_ends_in_serve_forever_when_no_tour_names_it(target_id) -> None:
    # Tours of your own that skip the accept loop: startup must still finish,
    # not wait out its whole timeout.
    if target_id == "flask":
        pytest.importorskip("flask")
    target = flask_target() if target_id == "flask" else walkthrough_target()
    probe = StartupProbe({}, target=target, timeout_seconds=SETTLE_SECONDS)
    messages = list(probe.run())
    assert isinstance(messages[-1], ProbeDone), messages[-1]
    serve_forever = "socketserver:BaseServer.serve_forever"
    assert [m.symbol for m in messages[:-1]] == [serve_forever]
    assert probe.server is not None and probe.server.socket.fileno() == -1


def test_the_channel_hands_over_stages_nobody_rang_for_in_order() -> None:
    channel = StageChannel()
    stages = [("stage", number) for number in range(3)]
    threading.Timer(0.01, lambda: [channel.put_stage(s) for s in stages]).start()
    taken: list[object] = []
    while len(taken) < len(stages):
        taken += channel.take(timeout=5.0)  # found by looking, not by a bell
    assert taken == stages


def test_the_end_of_a_run_comes_after_the_stages_before_it() -> None:
    channel = StageChannel()
    channel.put_stage(("stage", 1))
    done = ProbeDone(200, 5, 100, 0)
    channel.put(done)
    channel.put_stage(("stage", 2))
    assert channel.take(timeout=5.0) == [("stage", 1), done, ("stage", 2)]


def test_a_channel_with_nothing_to_take_says_so_when_its_time_is_up() -> None:
    with pytest.raises(queue.Empty):
        StageChannel().take(timeout=0.02)
