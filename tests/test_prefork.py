"""``walkthrough run --workers N``: pre-forked workers, through the real CLI.

Each test starts the command in a subprocess on port 0, learns the worker
pids from its log, and checks processes by pid: serving, replaced when
killed, all gone after SIGTERM, Ctrl-C, or the arbiter's own death.
"""

from __future__ import annotations

import http.client
import os
import re
import select
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

WAIT_SECONDS = 10.0
RUNNING_RE = re.compile(rb"Running on http://127\.0\.0\.1:(\d+)/")
STARTED_RE = re.compile(rb"Worker (\d+) started \(pid (\d+)\)\.")
PID_APP = textwrap.dedent(
    """
    import os

    def app(environ, start_response):
        body = str(os.getpid()).encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    """
)


class Output:
    """A pipe read as it comes, so a test can wait for what it expects."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.seen = b""
        self.position = 0

    def wait_for(self, pattern: re.Pattern[bytes]) -> re.Match[bytes]:
        """Return the next match after the last one, reading as needed."""
        while (match := pattern.search(self.seen, self.position)) is None:
            ready, _, _ = select.select([self.stream], [], [], WAIT_SECONDS)
            data = os.read(self.stream.fileno(), 65536) if ready else b""
            if not data:
                raise AssertionError(f"no {pattern.pattern!r} in {self.seen!r}")
            self.seen += data
        self.position = match.end()
        return match


class Workers:
    """A running ``walkthrough run --workers N``, its port and worker pids."""

    def __init__(self, tmp_path: Path, count: int) -> None:
        (tmp_path / "pidapp.py").write_text(PID_APP)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "walkthrough", "run", "pidapp:app"]
            + ["--port", "0", "--workers", str(count), "--quiet"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.stderr = Output(self.process.stderr)
        self.port = int(Output(self.process.stdout).wait_for(RUNNING_RE).group(1))
        self.pids: dict[int, int] = {}
        for _ in range(count):
            self.note_started()
        self.all_pids = set(self.pids.values())

    def note_started(self) -> int:
        """Read the next ``Worker N started (pid P)`` line; return P."""
        number, pid = map(int, self.stderr.wait_for(STARTED_RE).groups())
        self.pids[number] = pid
        self.all_pids = {*getattr(self, "all_pids", ()), pid}
        return pid

    def stop(self) -> None:
        """Kill whatever is left: the arbiter and every worker it started."""
        for pid in [self.process.pid, *self.all_pids]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.communicate(timeout=WAIT_SECONDS)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    """Two workers serving ``pidapp``; killed at the end whatever happened."""
    running = Workers(tmp_path, 2)
    try:
        yield running
    finally:
        running.stop()


def answering_pid(port: int) -> int:
    """GET / on a new connection; return the pid of the worker that answered."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_SECONDS)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200
        return int(response.read())
    finally:
        connection.close()


def wait_until_gone(pid: int) -> None:
    """Wait (bounded) until process ``pid`` has ended; fail if it has not."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready, _, _ = select.select([pidfd], [], [], WAIT_SECONDS)
        assert ready, f"process {pid} still runs"
    finally:
        os.close(pidfd)


def parent_pid(pid: int) -> int:
    """Read a process's parent pid from ``/proc``."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE).group(1))


def test_requests_are_answered_by_both_workers(workers: Workers) -> None:
    seen: set[int] = set()
    lock = threading.Lock()

    def client() -> None:
        for _ in range(50):
            pid = answering_pid(workers.port)
            with lock:
                seen.add(pid)
                if len(seen) == 2:
                    return

    clients = [threading.Thread(target=client) for _ in range(8)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(WAIT_SECONDS * 3)
    assert seen == set(workers.pids.values())
    assert all(parent_pid(pid) == workers.process.pid for pid in seen)


def test_a_killed_worker_is_replaced(workers: Workers) -> None:
    victim = workers.pids[0]
    os.kill(victim, signal.SIGKILL)
    workers.stderr.wait_for(
        re.compile(rb"Worker 0 \(pid %d\) exited with status -9" % victim)
    )
    replacement = workers.note_started()
    assert replacement != victim
    assert parent_pid(replacement) == workers.process.pid
    wait_until_gone(victim)
    assert answering_pid(workers.port) in workers.pids.values()


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(lambda process: process.send_signal(signal.SIGTERM), id="sigterm"),
        pytest.param(
            lambda process: os.killpg(process.pid, signal.SIGINT), id="ctrl-c-group"
        ),
    ],
)
def test_stopping_the_arbiter_stops_every_worker(workers: Workers, stop) -> None:
    assert answering_pid(workers.port) in workers.pids.values()
    stop(workers.process)
    _, stderr = workers.process.communicate(timeout=WAIT_SECONDS * 2)
    assert workers.process.returncode == 0, stderr
    assert b"Traceback" not in stderr
    for pid in workers.all_pids:
        wait_until_gone(pid)


def test_workers_leave_when_the_arbiter_is_killed(workers: Workers) -> None:
    os.kill(workers.process.pid, signal.SIGKILL)
    workers.process.wait(timeout=WAIT_SECONDS)
    for pid in workers.all_pids:
        wait_until_gone(pid)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--workers", "0"], b"expected 1 to 32, got '0'"),
        (["--workers", "two"], b"expected 1 to 32, got 'two'"),
        (["--workers", "2", "--reload"], b"--reload serves in one process"),
    ],
)
def test_bad_worker_options_are_one_line_errors(
    tmp_path: Path, options: list[str], message: bytes
) -> None:
    (tmp_path / "pidapp.py").write_text(PID_APP)
    result = subprocess.run(
        [sys.executable, "-m", "walkthrough", "run", "pidapp:app", *options],
        cwd=tmp_path,
        capture_output=True,
        timeout=WAIT_SECONDS,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert b"Traceback" not in result.stderr


SECOND_STOP_WHILE_CLOSING = textwrap.dedent(
    """
    import os, signal, threading, time
    from walkthrough.framework.prefork import serve_until_stopped
    from walkthrough.framework.serving import make_server

    server = make_server("127.0.0.1", 0, lambda environ, start_response: [])
    close = server.server_close

    def close_while_told_again():
        os.kill(os.getpid(), signal.SIGTERM)  # the arbiter's, arriving late
        time.sleep(0.1)
        close()
        print("closed", flush=True)

    server.server_close = close_while_told_again
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    serve_until_stopped(server, os.getppid())
    """
)


def test_a_second_stop_signal_does_not_break_off_a_worker_closing() -> None:
    """Ctrl-C reaches a worker, then its arbiter's SIGTERM while it closes."""
    finished = subprocess.run(
        [sys.executable, "-c", SECOND_STOP_WHILE_CLOSING],
        capture_output=True,
        timeout=WAIT_SECONDS,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == b"closed\n"
    assert b"Traceback" not in finished.stderr
