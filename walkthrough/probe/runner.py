"""Run one real request, or one server start, under the tracer; yield its stages.

The probe's IO half: it starts the specimen on the project's own threaded
server on 127.0.0.1, port 0, sends one HTTP request over a real socket, and
yields each stage from a queue *while the request is in flight*. Nothing is
scripted: a stage appears only if it ran. Every run is bounded in time and
always shuts its server down, also when the consumer stops early.
"""

from __future__ import annotations

import http.client
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from types import CodeType, FrameType
from typing import Any

from walkthrough.framework.serving import BaseWSGIServer, ThreadedWSGIServer
from walkthrough.probe.specimen import create_specimen, specimen_functions
from walkthrough.probe.tracer import FrameHook, StageEvent, Tracer, Watch

PROBE_TIMEOUT_SECONDS = 10.0
# How often the specimen's accept loop looks for shutdown: ``stop`` waits up
# to this long, and holds the probe's slot meanwhile.
SERVE_POLL_SECONDS = 0.01
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
SERVE_FOREVER_CODE = BaseWSGIServer.serve_forever.__code__


@dataclass(frozen=True)
class ProbeDone:
    """How the probed request ended: DESIGN.md's ``done`` event."""

    status: int | None
    size: int
    total_us: int
    stages: int

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object the stream and the CLI send."""
        return asdict(self)


@dataclass(frozen=True)
class ProbeFailed:
    """Why a probe could not finish: DESIGN.md's ``error`` event."""

    message: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object the stream and the CLI send."""
        return asdict(self)


ProbeMessage = StageEvent | ProbeDone | ProbeFailed


def with_specimen(watched: Mapping[CodeType, Watch]) -> dict[CodeType, Watch]:
    """Add the specimen's own views and hooks to the code the tours name."""
    combined = dict(watched)
    for function in specimen_functions():
        code = function.__code__
        symbol = f"{function.__module__}:{function.__qualname__}"
        combined.setdefault(code, Watch(symbol=symbol))
    return combined


class ProbeServer(ThreadedWSGIServer):
    """The specimen's server, which also says when its request is over.

    The probe's ``done`` waits until the connection's thread has left
    ``process_request_thread`` and the accept loop has come round again, so
    every stage of the request, in both threads, comes before ``done``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.connection_closed = threading.Event()
        self.loop_resumed = threading.Event()
        self.has_accepted = False
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start the connection's thread as usual, then note the accept."""
        super().process_request(request, client_address)
        self.has_accepted = True

    def service_actions(self) -> None:
        """Say the loop came round after the accept: its stages are over.

        ``serve_forever`` calls this once ``_handle_request_noblock`` returned;
        without it, a slow server thread could report after ``done``.
        """
        if self.has_accepted:
            self.loop_resumed.set()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Serve and close the connection as usual, then tell the probe."""
        super().process_request_thread(request, client_address)
        self.connection_closed.set()


class Probe:
    """Run something under the tracer and relay its stages from a queue.

    Subclasses start the traced work in ``start`` and post ``ProbeDone`` or
    ``ProbeFailed`` when it ends; ``stop`` undoes ``start`` and always runs.
    """

    def __init__(
        self,
        watched: Mapping[CodeType, Watch],
        *,
        timeout_seconds: float = PROBE_TIMEOUT_SECONDS,
        on_enter: Mapping[CodeType, FrameHook] | None = None,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.messages: queue.Queue[ProbeMessage] = queue.Queue()
        self.tracer = Tracer(
            with_specimen(watched), self.messages.put, on_enter=on_enter
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
        """Yield queued stages until the end message or the deadline."""
        stages = 0
        while True:
            try:
                message = self.messages.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                yield ProbeFailed(
                    f"The probe took longer than {self.timeout_seconds} s."
                )
                return
            if isinstance(message, StageEvent):
                stages += 1
                yield message
                continue
            yield (
                replace(message, stages=stages)
                if isinstance(message, ProbeDone)
                else message
            )
            return

    def finish(self, status: int | None, size: int) -> None:
        """Post the end of the run, timed from the tracer's start."""
        total_us = (time.perf_counter_ns() - self.tracer.started_ns) // 1000
        self.messages.put(ProbeDone(status, size, total_us, stages=0))

    def start(self) -> None:
        """Start the traced work (subclasses implement)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop what ``start`` started (subclasses implement)."""
        raise NotImplementedError


