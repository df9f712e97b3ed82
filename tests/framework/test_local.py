"""LocalProxy: forwards to the object in a ContextVar, per thread and per context."""

from __future__ import annotations

import threading
from contextvars import ContextVar, copy_context
from types import SimpleNamespace

import pytest

from walkthrough.framework.local import LocalProxy

JOIN_TIMEOUT_SECONDS = 10


@pytest.fixture
def holder() -> tuple[ContextVar[SimpleNamespace], LocalProxy]:
    var: ContextVar[SimpleNamespace] = ContextVar("test_holder")
    return var, LocalProxy(var, "target", unbound_message="nothing pushed")


def test_unbound_proxy_raises_runtime_error_with_message(holder) -> None:
    _, proxy = holder
    with pytest.raises(RuntimeError, match="nothing pushed"):
        _ = proxy.anything
    with pytest.raises(RuntimeError, match="nothing pushed"):
        proxy["key"] = 1


def test_unbound_proxy_is_falsy_and_reprs_without_raising(holder) -> None:
    _, proxy = holder
    assert not proxy
    assert repr(proxy) == "<LocalProxy target unbound>"


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        (lambda p: p["a"], 1),
        (lambda p: "a" in p, True),
        (lambda p: "z" in p, False),
        (lambda p: len(p), 2),
        (lambda p: sorted(p), ["a", "b"]),
        (lambda p: p == {"a": 1, "b": 2}, True),
        (lambda p: bool(p), True),
        (lambda p: str(p), "{'a': 1, 'b': 2}"),
        (lambda p: p.get("b"), 2),
    ],
)
def test_proxy_forwards_operations(holder, operation, expected) -> None:
    var, proxy = holder
    var.set(SimpleNamespace(target={"a": 1, "b": 2}))
    assert operation(proxy) == expected


def test_proxy_forwards_attribute_set_and_delete(holder) -> None:
    var, proxy = holder
    target = SimpleNamespace()
    var.set(SimpleNamespace(target=target))
    proxy.name = "x"
    assert target.name == "x"
    del proxy.name
    assert not hasattr(target, "name")


def test_proxy_forwards_item_set_and_delete(holder) -> None:
    var, proxy = holder
    target: dict[str, int] = {}
    var.set(SimpleNamespace(target=target))
    proxy["k"] = 3
    assert target == {"k": 3}
    del proxy["k"]
    assert target == {}


def test_each_thread_sees_its_own_object(holder) -> None:
    var, proxy = holder
    seen: dict[int, object] = {}
    barrier = threading.Barrier(4, timeout=JOIN_TIMEOUT_SECONDS)

    def worker(number: int) -> None:
        var.set(SimpleNamespace(target=number))
        barrier.wait()  # every thread has set its value before any reads
        seen[number] = proxy._get_current_object()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_SECONDS)
    assert seen == {0: 0, 1: 1, 2: 2, 3: 3}


def test_copied_context_is_isolated(holder) -> None:
    var, proxy = holder
    var.set(SimpleNamespace(target="outer"))

    def inner() -> str:
        var.set(SimpleNamespace(target="inner"))
        return proxy._get_current_object()

    assert copy_context().run(inner) == "inner"
    assert proxy._get_current_object() == "outer"
