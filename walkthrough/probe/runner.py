"""Run one real request, or one server start, under the tracer; yield its stages.

The probe's IO half: it starts a target's app (``targets.py``) on that
target's real server on 127.0.0.1, port 0, sends one HTTP request over a
real socket, and yields each stage *while the request is in flight*.
Nothing is scripted: a stage appears only if it ran. Every run is bounded
in time and always shuts its server down, also when the consumer stops
early.
"""

from __future__ import annotations

import http.client
import queue
import socketserver
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from types import CodeType, FrameType
from typing import Any

from walkthrough.i18n import ENGLISH, Language
from walkthrough.probe.targets import OwnFunction, ProbeTarget, walkthrough_target
from walkthrough.probe.tracer import FrameHook, RawStage, StageEvent, Tracer, Watch

PROBE_TIMEOUT_SECONDS = 10.0
# How often the app's accept loop looks for shutdown: ``stop`` waits up
# to this long, and holds the probe's slot meanwhile.
SERVE_POLL_SECONDS = 0.01
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Both servers' accept loops are socketserver's: reaching it ends startup.
SERVE_FOREVER_CODE = socketserver.BaseServer.serve_forever.__code__
# How often the relay looks for stages: the most a stage waits to be sent.
POLL_SECONDS = 0.005
# Why a run failed, in English with ``{name}`` places; ``ProbeFailed`` says
# why it keeps them apart. NO_RESULT: it ended with neither done nor error.
TIMED_OUT = "The probe took longer than {seconds} s."
REQUEST_FAILED = "The probe request failed: {error}"
STARTUP_FAILED = "The app failed to start: {error}"
NO_RESULT = "The probe ended without a result."
FAILURE_MESSAGES = (TIMED_OUT, REQUEST_FAILED, STARTUP_FAILED, NO_RESULT)
# How much of the response body ``done`` carries, so a page can show it.
MAX_BODY_PREVIEW_BYTES = 512


@dataclass(frozen=True)
class ProbeDone:
    """How the probed request ended: DESIGN.md's ``done`` event.

    ``response`` is what the client received: the status line, the headers
    and the first bytes of the body (None for a startup, which sends none).
    """

    status: int | None
    size: int
    total_us: int
    stages: int
    response: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object the stream and the CLI send."""
        return asdict(self)


@dataclass(frozen=True)
class ProbeFailed:
    """Why a probe could not finish: DESIGN.md's ``error`` event.

    ``message`` is an English sentence whose ``{name}`` places ``values``
    fills only when it is sent, so a page in another language gets the
    sentence translated first (``locale/zh.toml``) and the values as they are.
    """

    message: str
    values: Mapping[str, str] = field(default_factory=dict)

    def to_json(self, language: Language = ENGLISH) -> dict[str, Any]:
        """Return the JSON object the stream and the CLI send, in ``language``."""
        return {"message": language.gettext(self.message, **self.values)}


ProbeMessage = StageEvent | ProbeDone | ProbeFailed
# What traced threads hand the relay: stages still raw, and how the run ended.
ChannelMessage = RawStage | ProbeDone | ProbeFailed


def with_serve_forever(watched: Mapping[CodeType, Watch]) -> dict[CodeType, Watch]:
    """Watch the accept loop even when no tour names it: startup ends there.

    The hook that ends a startup run fires only for watched code, so tours
    of your own that skip ``serve_forever`` would otherwise wait out the
    whole timeout. Unnamed by a tour, it shows as a stage with no step.
    """
    combined = dict(watched)
    combined.setdefault(
        SERVE_FOREVER_CODE, Watch(symbol="socketserver:BaseServer.serve_forever")
    )
    return combined


def with_own_code(
    watched: Mapping[CodeType, Watch], own: tuple[OwnFunction, ...]
) -> dict[CodeType, Watch]:
    """Add the app's own views and hooks to the code the tours name."""
    combined = dict(watched)
    for function in own:
        combined.setdefault(function.function.__code__, Watch(symbol=function.symbol))
    return combined


