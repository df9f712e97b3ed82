"""Finished pages, kept until one of the objects they were made from changes.

The tour library returns the very same tour and step objects until a file
changes, so a page can be reused while its inputs are *identical*: a check
that is both exact and cheap (no hashing, no comparing of text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import is_

from walkthrough.framework.conditional import generate_etag

MAX_CACHED_PAGES = 512


@dataclass(frozen=True)
class RenderedPage:
    """A page as it goes on the wire, with the ETag that names it."""

    body: bytes
    etag: str

    @classmethod
    def from_html(cls, html: str) -> RenderedPage:
        """Encode a rendered template and name it by its bytes."""
        body = html.encode("utf-8")
        return cls(body, generate_etag(body))


@dataclass(frozen=True)
class CachedPage:
    """A finished page and the objects it was made from."""

    inputs: tuple[object, ...]
    page: RenderedPage

    def is_for(self, inputs: tuple[object, ...]) -> bool:
        """Tell whether this page was made from exactly these objects."""
        return are_same_objects(self.inputs, inputs)


def are_same_objects(mine: tuple[object, ...], theirs: tuple[object, ...]) -> bool:
    """Compare two tuples item by item by identity, not by value (cheap, exact).

    ``map(is_, ...)`` runs in C; this runs on every cached page served.
    """
    return len(mine) == len(theirs) and all(map(is_, mine, theirs))


class PageCache:
    """Keep finished pages until an input changes; never more than a bound.

    The key holds the script root, which a trusted proxy's header sets, so
    the cache is emptied when full rather than allowed to grow.
    """

    def __init__(self, max_pages: int = MAX_CACHED_PAGES) -> None:
        self.max_pages = max_pages
        self.pages: dict[tuple[str, ...], CachedPage] = {}

    def get_or_render(
        self,
        key: tuple[str, ...],
        inputs: tuple[object, ...],
        render: Callable[[], RenderedPage],
    ) -> RenderedPage:
        """Return the cached page for ``key``, rendering it if stale or absent."""
        cached = self.pages.get(key)
        if cached is not None and cached.is_for(inputs):
            return cached.page
        if len(self.pages) >= self.max_pages:
            self.pages.clear()
        page = render()
        self.pages[key] = CachedPage(inputs, page)
        return page
