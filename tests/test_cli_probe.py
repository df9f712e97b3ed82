"""``walkthrough probe`` in a real subprocess, as a user runs it.

It prints a timeline (or JSON lines) of the stages one real request ran,
keeps stdout clean of the specimen's own output, and exits 0 when the probe
is done, 1 when it failed, and 2 with a message naming bad input.
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


def walkthrough_probe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m walkthrough probe ARGS``; capture both outputs."""
    return subprocess.run(
        [sys.executable, "-m", "walkthrough", "probe", *args],
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )


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
    assert not any("specimen  index" in line for line in lines)


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
