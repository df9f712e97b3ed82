"""Time the router against Werkzeug's: building a Map, and matching paths.

For maps of 10, 100 and 1,000 rules, both routers get the same rules in the
same run: a quarter static (``/s{i}/page``), a quarter ``/r{i}/<int:id>``,
a quarter with the variable first (``/<a>/x{i}``: many rules, one position)
and a quarter deep (``/org/<org>/repo{i}/<repo>/issues/<int:n>/<path:file>``).
Each row is the best of several repeats; the ratio is Werkzeug's time / ours.

    .venv/bin/python bench/bench_routing.py [--repeat R] [--seconds S]
"""

from __future__ import annotations

import argparse
import platform
import timeit
from collections.abc import Callable
from importlib.metadata import version
from types import ModuleType
from typing import Any

import werkzeug.exceptions
import werkzeug.routing

from walkthrough.framework import routing
from walkthrough.framework.exceptions import NotFound

RULE_COUNTS = (10, 100, 1000)
SERVER_NAME = "example.com"


def rule_strings(count: int) -> list[tuple[str, str]]:
    """Return ``count`` (rule, endpoint) pairs, the four families in turn."""
    families = (
        "/s{i}/page",
        "/r{i}/<int:id>",
        "/<a>/x{i}",
        "/org/<org>/repo{i}/<repo>/issues/<int:number>/<path:file>",
    )
    return [(families[i % 4].format(i=i), f"endpoint{i}") for i in range(count)]


def sample_paths(count: int) -> dict[str, str]:
    """Return one path per case, aimed at a rule in the middle of the map."""
    middle = (count // 2) // 4 * 4
    return {
        "static": f"/s{middle}/page",
        "<int>": f"/r{middle + 1}/42",
        "/<a>/x{i}": f"/anything/x{middle + 2}",
        "deep": f"/org/acme/repo{middle + 3}/site/issues/42/src/app.py",
        "404": f"/r{middle + 1}/not-a-number",
    }


def build_map(module: ModuleType, count: int) -> Any:
    """Build a Map of ``count`` rules with ``module``'s Rule and Map, bound."""
    rules = [module.Rule(string, endpoint=end) for string, end in rule_strings(count)]
    url_map = module.Map(rules)
    # Werkzeug sorts its matcher lazily, on the first bind: count that too.
    url_map.bind(SERVER_NAME)
    return url_map


def match_or_status(adapter: Any, path: str) -> tuple[Any, ...]:
    """Match ``path`` and return (endpoint, args), or the HTTP status raised."""
    try:
        return adapter.match(path, "GET")
    except (NotFound, werkzeug.exceptions.NotFound) as error:
        return (error.code,)


def best_seconds(function: Callable[[], object], repeat: int, seconds: float) -> float:
    """Return the best time per call, with each repeat lasting ``seconds``."""
    timer = timeit.Timer(function)
    number, elapsed = timer.autorange()
    number = max(1, int(number * seconds / max(elapsed, 1e-9)))
    return min(timer.repeat(repeat=repeat, number=number)) / number


def measure(count: int, repeat: int, seconds: float) -> list[tuple[str, float, float]]:
    """Return (case, ours, werkzeug) times in seconds for a map of ``count``."""
    rows = []
    for_each = {}
    for name, module in (("ours", routing), ("werkzeug", werkzeug.routing)):
        for_each[name] = best_seconds(
            lambda module=module: build_map(module, count), repeat, seconds
        )
    rows.append(("build Map", for_each["ours"], for_each["werkzeug"]))
    ours = build_map(routing, count).bind(SERVER_NAME)
    theirs = build_map(werkzeug.routing, count).bind(SERVER_NAME)
    for case, path in sample_paths(count).items():
        expected = match_or_status(theirs, path)
        assert match_or_status(ours, path) == expected, (case, path)
        times = [
            best_seconds(
                lambda a=adapter, p=path: match_or_status(a, p), repeat, seconds
            )
            for adapter in (ours, theirs)
        ]
        rows.append((f"match {case}", times[0], times[1]))
    return rows


def format_time(seconds: float) -> str:
    """Write a duration with a unit that keeps three significant digits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:7.3g} {unit}"
    return f"{seconds / 1e-9:7.3g} ns"


def main() -> None:
    """Print the table: rules, case, ours, Werkzeug's, and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repeats (best wins)")
    parser.add_argument("--seconds", type=float, default=0.2, help="per repeat")
    options = parser.parse_args()
    print(
        f"Python {platform.python_version()}, Werkzeug {version('werkzeug')}; "
        f"best of {options.repeat} repeats of ~{options.seconds} s each\n"
    )
    header = f"{'rules':>5}  {'case':<17} {'ours':>10} {'werkzeug':>10}  werkzeug/ours"
    print(header)
    print("-" * len(header))
    for count in RULE_COUNTS:
        for case, ours, theirs in measure(count, options.repeat, options.seconds):
            print(
                f"{count:>5}  {case:<17} {format_time(ours):>10} "
                f"{format_time(theirs):>10}  {theirs / ours:8.1f}x"
            )


if __name__ == "__main__":
    main()
