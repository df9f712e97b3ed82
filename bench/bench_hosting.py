"""Measure the site as a team hosts it: gunicorn gthread 2×4 against ``serve``.

    .venv/bin/python bench/bench_hosting.py [--duration 5] [--connections 8]
        [--probes 60] [--clients 4]

Both servers run the real site in a subprocess, as documented: gunicorn with
``walkthrough.gunicorn_conf`` (gthread, 2 workers × 4 threads, access log on)
and ``walkthrough serve`` (our threaded server, request log on), logs to
/dev/null. Pages: ``wrk -t1 -c8 --latency`` on ``/`` and on a step page, after a
1 s warm-up. Probes: ``--clients`` threads run ``--probes`` request probes
(``/probe/stream?path=/index``) to their end; streams/s is over the wall time,
and a 429 (every probe slot busy) counts as refused, not retried.
"""

from __future__ import annotations

import argparse
import http.client
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30.0
SOCKET_TIMEOUT_SECONDS = 30.0
STEP_LINK_RE = re.compile(r'href="\.\./request/([\w-]+)"')


def server_command(name: str, port: int) -> list[str]:
    """Return the command a team would run for server ``name`` on ``port``."""
    if name == "gunicorn":
        return [
            *(sys.executable, "-m", "gunicorn"),
            *("-c", "python:walkthrough.gunicorn_conf", "walkthrough.wsgi:app"),
            *("--bind", f"127.0.0.1:{port}"),
        ]
    return [sys.executable, "-m", "walkthrough", "serve", "--port", str(port)]


def free_port() -> int:
    """Ask the kernel for a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str) -> tuple[int, bytes]:
    """GET ``path``; return the status and the whole body."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_answering(port: int) -> None:
    """Poll /healthz until it answers, or give up (a bench may poll)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered on port {port} in {STARTUP_SECONDS}s")


def run_wrk(port: int, path: str, *, duration: int, connections: int) -> float:
    """Run wrk on ``path``; return requests per second (non-2xx is an error)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw errors on {path}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


@dataclass
class ProbeResult:
    """Probe streams through one server."""

    streams_per_second: float
    p50_ms: float
    refused: int


def one_probe(port: int) -> tuple[int, float]:
    """Run one probe stream to its end; return its status and seconds taken."""
    started = time.perf_counter()
    status, body = get(port, "/probe/stream?path=/index")
    if status == 200 and b"event: done" not in body:
        raise RuntimeError(f"a probe stream ended without done: {body[-200:]!r}")
    return status, time.perf_counter() - started


def run_probes(port: int, *, probes: int, clients: int) -> ProbeResult:
    """Run ``probes`` streams from ``clients`` threads; time the whole batch."""
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda _: one_probe(port), range(probes)))
    elapsed = time.perf_counter() - started
    done = [seconds for status, seconds in results if status == 200]
    return ProbeResult(
        len(done) / elapsed,
        statistics.median(done) * 1000,
        sum(status == 429 for status, _ in results),
    )


def measure(name: str, args: argparse.Namespace) -> dict[str, float | ProbeResult]:
    """Start server ``name``; measure the two pages and the probe batch."""
    port = free_port()
    process = subprocess.Popen(
        server_command(name, port),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_answering(port)
        tour_page = get(port, "/tours/request/")[1].decode()
        step = "/tours/request/" + STEP_LINK_RE.search(tour_page).group(1)
        rates: dict[str, float | ProbeResult] = {}
        for path in ("/", step):
            run_wrk(port, path, duration=1, connections=args.connections)
            rates[path] = run_wrk(
                port, path, duration=args.duration, connections=args.connections
            )
        rates["probes"] = run_probes(port, probes=args.probes, clients=args.clients)
        return rates
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=STARTUP_SECONDS)


def main() -> None:
    """Measure both servers in one run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--probes", type=int, default=60)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_hosting: wrk is missing (apt-get install wrk)")
    results = {name: measure(name, args) for name in ("gunicorn", "serve")}
    print(f"$ python {' '.join(sys.argv)}")
    print(f"wrk -t1 -c{args.connections} -d{args.duration}s; probes: {args.probes}")
    print(f"from {args.clients} client threads\n")
    print("| server | `/` req/s | step page req/s | probes/s | probe p50 ms | 429s |")
    print("|---|---:|---:|---:|---:|---:|")
    labels = {"gunicorn": "gunicorn gthread 2×4", "serve": "walkthrough serve"}
    for name, rates in results.items():
        pages = [rate for key, rate in rates.items() if key != "probes"]
        probe = rates["probes"]
        print(
            f"| {labels[name]} | {pages[0]:,.0f} | {pages[1]:,.0f} | "
            f"{probe.streams_per_second:,.1f} | {probe.p50_ms:.1f} | {probe.refused} |"
        )


if __name__ == "__main__":
    main()
