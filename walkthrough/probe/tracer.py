"""Watch chosen code objects run; turn each call and return into an event.

The probe's pure half: a profile hook that knows frames, not sockets or tours.
It is told which code objects to watch (the tours' symbols, plus the
specimen's views) and ignores every other frame cheaply. Only the probe's own
threads are traced, and any thread one of them starts (a request handler) is
traced too, so a request is followed across threads.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from types import CodeType, FrameType
from typing import Any

from walkthrough.probe.facts import read_facts

THREAD_START_CODE = threading.Thread.start.__code__
# Calls into C (c_call, c_return, c_exception) are never stages.
PYTHON_EVENTS = frozenset({"call", "return"})


@dataclass(frozen=True)
class Watch:
    """What one watched code object stands for in the tours."""

    symbol: str
    tour: str | None = None
    step: str | None = None


@dataclass(frozen=True)
class StageEvent:
    """One stage entered or left: DESIGN.md's ``stage`` event, as a value."""

    step: str | None
    tour: str | None
    symbol: str
    phase: str
    t_us: int
    depth: int
    thread: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object the stream and the CLI send."""
        return asdict(self)


EventSink = Callable[[StageEvent], None]
FrameHook = Callable[[FrameType], None]


class Tracer:
    """Report every call and return of the watched code, in probe threads.

    No process-wide hook: ``trace_thread`` makes one thread profile itself,
    and a thread that a traced thread starts is traced too. So probes may run
    side by side, and the site's other threads never see a hook.
    """

    def __init__(
        self,
        watched: Mapping[CodeType, Watch],
        on_event: EventSink,
        *,
        on_enter: Mapping[CodeType, FrameHook] | None = None,
    ) -> None:
        self.watched = dict(watched)
        self.on_event = on_event
        self.on_enter = dict(on_enter or {})
        self.depths: dict[int, int] = {}
        self.started_ns = time.perf_counter_ns()
        self.is_active = True

    def trace_thread(self, thread: threading.Thread) -> None:
        """Make ``thread`` (not yet started) run with this tracer's hook."""
        thread.run = partial(self.run_traced, thread.run)  # type: ignore[method-assign]

    def run_traced(self, run: Callable[[], None]) -> None:
        """Run a thread's body with the profile hook on, and always off after."""
        sys.setprofile(self.profile)
        try:
            run()
        finally:
            sys.setprofile(None)

    def stop(self) -> None:
        """Report nothing more; hooks still running switch themselves off."""
        self.is_active = False

    def profile(self, frame: FrameType, event: str, arg: object) -> None:
        """Handle one profiler event: cheap for code that is not watched."""
        if event not in PYTHON_EVENTS:
            return
        if not self.is_active:
            sys.setprofile(None)
            return
        code = frame.f_code
        watch = self.watched.get(code)
        if watch is None:
            if code is THREAD_START_CODE and event == "call":
                self.trace_thread(frame.f_locals["self"])
            return
        if event == "call":
            self.enter(frame, watch)
        else:
            self.leave(frame, watch, arg)

    def enter(self, frame: FrameType, watch: Watch) -> None:
        """Report a watched stage starting, one level deeper in its thread.

        The ``on_enter`` hook runs after the stage is reported, so a hook
        that ends the run (the startup probe's) comes after the stage.
        """
        thread_id = threading.get_ident()
        depth = self.depths.get(thread_id, 0)
        self.depths[thread_id] = depth + 1
        self.emit(watch, "enter", depth, read_facts(frame, "enter", None))
        hook = self.on_enter.get(frame.f_code)
        if hook is not None:
            hook(frame)

    def leave(self, frame: FrameType, watch: Watch, result: object) -> None:
        """Report a watched stage returning, back at its entry depth."""
        thread_id = threading.get_ident()
        depth = max(self.depths.get(thread_id, 1) - 1, 0)
        self.depths[thread_id] = depth
        self.emit(watch, "exit", depth, read_facts(frame, "exit", result))

    def emit(
        self, watch: Watch, phase: str, depth: int, detail: dict[str, Any]
    ) -> None:
        """Timestamp a stage and hand it to the sink."""
        elapsed_us = (time.perf_counter_ns() - self.started_ns) // 1000
        event = StageEvent(
            step=watch.step,
            tour=watch.tour,
            symbol=watch.symbol,
            phase=phase,
            t_us=elapsed_us,
            depth=depth,
            thread=threading.current_thread().name,
            detail=detail,
        )
        self.on_event(event)
