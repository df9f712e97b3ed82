"""Time rendering one tour step cold (first render) and warm (cached).

Run: `.venv/bin/python bench/bench_render.py`. The step shows the standard library's
`http.server:BaseHTTPRequestHandler.parse_request` (about 130 lines), so the cost is
mostly pygments; warm renders only stat the tour and source files.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from walkthrough.tour.render import TourLibrary
from walkthrough.tour.source import _definition_index

SYMBOL = "http.server:BaseHTTPRequestHandler.parse_request"
WARM_ROUNDS = 2000
COLD_ROUNDS = 20
TOUR_TEXT = f"""+++
title = "Bench"
+++

## Parse the request line

```step
id = "parse"
symbol = "{SYMBOL}"
focus = ["requestline", "self.command"]
```

The request line is split into [words](glossary:request-line).
"""


def time_us(action: object) -> float:
    """Run a no-argument callable once and return its duration in µs."""
    start = time.perf_counter_ns()
    action()
    return (time.perf_counter_ns() - start) / 1000


def render_fresh(directory: Path, *, clear_index: bool) -> float:
    """Render the step with a new library, optionally forgetting parsed files."""
    if clear_index:
        _definition_index.cache_clear()
    return time_us(lambda: TourLibrary(directory).render_step("bench", "parse"))


def bench(directory: Path) -> dict[str, float]:
    """Measure the first render, fresh-library renders and cached renders."""
    first = render_fresh(directory, clear_index=True)
    cold = [render_fresh(directory, clear_index=True) for _ in range(COLD_ROUNDS)]
    indexed = [render_fresh(directory, clear_index=False) for _ in range(COLD_ROUNDS)]
    library = TourLibrary(directory)
    library.render_step("bench", "parse")
    warm = [
        time_us(lambda: library.render_step("bench", "parse"))
        for _ in range(WARM_ROUNDS)
    ]
    return {
        "first render in process (imports, lexer set-up)": first,
        f"cold: parse the file, highlight (median of {COLD_ROUNDS})": (
            statistics.median(cold)
        ),
        f"cold, file already indexed: highlight (median of {COLD_ROUNDS})": (
            statistics.median(indexed)
        ),
        f"warm, cached: stat tour + source (median of {WARM_ROUNDS})": (
            statistics.median(warm)
        ),
    }


def main() -> int:
    """Write a one-step tour to a temporary directory and print the timings."""
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        (directory / "bench.md").write_text(TOUR_TEXT, encoding="utf-8")
        results = bench(directory)
    print(f"{SYMBOL} on Python {sys.version.split()[0]}")
    for label, microseconds in results.items():
        print(f"{microseconds:>12.1f} µs  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
