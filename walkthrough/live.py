"""The live probe's web face: which code to watch, checked input, and SSE.

``site.py`` wires this between the tours and ``walkthrough.probe``: the tours
say which code objects are stages (so adding a step adds a stage), the
client only picks a method and a path for the specimen (never a host or a
port), at most a few probes run at once, and each stage leaves as one
Server-Sent Event the moment the tracer reports it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import CodeType

from walkthrough.framework.exceptions import BadRequest, TooManyRequests
from walkthrough.probe.runner import (
    Probe,
    ProbeDone,
    ProbeFailed,
    RequestProbe,
    StartupProbe,
)
from walkthrough.probe.tracer import StageEvent, Watch
from walkthrough.tour.content import Tour
from walkthrough.tour.source import code_objects

PROBE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_PROBE_PATH_CHARS = 2048
DEFAULT_MAX_PROBES = 4
RETRY_AFTER_SECONDS = 2
MODES = {"request": "request", "startup": "startup"}


@dataclass(frozen=True)
class ProbeRequest:
    """A probe the client asked for, after checking every field."""

    mode: str
    method: str
    path: str


def parse_probe_request(args: dict[str, str]) -> ProbeRequest:
    """Check the query of ``/probe/stream``; raise 400 naming the problem."""
    mode = args.get("mode", "request")
    if mode not in MODES:
        raise BadRequest(f"Unknown probe mode {mode[:20]!r}: use request or startup.")
    method = args.get("method", "GET").upper()
    if method not in PROBE_METHODS:
        raise BadRequest(
            f"Method {method[:20]!r} cannot be probed; choose one of "
            f"{', '.join(PROBE_METHODS)}."
        )
    return ProbeRequest(mode, method, check_probe_path(args.get("path", "/index")))


def check_probe_path(path: str) -> str:
    """Accept a path on the specimen: ``/`` first, printable ASCII, bounded."""
    if len(path) > MAX_PROBE_PATH_CHARS:
        raise BadRequest(f"The path is longer than {MAX_PROBE_PATH_CHARS} characters.")
    if not path.startswith("/"):
        raise BadRequest("The path must start with '/': it is a path on the specimen.")
    if not (path.isascii() and path.isprintable()) or " " in path:
        raise BadRequest(
            "The path must be printable ASCII without spaces (percent-encode others)."
        )
    return path


def watches_for(tours: Iterable[Tour], *, prefer_tour: str) -> dict[CodeType, Watch]:
    """Map each code object a tour names to its step, ``prefer_tour`` first.

    One function can be a step in several tours (``serve_forever`` is in
    startup and request); the tour being run live names the stage. A step
    whose symbol no longer resolves lights nothing rather than failing every
    probe; ``walkthrough check`` reports it.
    """
    ordered = sorted(tours, key=lambda tour: tour.id != prefer_tour)
    return {
        code: Watch(ref.symbol, ref.tour_id, ref.step_id)
        for code, ref in code_objects(ordered).items()
    }


def make_probe(request: ProbeRequest, tours: Iterable[Tour]) -> Probe:
    """Build the probe the request asks for, watching the tours' code."""
    watched = watches_for(tours, prefer_tour=MODES[request.mode])
    if request.mode == "startup":
        return StartupProbe(watched)
    return RequestProbe(watched, method=request.method, path=request.path)


class ProbeLimiter:
    """Let at most ``limit`` probes run at once; the next one gets 429."""

    def __init__(self, limit: int = DEFAULT_MAX_PROBES) -> None:
        self.slots = threading.BoundedSemaphore(limit)

    def acquire(self) -> None:
        """Take a slot without waiting, or refuse with Retry-After."""
        if not self.slots.acquire(blocking=False):
            raise TooManyRequests(
                "All probe slots are busy; try again in a moment.",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            )

    def release(self) -> None:
        """Give a slot back."""
        self.slots.release()


def sse_message(event: str, data: dict, message_id: int | None = None) -> str:
    """Format one Server-Sent Event: optional id, the event name, JSON data."""
    lines = [] if message_id is None else [f"id: {message_id}"]
    lines += [f"event: {event}", f"data: {json.dumps(data, separators=(',', ':'))}"]
    return "\n".join(lines) + "\n\n"


class ProbeStream:
    """The body of ``/probe/stream``: events as they fire, then one ending.

    A class with ``close`` rather than a bare generator, because the server
    closes the body even if it never started iterating (the client left at
    once), and the probe slot must come back in every case.
    """

    def __init__(self, probe: Probe, limiter: ProbeLimiter) -> None:
        self.probe = probe
        self.limiter = limiter
        self.messages = probe.run()
        self.is_closed = False

    def __iter__(self) -> Iterator[str]:
        """Yield a comment at once (the browser sees the stream open), then events.

        The stream ends right after ``done`` or ``error``: the browser can
        close it without aborting anything, and the probe's own cleanup
        happens afterwards, in ``close``.
        """
        yield ": probe started\n\n"
        for number, message in enumerate(self.messages, start=1):
            yield format_message(message, number)
            if not isinstance(message, StageEvent):
                return

    def close(self) -> None:
        """Free the slot, then stop the probe (its ``finally`` shuts the specimen).

        The slot goes first: the run is over for the client, so its next probe
        is not refused while this one's server takes its bounded time to stop.
        """
        if self.is_closed:
            return
        self.is_closed = True
        self.limiter.release()
        self.messages.close()


def format_message(message: StageEvent | ProbeDone | ProbeFailed, number: int) -> str:
    """Turn a probe message into its SSE form: stage, done or error."""
    if isinstance(message, StageEvent):
        return sse_message("stage", message.to_json(), number)
    if isinstance(message, ProbeDone):
        return sse_message("done", message.to_json(), number)
    return sse_message("error", message.to_json(), number)


def run_to_document(probe: Probe) -> dict:
    """Run a probe to the end and return all of it as one JSON document."""
    stages, ending = [], {"error": {"message": "The probe ended without a result."}}
    for message in probe.run():
        if isinstance(message, StageEvent):
            stages.append(message.to_json())
        elif isinstance(message, ProbeDone):
            ending = {"done": message.to_json()}
        else:
            ending = {"error": message.to_json()}
    return {"stages": stages, **ending}
