"""The command line as a new user meets it, each case in a real subprocess.

Each mistake here was once a traceback or a hang: a closed pipe, a port in
use, a content folder that does not exist, a bad port or host, an app that
fails to import, Ctrl-C at startup, mid-request and mid-export. Now each
ends at once with one line that names the problem, and a non-zero status.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import RUNNING_RE, WAIT_SECONDS, read_until

BLOCKING_MODULE = """
import sys, time

print("importing", file=sys.stderr, flush=True)
time.sleep(60)


def stage():
    return 1
"""
BLOCKING_APP = """
import sys, time


def app(environ, start_response):
    print("in the request", file=sys.stderr, flush=True)
    time.sleep(60)
    start_response("200 OK", [])
    return [b"late"]
"""
BLOCKING_TOUR = """+++
title = "Blocks"
+++
## Stage
```step
id = "stage"
symbol = "blocking_module:stage"
```
"""


def start(*args: str, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``python -m walkthrough ARGS`` with all three streams piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "walkthrough", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m walkthrough ARGS`` to its end, bounded in time."""
    return subprocess.run(
        [sys.executable, "-m", "walkthrough", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS * 3,
        check=False,
    )


def assert_one_line(stderr: str, *fragments: str) -> None:
    """The whole error is one line holding each fragment, and no traceback."""
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    for fragment in fragments:
        assert fragment in stderr


def wait_for_exit(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """Wait (bounded) for the process to end; return its status and stderr."""
    try:
        _, stderr = process.communicate(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return process.returncode, stderr.decode()


@pytest.mark.parametrize("args", [["--json"], []], ids=["json", "timeline"])
def test_a_closed_pipe_ends_the_probe_quietly_at_once(args: list[str]) -> None:
    # Closed before the first line is written, so the first write fails:
    # in JSON mode mid-probe (the specimen must stop), else at the timeline.
    process = start("probe", *args)
    process.stdout.close()
    try:
        status = process.wait(timeout=WAIT_SECONDS)
    finally:
        process.kill()
    assert status == 141
    stderr = process.stderr.read().decode()
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_probe_piped_to_head_prints_its_lines_and_nothing_else() -> None:
    command = f"{sys.executable} -m walkthrough probe --json | head -3"
    result = subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS * 3,
        check=False,
    )
    assert len(result.stdout.splitlines()) == 3
    assert "Traceback" not in result.stderr
    assert "BrokenPipeError" not in result.stderr


@pytest.mark.parametrize("command", [["serve"], ["run", "hello:app"]])
def test_a_port_in_use_is_named_with_what_to_do(command: list[str]) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = finish(*command, "--port", str(port), cwd=examples)
    assert result.returncode == 1
    assert_one_line(
        result.stderr,
        f"cannot listen on 127.0.0.1:{port}",
        "already in use",
        "--port 0",
    )
    assert result.stdout == ""


def test_an_address_this_machine_lacks_points_at_host() -> None:
    # 192.0.2.0/24 is for documentation (RFC 5737): no machine has it, and
    # a numeric host needs no name lookup, so nothing leaves loopback.
    result = finish("serve", "--host", "192.0.2.1", "--port", "0")
    assert result.returncode == 1
    assert_one_line(result.stderr, "192.0.2.1:0", "no such address", "--host")


@pytest.mark.parametrize(
    ("port", "message"),
    [
        ("-1", "-1 is not a port (give 0-65535"),
        ("70000", "70000 is not a port"),
        ("abc", "'abc' is not a port number"),
    ],
)
def test_a_bad_port_is_refused_before_anything_starts(port: str, message: str) -> None:
    result = finish("serve", "--port", port)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr


def content_folders(base: Path) -> dict[str, tuple[Path, str]]:
    """Folders no site can be made from, and what the error must say."""
    empty = base / "empty"
    empty.mkdir()
    only_readme = base / "only-readme"
    only_readme.mkdir()
    (only_readme / "README.md").write_text("# Not a tour\n", encoding="utf-8")
    a_file = base / "a-file.md"
    a_file.write_text("# A file\n", encoding="utf-8")
    return {
        "missing": (base / "no" / "such" / "folder", "no such folder"),
        "a file": (a_file, "not a folder"),
        "empty": (empty, "no tours here"),
        "only a README": (only_readme, "no tours here"),
    }


@pytest.mark.parametrize("case", ["missing", "a file", "empty", "only a README"])
@pytest.mark.parametrize(
    ("command", "status"),
    [(["serve", "--port", "0"], 2), (["check"], 1), (["export", "OUT"], 2)],
    ids=["serve", "check", "export"],
)
def test_a_content_folder_without_tours_is_one_line_and_nothing_starts(
    tmp_path: Path, case: str, command: list[str], status: int
) -> None:
    folder, message = content_folders(tmp_path)[case]
    out = tmp_path / "out"
    args = [str(out) if arg == "OUT" else arg for arg in command]
    result = finish(*args, "--content", str(folder))
    assert result.returncode == status
    assert_one_line(result.stderr, str(folder), message)
    assert "Running on" not in result.stdout
    assert not out.exists()


@pytest.mark.parametrize(
    ("source", "spec", "message"),
    [
        ("app = 1 / 0\n", "broken:app", "importing 'broken' raised ZeroDivisionError"),
        (
            "def make():\n    raise RuntimeError('no config')\n",
            "broken:make()",
            "the factory raised RuntimeError: no config",
        ),
    ],
    ids=["import raises", "factory raises"],
)
def test_an_app_that_fails_to_load_is_one_line(
    tmp_path: Path, source: str, spec: str, message: str
) -> None:
    (tmp_path / "broken.py").write_text(source, encoding="utf-8")
    result = finish("run", spec, "--port", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_line(result.stderr, message)


def test_an_export_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way\n", encoding="utf-8")
    out = blocker / "site"
    result = finish("export", str(out))
    assert result.returncode == 1
    assert_one_line(result.stderr, f"cannot write {out}")


def interrupt_when(process: subprocess.Popen[bytes], said: bytes) -> tuple[int, str]:
    """Wait until the process says ``said`` on stderr, Ctrl-C it, await the end."""
    read_until(process.stderr, re.compile(re.escape(said)), WAIT_SECONDS * 3)
    process.send_signal(signal.SIGINT)
    return wait_for_exit(process)


def test_ctrl_c_at_startup_ends_quietly_with_130(tmp_path: Path) -> None:
    (tmp_path / "blocking_module.py").write_text(BLOCKING_MODULE, encoding="utf-8")
    process = start("run", "blocking_module:stage", "--port", "0", cwd=tmp_path)
    status, stderr = interrupt_when(process, b"importing")
    assert status == 130
    assert "Traceback" not in stderr


def test_ctrl_c_mid_request_stops_the_server_at_once(tmp_path: Path) -> None:
    (tmp_path / "blocking_app.py").write_text(BLOCKING_APP, encoding="utf-8")
    process = start("run", "blocking_app:app", "--port", "0", cwd=tmp_path)
    port = int(read_until(process.stdout, RUNNING_RE, WAIT_SECONDS * 3).group(1))
    client = socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS)
    try:
        client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, stderr = interrupt_when(process, b"in the request")
    finally:
        client.close()
    assert status == 0
    assert "Traceback" not in stderr
    assert "Shutting down." in stderr


def test_ctrl_c_mid_export_leaves_no_folder_behind(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "blocks.md").write_text(BLOCKING_TOUR, encoding="utf-8")
    (tmp_path / "blocking_module.py").write_text(BLOCKING_MODULE, encoding="utf-8")
    out = tmp_path / "exported"
    process = start("export", str(out), "--content", str(content), cwd=tmp_path)
    status, stderr = interrupt_when(process, b"importing")
    assert status == 130
    assert "Traceback" not in stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "blocking_module.py",
        "content",
    ]


def test_a_bad_frame_ancestors_setting_is_one_line_before_serving() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "walkthrough", "serve", "--port", "0"],
        env={**os.environ, "WALKTHROUGH_FRAME_ANCESTORS": "'self'; script-src *"},
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS * 3,
        check=False,
    )
    assert result.returncode == 2
    assert_one_line(result.stderr, "frame-ancestors", "no ';'")
    assert "Running on" not in result.stdout


def test_a_missing_content_folder_from_the_environment_is_named() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "walkthrough", "serve", "--port", "0"],
        env={**os.environ, "WALKTHROUGH_CONTENT": "/no/such/tours"},
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS * 3,
        check=False,
    )
    assert result.returncode == 2
    assert_one_line(result.stderr, "/no/such/tours: no such folder", "$WALKTHROUGH")
