"""Restart the server when a Python file changes: ``run_simple(use_reloader=True)``.

Werkzeug's ``run_simple`` hands this to its ``_reloader`` module. The same
plan here: a parent process binds the socket once and keeps restarting a
child that serves on it; the child watches the files of every loaded module
and exits with ``RESTART_EXIT_CODE`` when one changes. Left out: Werkzeug's
watchdog backend; polling ``stat`` once a second is enough for a dev loop.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

log = logging.getLogger("walkthrough.serving")

RUN_MAIN_ENV_VAR = "WALKTHROUGH_RUN_MAIN"
SERVER_FD_ENV_VAR = "WALKTHROUGH_SERVER_FD"
RESTART_EXIT_CODE = 3
POLL_INTERVAL_SECONDS = 1.0
# When this module was imported: before the app's own modules, so a file
# saved while they load (after its old text was read) still counts as changed.
IMPORTED_AT_NS = time.time_ns()


def is_reloader_child() -> bool:
    """Tell whether this process is the child that serves (not the parent)."""
    return os.environ.get(RUN_MAIN_ENV_VAR) == "true"


def inherited_server_fd() -> int | None:
    """Return the listening socket's fd handed down by the parent, if any."""
    value = os.environ.get(SERVER_FD_ENV_VAR)
    return int(value) if value else None


def run_with_reloader(host: str, port: int) -> int:
    """Bind the listening socket here, then keep a serving child running."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=128)
    with listener:
        return restart_with_reloader(listener.fileno())


def restart_with_reloader(server_fd: int) -> int:
    """Run this same command as a child, again each time it asks to restart.

    The child inherits the bound socket, so the port (even one picked with
    ``--port 0``) stays the same across restarts.
    """
    environ = {
        **os.environ,
        RUN_MAIN_ENV_VAR: "true",
        SERVER_FD_ENV_VAR: str(server_fd),
    }
    arguments = [sys.executable, *child_arguments()]
    while True:
        child = subprocess.Popen(arguments, env=environ, pass_fds=(server_fd,))
        exit_code = wait_for_child(child)
        if exit_code != RESTART_EXIT_CODE:
            return exit_code
        log.info("Restarting after a change.")


def child_arguments() -> list[str]:
    """Rebuild the command line, as ``python -m pkg`` or a script path."""
    main_module = sys.modules["__main__"]
    spec = getattr(main_module, "__spec__", None)
    if spec is not None and spec.name != "__main__":
        return ["-m", spec.name.removesuffix(".__main__"), *sys.argv[1:]]
    return sys.argv


def wait_for_child(child: subprocess.Popen[bytes]) -> int:
    """Wait for the child; on Ctrl-C or SIGTERM, stop it and report success."""
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        child.wait(timeout=10)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def raise_interrupt(signum: int, frame: object) -> None:
    """Turn SIGTERM into the KeyboardInterrupt that Ctrl-C raises."""
    raise KeyboardInterrupt(f"signal {signum}")


def watched_files() -> Iterator[str]:
    """Yield the source file of every loaded module that has one."""
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if filename and filename.endswith(".py"):
            yield filename


def file_stamps() -> dict[str, int]:
    """Return each watched file's modification time, in nanoseconds."""
    stamps = {}
    for filename in watched_files():
        try:
            stamps[filename] = os.stat(filename).st_mtime_ns
        except OSError:
            continue
    return stamps


def changed_file(
    before: dict[str, int], after: dict[str, int], since_ns: int
) -> str | None:
    """Return a file that changed: a new stamp, or new to us and newer than start.

    A file first seen now (the first scan, or a module imported lazily) has
    no stamp to compare with, so its time is compared with ``since_ns``.
    """
    for filename, stamp in after.items():
        known = before.get(filename)
        if stamp != known if known is not None else stamp > since_ns:
            return filename
    return None


def watch_for_changes() -> None:
    """Poll loaded files until one changes, then exit to be restarted.

    A child whose parent died (killed outright, so it could not stop the
    child) exits too, rather than serve on as an orphan nobody can restart.
    """
    parent = os.getppid()
    before: dict[str, int] = {}
    while True:
        after = file_stamps()
        filename = changed_file(before, after, IMPORTED_AT_NS)
        if filename is not None:
            log.info("Detected a change in %s, reloading.", filename)
            sys.exit(RESTART_EXIT_CODE)
        before = after
        time.sleep(POLL_INTERVAL_SECONDS)
        if os.getppid() != parent:
            log.info("The reloader's parent is gone; stopping.")
            sys.exit(0)
