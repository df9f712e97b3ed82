"""Tests for walkthrough/tour/requirements.py: tours that need a package."""

from __future__ import annotations

import importlib
import importlib.metadata
import platform
from pathlib import Path

import pytest

from walkthrough.tour.content import parse_tour
from walkthrough.tour.requirements import (
    install_hint,
    installed_versions,
    is_importable,
    missing_packages,
    split_available,
)


def tour_requiring(*names: str, tour_id: str = "t"):
    """Parse a one-line tour whose front matter requires `names`."""
    listed = ", ".join(f'"{name}"' for name in names)
    text = f'+++\nid = "{tour_id}"\ntitle = "T"\nrequires = [{listed}]\n+++\n'
    return parse_tour(text, Path("t.md"))


@pytest.mark.parametrize(
    ("missing", "hint"),
    [
        (
            ["flask"],
            "Install the Flask extra to read this tour: "
            "pip install 'walkthrough[flask]'",
        ),
        (
            ["flask", "werkzeug.serving"],
            "Install the Flask extra to read this tour: "
            "pip install 'walkthrough[flask]'",
        ),
        (["numpy"], "Install numpy to read this tour: pip install numpy"),
        (
            ["numpy", "flask"],
            "Install the Flask extra and numpy to read this tour: "
            "pip install 'walkthrough[flask]' numpy",
        ),
    ],
)
def test_install_hint_names_the_extra_or_the_package(
    missing: list[str], hint: str
) -> None:
    assert install_hint(missing) == hint


def test_a_module_that_fails_at_import_counts_as_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tour_broken_package.py").write_text("raise RuntimeError('no')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert not is_importable("tour_broken_package")
    assert not is_importable("tour_no_such_package_xyz")
    assert is_importable("socketserver")


def test_availability_is_decided_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package installed after the first answer shows only after a restart."""
    monkeypatch.syspath_prepend(str(tmp_path))
    assert not is_importable("tour_installed_later")
    (tmp_path / "tour_installed_later.py").write_text("ANSWER = 42\n")
    importlib.invalidate_caches()
    assert importlib.import_module("tour_installed_later").ANSWER == 42
    assert not is_importable("tour_installed_later")


def test_split_available_keeps_order_and_names_what_is_missing() -> None:
    plain = tour_requiring(tour_id="plain")
    stdlib = tour_requiring("socketserver", "http.server", tour_id="stdlib")
    missing = tour_requiring("socketserver", "tour_no_such_xyz", tour_id="missing")
    readable, unavailable = split_available([plain, missing, stdlib])
    assert readable == [plain, stdlib]
    assert [(item.tour, item.missing) for item in unavailable] == [
        (missing, ("tour_no_such_xyz",))
    ]
    assert missing_packages(missing) == ("tour_no_such_xyz",)
    assert unavailable[0].hint == (
        "Install tour_no_such_xyz to read this tour: pip install tour_no_such_xyz"
    )


def test_installed_versions_name_each_distribution_and_python() -> None:
    pytest.importorskip("flask")
    flask = importlib.metadata.version("flask")
    werkzeug = importlib.metadata.version("werkzeug")
    line = installed_versions(tour_requiring("flask", "werkzeug.routing", "flask.app"))
    assert line == (
        f"Flask {flask} · Werkzeug {werkzeug} · Python {platform.python_version()}"
        ", as installed here"
    )


def test_a_tour_of_our_own_code_names_no_versions() -> None:
    assert installed_versions(tour_requiring()) == ""
