"""Every kind of symbol a tour step can name, for the tour engine's tests.

Tests find expected line numbers by searching this file for text, so lines may move.
"""

from __future__ import annotations

import functools
from collections.abc import Callable


def shout(function: Callable[..., str]) -> Callable[..., str]:
    """Upper-case what a function returns, keeping `__wrapped__` for the probe."""

    @functools.wraps(function)
    def wrapper(*args: object, **kwargs: object) -> str:
        """Call the wrapped function and shout its answer."""
        return function(*args, **kwargs).upper()

    return wrapper


def plain(name: str) -> str:
    """Greet quietly."""
    return f"hello {name}"


@shout
@functools.lru_cache(maxsize=None)  # noqa: UP033
def decorated(name: str) -> str:
    """Greet loudly, through two decorators."""
    return f"hello {name}"


class Greeter:
    """Hold a greeting and use it in every way a method can be defined."""

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    def greet(self, name: str) -> str:
        """Greet with the stored greeting."""
        return f"{self.greeting} {name}"

    @staticmethod
    def default_greeting() -> str:
        """Return the greeting used when none is given."""
        return "hi"

    @classmethod
    def create(cls) -> Greeter:
        """Build a greeter with the default greeting."""
        return cls(cls.default_greeting())

    @property
    def loud(self) -> str:
        """Return the greeting in upper case."""
        return self.greeting.upper()

    @shout
    def decorated_method(self, name: str) -> str:
        """Greet loudly from a method."""
        return f"{self.greeting} {name}"

    class Inner:
        """A nested class, reached as `Greeter.Inner`."""

        def method(self) -> int:
            """Return one."""
            return 1


class Plain:
    """A class without its own `__init__`."""


# A condition the parser cannot evaluate, so both definitions stay in the file.
IS_TAKEN = True

if IS_TAKEN:

    def conditional() -> str:
        """Be the definition that runs."""
        return "taken"

else:

    def conditional() -> str:
        """Be the definition that never runs."""
        return "not taken"


GREETING = "hi"


class Proxy:
    """Stand in for a context proxy: every attribute lookup fails loudly."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError("working outside of a request context")


proxy = Proxy()
