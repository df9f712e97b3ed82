"""Werkzeug's and Flask's own tests, run on ours, end as ``expected.csv`` says.

``parity_suites.py`` runs the vendored upstream files in a child pytest with
the alias-only shim first on ``sys.path``. A test that newly fails, or that
newly passes, fails here: reclassify it (tests/parity/README.md).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import parity_suites
import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def outcomes() -> dict[str, str]:
    return parity_suites.run_suites()


def test_every_upstream_test_ends_as_the_table_says(outcomes) -> None:
    assert len(outcomes) > 200, "the parity run collected too few tests"
    problems = parity_suites.mismatches(outcomes, parity_suites.read_table())
    assert not problems, (
        "the upstream suites no longer match tests/parity/expected.csv; fix the "
        "framework, or reclassify as tests/parity/README.md says:\n"
        + "\n".join(problems)
    )


def test_each_deliberate_difference_is_told_where_the_reader_meets_it() -> None:
    for test_id, row in parity_suites.read_table().items():
        if row["class"] != "behaviour":
            continue
        assert row["deliberate"] == "yes", f"{test_id}: behaviour left unfixed"
        module_name, _, qualname = row["told_at"].partition(":")
        target = importlib.import_module(module_name)
        for name in qualname.split("."):
            target = getattr(target, name)
        assert "unlike" in (target.__doc__ or "").lower(), (
            f"{test_id}: {row['told_at']}'s docstring does not say how ours differs"
        )


def test_the_shim_stays_out_of_this_process() -> None:
    flask = pytest.importorskip("flask")
    shim = HERE / "shim"
    assert not Path(flask.__file__).resolve().is_relative_to(shim)
    assert not any(str(shim) == path for path in sys.path)
