"""Watch chosen code objects run; record each call and return as a stage.

The probe's pure half: a hook that knows frames, not sockets or tours. It is
told which code objects to watch (the tours' symbols, plus the specimen's
views). Only the probe's own threads are traced, and any thread one of them
starts (a request handler) is traced too, so a request is followed across
threads. Python 3.12+ asks ``sys.monitoring`` for events from the watched
code alone, so everything else runs at full speed; on 3.11 a trace function
hears every call in a traced thread and lets the unwatched ones go.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from types import CodeType, FrameType, MappingProxyType
from typing import Any, NamedTuple

from walkthrough.probe.facts import FactReader, readers_for

THREAD_START_CODE = threading.Thread.start.__code__
HAS_MONITORING = sys.version_info >= (3, 12)
# Tool ids the probe may claim, the profiler's first (PEP 669); 0, 1 and 5
# stay free for debuggers, coverage and optimizers. Each running probe
# needs one, so a fourth probe at once falls back to the trace function.
PROBE_TOOL_IDS = (2, 3, 4)
PROBE_TOOL_NAME = "walkthrough probe"


@dataclass(frozen=True, slots=True)
class Watch:
    """What one watched code object stands for in the tours."""

    symbol: str
    tour: str | None = None
    step: str | None = None


# The facts of a stage that shows none: shared, so it cannot be changed.
NO_FACTS: Mapping[str, Any] = MappingProxyType({})


class StageEvent(NamedTuple):
    """One stage entered or left: DESIGN.md's ``stage`` event, as a value.

    A named tuple: the relay makes one per stage, and ``tuple.__new__``
    makes it in C, where a class's ``__init__`` runs Python for each field.
    """

    step: str | None
    tour: str | None
    symbol: str
    phase: str
    t_us: int
    depth: int
    thread: str
    detail: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object the stream and the CLI send.

        Spelled out rather than ``asdict``, which copies every value deeply:
        the stream sends each stage, and its facts are short, flat values.
        """
        return {
            "step": self.step,
            "tour": self.tour,
            "symbol": self.symbol,
            "phase": self.phase,
            "t_us": self.t_us,
            "depth": self.depth,
            "thread": self.thread,
            "detail": dict(self.detail),
        }


# ``StageEvent(*fields)`` runs a Python ``__new__``; this is one C call.
new_stage_event = partial(tuple.__new__, StageEvent)

# One stage as its traced thread records it: (watch, phase, perf_counter_ns,
# thread, facts). Only what must be read in that thread, at that moment;
# ``Tracer.event`` makes the ``StageEvent`` in the thread that reads it.
RawStage = tuple[Watch, str, int, "ThreadState", Mapping[str, Any]]
StageSink = Callable[[RawStage], None]
FrameHook = Callable[[FrameType], None]
TraceFunction = Callable[[FrameType, str, object], "TraceFunction | None"]
# What a watched code stands for and shows: its watch, its fact readers at
# enter and at exit, and its ``on_enter`` hook. Made at the code's first run.
StagePlan = tuple[Watch, FactReader | None, FactReader | None, FrameHook | None]


@dataclass(slots=True)
class ThreadState:
    """One traced thread: its name, and how many stages deep it is.

    The depth is counted by whoever makes the events (``Tracer.event``),
    from the enters and exits in the order the thread recorded them.
    """

    name: str
    depth: int = 0


