"""The tracer on small functions: which calls become events, and how deep.

Only watched code in traced threads is reported: nested calls nest, a
thread started from a traced thread is traced too, a foreign one is not,
``stop`` switches the hooks off, and generators and exceptions still give
one exit for each enter. Every test runs on each hook this Python has: a
trace function (``sys.settrace``), and on 3.12+ ``sys.monitoring``, which
must report the same.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import partial
from types import CodeType, FunctionType

import pytest
from probefixture import traced

from walkthrough.probe import tracer as tracer_module
from walkthrough.probe.tracer import (
    HAS_MONITORING,
    PROBE_TOOL_NAME,
    StageEvent,
    Tracer,
    Watch,
)

JOIN_SECONDS = 5.0
HOOKS = ["monitoring", "settrace"] if HAS_MONITORING else ["settrace"]

MakeTracer = Callable[..., Tracer]


def event_tracer(
    watched: dict, on_event: Callable[[StageEvent], object], **options: object
) -> Tracer:
    """A tracer whose every stage reaches ``on_event`` as a ``StageEvent``.

    Made at once, in the traced thread, where the probe's relay makes it
    later in its own: the same event either way.
    """
    tracer = Tracer(watched, lambda stage: on_event(tracer.event(stage)), **options)
    return tracer


@pytest.fixture(params=HOOKS)
def make_tracer(request: pytest.FixtureRequest) -> MakeTracer:
    """Build tracers on one hook: ``sys.monitoring`` or a trace function."""
    return partial(event_tracer, use_monitoring=request.param == "monitoring")


def watching(*functions: FunctionType) -> dict:
    """Watch these functions as steps of a ``fixture`` tour named after them."""
    return {
        function.__code__: Watch(
            f"probefixture.traced:{function.__qualname__}", "fixture", function.__name__
        )
        for function in functions
    }


def run_traced(
    tracer: Tracer, body: Callable[[], object], name: str = "traced"
) -> None:
    """Run ``body`` in a new thread that the tracer traces; wait for it."""
    thread = threading.Thread(target=body, name=name)
    tracer.trace_thread(thread)
    thread.start()
    thread.join(JOIN_SECONDS)
    assert not thread.is_alive()


def steps(events: list[StageEvent]) -> list[tuple[str, str | None, int]]:
    """Reduce events to (phase, step, depth), the shape the tables use."""
    return [(event.phase, event.step, event.depth) for event in events]


def test_nested_calls_give_nested_enter_exit_pairs(make_tracer: MakeTracer) -> None:
    events: list[StageEvent] = []
    tracer = make_tracer(
        watching(traced.outer, traced.middle, traced.inner), events.append
    )
    run_traced(tracer, traced.outer)
    assert steps(events) == [
        ("enter", "outer", 0),
        ("enter", "middle", 1),
        ("enter", "inner", 2),
        ("exit", "inner", 2),
        ("exit", "middle", 1),
        ("exit", "outer", 0),
    ]
    assert {event.thread for event in events} == {"traced"}
    assert {event.tour for event in events} == {"fixture"}
    times = [event.t_us for event in events]
    assert times == sorted(times) and times[0] >= 0


def test_unwatched_code_is_silent_but_what_it_calls_is_not(
    make_tracer: MakeTracer,
) -> None:
    events: list[StageEvent] = []
    tracer = make_tracer(watching(traced.inner), events.append)
    run_traced(tracer, traced.unwatched)
    assert steps(events) == [("enter", "inner", 0), ("exit", "inner", 0)]

    events.clear()
    run_traced(make_tracer(watching(traced.outer), events.append), traced.unwatched)
    assert events == []


def test_a_thread_started_from_a_traced_thread_is_traced(
    make_tracer: MakeTracer,
) -> None:
    events: list[StageEvent] = []
    tracer = make_tracer(watching(traced.middle, traced.inner), events.append)

    def body() -> None:
        traced.in_new_thread(traced.inner, name="child")

    run_traced(tracer, body, name="parent")
    assert [(event.thread, event.phase, event.depth) for event in events] == [
        ("child", "enter", 0),
        ("child", "exit", 0),
    ]


def test_a_foreign_thread_is_not_traced_even_while_a_probe_runs(
    make_tracer: MakeTracer,
) -> None:
    events: list[StageEvent] = []
    tracer = make_tracer(watching(traced.inner), events.append)
    foreign_done = threading.Event()

    def body() -> None:
        # Wait until a thread this one did not start has run watched code.
        assert foreign_done.wait(JOIN_SECONDS)
        traced.inner()

    probe_thread = threading.Thread(target=body, name="traced")
    tracer.trace_thread(probe_thread)
    probe_thread.start()
    foreign = threading.Thread(
        target=lambda: (traced.inner(), foreign_done.set()), name="foreign"
    )
    foreign.start()
    foreign.join(JOIN_SECONDS)
    probe_thread.join(JOIN_SECONDS)
    traced.inner()
    assert [(event.thread, event.phase) for event in events] == [
        ("traced", "enter"),
        ("traced", "exit"),
    ]


def test_a_thread_created_outside_but_started_inside_is_traced(
    make_tracer: MakeTracer,
) -> None:
    # The hook follows Thread.start, not where the Thread object was made.
    events: list[StageEvent] = []
    tracer = make_tracer(watching(traced.inner), events.append)
    made_outside = threading.Thread(target=traced.inner, name="made-outside")

    def body() -> None:
        made_outside.start()
        made_outside.join(JOIN_SECONDS)

    run_traced(tracer, body)
    assert [event.thread for event in events] == ["made-outside", "made-outside"]


def test_stop_reports_nothing_more_and_the_hook_switches_itself_off(
    make_tracer: MakeTracer,
) -> None:
    events: list[StageEvent] = []
    tracer = make_tracer(watching(traced.inner), events.append)
    stopped = threading.Event()
    trace_after_stop: list[object] = []

    def body() -> None:
        traced.inner()
        assert stopped.wait(JOIN_SECONDS)
        traced.inner()
        trace_after_stop.append(sys.gettrace())

    thread = threading.Thread(target=body, name="traced")
    tracer.trace_thread(thread)
    thread.start()
    tracer.stop()
    stopped.set()
    thread.join(JOIN_SECONDS)
    assert steps(events) in ([], [("enter", "inner", 0), ("exit", "inner", 0)])
    assert trace_after_stop == [None]


def test_stop_after_the_first_stage_keeps_only_it(make_tracer: MakeTracer) -> None:
    events: list[StageEvent] = []
    tracer = make_tracer(watching(traced.inner), events.append)
    first_seen, stopped = threading.Event(), threading.Event()

    def body() -> None:
        traced.inner()
        first_seen.set()
        assert stopped.wait(JOIN_SECONDS)
        traced.inner()

    thread = threading.Thread(target=body)
    tracer.trace_thread(thread)
    thread.start()
    assert first_seen.wait(JOIN_SECONDS)
    tracer.stop()
    stopped.set()
    thread.join(JOIN_SECONDS)
    assert steps(events) == [("enter", "inner", 0), ("exit", "inner", 0)]


def test_a_generator_gives_one_enter_and_exit_per_resume(
    make_tracer: MakeTracer,
) -> None:
    events: list[StageEvent] = []
    tracer = make_tracer(watching(traced.countdown), events.append)
    results: list[int] = []
    run_traced(tracer, lambda: results.extend(traced.countdown(3)))
    assert results == [3, 2, 1]
    # Three yields, then the resume that finds the end and returns.
    assert steps(events) == [("enter", "countdown", 0), ("exit", "countdown", 0)] * 4


def test_an_exception_still_gives_the_exit_at_the_right_depth(
    make_tracer: MakeTracer,
) -> None:
    events: list[StageEvent] = []
    tracer = make_tracer(watching(traced.catch_failure, traced.fail), events.append)
    run_traced(tracer, traced.catch_failure)
    assert steps(events) == [
        ("enter", "catch_failure", 0),
        ("enter", "fail", 1),
        ("exit", "fail", 1),
        ("exit", "catch_failure", 0),
    ]


def test_on_enter_runs_after_its_stage_is_reported(make_tracer: MakeTracer) -> None:
    events: list[StageEvent] = []
    seen_by_hook: list[list[tuple]] = []

    def hook(frame: object) -> None:
        seen_by_hook.append(steps(events))

    tracer = make_tracer(
        watching(traced.middle, traced.inner),
        events.append,
        on_enter={traced.inner.__code__: hook},
    )
    run_traced(tracer, traced.middle)
    assert seen_by_hook == [[("enter", "middle", 0), ("enter", "inner", 1)]]


def test_event_json_has_the_design_fields(make_tracer: MakeTracer) -> None:
    events: list[StageEvent] = []
    run_traced(make_tracer(watching(traced.inner), events.append), traced.inner)
    assert set(events[0].to_json()) == {
        "step",
        "tour",
        "symbol",
        "phase",
        "t_us",
        "depth",
        "thread",
        "detail",
    }
    assert events[0].to_json()["symbol"] == "probefixture.traced:inner"


def test_a_nested_function_is_watched_by_its_code_object(
    make_tracer: MakeTracer,
) -> None:
    # As a tour names werkzeug's run_wsgi.<locals>.execute: the code object is
    # a constant of the outer function's, and each call makes a new function.
    local_code = next(
        const
        for const in traced.with_local_step.__code__.co_consts
        if isinstance(const, CodeType)
    )
    assert local_code.co_qualname == "with_local_step.<locals>.local_step"
    watched = {local_code: Watch(f"probefixture.traced:{local_code.co_qualname}")}
    events: list[StageEvent] = []
    tracer = make_tracer(watched, events.append)
    run_traced(tracer, traced.with_local_step)
    run_traced(tracer, traced.with_local_step)
    assert [(event.symbol, event.phase) for event in events] == [
        ("probefixture.traced:with_local_step.<locals>.local_step", "enter"),
        ("probefixture.traced:with_local_step.<locals>.local_step", "exit"),
    ] * 2


needs_monitoring = pytest.mark.skipif(
    not HAS_MONITORING, reason="sys.monitoring is new in Python 3.12"
)


def free_tool_id() -> int:
    """Return a tool id nobody holds now (earlier probes may still hold some)."""
    return next(
        tool_id for tool_id in range(6) if sys.monitoring.get_tool(tool_id) is None
    )


@needs_monitoring
def test_the_tool_id_is_held_only_while_a_traced_thread_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One candidate id, so the test knows which the tracer takes, whatever
    # probes of earlier tests still hold while their servers stop.
    tool_id = free_tool_id()
    monkeypatch.setattr(tracer_module, "PROBE_TOOL_IDS", (tool_id,))
    held_during: list[str | None] = []
    tracer = event_tracer(watching(traced.inner), [].append, use_monitoring=True)
    run_traced(tracer, lambda: held_during.append(sys.monitoring.get_tool(tool_id)))
    assert held_during == [PROBE_TOOL_NAME]
    assert sys.monitoring.get_tool(tool_id) is None


@needs_monitoring
def test_stop_frees_the_tool_id_while_its_thread_still_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tool_id = free_tool_id()
    monkeypatch.setattr(tracer_module, "PROBE_TOOL_IDS", (tool_id,))
    events: list[StageEvent] = []
    tracer = event_tracer(watching(traced.inner), events.append, use_monitoring=True)
    first_seen, stopped = threading.Event(), threading.Event()

    def body() -> None:
        traced.inner()
        first_seen.set()
        assert stopped.wait(JOIN_SECONDS)
        traced.inner()

    thread = threading.Thread(target=body)
    tracer.trace_thread(thread)
    thread.start()
    assert first_seen.wait(JOIN_SECONDS)
    assert sys.monitoring.get_tool(tool_id) == PROBE_TOOL_NAME
    tracer.stop()
    assert sys.monitoring.get_tool(tool_id) is None
    stopped.set()
    thread.join(JOIN_SECONDS)
    assert steps(events) == [("enter", "inner", 0), ("exit", "inner", 0)]


@needs_monitoring
def test_with_no_tool_id_free_the_trace_function_takes_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tool_id = free_tool_id()
    monkeypatch.setattr(tracer_module, "PROBE_TOOL_IDS", (tool_id,))
    sys.monitoring.use_tool_id(tool_id, "another tool")
    try:
        events: list[StageEvent] = []
        hooks: list[object] = []
        tracer = event_tracer(watching(traced.middle, traced.inner), events.append)
        run_traced(tracer, lambda: (hooks.append(sys.gettrace()), traced.middle()))
        assert hooks != [None]
        assert steps(events) == [
            ("enter", "middle", 0),
            ("enter", "inner", 1),
            ("exit", "inner", 1),
            ("exit", "middle", 0),
        ]
        assert sys.monitoring.get_tool(tool_id) == "another tool"
    finally:
        sys.monitoring.free_tool_id(tool_id)