def response_summary(response: http.client.HTTPResponse, body: bytes) -> dict:
    """Describe the response as the client got it: head, and the body's start.

    The body is cut to ``MAX_BODY_PREVIEW_BYTES`` and decoded as UTF-8 with
    replacement characters, so any bytes at all make safe text.
    """
    version = "HTTP/1.0" if response.version == 10 else "HTTP/1.1"
    preview = body[:MAX_BODY_PREVIEW_BYTES]
    return {
        "status_line": f"{version} {response.status} {response.reason}",
        "headers": [[name, value] for name, value in response.getheaders()],
        "body": preview.decode("utf-8", errors="replace"),
        "body_truncated": len(body) > len(preview),
    }


class StageChannel:
    """Carry messages from traced threads to the relay, which looks every few ms.

    A traced thread hands over a stage with ``put_stage``: ``deque.append``
    itself, one C call, no lock (the GIL makes it atomic) and no thread
    woken. Waking the relay per stage (a ``queue.Queue``) cost a lock, a
    condition and a thread switch inside the traced request; even a bell
    rung once per burst cost a Python call per stage. So the relay looks
    every ``POLL_SECONDS``, and a stage reaches it at most that late. The
    end of a run comes through ``put``, which rings at once: ``done`` is
    never late.
    """

    def __init__(self) -> None:
        self.pending: deque[ChannelMessage] = deque()
        self.put_stage = self.pending.append
        self.doorbell: queue.SimpleQueue[None] = queue.SimpleQueue()

    def put(self, message: ChannelMessage) -> None:
        """Hand over a message and wake the relay now."""
        self.pending.append(message)
        self.doorbell.put(None)

    def take(self, timeout: float) -> list[ChannelMessage]:
        """Wait up to ``timeout`` for anything; return every message pending.

        Wakes at the bell, or every ``POLL_SECONDS`` to look for stages.
        Raises ``queue.Empty`` if nothing came in time.
        """
        deadline = time.monotonic() + timeout
        while not self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise queue.Empty
            try:
                self.doorbell.get(timeout=min(POLL_SECONDS, remaining))
            except queue.Empty:
                pass
        take_oldest = self.pending.popleft
        return [take_oldest() for _ in range(len(self.pending))]


