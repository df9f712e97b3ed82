"""Measure the live probe: what tracing costs, and how long a probe takes.

    .venv/bin/python bench/bench_probe.py [--requests 400] [--probes 40]
        [--rounds 3] [--tracing-only] [--interpreters] [--sink relay]
        [--pause-ms 0]

1. Tracing, like for like, per app: the specimen on our threaded server,
   and its twin on real Flask on Werkzeug's threaded server (the probe's
   two targets), each hit by ``--requests`` sequential GETs, untraced and
   then with the probe's Tracer on the server thread (``trace_thread``, the
   tours' watches plus the app's own code), so connection threads are
   traced too. Stages go to ``RequestProbe``'s own ``StageChannel``, which
   a thread drains and names as its relay does (``--sink relay``), to the
   ``queue.Queue`` the relay used before (``queue``), to a ``SimpleQueue``
   (``simple``) or nowhere (``none``: the tracer alone). Keep-alive (one
   connection; ours only, Werkzeug closes every connection) and
   ``Connection: close``. Back to back, the relay's work for earlier
   requests shares the GIL with later ones; ``--pause-ms 10`` lets it catch
   up after each request, as after the one request a probe traces. Wall
   time is the best median of ``--rounds`` interleaved rounds, so traced
   and untraced share the machine's weather; CPU time (client and server
   share the process) is the best mean, steadier on a busy machine. The
   aim: traced at most 1.5x untraced on Python 3.12+ (``sys.monitoring``),
   2.5x on 3.11 (a ``sys.settrace`` function). ``--interpreters`` runs this
   part under this Python and under each ``.venv-3.1x`` that
   ``scripts/test.sh`` made.
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
import collections
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
from pathlib import Path
from typing import Any

from walkthrough.live import watches_for
from walkthrough.probe.runner import (
    ProbeDone,
    RequestProbe,
    StageChannel,
    with_own_code,
)
from walkthrough.probe.targets import ProbeTarget, flask_target, walkthrough_target
from walkthrough.probe.tracer import Tracer
from walkthrough.site import content_dir_for
from walkthrough.tour.content import load_tours

READY_TIMEOUT_SECONDS = 15.0
SOCKET_TIMEOUT_SECONDS = 30.0
RUNNING_RE = re.compile(r"Running on http://127\.0\.0\.1:(\d+)/")
PATH = "/users/42"
STARTUP_PROBES = 8
DRAIN_TIMEOUT_SECONDS = 600.0
SINKS = {
    "relay": "RequestProbe's StageChannel, drained by a thread as its relay does",
    "queue": "a queue.Queue a thread drains, as RequestProbe's relay did before",
    "simple": "a queue.SimpleQueue a thread drains",
    "none": "nowhere (a deque that keeps none): the tracer alone",
}


@dataclass
class Timings:
    """Per-run timings of one probe through the site, in seconds."""

    first_stage: float
    last_stage: float
    done: float
    end: float


def drained_channel() -> tuple[StageChannel, Callable[[Tracer], None]]:
    """Return the probe's own channel, and what starts a thread that empties it.

    The thread takes a batch per wake-up and names each stage, as
    ``Probe.relay`` does, until it takes ``None``.
    """
    channel = StageChannel()

    def drain(tracer: Tracer) -> None:
        event = tracer.event
        while True:
            for message in channel.take(DRAIN_TIMEOUT_SECONDS):
                if message is None:
                    return
                event(message)

    def start(tracer: Tracer) -> None:
        threading.Thread(target=drain, args=(tracer,), daemon=True).start()

    return channel, start


def drained_queue(sink: str) -> tuple[queue.Queue | queue.SimpleQueue, Callable]:
    """Return a queue, and what starts a thread that empties it until ``None``.

    As the probe's relay did, naming each stage; left full, a queue of stages
    would grow by the thousand and make the garbage collector, not the
    tracer, the cost. ``sink`` is ``queue`` (what ``RequestProbe`` used
    before ``StageChannel``) or ``simple`` (C).
    """
    stages = queue.SimpleQueue() if sink == "simple" else queue.Queue()

    def drain(tracer: Tracer) -> None:
        for stage in iter(stages.get, None):
            tracer.event(stage)

    def start(tracer: Tracer) -> None:
        threading.Thread(target=drain, args=(tracer,), daemon=True).start()

    return stages, start


def serve_target(
    target: ProbeTarget, traced: bool, sink: str
) -> tuple[Any, threading.Thread, Tracer]:
    """Start an app on its server; with ``traced``, under the Tracer.

    The tracer's sink is drained by a thread, as ``RequestProbe``'s is (see
    ``SINKS``), or with ``sink="none"`` is nothing: the tracer alone.
    """
    app = target.create_app()
    watched = with_own_code(
        watches_for(tours(), prefer_tour=target.request_tours),
        target.own_functions(app),
    )
    if sink == "none":
        # Handed over with one C call, as to the relay's channel; kept by none.
        tracer = Tracer(watched, collections.deque(maxlen=0).append)
    else:
        stages, start_draining = (
            drained_channel() if sink == "relay" else drained_queue(sink)
        )
        put = stages.put_stage if sink == "relay" else stages.put
        tracer = Tracer(watched, put)
        start_draining(tracer)
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


def time_requests(
    port: int, count: int, *, keep_alive: bool, pause: float = 0.0
) -> tuple[float, float]:
    """Send ``count`` sequential GETs; return median wall and mean CPU seconds.

    Client and server share this process, so its CPU time per request is
    the work of both, and barely moved by other processes on a busy machine.
    With a ``pause`` (seconds) after each, the relay has caught up before
    the next request starts, as for the one request a probe traces; a pause
    takes no CPU time.
    """
    samples = []
    cpu_start = time.process_time()
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
        time.sleep(pause)
    connection.close()
    return statistics.median(samples), (time.process_time() - cpu_start) / count


def measure_tracing(
    targets: list[ProbeTarget],
    requests: int,
    rounds: int,
    sink: str = "relay",
    pause: float = 0.0,
) -> dict[str, dict[str, float]]:
    """Return the best median per request, traced and not, per app and mode."""
    best: dict[str, dict[str, float]] = {}
    for _ in range(rounds):
        for target, traced in itertools.product(targets, (False, True)):
            server, thread, tracer = serve_target(target, traced, sink)
            port = server.server_address[1]
            modes = (True, False) if target.id == "walkthrough" else (False,)
            for keep_alive in modes:
                mode = "keep-alive" if keep_alive else "close"
                wall, cpu = time_requests(
                    port, requests, keep_alive=keep_alive, pause=pause
                )
                key = "traced" if traced else "untraced"
                row = best.setdefault(f"{target.title} | {mode}", {})
                row[key] = min(row.get(key, float("inf")), wall)
                row[f"{key} cpu"] = min(row.get(f"{key} cpu", float("inf")), cpu)
            tracer.stop()
            tracer.on_stage(None)  # ends the thread that drains its queue
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


def print_tracing(
    best: dict[str, dict[str, float]],
    requests: int,
    sink: str = "relay",
    pause_ms: float = 0.0,
) -> None:
    """Print part 1: per-request time untraced vs traced, and the ratio."""
    print(f"\n1. Tracing cost per request (GET {PATH}, n={requests}, best of rounds,")
    print(f"   stages sent to: {SINKS[sink]};")
    print(
        f"   {f'{pause_ms:g} ms pause' if pause_ms else 'no pause'} between requests)"
    )
    print("| app and server | connection | untraced ms | traced ms | ratio ", end="")
    print("| CPU ms: untraced | traced | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for mode, row in best.items():
        wall = row["traced"] / row["untraced"]
        cpu = row["traced cpu"] / row["untraced cpu"]
        print(
            f"| {mode} | {ms(row['untraced'])} | {ms(row['traced'])} | {wall:.2f}x "
            f"| {ms(row['untraced cpu'])} | {ms(row['traced cpu'])} | {cpu:.2f}x |"
        )


def other_interpreters() -> list[Path]:
    """Return the Pythons of the ``.venv-3.1x`` folders beside this checkout."""
    root = Path(__file__).resolve().parent.parent
    return sorted(root.glob(".venv-3.1[0-9]*/bin/python"))


def print_tracing_here(targets: list[ProbeTarget], options: argparse.Namespace) -> None:
    """Print part 1 under this Python only, headed by its version."""
    print(f"\n## Python {sys.version.split()[0]} ({sys.executable})")
    pause = options.pause_ms / 1000
    best = measure_tracing(
        targets, options.requests, options.rounds, options.sink, pause
    )
    print_tracing(best, options.requests, options.sink, options.pause_ms)


def print_tracing_per_interpreter(
    targets: list[ProbeTarget], options: argparse.Namespace
) -> None:
    """Print part 1 under this Python, then under each other one found."""
    print_tracing_here(targets, options)
    for python in other_interpreters():
        if Path(sys.executable).resolve() == python.resolve():
            continue
        command = [str(python), __file__, "--tracing-only", "--sink", options.sink]
        command += ["--requests", str(options.requests)]
        command += ["--rounds", str(options.rounds)]
        command += ["--pause-ms", str(options.pause_ms)]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=900, check=False
        )
        print(result.stdout + result.stderr, end="")


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
    parser.add_argument(
        "--tracing-only", action="store_true", help="part 1 only, this Python"
    )
    parser.add_argument(
        "--interpreters", action="store_true", help="part 1 on every .venv-3.1x too"
    )
    parser.add_argument(
        "--sink", choices=SINKS, default="relay", help="where part 1's stages go"
    )
    parser.add_argument(
        "--pause-ms",
        type=float,
        default=0.0,
        help="part 1: pause after each request, so the relay catches up",
    )
    options = parser.parse_args()
    ours, flask = walkthrough_target(), flask_target()
    if options.interpreters:
        print_tracing_per_interpreter([ours, flask], options)
    else:
        print_tracing_here([ours, flask], options)
    if options.tracing_only:
        return
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
