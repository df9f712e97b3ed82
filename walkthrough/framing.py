"""Who may frame the site: a CSP `frame-ancestors` list, and a framer checked on it.

A browser that refuses a frame shows its own grey error, which tells a wiki's
reader nothing. When a request says it is for a frame (`Sec-Fetch-Dest:
iframe`) and names the page framing it (`Referer`), the site can tell ahead of
the browser that the frame will be refused, and answer with a page that says
why and how to allow it. Only the immediate framer is known this way; when
the browser sends neither header, the browser's own refusal stands.
"""

from __future__ import annotations

from urllib.parse import urlsplit

ANY_SOURCE = "*"
SELF_SOURCE = "'self'"
NONE_SOURCE = "'none'"
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """Return `scheme://host[:port]` of a URL, or None if it has no host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    default = DEFAULT_PORTS.get(parts.scheme.lower())
    suffix = f":{port}" if port and port != default else ""
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}{suffix}"


def source_allows(source: str, origin: str, self_origin: str) -> bool:
    """Tell whether one CSP source expression lets `origin` frame the site.

    Covers what a team writes for a wiki: `'self'`, `*`, a scheme (`https:`),
    an origin (`https://wiki.example.org`) and a wildcard host
    (`https://*.example.org`). Anything else is read as allowing nothing.
    """
    source = source.strip()
    if source == SELF_SOURCE:
        return origin == self_origin
    if source == ANY_SOURCE:
        return True
    if source.endswith(":") and "/" not in source:
        return origin.startswith(source.lower() + "//")
    if "://" not in source:
        source = f"{origin.split('://')[0]}://{source}"
    if "://*." in source:
        scheme, _, suffix = source.lower().partition("://*")
        return origin.startswith(scheme + "://") and origin.endswith(suffix)
    return origin_of(source) == origin


def is_framer_allowed(sources: str, origin: str, self_origin: str) -> bool:
    """Tell whether a `frame-ancestors` list lets `origin` frame the site."""
    if sources.strip() == NONE_SOURCE:
        return False
    return any(source_allows(s, origin, self_origin) for s in sources.split())


def refused_framer(
    headers: dict[str, str], sources: str, self_origin: str
) -> str | None:
    """Return the origin of a page framing this request that the list refuses.

    None when the request is not for a frame, names no framer, or the framer
    is allowed: then the page is served as usual.
    """
    if headers.get("sec-fetch-dest", "").lower() != "iframe":
        return None
    framer = origin_of(headers.get("referer", ""))
    if framer is None or is_framer_allowed(sources, framer, self_origin):
        return None
    return framer
