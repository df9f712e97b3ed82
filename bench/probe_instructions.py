"""Count the instructions tracing adds to a request: a measure noise cannot move.

    .venv/bin/python bench/probe_instructions.py [--python .venv-3.12/bin/python]

Wall and CPU time on shared cores move by a third between runs; the number
of instructions a process executes does not. Under valgrind's callgrind,
this runs ``bench_probe.py``'s setup (the specimen on our threaded server,
GET /users/42, sequential) untraced and traced, the stages going nowhere
(the tracer alone), keep-alive and a connection per request. Each is run
with 100 and with 300 requests: the difference, over 200, is the cost of
one request, without the start-up both runs share. The relay is left out:
it wakes by the clock, and valgrind runs the code some fifty times slower,
so it would wake fifty times as often per request as it really does.
Needs ``valgrind`` (``apt-get install valgrind``); a count takes a minute.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench_probe

FEW, MANY = 100, 300
COLLECTED_RE = re.compile(r"Collected : (\d+)")
VARIANTS = {"untraced": False, "traced": True}
MODES = ("keep-alive", "close")


def serve_and_request(traced: bool, requests: int, mode: str) -> None:
    """Be the measured process: serve the specimen, send ``requests`` GETs."""
    target = bench_probe.walkthrough_target()
    server, thread, tracer = bench_probe.serve_target(target, traced, "none")
    port = server.server_address[1]
    bench_probe.time_requests(port, requests, keep_alive=mode == "keep-alive")
    tracer.stop()
    server.shutdown()
    server.server_close()
    thread.join(5)


def instructions(python: str, variant: str, requests: int, mode: str) -> int:
    """Run one measured process under callgrind; return what it executed."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [python, __file__, "--child", variant, str(requests), mode]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=1800, check=True
    )
    match = COLLECTED_RE.search(result.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from valgrind: {result.stderr}")
    return int(match.group(1))


def per_request(python: str, variant: str, mode: str) -> int:
    """Return the instructions of one request: (many - few) / (MANY - FEW)."""
    few = instructions(python, variant, FEW, mode)
    many = instructions(python, variant, MANY, mode)
    return (many - few) // (MANY - FEW)


def main() -> None:
    """Count both variants in both modes, two at a time; print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        variant, requests, mode = options.child
        serve_and_request(VARIANTS[variant], int(requests), mode)
        return
    python = str(Path(options.python))
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    jobs = [(variant, mode) for mode in MODES for variant in VARIANTS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda job: per_request(python, *job), jobs)
        counts = dict(zip(jobs, results, strict=True))
    print(f"\nInstructions per request, Python {version}, GET {bench_probe.PATH}")
    print("| connection | " + " | ".join(VARIANTS) + " |")
    print("|---|" + "---:|" * len(VARIANTS))
    for mode in MODES:
        untraced = counts[("untraced", mode)]
        cells = [
            f"{counts[(variant, mode)]:,} ({counts[(variant, mode)] / untraced:.2f}x)"
            for variant in VARIANTS
        ]
        print(f"| {mode} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
