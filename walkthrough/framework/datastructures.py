"""The containers HTTP needs: multi-valued dicts, headers, uploaded files.

A query string or a header block may repeat a key, so a plain ``dict`` loses
data. Werkzeug's ``datastructures`` cut down to ``MultiDict``, ``Headers``,
``EnvironHeaders`` and ``FileStorage``; no immutable or typed variants."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

from walkthrough.framework.exceptions import BadRequestKeyError

HeaderItems = Iterable[tuple[str, Any]] | Mapping[str, Any] | None
# A CR or LF inside a value would start a new header (response splitting).
NEWLINE_MESSAGE = "header {key!r}: value must not contain a newline"


class MultiDict(Mapping[str, Any]):
    """Map each key to a list of values; ``d[key]`` gives the first one.

    ``?tag=a&tag=b`` keeps both tags for ``getlist("tag")`` while the common
    case still reads like a dict.
    """

    def __init__(self, items: Iterable[tuple[str, Any]] | Mapping[str, Any] = ()):
        """Take pairs, or a mapping whose list or tuple values are spread out.

        ``MultiDict({"tag": ["a", "b"]})`` holds two values, as in Werkzeug;
        an empty list adds no key.
        """
        self._lists: dict[str, list[Any]] = {}
        if isinstance(items, MultiDict):
            pairs: Iterable[tuple[str, Any]] = items.items(multi=True)
        elif isinstance(items, Mapping):
            pairs = _spread(items)
        else:
            pairs = items
        for key, value in pairs:
            self.add(key, value)

    def __getitem__(self, key: str) -> Any:
        """Return the first value; a missing key is a 400 (and a KeyError)."""
        try:
            return self._lists[key][0]
        except KeyError:
            raise BadRequestKeyError(key) from None

    def __setitem__(self, key: str, value: Any) -> None:
        self._lists[key] = [value]

    def __delitem__(self, key: str) -> None:
        del self._lists[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"

    def add(self, key: str, value: Any) -> None:
        """Append ``value`` to the values of ``key``, keeping earlier ones."""
        self._lists.setdefault(key, []).append(value)

    def get(
        self, key: str, default: Any = None, type: Callable[[Any], Any] | None = None
    ) -> Any:
        """Return the first value, converted by ``type``, else ``default``.

        ``request.args.get("page", 1, type=int)`` is Werkzeug's idiom: a value
        that does not convert counts as missing rather than raising.
        """
        try:
            value = self._lists[key][0]
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key: str) -> list[Any]:
        """Return every value of ``key`` in arrival order (empty if absent)."""
        return list(self._lists.get(key, ()))

    def items(self, multi: bool = False) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        """Yield ``(key, first value)``, or every pair when ``multi`` is true."""
        for key, values in self._lists.items():
            if multi:
                for value in values:
                    yield key, value
            else:
                yield key, values[0]

    def to_dict(self, flat: bool = True) -> dict[str, Any]:
        """Return a plain dict of first values, or of lists when ``flat`` is false."""
        if flat:
            return dict(self.items())
        return {key: list(values) for key, values in self._lists.items()}


def _spread(mapping: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Yield ``(key, value)`` for each value, a list or tuple counting as many."""
    for key, value in mapping.items():
        if isinstance(value, list | tuple):
            for item in value:
                yield key, item
        else:
            yield key, value


