"""Measure step pages: cold and warm render, and requests/s on our server.

    .venv/bin/python bench/bench_site.py [--seconds 5] [--connections 8]
        [--rounds 3]

1. Cold: a fresh ``walkthrough serve --port 0`` per sample, timing the first
   GET of a step page (parse the tour, resolve, highlight, render).
2. Warm: the site's WSGI app called in-process with a prepared environ; this
   is the app time of a cached step page, without any socket, and of
   ``/healthz`` beside it (goal: a step page in 40 µs or less).
3. Throughput: ``wrk`` against the site on our own threaded server, for a
   step page and, as the floor in the same run, ``/healthz`` (goal: the
   step page at 0.7x of ``/healthz`` or better). The two alternate for
   ``--rounds`` rounds and each keeps its best, so a busy moment on the
   machine does not land on one side only.
Needs ``wrk`` (``apt-get install wrk``) for part 3; parts 1-2 need nothing.
"""

from __future__ import annotations

import argparse
import http.client
import io
import re
import shutil
import statistics
import subprocess
import sys
import time

from walkthrough.resources import shipped_path
from walkthrough.site import create_app
from walkthrough.tour.content import load_tours

READY_TIMEOUT_SECONDS = 15.0
RUNNING_RE = re.compile(r"Running on http://127\.0\.0\.1:(\d+)/")


def start_site() -> tuple[subprocess.Popen[str], int]:
    """Start ``walkthrough serve --port 0 --quiet`` and return it with its port."""
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


def timed_get(port: int, path: str) -> float:
    """GET ``path`` once and return the seconds until the body was read."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return elapsed


def step_paths() -> list[str]:
    """Return the URL of every shipped step."""
    tours = load_tours(shipped_path("content"))
    return [f"/tours/{tour.id}/{step.id}" for tour in tours for step in tour.steps]


def measure_cold(paths: list[str], samples: int) -> list[float]:
    """Time the first request for a step on freshly started servers."""
    timings = []
    for path in paths[:samples]:
        process, port = start_site()
        try:
            timings.append(timed_get(port, path))
        finally:
            process.terminate()
            process.wait(timeout=10)
    return timings


def measure_warm(path: str, repeat: int) -> float:
    """Return the best mean app time per request (seconds) for a cached page."""
    app = create_app()
    environ = make_environ(path)

    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        return None

    b"".join(app(dict(environ, **{"wsgi.input": io.BytesIO()}), start_response))
    best = float("inf")
    # Many short batches: on a shared machine, the quietest one is the figure.
    for _ in range(20):
        start = time.perf_counter()
        for _ in range(repeat):
            b"".join(app(dict(environ, **{"wsgi.input": io.BytesIO()}), start_response))
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def make_environ(path: str) -> dict:
    """Build the environ our server would hand the app for ``GET path``."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:5000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def run_wrk(port: int, path: str, seconds: int, connections: int) -> float:
    """Return requests/s that wrk measured for ``path``."""
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    """Run the three measurements and print them as a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--cold-samples", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    paths = step_paths()
    cold = measure_cold(paths, options.cold_samples)
    warm = measure_warm(paths[0], repeat=200)
    warm_floor = measure_warm("/healthz", repeat=200)
    print(f"step pages shipped: {len(paths)}")
    print(
        f"cold first request: median {statistics.median(cold) * 1e3:.1f} ms "
        f"(min {min(cold) * 1e3:.1f}, max {max(cold) * 1e3:.1f}, n={len(cold)})"
    )
    print(f"warm app time:      {warm * 1e6:.0f} µs per step page (in-process)")
    print(f"warm app time:      {warm_floor * 1e6:.0f} µs per /healthz (in-process)")
    if shutil.which("wrk") is None:
        print("wrk not installed: skipping throughput (apt-get install wrk)")
        return
    process, port = start_site()
    try:
        timed_get(port, paths[0])
        page_rate = floor_rate = 0.0
        for _ in range(options.rounds):
            rate = run_wrk(port, paths[0], options.seconds, options.connections)
            page_rate = max(page_rate, rate)
            rate = run_wrk(port, "/healthz", options.seconds, options.connections)
            floor_rate = max(floor_rate, rate)
    finally:
        process.terminate()
        process.wait(timeout=10)
    wrk = f"wrk -t1 -c{options.connections}, best of {options.rounds}"
    print(f"step page:  {page_rate:8.0f} req/s  ({wrk})")
    print(f"/healthz:   {floor_rate:8.0f} req/s  (same server, same run)")
    print(f"step page / healthz: {page_rate / floor_rate:.2f}")


if __name__ == "__main__":
    main()