class RequestProbe(Probe):
    """Trace one request to the specimen, from accept to closing the socket."""

    def __init__(
        self,
        watched: Mapping[CodeType, Watch],
        *,
        method: str = "GET",
        path: str = "/index",
        timeout_seconds: float = PROBE_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(watched, timeout_seconds=timeout_seconds)
        self.method = method
        self.path = path

    def start(self) -> None:
        """Serve the specimen in a traced thread; request it from another."""
        self.server = ProbeServer("127.0.0.1", 0, create_specimen(), log_requests=False)
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
        """Shut the specimen's server down and wait for both threads."""
        self.server.shutdown()
        self.server.server_close()
        self.serving.join(self.timeout_seconds)
        self.client.join(self.timeout_seconds)

    def send_request(self) -> None:
        """Be the client: one real request, then wait for the connection to close."""
        try:
            status, size = self.fetch(self.server.server_address[1])
        except (OSError, http.client.HTTPException) as error:
            self.messages.put(ProbeFailed(f"The probe request failed: {error}"))
            return
        self.server.connection_closed.wait(self.timeout_seconds)
        self.server.loop_resumed.wait(self.timeout_seconds)
        self.finish(status, size)

    def fetch(self, port: int) -> tuple[int, int]:
        """Send the request with ``Connection: close``; return status and size."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=self.timeout_seconds
        )
        try:
            body = b"" if self.method in BODY_METHODS else None
            connection.request(
                self.method, self.path, body=body, headers={"Connection": "close"}
            )
            response = connection.getresponse()
            return response.status, len(response.read())
        finally:
            connection.close()


class StartupProbe(Probe):
    """Trace the startup chain: create the app, run it, bind, listen, serve.

    The run is done when the specimen enters ``serve_forever``: startup is
    over and the server waits for connections. ``stop`` then shuts it down,
    which ``run_simple``'s 0.5 s poll makes slow, so ``done`` does not wait.
    """

    def __init__(
        self,
        watched: Mapping[CodeType, Watch],
        *,
        timeout_seconds: float = PROBE_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(
            watched,
            timeout_seconds=timeout_seconds,
            on_enter={SERVE_FOREVER_CODE: self.found_server},
        )
        self.server: BaseWSGIServer | None = None
        self.has_settled = threading.Event()

    def found_server(self, frame: FrameType) -> None:
        """Keep the server ``serve_forever`` runs, to stop it; report done."""
        self.server = frame.f_locals["self"]
        self.has_settled.set()
        self.finish(None, 0)

    def start(self) -> None:
        """Run the specimen's startup in a traced thread."""
        self.startup = threading.Thread(
            target=self.start_traced, name="probe-startup", daemon=True
        )
        self.tracer.trace_thread(self.startup)
        self.startup.start()

    def start_traced(self) -> None:
        """Start the specimen; a failure ends the run at once, with its reason."""
        try:
            start_specimen()
        except Exception as error:
            self.messages.put(ProbeFailed(f"The specimen failed to start: {error}"))
        finally:
            self.has_settled.set()

    def stop(self) -> None:
        """Shut the specimen's server down once it serves; wait for its thread.

        A run cut short (the client left) may end before startup does: wait
        for ``serve_forever`` first, or its server would run on, unowned.
        """
        self.has_settled.wait(self.timeout_seconds)
        if self.server is not None:
            self.server.shutdown()
        self.startup.join(self.timeout_seconds)


def start_specimen() -> None:
    """Build the specimen and serve it on a free port, quietly."""
    create_specimen().run("127.0.0.1", 0, log_requests=False)
