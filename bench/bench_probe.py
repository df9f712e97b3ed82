"""Measure the live probe: what tracing costs, and how long a probe takes.

    .venv/bin/python bench/bench_probe.py [--requests 400] [--probes 40]
        [--rounds 3]

1. Tracing, like for like, per app: the specimen on our threaded server,
   and its twin on real Flask on Werkzeug's threaded server (the probe's
   two targets), each hit by ``--requests`` sequential GETs, untraced and
   then with the probe's Tracer on the server thread (``trace_thread``, the
   tours' watches plus the app's own code, a queue as the sink, as
   ``RequestProbe`` does), so connection threads are traced too. Keep-alive
   (one connection; ours only, Werkzeug closes every connection) and
   ``Connection: close``. Best median of ``--rounds`` interleaved rounds, so
   traced and untraced share the machine's weather; the aim is traced < 3x.
2. The runner in-process: ``RequestProbe.run()`` to ``done`` and to its end
   (``stop`` shuts the app's server), per app, with the tours' watches, and
   the specimen with none (its own views only): the cost of a server per probe.
3. Through the site (``walkthrough serve --port 0`` in a subprocess): from
   sending ``GET /probe/stream`` to the first stage, the last stage, ``done``
   and the stream's end; median and p90 of ``--probes`` request probes per
   app (aim: < 100 ms) and of a few startup probes (their stream ends only
   once ``run_simple``'s 0.5 s shutdown poll lets the specimen stop).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from walkthrough.live import watches_for
from walkthrough.probe.runner import ProbeDone, RequestProbe, with_own_code
from walkthrough.probe.targets import ProbeTarget, flask_target, walkthrough_target
from walkthrough.probe.tracer import Tracer
from walkthrough.site import content_dir_for
from walkthrough.tour.content import load_tours

READY_TIMEOUT_SECONDS = 15.0
SOCKET_TIMEOUT_SECONDS = 30.0
RUNNING_RE = re.compile(r"Running on http://127\.0\.0\.1:(\d+)/")
PATH = "/users/42"
STARTUP_PROBES = 8


@dataclass
class Timings:
    """Per-run timings of one probe through the site, in seconds."""

    first_stage: float
    last_stage: float
    done: float
    end: float


def serve_target(
    target: ProbeTarget, traced: bool
) -> tuple[Any, threading.Thread, Tracer]:
    """Start an app on its server; with ``traced``, under the Tracer."""
    app = target.create_app()
    watched = watches_for(tours(), prefer_tour=target.request_tours)
    tracer = Tracer(
        with_own_code(watched, target.own_functions(app)), queue.Queue().put
    )
    server = target.serve(app)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    if traced:
        tracer.trace_thread(thread)
    thread.start()
    return server, thread, tracer


def tours():
    """Load the shipped tours once."""
    if not hasattr(tours, "cache"):
        tours.cache = load_tours(content_dir_for(None))
    return tours.cache


def time_requests(port: int, count: int, *, keep_alive: bool) -> float:
    """Send ``count`` sequential GETs; return the median seconds per request."""
    samples = []
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    headers = {} if keep_alive else {"Connection": "close"}
    for _ in range(count):
        start = time.perf_counter()
        connection.request("GET", PATH, headers=headers)
        response = connection.getresponse()
        response.read()
        samples.append(time.perf_counter() - start)
        if not keep_alive:
            connection.close()
    connection.close()
    return statistics.median(samples)


def measure_tracing(
    targets: list[ProbeTarget], requests: int, rounds: int
) -> dict[str, dict[str, float]]:
    """Return the best median per request, traced and not, per app and mode."""
    best: dict[str, dict[str, float]] = {}
    for _ in range(rounds):
        for target, traced in itertools.product(targets, (False, True)):
            server, thread, tracer = serve_target(target, traced)
            port = server.server_address[1]
            modes = (True, False) if target.id == "walkthrough" else (False,)
            for keep_alive in modes:
                mode = "keep-alive" if keep_alive else "close"
                seconds = time_requests(port, requests, keep_alive=keep_alive)
                key = "traced" if traced else "untraced"
                row = best.setdefault(f"{target.title} | {mode}", {})
                row[key] = min(row.get(key, float("inf")), seconds)
            tracer.stop()
            server.shutdown()
            server.server_close()
            thread.join(5)
    return best


def time_runner(
    probes: int, *, watched: dict, target: ProbeTarget
) -> tuple[list[float], list[float]]:
    """Run RequestProbe to done and to its end; return both lists of seconds."""
    to_done, to_end = [], []
    for _ in range(probes):
        start = time.perf_counter()
        for message in RequestProbe(watched, target=target, path=PATH).run():
            if isinstance(message, ProbeDone):
                to_done.append(time.perf_counter() - start)
        to_end.append(time.perf_counter() - start)
    return to_done, to_end


def start_site() -> tuple[subprocess.Popen[str], int]:
    """Start ``walkthrough serve --port 0 --quiet``; return it and its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "walkthrough", "serve", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        match = RUNNING_RE.search(process.stdout.readline())
        if match:
            return process, int(match.group(1))
    process.kill()
    raise RuntimeError("the site did not print its Running on line in time")


