"""The ``walkthrough`` command in a real subprocess, as a user runs it.

``walkthrough run`` must print the port it really bound, answer on it, and
stop with exit code 0 on SIGTERM; setup mistakes exit 2 with a message
that names what was wrong.
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

from walkthrough import __version__

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
WAIT_SECONDS = 10.0
RUNNING_RE = re.compile(rb"Running on http://127\.0\.0\.1:(\d+)/\n")


def walkthrough(*args: str, cwd: Path = EXAMPLES) -> subprocess.Popen:
    """Start ``python -m walkthrough ARGS`` with its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "walkthrough", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


REQUEST_LOG_RE = re.compile(rb'"GET /cli HTTP/1.1" 200')


def read_until(stream, pattern: re.Pattern[bytes], seconds: float) -> re.Match:
    """Read ``stream`` until ``pattern`` matches, or fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    seen = b""
    while (match := pattern.search(seen)) is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {pattern.pattern!r} within {seconds}s: {seen!r}")
        ready, _, _ = select.select([stream], [], [], remaining)
        if ready:
            data = os.read(stream.fileno(), 65536)
            if not data:
                raise EOFError(f"output ended before {pattern.pattern!r}: {seen!r}")
            seen += data
    return match


def get(port: int, path: str) -> tuple[int, bytes]:
    """GET ``path`` from loopback ``port``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_SECONDS)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("quiet", [False, True], ids=["logging", "quiet"])
def test_run_serves_on_the_port_it_prints_and_stops_on_sigterm(quiet: bool) -> None:
    options = ["--quiet"] if quiet else []
    process = walkthrough("run", "hello:app", "--port", "0", *options)
    try:
        match = read_until(process.stdout, RUNNING_RE, WAIT_SECONDS)
        port = int(match.group(1))
        assert port != 0
        assert get(port, "/cli") == (
            200,
            b"Hello from walkthrough: you asked for /cli\n",
        )
        if not quiet:
            # The server logs just after sending the body: wait for the line
            # before stopping it, or SIGTERM may win the race.
            read_until(process.stderr, REQUEST_LOG_RE, WAIT_SECONDS)
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = process.communicate(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 0, stderr
    if quiet:
        assert b'"GET /cli HTTP/1.1"' not in stderr
    assert b"Traceback" not in stderr


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nosuch:app", b"cannot import 'nosuch'"),
        ("hello", b"expected MODULE:CALLABLE"),
        ("hello:", b"expected MODULE:CALLABLE"),
        (":app", b"expected MODULE:CALLABLE"),
        ("hello:nosuch", b"module 'hello' has no 'nosuch'"),
    ],
)
def test_run_with_a_bad_app_exits_2(spec: str, message: bytes) -> None:
    process = walkthrough("run", spec, "--port", "0")
    stdout, stderr = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 2
    assert message in stderr
    assert b"Running on" not in stdout


def test_version() -> None:
    process = walkthrough("--version")
    stdout, _stderr = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 0
    assert stdout.strip() == __version__.encode()


def test_no_command_exits_2_with_usage() -> None:
    process = walkthrough()
    _stdout, stderr = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 2
    assert b"usage: walkthrough" in stderr


def test_check_passes_on_the_shipped_tours(tmp_path) -> None:
    """A renamed function or a moved line in a tour's focus fails CI here."""
    process = subprocess.run(
        [sys.executable, "-m", "walkthrough", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS * 6,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    assert process.stdout.strip().endswith(": ok")
