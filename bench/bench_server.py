"""Measure hello-world throughput over HTTP: our server against its peers.

Serves one bare WSGI app (13-byte body, with Content-Length) on our threaded
server, Werkzeug's threaded dev server and gunicorn sync with 2 workers, each
in its own subprocess, and loads each in turn with ``wrk`` (apt install wrk).
Prints req/s, p50/p99 latency and the ratios ours/werkzeug and ours/gunicorn,
with keep-alive and again with ``Connection: close``, best of ``--rounds``
interleaved runs.

    .venv/bin/python bench/bench_server.py [--duration 5] [--connections 8]
        [--threads 1] [--rounds 2] [--profile]

``--profile`` instead runs our server under cProfile (not threaded, so the
one profiled thread does all the work) for one wrk run and prints the top costs.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
HELLO_BODY = b"Hello, World!"
STARTUP_SECONDS = 20.0
SERVERS = ("ours", "werkzeug", "gunicorn")


def hello_app(environ: dict, start_response) -> Iterable[bytes]:
    """Answer every request with the same small body, length declared."""
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(HELLO_BODY)))],
    )
    return [HELLO_BODY]


def serve_ours(port: int, *, threaded: bool = True) -> None:
    """Serve ``hello_app`` on the project's server until SIGTERM."""
    from walkthrough.framework.serving import make_server

    # Quiet the one line per reset connection wrk leaves when it stops.
    logging.getLogger("walkthrough.serving").setLevel(logging.ERROR)
    server = make_server(
        "127.0.0.1", port, hello_app, threaded=threaded, log_requests=False
    )
    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def serve_werkzeug(port: int) -> None:
    """Serve ``hello_app`` on Werkzeug's dev server, request log silenced."""
    from werkzeug.serving import run_simple

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    signal.signal(signal.SIGTERM, stop)
    try:
        run_simple("127.0.0.1", port, hello_app, threaded=True)
    except KeyboardInterrupt:
        pass


def stop(signum: int, frame: object) -> None:
    """Turn SIGTERM into KeyboardInterrupt so servers close cleanly."""
    raise KeyboardInterrupt


def server_command(name: str, port: int) -> list[str]:
    """Return the command that serves ``hello_app`` with server ``name``."""
    if name == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--chdir",
            str(BENCH_DIR),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            "bench_server:hello_app",
        ]
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--serve",
        name,
        "--port",
        str(port),
    ]


def free_port() -> int:
    """Ask the kernel for a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(port: int) -> None:
    """Poll the port with a real request until it answers, or give up."""
    deadline = time.monotonic() + STARTUP_SECONDS
    request = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2.0) as sock:
                sock.sendall(request)
                if sock.recv(100).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing answered on port {port} in {STARTUP_SECONDS}s")


@dataclass
class Result:
    """One wrk run's numbers."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: str


def run_wrk(port: int, args: argparse.Namespace, *, close: bool) -> Result:
    """Run wrk against ``port`` and parse its summary."""
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
        f"http://127.0.0.1:{port}/",
    ]
    if close:
        command[1:1] = ["-H", "Connection: close"]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=args.duration + 30
    ).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> Result:
    """Pull req/s, the 50% and 99% latencies and any errors out of wrk's text."""
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latencies = {
        percent: to_ms(float(value), unit)
        for percent, value, unit in re.findall(
            r"\s(50|99)%\s+([\d.]+)(us|ms|s)", output
        )
    }
    errors = re.search(r"Socket errors: (.*)|Non-2xx.*", output)
    return Result(
        rate, latencies["50"], latencies["99"], errors.group(0) if errors else ""
    )


def to_ms(value: float, unit: str) -> float:
    """Convert a wrk latency to milliseconds."""
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure(name: str, args: argparse.Namespace) -> dict[bool, Result]:
    """Start server ``name``, warm it up, run wrk with and without keep-alive."""
    port = free_port()
    process = subprocess.Popen(server_command(name, port), cwd=REPO)
    try:
        wait_until_answering(port)
        warmup = argparse.Namespace(**{**vars(args), "duration": 1})
        run_wrk(port, warmup, close=False)
        return {close: run_wrk(port, args, close=close) for close in (False, True)}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STARTUP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure_rounds(args: argparse.Namespace) -> dict[str, dict[bool, Result]]:
    """Measure every server ``--rounds`` times, interleaved; keep each best.

    The machine is shared and noisy; interleaving spreads a noisy spell over
    all servers, and the best run is the least disturbed one.
    """
    best: dict[str, dict[bool, Result]] = {}
    for _ in range(args.rounds):
        for name in SERVERS:
            for close, result in measure(name, args).items():
                kept = best.setdefault(name, {}).get(close)
                if (
                    kept is None
                    or result.requests_per_second > kept.requests_per_second
                ):
                    best[name][close] = result
    return best


def print_table(
    results: dict[str, dict[bool, Result]], args: argparse.Namespace, load: float
) -> None:
    """Print one markdown table, then the ratios the issue asks about."""
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, best of "
        f"{args.rounds} rounds, {os.cpu_count()} CPUs, load before: {load:.2f}\n"
    )
    print("| server | connection | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---:|---:|---:|---|")
    for name, by_close in results.items():
        for close, result in by_close.items():
            mode = "close" if close else "keep-alive"
            print(
                f"| {name} | {mode} | {result.requests_per_second:,.0f} | "
                f"{result.p50_ms:.2f} | {result.p99_ms:.2f} | {result.errors} |"
            )
    print()
    for close in (False, True):
        ours = results["ours"][close].requests_per_second
        mode = "close" if close else "keep-alive"
        for peer in ("werkzeug", "gunicorn"):
            ratio = ours / results[peer][close].requests_per_second
            print(f"ours / {peer} ({mode}): {ratio:.2f}x")
    # Werkzeug's dev server (since 2.1) and gunicorn's sync workers close
    # every connection whatever the client asks, so each peer's best row is
    # also set against our keep-alive row.
    ours = results["ours"][False].requests_per_second
    for peer in ("werkzeug", "gunicorn"):
        best = max(result.requests_per_second for result in results[peer].values())
        print(f"ours keep-alive / best {peer} row: {ours / best:.2f}x")


def profile_ours(args: argparse.Namespace) -> None:
    """Profile our server (one thread) under one wrk run; print top costs."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--serve",
            "ours-profiled",
            "--port",
            str(port),
        ],
        cwd=REPO,
    )
    try:
        wait_until_answering(port)
        single = argparse.Namespace(**{**vars(args), "connections": 1})
        result = run_wrk(port, single, close=False)
        print(f"under cProfile, 1 connection: {result.requests_per_second:,.0f} req/s")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=STARTUP_SECONDS)


def serve_profiled(port: int) -> None:
    """Serve single-threaded under cProfile; print the top 25 on SIGTERM."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        serve_ours(port, threaded=False)
    finally:
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(25)


def main() -> int:
    """Parse options; serve one server, profile ours, or run the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=2, help="best of N runs")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--serve", choices=["ours", "ours-profiled", "werkzeug"])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.serve == "ours":
        serve_ours(args.port)
    elif args.serve == "ours-profiled":
        serve_profiled(args.port)
    elif args.serve == "werkzeug":
        serve_werkzeug(args.port)
    elif shutil.which("wrk") is None:
        print("bench_server: wrk not found; apt-get install wrk", file=sys.stderr)
        return 2
    elif args.profile:
        profile_ours(args)
    else:
        load = os.getloadavg()[0]
        print_table(measure_rounds(args), args, load)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