def sse_blocks(response: http.client.HTTPResponse) -> Iterator[str]:
    """Yield the ``event:`` name of each SSE block as it arrives."""
    name = None
    while line := response.readline():
        if line.startswith(b"event: "):
            name = line[7:].strip().decode()
        elif line == b"\n" and name:
            yield name
            name = None


def time_site_probe(port: int, query: str) -> Timings:
    """Probe once through the site; time each milestone from the request."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    start = time.perf_counter()
    connection.request("GET", f"/probe/stream?{query}")
    response = connection.getresponse()
    first = last = done = None
    for name in sse_blocks(response):
        now = time.perf_counter() - start
        if name == "stage":
            first = first or now
            last = now
        elif name == "done":
            done = now
    end = time.perf_counter() - start
    connection.close()
    if None in (first, last, done):
        raise RuntimeError(f"the probe did not finish: {first=} {last=} {done=}")
    return Timings(first, last, done, end)


def measure_site(probes: int) -> dict[str, list[Timings]]:
    """Run request probes per app, then startup probes, through a site."""
    process, port = start_site()
    request, startup = f"path={PATH}", "mode=startup"
    flask = f"app=flask&path={PATH}"
    try:
        time_site_probe(port, request)  # warm: imports, tours, code objects
        time_site_probe(port, flask)
        return {
            "request": [time_site_probe(port, request) for _ in range(probes)],
            "real Flask request": [time_site_probe(port, flask) for _ in range(probes)],
            "startup": [time_site_probe(port, startup) for _ in range(STARTUP_PROBES)],
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def ms(seconds: float) -> str:
    """Format seconds as milliseconds for the tables."""
    return f"{seconds * 1e3:8.2f}"


def p90(samples: list[float]) -> float:
    """Return the 90th percentile of ``samples``."""
    return statistics.quantiles(samples, n=10)[-1]


def print_tracing(best: dict[str, dict[str, float]], requests: int) -> None:
    """Print part 1: per-request time untraced vs traced, and the ratio."""
    print(f"\n1. Tracing cost per request (GET {PATH}, n={requests}, best median)")
    print("| app and server | connection | untraced ms | traced ms | traced/untraced |")
    print("|---|---|---:|---:|---:|")
    for mode, row in best.items():
        ratio = row["traced"] / row["untraced"]
        print(
            f"| {mode} | {ms(row['untraced'])} | {ms(row['traced'])} | {ratio:.2f}x |"
        )


def print_runner(results: dict[str, tuple[list[float], list[float]]]) -> None:
    """Print part 2: RequestProbe in-process, to done and to its end."""
    print("\n2. RequestProbe in-process (a server per probe), median / p90 ms")
    print("| app, watches | to done | to end (server stopped) |")
    print("|---|---:|---:|")
    for name, (to_done, to_end) in results.items():
        print(
            f"| {name} | {ms(statistics.median(to_done))} / {ms(p90(to_done))} "
            f"| {ms(statistics.median(to_end))} / {ms(p90(to_end))} |"
        )


def print_site(runs: dict[str, list[Timings]]) -> None:
    """Print part 3: the milestones of a probe through the site."""
    for mode, timings in runs.items():
        print(f"\n3. Through the site, {mode} probes, n={len(timings)}")
        print_milestones(timings)


def print_milestones(timings: list[Timings]) -> None:
    """Print median and p90 of each milestone of some probes."""
    print("| from GET /probe/stream to | median ms | p90 ms |")
    print("|---|---:|---:|")
    fields: dict[str, Callable[[Timings], float]] = {
        "first stage": lambda t: t.first_stage,
        "last stage": lambda t: t.last_stage,
        "done": lambda t: t.done,
        "end of stream": lambda t: t.end,
    }
    for label, field in fields.items():
        samples = [field(timing) for timing in timings]
        print(f"| {label} | {ms(statistics.median(samples))} | {ms(p90(samples))} |")


def main() -> None:
    """Run the three measurements and print them as tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--probes", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    ours, flask = walkthrough_target(), flask_target()
    best = measure_tracing([ours, flask], options.requests, options.rounds)
    print_tracing(best, options.requests)
    print_runner(
        {
            f"{target.title}, tours ({len(watched)} code objects)": time_runner(
                options.probes, watched=watched, target=target
            )
            for target in (ours, flask)
            if (watched := watches_for(tours(), prefer_tour=target.request_tours))
        }
        | {
            "This framework, none (own code only)": time_runner(
                options.probes, watched={}, target=ours
            )
        }
    )
    print_site(measure_site(options.probes))


if __name__ == "__main__":
    main()
