"""The Flask tour names the code real Flask runs: trace a real request.

A tiny Flask app is served by Werkzeug's own threaded server and traced with
the probe's tracer, watching exactly the code objects the shipped Flask tour
names (nested closures of `run_wsgi` included). Every stage of one request's
chain must fire, in the order the tour tells it.
"""

from __future__ import annotations

import http.client
import threading

import pytest

from walkthrough.probe.tracer import RawStage, StageEvent, Tracer, Watch
from walkthrough.resources import shipped_path
from walkthrough.tour.content import load_tours
from walkthrough.tour.source import code_objects

flask = pytest.importorskip("flask")
serving = pytest.importorskip("werkzeug.serving")

TIMEOUT_SECONDS = 5.0
# The request's chain, in the order the tour walks it (the error path aside).
REQUEST_STEPS = [
    "thread-run",
    "handler-init",
    "handle",
    "http-handle",
    "handle-one-request",
    "run-wsgi",
    "make-environ",
    "execute",
    "flask-call",
    "wsgi-app",
    "request-context",
    "ctx-init",
    "create-url-adapter",
    "bind-to-environ",
    "ctx-push",
    "app-ctx-push",
    "open-session",
    "match-request",
    "match",
    "full-dispatch",
    "preprocess",
    "dispatch",
    "finalize",
    "make-response",
    "process-response",
    "response-call",
    "start-response",
    "ctx-pop",
    "teardown",
    "write",
]


def flask_tour_watches() -> dict:
    """Watch every code object the shipped Flask tour names, as the probe would."""
    tours = [tour for tour in load_tours(shipped_path("content")) if tour.id == "flask"]
    return {
        code: Watch(ref.symbol, ref.tour_id, ref.step_id)
        for code, ref in code_objects(tours).items()
    }


def traced_request(path: str) -> tuple[int, list[StageEvent]]:
    """Serve a Flask app on Werkzeug's server, traced; GET `path` once."""
    app = flask.Flask("traced")
    app.secret_key = "test"

    @app.get("/hello/<name>")
    def hello(name: str) -> str:
        return f"hello {name}"

    stages: list[RawStage] = []
    tracer = Tracer(flask_tour_watches(), stages.append)
    server = serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}
    )
    tracer.trace_thread(thread)
    thread.start()
    try:
        connection = http.client.HTTPConnection(
            "127.0.0.1", server.port, timeout=TIMEOUT_SECONDS
        )
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        connection.close()
    finally:
        server.shutdown()
        # serve_forever closes the server, which joins the handler threads.
        thread.join(timeout=TIMEOUT_SECONDS)
        tracer.stop()
    assert not thread.is_alive()
    return response.status, tracer.events(stages)


def entered(events: list[StageEvent]) -> list[str]:
    """List the steps entered, once each, in the order they first fired."""
    steps = [event.step for event in events if event.phase == "enter"]
    return list(dict.fromkeys(step for step in steps if step is not None))


def test_a_request_on_real_flask_lights_the_tour_in_order() -> None:
    status, events = traced_request("/hello/flask")
    assert status == 200
    seen = entered(events)
    assert [step for step in seen if step in REQUEST_STEPS] == REQUEST_STEPS
    assert {event.tour for event in events} == {"flask"}


def test_the_nested_closures_of_run_wsgi_fire_inside_it() -> None:
    _status, events = traced_request("/hello/closures")
    depth = {
        event.step: event.depth
        for event in events
        if event.phase == "enter" and event.thread != "MainThread"
    }
    assert depth["run-wsgi"] < depth["execute"] < depth["flask-call"]
    assert depth["execute"] < depth["write"]


def test_a_404_on_real_flask_takes_the_error_path_and_calls_no_view() -> None:
    status, events = traced_request("/nowhere")
    assert status == 404
    seen = entered(events)
    assert "handle-user-exception" in seen
    assert "handle-http-exception" in seen
    assert "handle-exception" not in seen
    assert seen.index("dispatch") < seen.index("handle-user-exception")
