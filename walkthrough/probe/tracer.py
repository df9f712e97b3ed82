"""Watch chosen code objects run; turn each call and return into an event.

The probe's pure half: a hook that knows frames, not sockets or tours. It is
told which code objects to watch (the tours' symbols, plus the specimen's
views). Only the probe's own threads are traced, and any thread one of them
starts (a request handler) is traced too, so a request is followed across
threads. Python 3.12+ asks ``sys.monitoring`` for events from the watched
code alone, so everything else runs at full speed; 3.11 has only the profile
hook, which sees every call in a traced thread and drops the unwatched ones.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import CodeType, FrameType, MappingProxyType
from typing import Any

from walkthrough.probe.facts import FactReader, readers_for

THREAD_START_CODE = threading.Thread.start.__code__
HAS_MONITORING = sys.version_info >= (3, 12)
# Tool ids the probe may claim, the profiler's first (PEP 669); 0, 1 and 5
# stay free for debuggers, coverage and optimizers. Each running probe
# needs one, so a fourth probe at once falls back to the profile hook.
PROBE_TOOL_IDS = (2, 3, 4)
PROBE_TOOL_NAME = "walkthrough probe"
# Where a stage's reader sits in the (enter, exit) pair ``readers_for`` gives.
ENTER, EXIT = 0, 1


@dataclass(frozen=True)
class Watch:
    """What one watched code object stands for in the tours."""

    symbol: str
    tour: str | None = None
    step: str | None = None


# The facts of a stage that shows none: shared, so it cannot be changed.
NO_FACTS: Mapping[str, Any] = MappingProxyType({})


@dataclass(slots=True)
class StageEvent:
    """One stage entered or left: DESIGN.md's ``stage`` event, as a value.

    Not ``frozen``: a frozen dataclass's ``__init__`` costs about 1.5 µs more,
    paid for every stage of a traced request. Nothing changes one after it is
    made.
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


EventSink = Callable[[StageEvent], None]
FrameHook = Callable[[FrameType], None]
ProfileHook = Callable[[FrameType, str, object], None]


@dataclass(slots=True)
class ThreadState:
    """Where one traced thread is: its name, and how many stages deep."""

    name: str
    depth: int = 0


