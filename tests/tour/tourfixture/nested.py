"""Functions defined inside functions, as Werkzeug's `run_wsgi` defines `execute`.

Tests find expected line numbers by searching this file for text, so lines may move.
"""

from __future__ import annotations

import functools
from collections.abc import Callable


def keep_name(function: Callable[..., str]) -> Callable[..., str]:
    """Wrap a function, keeping `__wrapped__` so its nested code can be found."""

    @functools.wraps(function)
    def wrapper(*args: object, **kwargs: object) -> str:
        """Call the wrapped function unchanged."""
        return function(*args, **kwargs)

    return wrapper


def outer(name: str) -> str:
    """Answer through two levels of nested functions and a local class."""

    def inner(suffix: str) -> str:
        """Call the innermost function: two levels of `<locals>`."""

        def innermost() -> str:
            """Read both enclosing scopes."""
            return f"{name}{suffix}"

        return innermost()

    class Local:
        """A class defined by a call: its methods are code too."""

        def method(self) -> str:
            """Answer from a local class's method."""
            return inner("!")

    if name:

        def in_a_block() -> str:
            """Defined under an `if`: the syntax tree still finds it."""
            return name

        in_a_block()
    return Local().method()


@keep_name
def decorated_outer() -> str:
    """Hold a nested function behind a decorator."""

    def behind_decorator() -> str:
        """Found through `__wrapped__`."""
        return "found"

    return behind_decorator()


class Handler:
    """Hold a method with closures inside, like `WSGIRequestHandler.run_wsgi`."""

    def run(self) -> str:
        """Define a closure and call it."""

        def execute() -> str:
            """Run inside `run`, as Werkzeug's `execute` runs inside `run_wsgi`."""
            return "executed"

        return execute()


class SubHandler(Handler):
    """Inherit `run`, so its closures are found through the subclass too."""
