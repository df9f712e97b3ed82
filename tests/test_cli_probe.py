"""``walkthrough probe`` in a real subprocess, as a user runs it.

It prints a timeline (or JSON lines) of the stages one real request ran,
keeps stdout clean of the app's own output, and exits 0 when the probe is
done, 1 when it failed, and 2 with a message naming bad input. With
``--app MODULE:APP`` it probes a reader's own app, written here to a
temporary folder: a real Flask app on Werkzeug's server, or an app on this
framework, on either server.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from walkthrough import cli
from walkthrough.probe.runner import ProbeFailed
from walkthrough.resources import shipped_path

WAIT_SECONDS = 30.0
STAGE_KEYS = {"step", "tour", "symbol", "phase", "t_us", "depth", "thread", "detail"}


FLASK_APP = """\
from flask import Flask

app = Flask(__name__)


@app.before_request
def open_shop():
    pass


@app.after_request
def sign(response):
    response.headers["X-Signed"] = "yes"
    return response


@app.route("/hello/<name>")
def hello(name):
    return f"Hello, {name}!"
"""

OUR_APP = """\
from walkthrough.framework.app import App

app = App(__name__, static_folder=None)


@app.route("/")
def home():
    return "home"
"""


def walkthrough_probe(
    *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m walkthrough probe ARGS``; capture both outputs."""
    return subprocess.run(
        [sys.executable, "-m", "walkthrough", "probe", *args],
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        cwd=cwd,
    )


@pytest.fixture
def apps(tmp_path: Path) -> Path:
    """A folder holding a Flask app, one of ours, and one that fails to import."""
    (tmp_path / "shop.py").write_text(FLASK_APP, encoding="utf-8")
    (tmp_path / "ours.py").write_text(OUR_APP, encoding="utf-8")
    (tmp_path / "broken.py").write_text(
        'raise RuntimeError("the database is down")\n', encoding="utf-8"
    )
    return tmp_path


def entered_symbols(stages: list[dict]) -> list[str]:
    """Return the symbol of every stage entered, in order."""
    return [stage["symbol"] for stage in stages if stage["phase"] == "enter"]


def json_lines(stdout: str) -> tuple[list[dict], dict]:
    """Split ``--json`` output into the stage events and the ending object."""
    objects = [json.loads(line) for line in stdout.splitlines()]
    return objects[:-1], objects[-1]


def test_json_lines_are_the_stages_then_done() -> None:
    result = walkthrough_probe("/users/3", "--json")
    assert result.returncode == 0, result.stderr
    stages, ending = json_lines(result.stdout)
    assert all(set(stage) == STAGE_KEYS for stage in stages)
    assert ending == {"done": ending["done"]}
    assert ending["done"]["status"] == 200
    assert ending["done"]["stages"] == len(stages)
    match = next(
        s for s in stages if s["step"] == "match-request" and s["phase"] == "exit"
    )
    assert match["detail"] == {"endpoint": "show_user", "view_args": {"id": "3"}}
    symbols = [stage["symbol"] for stage in stages if stage["phase"] == "enter"]
    assert symbols[0] == "socketserver:BaseServer.serve_forever"
    assert "walkthrough.probe.specimen:show_user" in symbols


def test_startup_json_keeps_the_specimens_running_line_off_stdout() -> None:
    result = walkthrough_probe("--startup", "--json")
    assert result.returncode == 0, result.stderr
    stages, ending = json_lines(result.stdout)
    assert ending["done"]["status"] is None
    assert stages[-1]["symbol"] == "socketserver:BaseServer.serve_forever"
    assert "Running on http://127.0.0.1:" in result.stderr


def test_the_timeline_shows_each_stage_indented_with_its_facts() -> None:
    result = walkthrough_probe("/nowhere")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("done: status 404, ")
    # "  12.34 ms  ··tour/step  Qualname  facts", indented by depth.
    assert any(
        line.endswith(" ms  ··request/noblock  BaseServer._handle_request_noblock")
        for line in lines
    )
    parse = next(line for line in lines if "request/parse-request" in line)
    assert parse.endswith("WSGIRequestHandler.parse_request  method=GET path=/nowhere")
    assert "[thread probe-server]" in lines[0]
    match = next(line for line in lines if "routing/match-request" in line)
    assert match.endswith("routing_error=NotFound status=404")
    assert not any("app  index" in line for line in lines)


