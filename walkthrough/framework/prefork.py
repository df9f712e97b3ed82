"""Serve on several processes that share one listening socket.

``walkthrough run/serve --workers N``: the process that bound the socket
becomes an arbiter, as in gunicorn. It forks N workers, each running the
same ``serve_forever`` on its copy of the socket, so the kernel spreads
connections over N processes and N cores, where one process's threads share
one GIL. The arbiter serves nothing: it starts a worker again when one dies,
and on SIGTERM or Ctrl-C stops them all, waiting a bounded time. A worker
also stops by itself when its arbiter is gone, so none is left orphaned.
Left out, next to gunicorn's: reloading the app on SIGHUP, changing the
number of workers while running, and killing a worker that hangs.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from walkthrough.framework.serving import BaseWSGIServer

log = logging.getLogger("walkthrough.serving")

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
# How long the arbiter waits for workers to finish before it kills them.
STOP_TIMEOUT_SECONDS = 10.0
STOP_POLL_SECONDS = 0.02
# A worker that dies younger than this is replaced only once it would be
# this old: a worker that crashes at once must not be forked in a tight loop.
MIN_WORKER_SECONDS = 1.0


class Arbiter:
    """Keep ``worker_count`` workers serving ``server`` until told to stop."""

    def __init__(self, server: BaseWSGIServer, worker_count: int) -> None:
        self.server = server
        self.worker_count = worker_count
        self.workers: dict[int, int] = {}  # pid -> worker number
        self.started_at: dict[int, float] = {}  # worker number -> monotonic

    def run(self) -> None:
        """Fork the workers, replace any that dies; stop all on Ctrl-C/SIGTERM.

        SIGTERM reaches here as ``KeyboardInterrupt`` (``run_simple`` set it).
        """
        # Every worker wakes for each new connection; those that lose the
        # race must find nothing to accept instead of blocking in accept().
        self.server.socket.setblocking(False)
        self.server.multiprocess = True
        try:
            for number in range(self.worker_count):
                self.spawn(number)
            self.replace_dead_workers()
        except KeyboardInterrupt:
            log.info("Stopping %d workers.", len(self.workers))
        finally:
            self.stop_workers()

    def spawn(self, number: int) -> None:
        """Fork worker ``number``; the child serves and never returns here.

        The stop signals are blocked across the fork, so that a child cannot
        be interrupted before it has its own handlers in place.
        """
        arbiter_pid = os.getpid()
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:
            serve_as_worker(self.server, arbiter_pid)
        self.workers[pid] = number
        self.started_at[number] = time.monotonic()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        log.info("Worker %d started (pid %d).", number, pid)

    def replace_dead_workers(self) -> None:
        """Wait for a worker to exit, start another in its place; forever."""
        while True:
            pid, status = os.wait()
            number = self.workers.pop(pid, None)
            if number is not None:
                log.warning(
                    "Worker %d (pid %d) exited with status %d; starting another.",
                    number,
                    pid,
                    os.waitstatus_to_exitcode(status),
                )
                age = time.monotonic() - self.started_at[number]
                time.sleep(max(MIN_WORKER_SECONDS - age, 0))
                self.spawn(number)

    def stop_workers(self) -> None:
        """Ask every worker to stop; kill those still running after a while."""
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
        try:
            send_signal(self.workers, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
            while self.workers and time.monotonic() < deadline:
                if not self.reap_one():
                    time.sleep(STOP_POLL_SECONDS)
            send_signal(self.workers, signal.SIGKILL)
            while self.workers:
                self.reap_one(block=True)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def reap_one(self, *, block: bool = False) -> bool:
        """Collect one worker that has exited; without ``block``, do not wait.

        A pid can be reaped already (a signal came between ``os.wait``
        and its bookkeeping): with no child left, no worker is left.
        """
        try:
            pid, _status = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self.workers.clear()
            return True
        if pid == 0:
            return False
        self.workers.pop(pid, None)
        return True


def send_signal(pids: dict[int, int], signum: int) -> None:
    """Send ``signum`` to each pid; one that already exited is no error."""
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def serve_as_worker(server: BaseWSGIServer, arbiter_pid: int) -> NoReturn:
    """Run one worker, then end its process with ``os._exit``.

    The forked child must never unwind into the arbiter's frames it
    inherited, nor run their ``finally`` blocks or ``atexit`` handlers.
    """
    exit_code = 1
    try:
        serve_until_stopped(server, arbiter_pid)
        exit_code = 0
    except BaseException:
        log.exception("Worker (pid %d) failed.", os.getpid())
    finally:
        os._exit(exit_code)


def serve_until_stopped(server: BaseWSGIServer, arbiter_pid: int) -> None:
    """Serve until SIGTERM, Ctrl-C or the arbiter's death; then close."""
    stop = StopOnFirstSignal()
    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    server.arbiter_pid = arbiter_pid
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()
        sys.stderr.flush()


class StopOnFirstSignal:
    """A signal handler that raises ``KeyboardInterrupt`` once, then ignores.

    Ctrl-C in a terminal reaches a worker twice: from the terminal itself,
    and as the SIGTERM its arbiter sends on. Were the second to raise too,
    it would break off the worker's closing half-way. The handler stays in
    place rather than being swapped for ``SIG_IGN``: a signal already caught
    but not yet handled would then be reported as lost.
    """

    def __init__(self) -> None:
        self.stopping = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        raise KeyboardInterrupt(f"signal {signum}")
