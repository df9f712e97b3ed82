"""``--reload``: a changed Python file restarts the server on the same port.

The command runs as a user would run it, in a subprocess; the app module is
rewritten on disk and the test waits (bounded) for the new answer.
"""

from __future__ import annotations

import http.client
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from walkthrough.framework.reloader import changed_file

RUNNING_RE = re.compile(r"Running on http://127\.0\.0\.1:(\d+)/")
WAIT_SECONDS = 15.0
APP_SOURCE = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"{answer}"]
"""


def read_running_port(process: subprocess.Popen[str]) -> int:
    """Read the next ``Running on`` line, failing (not hanging) after a while."""
    ready, _, _ = select.select([process.stdout], [], [], WAIT_SECONDS)
    assert ready, f"no 'Running on' line within {WAIT_SECONDS} s"
    line = process.stdout.readline()
    match = RUNNING_RE.search(line)
    assert match, f"expected a 'Running on' line, got {line!r}"
    return int(match.group(1))


def fetch(port: int) -> bytes | None:
    """GET / once; None while no server answers (between two children)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/")
        return connection.getresponse().read()
    except OSError:
        return None
    finally:
        connection.close()


def wait_for_answer(port: int, expected: bytes) -> bytes | None:
    """Ask until the server gives ``expected``, or the deadline passes."""
    deadline = time.monotonic() + WAIT_SECONDS
    answer = None
    while time.monotonic() < deadline and answer != expected:
        answer = fetch(port)
    return answer


def test_a_changed_module_is_served_after_a_restart(tmp_path: Path) -> None:
    module = tmp_path / "reloaded.py"
    module.write_text(APP_SOURCE.format(answer="first"), encoding="utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "walkthrough",
            "run",
            "reloaded:app",
            "--port",
            "0",
            "--reload",
            "--quiet",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Its own process group, so a failed test can stop parent and child.
        start_new_session=True,
    )
    try:
        port = read_running_port(process)
        assert wait_for_answer(port, b"first") == b"first"
        module.write_text(APP_SOURCE.format(answer="second"), encoding="utf-8")
        assert wait_for_answer(port, b"second") == b"second"
        assert read_running_port(process) == port
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 0, stderr
    assert "Detected a change" in stderr
    assert fetch(port) is None


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {"a.py": 50}, None),  # first scan, untouched since start
        ({}, {"a.py": 150}, "a.py"),  # saved after start, before the first scan
        ({"a.py": 150}, {"a.py": 150}, None),  # unchanged since the last scan
        ({"a.py": 150}, {"a.py": 160}, "a.py"),  # saved again
        ({"a.py": 150}, {"a.py": 140}, "a.py"),  # replaced by an older file
        ({"a.py": 150}, {"a.py": 150, "b.py": 90}, None),  # imported lazily, old
        ({"a.py": 150}, {"a.py": 150, "b.py": 200}, "b.py"),  # lazily, edited
    ],
)
def test_changed_file_compares_stamps_or_the_start_time(
    before: dict[str, int], after: dict[str, int], expected: str | None
) -> None:
    assert changed_file(before, after, since_ns=100) == expected
