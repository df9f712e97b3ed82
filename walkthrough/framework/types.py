"""Name the shapes PEP 3333 passes around, once, for every annotation.

Werkzeug borrows these from typeshed's ``_typeshed.wsgi``; we spell them out so
a reader can see that a WSGI app is just a function of two arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

WSGIEnvironment = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType]
HeaderList = list[tuple[str, str]]
WriteCallable = Callable[[bytes], object]
StartResponse = Callable[..., WriteCallable]
WSGIApplication = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]
