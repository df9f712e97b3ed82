"""Probe targets as values: the facts table, own code and tours per app.

The facts table names real code: every ``module:qualname`` key resolves,
through the tours' own symbol resolver, to a code object defined in that
module under that name (Werkzeug's closures in ``run_wsgi`` included), so a
renamed method in Flask or here fails this test instead of going quiet.
"""

from __future__ import annotations

import importlib

import pytest

from walkthrough.framework.app import App
from walkthrough.probe.facts import FACT_READERS
from walkthrough.probe.targets import (
    FLASK,
    app_target,
    flask_target,
    own_functions,
    walkthrough_target,
)
from walkthrough.tour.source import code_object

FACT_SYMBOLS = sorted({symbol for symbol, _phase in FACT_READERS})


@pytest.mark.parametrize("symbol", FACT_SYMBOLS)
def test_every_fact_reader_names_real_code(symbol: str) -> None:
    code = code_object(symbol)
    assert code is not None
    assert f":{code.co_qualname}" == symbol[symbol.index(":") :]
    module = symbol.partition(":")[0]
    assert code.co_filename == importlib.import_module(module).__file__


def test_the_specimen_and_its_twin_own_the_same_functions() -> None:
    ours = {
        f.symbol.partition(":")[2]: f.kind for f in walkthrough_target().own_functions()
    }
    twin = {f.symbol.partition(":")[2]: f.kind for f in flask_target().own_functions()}
    assert ours == twin
    assert ours["index"] == "view"
    assert ours["answer_early"] == ours["tag_response"] == ours["clean_up"] == "hook"
    assert ours["server_error_page"] == "handler"
    assert ours["generate_parts"] == "helper"


def test_own_code_carries_its_source_for_the_page() -> None:
    index = next(
        f for f in flask_target().own_functions() if f.symbol.endswith(":index")
    )
    described = index.to_json()
    assert described["file"] == "walkthrough/probe/flask_twin.py"
    assert described["source"].startswith("def index() -> str:")
    assert described["line"] > 1


def test_flasks_own_static_view_is_not_the_apps_code() -> None:
    from flask import Flask

    app = Flask(__name__)  # with a static folder, so a "static" endpoint

    @app.route("/")
    def home() -> str:
        return "home"

    symbols = [function.symbol for function in own_functions(app)]
    assert symbols == [
        f"{__name__}:test_flasks_own_static_view_is_not_the_apps_code.<locals>.home"
    ]


@pytest.mark.parametrize(
    ("make_app", "server", "tours"),
    [
        (lambda: App(__name__), None, ("request",)),
        (lambda: App(__name__), "werkzeug", (FLASK, "request")),
        ("flask", None, (FLASK,)),
        ("flask", "walkthrough", ("request", FLASK)),
    ],
    ids=["ours", "ours-on-werkzeug", "flask", "flask-on-ours"],
)
def test_an_apps_tours_are_its_servers_then_its_own(make_app, server, tours) -> None:
    if make_app == "flask":
        from flask import Flask

        app = Flask(__name__)
    else:
        app = make_app()
    target = app_target(app, "mod:app", server)
    assert target.request_tours == tours
    assert target.startup is None and target.scenarios == ()
