"""Stand-ins for names our framework does not have (parity shim only).

A module of the shim ends with ``__getattr__ = missing_api(__name__)``: a name
we lack then resolves to a placeholder class, so the upstream test module still
imports and only the tests that use the name fail, each with ``MissingAPI``
naming it. The placeholder has no behaviour: calling it raises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn


class MissingAPI(NotImplementedError):
    """Raised by any use of a name our framework does not provide."""


def _placeholder(qualified_name: str) -> type:
    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise MissingAPI(f"{qualified_name} is not in walkthrough.framework")

    # An Exception subclass, so `pytest.raises(placeholder)` is legal (and
    # never satisfied) rather than a TypeError at collection time.
    return type(
        qualified_name.rpartition(".")[2],
        (Exception,),
        {"__init__": refuse, "__call__": refuse, "__missing_api__": qualified_name},
    )


def missing_api(module_name: str) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that answers every unknown name with
    a placeholder."""

    def __getattr__(name: str) -> Any:  # noqa: N807
        if name.startswith("__"):
            raise AttributeError(name)
        return _placeholder(f"{module_name}.{name}")

    return __getattr__
