"""Conditional requests: ETags, HTTP dates, "has it changed?" (RFC 9110 §13).

``Response.make_conditional`` asks ``is_resource_modified`` to turn a repeat
GET into a bodiless 304. Werkzeug keeps these in ``werkzeug.http`` (our
``http.py`` is the server's request parser). Left out: If-Match, If-Range."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE
ETAG_RE = re.compile(r'(?:W/)?"([^"]*)"')


def http_date(moment: datetime | float) -> str:
    """Format a time as an IMF-fixdate, e.g. ``Sun, 06 Nov 1994 08:49:37 GMT``.

    A naive datetime is taken as UTC, as Werkzeug does, not as local time.
    """
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date into an aware UTC datetime; anything odd is None."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def generate_etag(data: bytes) -> str:
    """Return a quoted strong ETag for ``data`` (a hash of the bytes)."""
    return f'"{hashlib.sha1(data).hexdigest()}"'


def unquote_etag(etag: str) -> str:
    """Return the opaque part of ``"abc"`` or ``W/"abc"``."""
    match = ETAG_RE.fullmatch(etag.strip())
    return match.group(1) if match else etag.strip().strip('"')


def etag_matches(header: str, etag: str) -> bool:
    """Say whether an If-None-Match header lists ``etag`` (weak comparison)."""
    if header.strip() == "*":
        return True
    return unquote_etag(etag) in ETAG_RE.findall(header)


def is_resource_modified(
    *,
    if_none_match: str,
    if_modified_since: datetime | None,
    etag: str | None,
    last_modified: datetime | None,
) -> bool:
    """Say whether the client's cached copy is stale, so a 200 is needed.

    If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2); dates are
    compared in whole seconds because HTTP dates carry no fractions.
    """
    if if_none_match:
        return etag is None or not etag_matches(if_none_match, etag)
    if if_modified_since is None or last_modified is None:
        return True
    return last_modified.replace(microsecond=0) > if_modified_since