class Tracer:
    """Report every call and return of the watched code, in probe threads.

    No process-wide profile hook: ``trace_thread`` makes one thread trace
    itself, and a thread that a traced thread starts is traced too. So probes
    may run side by side, and the site's other threads are never reported.
    """

    def __init__(
        self,
        watched: Mapping[CodeType, Watch],
        on_event: EventSink,
        *,
        on_enter: Mapping[CodeType, FrameHook] | None = None,
        use_monitoring: bool = HAS_MONITORING,
    ) -> None:
        self.watched = dict(watched)
        self.on_event = on_event
        self.on_enter = dict(on_enter or {})
        # Each watched code's fact readers, (enter, exit), found at its first run.
        self.readers: dict[CodeType, tuple[FactReader | None, FactReader | None]] = {}
        self.started_ns = time.perf_counter_ns()
        self.is_active = True
        self.monitor = (
            MonitoringHook(self) if use_monitoring and HAS_MONITORING else None
        )

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
            sys.setprofile(self.profile_hook(state))
            try:
                run()
            finally:
                sys.setprofile(None)

    def stop(self) -> None:
        """Report nothing more; hooks still running switch themselves off."""
        self.is_active = False
        if self.monitor is not None:
            self.monitor.release()

    def profile_hook(self, state: ThreadState) -> ProfileHook:
        """Return one thread's profile hook (3.11): cheap when unwatched.

        Python calls it for every call and return in the thread, calls into C
        too, so it is a closure over what it needs (no bound method, no
        ``partial``, no attribute lookups for a call it drops). C calls
        (``c_call``, ``c_return``) are never stages: they fall through.
        """
        watched = self.watched.get

        def profile(frame: FrameType, event: str, arg: object) -> None:
            if event == "call":
                watch = watched(frame.f_code)
                if watch is not None and self.is_active:
                    self.enter(state, frame, watch)
                elif frame.f_code is THREAD_START_CODE:
                    self.trace_thread(frame.f_locals["self"])
            elif event == "return":
                watch = watched(frame.f_code)
                if watch is not None and self.is_active:
                    self.leave(state, frame, watch, arg)
            if not self.is_active:
                sys.setprofile(None)

        return profile

    def enter(self, state: ThreadState, frame: FrameType, watch: Watch) -> None:
        """Report a watched stage starting, one level deeper in its thread.

        The ``on_enter`` hook runs after the stage is reported, so a hook
        that ends the run (the startup probe's) comes after the stage.
        """
        self.emit(state, watch, "enter", self.facts(frame, ENTER, None))
        state.depth += 1
        if self.on_enter:
            hook = self.on_enter.get(frame.f_code)
            if hook is not None:
                hook(frame)

    def leave(
        self, state: ThreadState, frame: FrameType, watch: Watch, result: object
    ) -> None:
        """Report a watched stage returning, back at its entry depth."""
        if state.depth:
            state.depth -= 1
        self.emit(state, watch, "exit", self.facts(frame, EXIT, result))

    def facts(self, frame: FrameType, phase: int, result: object) -> Mapping[str, Any]:
        """Read the facts this stage shows at ``phase`` (ENTER or EXIT), if any.

        Most stages have no reader: they pay one dict lookup, not a name built
        from the frame. A code object runs in one module, so its readers never
        change once found.
        """
        readers = self.readers.get(frame.f_code)
        if readers is None:
            readers = self.readers[frame.f_code] = readers_for(frame)
        reader = readers[phase]
        return NO_FACTS if reader is None else reader(frame, result)

    def emit(
        self,
        state: ThreadState,
        watch: Watch,
        phase: str,
        detail: Mapping[str, Any],
    ) -> None:
        """Timestamp a stage at its thread's depth and hand it to the sink."""
        elapsed_us = (time.perf_counter_ns() - self.started_ns) // 1000
        self.on_event(
            StageEvent(
                watch.step,
                watch.tour,
                watch.symbol,
                phase,
                elapsed_us,
                state.depth,
                state.name,
                detail,
            )
        )


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
        callbacks = {
            events.PY_START: self.started,
            events.PY_RESUME: self.started,
            events.PY_THROW: self.thrown,
            events.PY_RETURN: self.returned,
            events.PY_YIELD: self.returned,
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

    def started(self, code: CodeType, offset: int) -> None:
        """A watched frame starts or resumes; or a traced thread starts one."""
        state = self.threads.get(threading.get_ident())
        if state is None:
            return
        frame = sys._getframe(1)
        watch = self.tracer.watched.get(code)
        if watch is not None:
            self.tracer.enter(state, frame, watch)
        elif code is THREAD_START_CODE:
            self.tracer.trace_thread(frame.f_locals["self"])

    def thrown(self, code: CodeType, offset: int, exception: BaseException) -> None:
        """A generator resumes with an exception: enter, as the profiler says."""
        watch = self.tracer.watched.get(code)
        state = self.threads.get(threading.get_ident())
        if watch is not None and state is not None:
            self.tracer.enter(state, sys._getframe(1), watch)

    def returned(self, code: CodeType, offset: int, value: object) -> None:
        """A watched frame returns or yields ``value``."""
        state = self.threads.get(threading.get_ident())
        if state is not None:
            watch = self.tracer.watched[code]
            self.tracer.leave(state, sys._getframe(1), watch, value)

    def unwound(self, code: CodeType, offset: int, exception: BaseException) -> None:
        """A frame is left by an exception: the exit, if it was watched."""
        watch = self.tracer.watched.get(code)
        state = self.threads.get(threading.get_ident())
        if watch is not None and state is not None:
            self.tracer.leave(state, sys._getframe(1), watch, None)