def test_content_names_the_stages(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(shipped_path("content"), content)
    (content / "request.md").write_text(
        (content / "request.md").read_text(encoding="utf-8")
        + '\n## Build the Request\n\n```step\nid = "request-object"\n'
        'symbol = "walkthrough.framework.wrappers:Request.__init__"\n```\n\nProse.\n',
        encoding="utf-8",
    )
    result = walkthrough_probe("--json", "--content", str(content))
    assert result.returncode == 0, result.stderr
    stages, _ = json_lines(result.stdout)
    assert "request-object" in {stage["step"] for stage in stages}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index"], "The path must start with '/'"),
        (["--method", "TRACE"], "Method 'TRACE' cannot be probed"),
        (["/a b"], "printable ASCII without spaces"),
        (["--content", "no-such-dir"], "content directory not found"),
    ],
    ids=["relative-path", "method", "space", "content"],
)
def test_bad_input_exits_2_naming_the_problem(args: list[str], message: str) -> None:
    result = walkthrough_probe(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("walkthrough probe: ")
    assert message in result.stderr


class FailingProbe:
    """A probe that ends at once with an error, as one that timed out does."""

    def run(self):
        """Yield only the failure."""
        yield ProbeFailed("The probe took longer than 10.0 s.")


@pytest.mark.parametrize("as_json", [False, True], ids=["timeline", "json"])
def test_a_failed_probe_exits_1(monkeypatch, capsys, as_json: bool) -> None:
    monkeypatch.setattr("walkthrough.live.make_probe", lambda *args: FailingProbe())
    assert cli.main(["probe", *(["--json"] if as_json else [])]) == 1
    captured = capsys.readouterr()
    assert "walkthrough probe: The probe took longer than 10.0 s." in captured.err
    if as_json:
        assert json.loads(captured.out) == {
            "error": {"message": "The probe took longer than 10.0 s."}
        }
    else:
        assert captured.out == "error: The probe took longer than 10.0 s.\n"


RUN_WSGI = "werkzeug.serving:WSGIRequestHandler.run_wsgi"


def test_a_flask_app_is_traced_from_werkzeug_to_its_view(apps: Path) -> None:
    result = walkthrough_probe("--app", "shop:app", "/hello/ada", "--json", cwd=apps)
    assert result.returncode == 0, result.stderr
    stages, ending = json_lines(result.stdout)
    assert ending["done"]["status"] == 200
    symbols = entered_symbols(stages)
    chain = [
        RUN_WSGI,
        f"{RUN_WSGI}.<locals>.execute",
        "flask.app:Flask.wsgi_app",
        "flask.app:Flask.full_dispatch_request",
        "shop:open_shop",
        "flask.app:Flask.dispatch_request",
        "shop:hello",
        "shop:sign",
    ]
    assert [symbol for symbol in symbols if symbol in chain] == chain
    # Each named stage is the Flask tour's step; the app's own code is no step.
    steps = {stage["symbol"]: stage["step"] for stage in stages}
    assert steps[f"{RUN_WSGI}.<locals>.execute"] == "execute"
    assert steps["flask.app:Flask.dispatch_request"] == "dispatch"
    assert steps["shop:hello"] is None
    match = next(
        stage
        for stage in stages
        if stage["symbol"] == "flask.ctx:RequestContext.match_request"
        and stage["phase"] == "exit"
    )
    assert match["detail"] == {"endpoint": "hello", "view_args": {"name": "ada"}}
    response = ending["done"]["response"]
    assert response["status_line"] == "HTTP/1.1 200 OK"
    assert ["X-Signed", "yes"] in response["headers"]
    assert response["body"] == "Hello, ada!"


def test_a_flask_404_runs_the_hooks_but_no_view(apps: Path) -> None:
    result = walkthrough_probe("--app", "shop:app", "/nowhere", "--json", cwd=apps)
    assert result.returncode == 0, result.stderr
    stages, ending = json_lines(result.stdout)
    assert ending["done"]["status"] == 404
    symbols = entered_symbols(stages)
    assert "flask.app:Flask.dispatch_request" in symbols
    assert "shop:hello" not in symbols
    assert {"shop:open_shop", "shop:sign"} <= set(symbols)


def test_the_timeline_labels_the_apps_own_code(apps: Path) -> None:
    result = walkthrough_probe("--app", "shop:app", "/hello/ada", cwd=apps)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.endswith("··app  hello") for line in lines)
    assert any(
        "flask/execute  WSGIRequestHandler.run_wsgi.<locals>.execute" in line
        for line in lines
    )
    assert lines[-1].startswith("done: status 200, 11 bytes, ")


