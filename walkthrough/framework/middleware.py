"""ProxyFix: believe the X-Forwarded-* headers of the proxies you trust, no more.

It runs between the server and ``App.__call__``, putting the client's address,
scheme, host and script root back where a proxy replaced them. Werkzeug's
``werkzeug.middleware.proxy_fix``; left out: quoted strings in the list headers
(proxies write bare tokens) and RFC 7239 ``Forwarded``, which Werkzeug skips too.
"""

from __future__ import annotations

from collections.abc import Iterable

from walkthrough.framework.types import (
    StartResponse,
    WSGIApplication,
    WSGIEnvironment,
)

ORIGINAL_ENVIRON_KEY = "werkzeug.proxy_fix.orig"
# What ProxyFix may overwrite, kept under ORIGINAL_ENVIRON_KEY for logging.
ORIGINAL_KEYS = (
    "REMOTE_ADDR",
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
)


def split_forwarded(value: str) -> list[str]:
    """Split a list header (``a, b``, or repeats joined by the server) into values."""
    return [item.strip() for item in value.split(",") if item.strip()]


def get_real_value(trusted: int, value: str | None) -> str | None:
    """Return the value the outermost trusted proxy wrote, or None.

    Each proxy appends to the list, so only the last ``trusted`` values come
    from proxies we trust; anything further left a client could have typed.
    Fewer values than trusted proxies means one was bypassed: believe none.
    """
    if not (trusted and value):
        return None
    values = split_forwarded(value)
    if len(values) < trusted:
        return None
    return values[-trusted]


def split_host_port(host: str) -> tuple[str, str | None]:
    """Split ``host:port``; a bare IPv6 literal such as ``[::1]`` has no port."""
    if ":" in host and not host.endswith("]"):
        name, _, port = host.rpartition(":")
        return name, port
    return host, None


class ProxyFix:
    """Rewrite the environ from X-Forwarded-* headers set by trusted proxies.

    Each ``x_*`` is how many proxies in front set that header: 0 ignores it.
    Trust only headers your proxy always sets (overwriting the client's),
    or a client can choose its own address, host or script root.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        counts = {
            "x_for": x_for,
            "x_proto": x_proto,
            "x_host": x_host,
            "x_port": x_port,
            "x_prefix": x_prefix,
        }
        _check_counts(counts.items())
        self.app = app
        self.x_for, self.x_proto, self.x_host = x_for, x_proto, x_host
        self.x_port, self.x_prefix = x_port, x_prefix

    def __repr__(self) -> str:
        return (
            f"<ProxyFix x_for={self.x_for} x_proto={self.x_proto} "
            f"x_host={self.x_host} x_port={self.x_port} x_prefix={self.x_prefix}>"
        )

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Fix ``environ`` in place, then call the app with it.

        In place, as Werkzeug does, so whatever the server logs from the
        environ after the call (gunicorn's access log) shows the client.
        """
        environ.update(self.fix_environ(environ))
        return self.app(environ, start_response)

    def fix_environ(self, environ: WSGIEnvironment) -> WSGIEnvironment:
        """Return a copy of ``environ`` as the trusted proxies describe it."""
        fixed = dict(environ)
        fixed[ORIGINAL_ENVIRON_KEY] = {key: environ.get(key) for key in ORIGINAL_KEYS}
        remote_addr = get_real_value(self.x_for, environ.get("HTTP_X_FORWARDED_FOR"))
        if remote_addr:
            fixed["REMOTE_ADDR"] = remote_addr
        scheme = get_real_value(self.x_proto, environ.get("HTTP_X_FORWARDED_PROTO"))
        if scheme:
            fixed["wsgi.url_scheme"] = scheme
        host = get_real_value(self.x_host, environ.get("HTTP_X_FORWARDED_HOST"))
        if host:
            fixed.update(forwarded_host(host))
        port = get_real_value(self.x_port, environ.get("HTTP_X_FORWARDED_PORT"))
        if port:
            fixed.update(forwarded_port(fixed.get("HTTP_HOST"), port))
        prefix = get_real_value(self.x_prefix, environ.get("HTTP_X_FORWARDED_PREFIX"))
        if prefix:
            fixed["SCRIPT_NAME"] = prefix
        return fixed


def forwarded_host(host: str) -> dict[str, str]:
    """Return the Host and SERVER_* keys for the host the client asked for."""
    name, port = split_host_port(host)
    keys = {"HTTP_HOST": host, "SERVER_NAME": name}
    if port is not None:
        keys["SERVER_PORT"] = port
    return keys


def forwarded_port(host: str | None, port: str) -> dict[str, str]:
    """Return Host and SERVER_PORT carrying the port the client connected to.

    Runs after ``forwarded_host``, so it replaces the port of the fixed Host.
    """
    if not host:
        return {"SERVER_PORT": port}
    name, _ = split_host_port(host)
    return {"HTTP_HOST": f"{name}:{port}", "SERVER_PORT": port}


def _check_counts(counts: Iterable[tuple[str, int]]) -> None:
    """Refuse a proxy count that is not a whole number ≥ 0, at construction."""
    for name, count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(
                f"ProxyFix({name}={count!r}): expected the number of proxies "
                "that set this header, a whole number >= 0 (0 ignores it)"
            )
