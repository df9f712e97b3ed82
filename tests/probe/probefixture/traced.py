"""Small functions for the tracer: nesting, threads, generators, errors.

Each is a plain module-level function, as tour steps are, so a test can
watch its code object and check exactly which events the tracer reports.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

JOIN_SECONDS = 5.0


def outer() -> int:
    """Call ``middle``: the outermost of three nested stages."""
    return middle() + 1


def middle() -> int:
    """Call ``inner`` from the middle stage."""
    return inner() + 1


def inner() -> int:
    """Do nothing that could be a stage: the innermost one."""
    return 1


def unwatched() -> int:
    """Call ``inner`` from code that no test watches."""
    return inner()


def in_new_thread(function: Callable[[], object], *, name: str) -> None:
    """Run ``function`` in a thread started from here, and wait for it."""
    thread = threading.Thread(target=function, name=name)
    thread.start()
    thread.join(JOIN_SECONDS)


def countdown(count: int) -> Iterator[int]:
    """Yield ``count`` numbers: each resume is one enter and one exit."""
    while count:
        yield count
        count -= 1


def fail() -> None:
    """Raise, so the tracer must still report this stage's exit."""
    raise ValueError("probefixture.traced.fail failed on purpose")


def catch_failure() -> str:
    """Call ``fail`` and survive it, as an error handler does."""
    try:
        fail()
    except ValueError as error:
        return str(error)
    return "not reached"


def with_local_step() -> int:
    """Call a function defined inside this one, as Werkzeug's ``execute`` is."""

    def local_step() -> int:
        return inner() + 1

    return local_step()