@pytest.mark.parametrize(
    ("server", "app_step", "server_step"),
    [
        ("walkthrough", "request/wsgi-app", "request/run-wsgi"),
        ("werkzeug", "request/wsgi-app", "flask/run-wsgi"),
    ],
)
def test_an_app_on_this_framework_runs_on_either_server(
    apps: Path, server: str, app_step: str, server_step: str
) -> None:
    result = walkthrough_probe(
        "--app", "ours:app", "--server", server, "/", "--json", cwd=apps
    )
    assert result.returncode == 0, result.stderr
    stages, ending = json_lines(result.stdout)
    assert ending["done"]["status"] == 200
    steps = {f"{stage['tour']}/{stage['step']}" for stage in stages if stage["tour"]}
    assert {app_step, server_step} <= steps
    assert "ours:home" in entered_symbols(stages)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app", "nosuch:app"], "'nosuch:app': cannot import 'nosuch'"),
        (["--app", "shop"], "'shop': expected MODULE:CALLABLE"),
        (["--app", "shop:nosuch"], "module 'shop' has no 'nosuch'"),
        (
            ["--app", "broken:app"],
            "'broken:app': importing 'broken' raised RuntimeError: "
            "the database is down",
        ),
        (["--app", "shop:app", "--startup"], "has no startup the probe can trace"),
        (["--server", "werkzeug"], "--server werkzeug needs --app MODULE:APP"),
    ],
    ids=["no-module", "no-colon", "no-attribute", "raises", "startup", "no-app"],
)
def test_a_bad_app_exits_2_with_one_line(
    apps: Path, args: list[str], message: str
) -> None:
    result = walkthrough_probe(*args, cwd=apps)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("walkthrough probe: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def probe_without_flask(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``walkthrough probe ARGS`` where Flask and Werkzeug cannot import."""
    blocked = (
        "import sys\n"
        "sys.modules['flask'] = sys.modules['werkzeug'] = None\n"
        "from walkthrough.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", blocked, "probe", *args],
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app", "shop:app"], "cannot import 'shop'"),
        (["--app", "ours:app", "--server", "werkzeug"], "Werkzeug's server is not"),
    ],
    ids=["flask-app", "werkzeug-server"],
)
def test_without_flask_the_probe_says_how_to_install_it(
    apps: Path, args: list[str], message: str
) -> None:
    result = probe_without_flask(*args, cwd=apps)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "pip install 'walkthrough[flask]'" in result.stderr
    assert result.stderr.count("\n") == 1


def test_without_flask_an_app_of_ours_still_runs_on_our_server(apps: Path) -> None:
    result = probe_without_flask("--app", "ours:app", "/", "--json", cwd=apps)
    assert result.returncode == 0, result.stderr
    _, ending = json_lines(result.stdout)
    assert ending["done"]["status"] == 200


def test_serve_with_a_bad_app_exits_2_before_serving(apps: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "walkthrough", "serve", "--port", "0"]
        + ["--app", "broken:app"],
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        cwd=apps,
    )
    assert result.returncode == 2
    assert "Running on" not in result.stdout
    assert result.stderr == (
        "walkthrough serve: 'broken:app': importing 'broken' raised "
        "RuntimeError: the database is down\n"
    )