class Headers:
    """Hold response headers as an ordered list with case-insensitive keys.

    A list, not a dict, because ``Set-Cookie`` may repeat and WSGI's
    ``start_response`` wants ``[(name, value), ...]`` in order.
    """

    def __init__(self, defaults: HeaderItems = None) -> None:
        self._list: list[tuple[str, str]] = []
        if defaults is not None:
            self.extend(defaults)

    def __getitem__(self, key: str) -> str:
        lower = key.lower()
        for name, value in self._list:
            if name.lower() == lower:
                return value
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def __delitem__(self, key: str) -> None:
        self.remove(key)

    def __contains__(self, key: object) -> bool:
        lower = str(key).lower()
        return any(name.lower() == lower for name, _ in self._list)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and other._list == self._list

    def __repr__(self) -> str:
        return f"Headers({self._list!r})"

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return the first value of ``key``, or ``default``."""
        try:
            return self[key]
        except KeyError:
            return default

    def getlist(self, key: str) -> list[str]:
        """Return every value of ``key``, e.g. all ``Set-Cookie`` lines."""
        lower = key.lower()
        return [value for name, value in self._list if name.lower() == lower]

    get_all = getlist  # Werkzeug's other name for it

    def add(self, key: str, value: Any) -> None:
        """Append a header line, even if ``key`` is already present."""
        text = value if type(value) is str else str(value)
        if "\n" in text or "\r" in text:
            raise ValueError(NEWLINE_MESSAGE.format(key=key))
        self._list.append((key, text))

    def set(self, key: str, value: Any) -> None:
        """Replace every ``key`` line with one, keeping the first one's place."""
        lower = key.lower()
        for index, (name, _) in enumerate(self._list):
            if name.lower() == lower:
                rest = self._list[index + 1 :]
                del self._list[index:]
                self.add(key, value)
                self._list.extend(item for item in rest if item[0].lower() != lower)
                return
        self.add(key, value)

    def setdefault(self, key: str, default: Any) -> str:
        """Return the value of ``key``, adding ``default`` first if absent."""
        if key not in self:
            self.add(key, default)
        return self[key]

    def remove(self, key: str) -> None:
        """Drop every ``key`` line; a missing key is not an error."""
        lower = key.lower()
        self._list = [item for item in self._list if item[0].lower() != lower]

    def extend(self, items: HeaderItems) -> None:
        """Add every pair, keeping repeats (lists in a mapping add several)."""
        for key, value in iter_header_pairs(items):
            self.add(key, value)

    def update(self, items: HeaderItems) -> None:
        """Replace each given key: how a view's ``(body, headers)`` tuple applies."""
        pairs = list(iter_header_pairs(items))
        for key in {key.lower(): key for key, _ in pairs}.values():
            self.remove(key)
        for key, value in pairs:
            self.add(key, value)

    def items(self) -> list[tuple[str, str]]:
        """Return the lines as ``(name, value)`` pairs."""
        return list(self._list)

    def keys(self) -> list[str]:
        """Return the names in order, repeats included."""
        return [name for name, _ in self._list]

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """Return a fresh list for ``start_response`` to own."""
        return list(self._list)


def iter_header_pairs(items: HeaderItems) -> Iterator[tuple[str, Any]]:
    """Flatten a mapping, pair list or ``Headers`` into ``(key, value)``."""
    if items is None:
        return
    pairs = items.items() if isinstance(items, Mapping) else items
    for key, value in pairs:
        if isinstance(value, list | tuple):
            for item in value:
                yield key, item
        else:
            yield key, value


class EnvironHeaders:
    """Read request headers straight from the WSGI environ, case-insensitively.

    PEP 3333 stores ``User-Agent`` as ``HTTP_USER_AGENT`` (and Content-Type and
    Content-Length without the prefix); this view translates on each lookup.
    """

    def __init__(self, environ: Mapping[str, Any]) -> None:
        self.environ = environ

    def __getitem__(self, key: str) -> str:
        name = key.upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = "HTTP_" + name
        return str(self.environ[name])

    def __contains__(self, key: object) -> bool:
        return self.get(str(key)) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for name, value in self.environ.items():
            if name.startswith("HTTP_"):
                yield name[5:].replace("_", "-").title(), value
            elif name in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                yield name.replace("_", "-").title(), value

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"EnvironHeaders({list(self)!r})"

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return the header's value, or ``default`` if the client sent none."""
        try:
            return self[key]
        except KeyError:
            return default

    def getlist(self, key: str) -> list[str]:
        """Return the value as a list (the server already joined repeats)."""
        value = self.get(key)
        return [] if value is None else [value]

    def items(self) -> list[tuple[str, str]]:
        """Return ``(Title-Case-Name, value)`` pairs."""
        return list(self)

    def keys(self) -> list[str]:
        """Return the header names in Title-Case."""
        return [name for name, _ in self]


class FileStorage:
    """Hold one uploaded file from a multipart form: name, type and bytes."""

    def __init__(
        self,
        stream: IO[bytes],
        *,
        filename: str | None,
        name: str | None,
        content_type: str = "application/octet-stream",
    ) -> None:
        self.stream = stream
        self.filename = filename
        self.name = name
        self.content_type = content_type

    def __repr__(self) -> str:
        return f"<FileStorage {self.filename!r} ({self.content_type})>"

    def read(self, size: int = -1) -> bytes:
        """Read from the uploaded bytes, like a file."""
        return self.stream.read(size)

    def save(self, destination: str) -> None:
        """Copy the upload to ``destination``; name it safely before calling."""
        with open(destination, "wb") as target:
            shutil.copyfileobj(self.stream, target)