class Probe:
    """Run something under the tracer and relay its stages as they fire.

    Subclasses start the traced work in ``start`` and post ``ProbeDone`` or
    ``ProbeFailed`` when it ends; ``stop`` undoes ``start`` and always runs.
    """

    def __init__(
        self,
        watched: Mapping[CodeType, Watch],
        *,
        own: tuple[OwnFunction, ...] = (),
        timeout_seconds: float = PROBE_TIMEOUT_SECONDS,
        on_enter: Mapping[CodeType, FrameHook] | None = None,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.messages = StageChannel()
        self.tracer = Tracer(
            with_own_code(watched, own), self.messages.put_stage, on_enter=on_enter
        )

    def run(self) -> Iterator[ProbeMessage]:
        """Start the probe and yield each stage as it fires, then how it ended.

        The tracer stays on until ``stop`` returns: a startup cut short still
        needs its hook to find the server it must shut down.
        """
        self.start()
        try:
            yield from self.relay(time.monotonic() + self.timeout_seconds)
        finally:
            self.stop()
            self.tracer.stop()

    def relay(self, deadline: float) -> Iterator[ProbeMessage]:
        """Yield stages as they arrive until the end message or the deadline.

        A stage comes raw from its traced thread (a tuple): it is named here,
        in the relay's thread, so the traced request does not pay for it.
        """
        stages = 0
        for message in self.received(deadline):
            if isinstance(message, tuple):
                stages += 1
                yield self.tracer.event(message)
                continue
            yield (
                replace(message, stages=stages)
                if isinstance(message, ProbeDone)
                else message
            )
            return

    def received(self, deadline: float) -> Iterator[ChannelMessage]:
        """Yield each message handed over, in order; a timeout if none comes."""
        while True:
            try:
                taken = self.messages.take(max(deadline - time.monotonic(), 0))
            except queue.Empty:
                yield ProbeFailed(TIMED_OUT, {"seconds": str(self.timeout_seconds)})
                return
            yield from taken

    def finish(
        self, status: int | None, size: int, response: dict | None = None
    ) -> None:
        """Post the end of the run, timed from the tracer's start."""
        total_us = (time.perf_counter_ns() - self.tracer.started_ns) // 1000
        self.messages.put(ProbeDone(status, size, total_us, 0, response))

    def start(self) -> None:
        """Start the traced work (subclasses implement)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop what ``start`` started (subclasses implement)."""
        raise NotImplementedError


class RequestProbe(Probe):
    """Trace one request to a target's app, from accept to closing the socket.

    The app is built here, before the run: its own views and hooks are
    watched by code object, and building it is not part of the request.
    """

    def __init__(
        self,
        watched: Mapping[CodeType, Watch],
        *,
        target: ProbeTarget | None = None,
        method: str = "GET",
        path: str = "/index",
        timeout_seconds: float = PROBE_TIMEOUT_SECONDS,
    ) -> None:
        self.target = target or walkthrough_target()
        self.app = self.target.create_app()
        own = self.target.own_functions(self.app)
        super().__init__(watched, own=own, timeout_seconds=timeout_seconds)
        self.method = method
        self.path = path

    def start(self) -> None:
        """Serve the app in a traced thread; request it from another."""
        self.server = self.target.serve(self.app)
        self.serving = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": SERVE_POLL_SECONDS},
            name="probe-server",
            daemon=True,
        )
        self.tracer.trace_thread(self.serving)
        self.serving.start()
        self.client = threading.Thread(
            target=self.send_request, name="probe-client", daemon=True
        )
        self.client.start()

    def stop(self) -> None:
        """Shut the app's server down and wait for both threads."""
        self.server.shutdown()
        self.server.server_close()
        self.serving.join(self.timeout_seconds)
        self.client.join(self.timeout_seconds)

    def send_request(self) -> None:
        """Be the client: one real request, then wait for the connection to close."""
        try:
            status, size, response = self.fetch(self.server.server_address[1])
        except (OSError, http.client.HTTPException) as error:
            self.messages.put(ProbeFailed(REQUEST_FAILED, {"error": str(error)}))
            return
        self.server.connection_closed.wait(self.timeout_seconds)
        self.server.loop_resumed.wait(self.timeout_seconds)
        self.finish(status, size, response)

    def fetch(self, port: int) -> tuple[int, int, dict]:
        """Send the request with ``Connection: close``; return what came back."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=self.timeout_seconds
        )
        try:
            body = b"" if self.method in BODY_METHODS else None
            connection.request(
                self.method, self.path, body=body, headers={"Connection": "close"}
            )
            response = connection.getresponse()
            body = response.read()
            return response.status, len(body), response_summary(response, body)
        finally:
            connection.close()


class StartupProbe(Probe):
    """Trace the startup chain: create the app, run it, bind, listen, serve.

    The run is done when the app enters ``serve_forever``: startup is over
    and the server waits for connections. ``stop`` then shuts it down,
    which ``run_simple``'s 0.5 s poll makes slow, so ``done`` does not wait.
    """

    def __init__(
        self,
        watched: Mapping[CodeType, Watch],
        *,
        target: ProbeTarget | None = None,
        timeout_seconds: float = PROBE_TIMEOUT_SECONDS,
    ) -> None:
        self.target = target or walkthrough_target()
        if self.target.startup is None:
            raise ValueError(f"the target {self.target.id!r} has no startup to trace")
        super().__init__(
            with_serve_forever(watched),
            timeout_seconds=timeout_seconds,
            on_enter={SERVE_FOREVER_CODE: self.found_server},
        )
        self.server: socketserver.BaseServer | None = None
        self.has_settled = threading.Event()

    def found_server(self, frame: FrameType) -> None:
        """Keep the server ``serve_forever`` runs, to stop it; report done."""
        self.server = frame.f_locals["self"]
        self.has_settled.set()
        self.finish(None, 0)

    def start(self) -> None:
        """Run the app's startup in a traced thread."""
        self.startup = threading.Thread(
            target=self.start_traced, name="probe-startup", daemon=True
        )
        self.tracer.trace_thread(self.startup)
        self.startup.start()

    def start_traced(self) -> None:
        """Start the app; a failure ends the run at once, with its reason."""
        try:
            self.target.startup()  # type: ignore[misc]
        except Exception as error:
            self.messages.put(ProbeFailed(STARTUP_FAILED, {"error": str(error)}))
        finally:
            self.has_settled.set()

    def stop(self) -> None:
        """Shut the app's server down once it serves; wait for its thread.

        A run cut short (the client left) may end before startup does: wait
        for ``serve_forever`` first, or its server would run on, unowned.
        """
        self.has_settled.wait(self.timeout_seconds)
        if self.server is not None:
            self.server.shutdown()
        self.startup.join(self.timeout_seconds)