class Tracer:
    """Record every call and return of the watched code, in probe threads.

    No process-wide hook: ``trace_thread`` makes one thread trace itself, and
    a thread that a traced thread starts is traced too. So probes may run
    side by side, and the site's other threads are never reported.

    A traced request passes 40-odd stages, each entered and left, so the
    traced thread does the least it can per stage. It hands ``on_stage`` a
    ``RawStage``: a timestamp, and facts only where a reader must see the
    live frame. Whoever reads the stages makes each a ``StageEvent`` with
    ``event``, in its own thread, and counts the depth there. Tables of
    code are keyed by ``id``: hashing a code object hashes its bytecode and
    constants, every time.
    """

    def __init__(
        self,
        watched: Mapping[CodeType, Watch],
        on_stage: StageSink,
        *,
        on_enter: Mapping[CodeType, FrameHook] | None = None,
        use_monitoring: bool = HAS_MONITORING,
    ) -> None:
        self.watched = dict(watched)
        self.watched_ids = {id(code) for code in self.watched}
        self.on_stage = on_stage
        self.on_enter = {id(code): hook for code, hook in (on_enter or {}).items()}
        self.plans: dict[int, StagePlan] = {}
        # The watched codes whose enter (or exit) reads no frame: no facts,
        # no hook. ``sys.monitoring`` records those without asking for one.
        self.plain_enters: dict[int, Watch] = {}
        self.plain_exits: dict[int, Watch] = {}
        self.started_ns = time.perf_counter_ns()
        self.is_active = True
        self.record_enter, self.record_exit = self.recorders()
        self.monitor = (
            MonitoringHook(self) if use_monitoring and HAS_MONITORING else None
        )

    def event(self, stage: RawStage) -> StageEvent:
        """Make the ``StageEvent`` that a raw stage stands for.

        Each raw stage once, in the order recorded: an enter takes its
        thread one level deeper after it, an exit back up before it.
        """
        watch, phase, t_ns, state, detail = stage
        if phase == "exit" and state.depth:
            state.depth -= 1
        depth = state.depth
        if phase == "enter":
            state.depth += 1
        t_us = (t_ns - self.started_ns) // 1000
        fields = (watch.step, watch.tour, watch.symbol, phase, t_us, depth)
        return new_stage_event((*fields, state.name, detail))

    def events(self, stages: Iterable[RawStage]) -> list[StageEvent]:
        """Make the ``StageEvent`` of each raw stage, in order."""
        return [self.event(stage) for stage in stages]

    def trace_thread(self, thread: threading.Thread) -> None:
        """Make ``thread`` (not yet started) run with this tracer's hook."""
        thread.run = partial(self.run_traced, thread.run)  # type: ignore[method-assign]

    def run_traced(self, run: Callable[[], None]) -> None:
        """Run a thread's body with a hook on, and always off after."""
        state = ThreadState(threading.current_thread().name)
        if not self.is_active:
            run()
        elif self.monitor is not None and self.monitor.add_thread(state):
            try:
                run()
            finally:
                self.monitor.remove_thread()
        else:
            sys.settrace(self.trace_function(state))
            try:
                run()
            finally:
                sys.settrace(None)

    def stop(self) -> None:
        """Report nothing more; hooks still running switch themselves off."""
        self.is_active = False
        if self.monitor is not None:
            self.monitor.release()

    def trace_function(self, state: ThreadState) -> TraceFunction:
        """Return one thread's ``sys.settrace`` function (3.11, or no tool id free).

        Python calls it at each call of Python code in the thread, and on
        3.11 first copies the frame's locals into a dict for it: so it should
        hear calls alone, not also calls into C as a profile hook would. It answers
        ``None`` for unwatched code, which then runs on unheard; a watched
        frame gets the local function that hears its return, with line
        events off. It is a closure over what it needs, so a call it drops
        costs no attribute lookups. Once the tracer stops, the next call
        switches it off.
        """
        watched_ids = self.watched_ids
        record_enter, record_exit = self.record_enter, self.record_exit

        def on_return(frame: FrameType, event: str, arg: object) -> TraceFunction:
            if event == "return" and self.is_active:
                record_exit(state, frame, arg)
            return on_return

        def on_call(frame: FrameType, event: str, arg: object) -> TraceFunction | None:
            if not self.is_active:
                sys.settrace(None)
            elif id(frame.f_code) in watched_ids:
                record_enter(state, frame)
                frame.f_trace_lines = False
                return on_return
            elif frame.f_code is THREAD_START_CODE:
                self.trace_thread(frame.f_locals["self"])
            return None

        return on_call

    def recorders(
        self,
    ) -> tuple[
        Callable[[ThreadState, FrameType], None],
        Callable[[ThreadState, FrameType, object], None],
    ]:
        """Return the two functions every hook calls per stage: the hot path.

        Closures, for the same reason as the trace function. The
        ``on_enter`` hook runs after its stage is recorded, so a hook that
        ends the run (the startup probe's) comes after the stage.
        """
        plans, plan_for = self.plans, self.plan_for
        on_stage, now = self.on_stage, time.perf_counter_ns

        def record_enter(state: ThreadState, frame: FrameType) -> None:
            watch, reader, _, hook = plans.get(id(frame.f_code)) or plan_for(frame)
            facts = NO_FACTS if reader is None else reader(frame, None)
            on_stage((watch, "enter", now(), state, facts))
            if hook is not None:
                hook(frame)

        def record_exit(state: ThreadState, frame: FrameType, result: object) -> None:
            watch, _, reader, _ = plans.get(id(frame.f_code)) or plan_for(frame)
            facts = NO_FACTS if reader is None else reader(frame, result)
            on_stage((watch, "exit", now(), state, facts))

        return record_enter, record_exit

    def plan_for(self, frame: FrameType) -> StagePlan:
        """Make and keep the plan of the frame's (watched) code.

        Finding its readers costs a name built from the frame's module and
        qualname; a code object runs in one module, so once is enough.
        """
        code, key = frame.f_code, id(frame.f_code)
        watch, hook = self.watched[code], self.on_enter.get(key)
        enter_reader, exit_reader = readers_for(frame)
        if enter_reader is None and hook is None:
            self.plain_enters[key] = watch
        if exit_reader is None:
            self.plain_exits[key] = watch
        plan = self.plans[key] = (watch, enter_reader, exit_reader, hook)
        return plan


