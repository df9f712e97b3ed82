"""Run Werkzeug's and Flask's own tests against walkthrough.framework.

The vendored upstream files (``upstream/``) import ``werkzeug`` and ``flask``;
a child pytest process puts ``shim/`` first on ``sys.path`` so those names
resolve to ours. The child never shares a process with the normal test run,
where the real Flask is imported.

    python tests/parity/parity_suites.py           # counts, disagreements
    python tests/parity/parity_suites.py --draft   # the table, redrafted
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
UPSTREAM = HERE / "upstream"
SHIM = HERE / "shim"
TABLE = HERE / "expected.csv"
SUITES = ("test_routing.py", "test_basic.py")
CLASSES = ("pass", "behaviour", "missing-api")
RUN_TIMEOUT_SECONDS = 100


def run_suites() -> dict[str, str]:
    """Run both upstream files in a child pytest; return id → passed/failed."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.xml"
        command = [
            sys.executable, "-m", "pytest", *SUITES, "-q",
            "-c", str(UPSTREAM / "pytest.ini"), "--rootdir", str(UPSTREAM),
            "--confcutdir", str(UPSTREAM), f"--junitxml={report}",
            "--basetemp", str(Path(scratch) / "tmp"),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SHIM), _project()])}
        finished = subprocess.run(
            command, cwd=UPSTREAM, env=env, capture_output=True, text=True,
            timeout=RUN_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
        if not report.exists():
            raise RuntimeError(f"the parity run wrote no report:\n{finished.stdout}")
        return _outcomes(ET.parse(report))


def _project() -> str:
    """Return the folder holding the ``walkthrough`` package."""
    return str(HERE.parents[2])


def _outcomes(tree: ET.ElementTree) -> dict[str, str]:
    """Read junit XML into ``file::name`` → passed/failed/skipped."""
    outcomes = {}
    for case in tree.iter("testcase"):
        test_id = (
            f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
        )
        if case.find("skipped") is not None:
            outcomes[test_id] = "skipped"
        elif case.find("failure") is not None or case.find("error") is not None:
            outcomes[test_id] = "failed"
        else:
            outcomes[test_id] = "passed"
    return outcomes


def read_table() -> dict[str, dict[str, str]]:
    """Return the classification table, keyed by test id."""
    with TABLE.open(newline="", encoding="utf-8") as file:
        return {row["test"]: row for row in csv.DictReader(file)}


def mismatches(outcomes: dict[str, str], table: dict[str, dict[str, str]]) -> list[str]:
    """Say, per test, where this run disagrees with the table."""
    problems: list[str] = []
    for test_id in sorted(outcomes.keys() | table.keys()):
        outcome, row = outcomes.get(test_id), table.get(test_id)
        if row is None:
            problems.append(f"{test_id}: {outcome}, but not in expected.csv")
        elif outcome is None:
            problems.append(f"{test_id}: in expected.csv ({row['class']}), not run")
        elif outcome == "skipped" or (outcome == "passed") != (row["class"] == "pass"):
            problems.append(
                f"{test_id}: {outcome}, but expected.csv says {row['class']}"
            )
    return problems


def counts(table: dict[str, dict[str, str]]) -> dict[str, Counter[str]]:
    """Count the table's classes per suite file."""
    per_suite: dict[str, Counter[str]] = {suite: Counter() for suite in SUITES}
    for test_id, row in table.items():
        per_suite[test_id.partition("::")[0]][row["class"]] += 1
    return per_suite


def main(argv: list[str]) -> int:
    """Print the counts, the disagreements, or a draft table."""
    outcomes = run_suites()
    table = read_table() if TABLE.exists() else {}
    if "--draft" in argv:
        _write_draft(outcomes, table)
        return 0
    for suite, counter in counts(table).items():
        figures = ", ".join(f"{counter[name]} {name}" for name in CLASSES)
        print(f"{suite}: {figures}")
    problems = mismatches(outcomes, table)
    print("\n".join(problems) if problems else "every outcome matches expected.csv")
    return 1 if problems else 0


def _write_draft(outcomes: dict[str, str], table: dict[str, dict[str, str]]) -> None:
    """Rewrite the table: passes become ``pass``; a failure keeps its row,
    and a new failure is drafted ``missing-api`` for a person to review."""
    fields = ["test", "class", "deliberate", "told_at", "why"]
    rows = []
    for test_id, outcome in sorted(outcomes.items()):
        row = dict(table.get(test_id) or {"test": test_id, "class": "missing-api"})
        if outcome == "passed":
            row = {"test": test_id, "class": "pass"}
        elif row["class"] == "pass":
            row["class"] = "behaviour"
        rows.append({field: row.get(field, "") for field in fields})
    with TABLE.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
