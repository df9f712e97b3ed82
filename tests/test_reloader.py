"""``--reload``: a changed Python file restarts the server on the same port.

The command runs as a user would run it, in a subprocess; the app module is
rewritten on disk and the test waits (bounded) for the new answer.
"""

from __future__ import annotations

import http.client
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

RUNNING_RE = re.compile(r"Running on http://127\.0\.0\.1:(\d+)/")
WAIT_SECONDS = 15.0
APP_SOURCE = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"{answer}"]
"""


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
    )
    try:
        port = int(RUNNING_RE.search(process.stdout.readline()).group(1))
        assert wait_for_answer(port, b"first") == b"first"
        module.write_text(APP_SOURCE.format(answer="second"), encoding="utf-8")
        assert wait_for_answer(port, b"second") == b"second"
        assert RUNNING_RE.search(process.stdout.readline()).group(1) == str(port)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
        _, stderr = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 0, stderr
    assert "Detected a change" in stderr
    assert fetch(port) is None