class MonitoringHook:
    """Feed a tracer from ``sys.monitoring`` (PEP 669, Python 3.12+).

    Events are switched on for the watched code objects alone, so unwatched
    code in every thread runs as if nothing listened. They fire in every
    thread, though, so each callback first asks whether its thread is one
    of the tracer's. The tool id is held only while a traced thread runs.
    """

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self.lock = threading.Lock()
        self.threads: dict[int, ThreadState] = {}
        self.tool_id: int | None = None

    def add_thread(self, state: ThreadState) -> bool:
        """Trace the calling thread; False if stopped or no tool id is free.

        Asked under the lock ``release`` takes, so a thread that starts as
        the tracer stops cannot claim a tool id again after the release.
        """
        with self.lock:
            if not self.tracer.is_active:
                return False
            if self.tool_id is None and not self.claim():
                return False
            self.threads[threading.get_ident()] = state
            return True

    def remove_thread(self) -> None:
        """Stop tracing the calling thread; free the tool id after the last."""
        with self.lock:
            self.threads.pop(threading.get_ident(), None)
            if not self.threads:
                self.release_locked()

    def release(self) -> None:
        """Switch every event off and give the tool id back."""
        with self.lock:
            self.release_locked()

    def claim(self) -> bool:
        """Take the first free tool id and switch the watched code's events on."""
        for tool_id in PROBE_TOOL_IDS:
            try:
                sys.monitoring.use_tool_id(tool_id, PROBE_TOOL_NAME)
            except ValueError:
                continue
            self.tool_id = tool_id
            self.switch_events(tool_id, on=True)
            return True
        return False

    def release_locked(self) -> None:
        """Undo ``claim``, if it happened; the caller holds the lock."""
        if self.tool_id is not None:
            self.switch_events(self.tool_id, on=False)
            sys.monitoring.free_tool_id(self.tool_id)
            self.tool_id = None

    def switch_events(self, tool_id: int, *, on: bool) -> None:
        """Register (or clear) the callbacks and the events that feed them.

        PY_START and PY_RETURN are set per code object. An exception leaving
        a frame (PY_UNWIND) or thrown into a generator (PY_THROW) can only be
        asked for everywhere; those callbacks drop unwatched code first.
        """
        events = sys.monitoring.events
        started, returned = self.hot_callbacks()
        callbacks = {
            events.PY_START: started,
            events.PY_RESUME: started,
            events.PY_THROW: self.thrown,
            events.PY_RETURN: returned,
            events.PY_YIELD: returned,
            events.PY_UNWIND: self.unwound,
        }
        for event, callback in callbacks.items():
            sys.monitoring.register_callback(tool_id, event, callback if on else None)
        local = events.PY_START | events.PY_RESUME | events.PY_RETURN | events.PY_YIELD
        for code in self.tracer.watched:
            sys.monitoring.set_local_events(tool_id, code, local if on else 0)
        thread_start = events.PY_START if on else 0
        if THREAD_START_CODE not in self.tracer.watched:
            sys.monitoring.set_local_events(tool_id, THREAD_START_CODE, thread_start)
        sys.monitoring.set_events(
            tool_id, events.PY_UNWIND | events.PY_THROW if on else 0
        )

    def hot_callbacks(
        self,
    ) -> tuple[
        Callable[[CodeType, int], None], Callable[[CodeType, int, object], None]
    ]:
        """Return the callbacks of a watched frame's start and return.

        They run twice per stage, so they are closures, and a stage that
        reads no facts is recorded here without asking for its frame: a
        frame object, once made, costs again when its call ends. The rest
        (a first run, facts, a hook) goes through the tracer's recorders.
        """
        tracer, watched_ids = self.tracer, self.tracer.watched_ids
        thread_state, get_ident = self.threads.get, threading.get_ident
        plain_enters, plain_exits = tracer.plain_enters, tracer.plain_exits
        on_stage, now = tracer.on_stage, time.perf_counter_ns

        def started(code: CodeType, offset: int) -> None:
            """A watched frame starts or resumes; or a traced thread starts one."""
            state = thread_state(get_ident())
            if state is None:
                return
            watch = plain_enters.get(id(code))
            if watch is not None:
                on_stage((watch, "enter", now(), state, NO_FACTS))
            elif code is THREAD_START_CODE and id(code) not in watched_ids:
                tracer.trace_thread(sys._getframe(1).f_locals["self"])
            else:
                tracer.record_enter(state, sys._getframe(1))

        def returned(code: CodeType, offset: int, value: object) -> None:
            """A watched frame returns or yields ``value``."""
            state = thread_state(get_ident())
            if state is None:
                return
            watch = plain_exits.get(id(code))
            if watch is None:
                tracer.record_exit(state, sys._getframe(1), value)
            else:
                on_stage((watch, "exit", now(), state, NO_FACTS))

        return started, returned

    def thrown(self, code: CodeType, offset: int, exception: BaseException) -> None:
        """A generator resumes with an exception: enter, as a trace function hears."""
        if id(code) in self.tracer.watched_ids:
            state = self.threads.get(threading.get_ident())
            if state is not None:
                self.tracer.record_enter(state, sys._getframe(1))

    def unwound(self, code: CodeType, offset: int, exception: BaseException) -> None:
        """A frame is left by an exception: the exit, if it was watched."""
        if id(code) in self.tracer.watched_ids:
            state = self.threads.get(threading.get_ident())
            if state is not None:
                self.tracer.record_exit(state, sys._getframe(1), None)
