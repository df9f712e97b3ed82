"""Cookies both ways: parse the Cookie header, build a Set-Cookie line.

``Request.cookies`` calls ``parse_cookie``; ``Response.set_cookie`` (and the
session) calls ``dump_cookie``. Werkzeug's ``http.parse_cookie``/``dump_cookie``
on top of ``http.cookies`` quoting; left out: ``Partitioned``, size warnings."""

from __future__ import annotations

import re
from datetime import datetime
from http.cookies import CookieError, SimpleCookie

from walkthrough.framework.conditional import http_date
from walkthrough.framework.datastructures import MultiDict

# http.cookies quotes with \ooo (octal) and \" escapes inside double quotes.
COOKIE_ESCAPE_RE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))")


def parse_cookie(header: str) -> MultiDict:
    """Split a Cookie header into names and values, unquoting quoted values.

    Lenient on purpose: one malformed pair from another site on the same host
    must not hide the rest (``SimpleCookie.load`` stops at the first one).
    """
    cookies = MultiDict()
    for pair in header.encode("latin-1").decode("utf-8", "replace").split(";"):
        name, sep, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = COOKIE_ESCAPE_RE.sub(_unescape_cookie_char, value[1:-1])
        cookies.add(name, value)
    return cookies


def _unescape_cookie_char(match: re.Match[str]) -> str:
    """Undo one ``http.cookies`` escape: ``\\073`` (octal) or ``\\"``."""
    octal, char = match.groups()
    return chr(int(octal, 8)) if octal else char


def dump_cookie(
    key: str,
    value: str = "",
    *,
    max_age: int | None = None,
    expires: datetime | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
) -> str:
    """Return a Set-Cookie value; ``http.cookies`` does the quoting.

    The stdlib rejects an illegal name and quotes a value holding ``;`` or
    spaces, so a value can never inject attributes of its own.
    """
    jar: SimpleCookie = SimpleCookie()
    try:
        jar[key] = value
    except CookieError as error:
        raise ValueError(f"cookie {key!r}: {error}") from None
    morsel = jar[key]
    if samesite is not None and samesite.title() not in ("Strict", "Lax", "None"):
        raise ValueError(f"cookie {key!r}: samesite must be Strict, Lax or None")
    options = {"max-age": max_age, "path": path, "domain": domain, "samesite": samesite}
    if expires is not None:
        options["expires"] = http_date(expires)
    for name, option in options.items():
        if option is not None:
            morsel[name] = option.title() if name == "samesite" else option
    morsel["secure"], morsel["httponly"] = secure, httponly
    return morsel.OutputString()
