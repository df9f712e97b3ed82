"""Context-local storage: one ``request`` per thread, task and generator.

Werkzeug 1.0 and older kept a ``Local`` (a dict keyed by thread ident) and a
``LocalStack`` (a list per ident), cleaning idents up after each request;
``contextvars`` does that in CPython, asyncio included, leaving ``LocalProxy``."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any


class LocalProxy:
    """Stand in for ``var.get().<name>`` and forward every use to it.

    ``request.path`` looks the current request up on each access, so one
    module-level name can serve every thread at once. Werkzeug's proxy forwards
    over 90 special methods; these are the ones the framework and its views need.
    """

    __slots__ = ("_local", "_name", "_unbound_message")

    def __init__(self, local: ContextVar[Any], name: str, *, unbound_message: str):
        object.__setattr__(self, "_local", local)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_unbound_message", unbound_message)

    def _get_current_object(self) -> Any:
        """Return the object behind the proxy, or say which context is missing."""
        try:
            return getattr(self._local.get(), self._name)
        except LookupError:
            raise RuntimeError(self._unbound_message) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get_current_object(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get_current_object(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get_current_object(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._get_current_object()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._get_current_object()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._get_current_object()[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._get_current_object()

    def __iter__(self) -> Any:
        return iter(self._get_current_object())

    def __len__(self) -> int:
        return len(self._get_current_object())

    def __eq__(self, other: object) -> bool:
        return self._get_current_object() == other

    def __hash__(self) -> int:
        return hash(self._get_current_object())

    def __str__(self) -> str:
        return str(self._get_current_object())

    def __bool__(self) -> bool:
        """Be false outside a context instead of raising, as Werkzeug's is."""
        try:
            return bool(self._get_current_object())
        except RuntimeError:
            return False

    def __repr__(self) -> str:
        """Show the target, or ``unbound`` so a debugger never trips over it.

        Unlike Werkzeug's ``<LocalProxy unbound>``, ours names the proxy.
        """
        try:
            return repr(self._get_current_object())
        except RuntimeError:
            return f"<LocalProxy {self._name} unbound>"
