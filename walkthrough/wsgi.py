"""The WSGI entry for gunicorn: ``gunicorn walkthrough.wsgi:app``.

``app`` is the site as ``create_app`` builds it (tours from
``WALKTHROUGH_CONTENT`` if set), wrapped in ``ProxyFix`` only when the operator
says how many proxies stand in front (``WALKTHROUGH_TRUSTED_PROXIES=N``):
trusting X-Forwarded-* headers that no proxy sets would let a client forge them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from walkthrough.framework.middleware import ProxyFix
from walkthrough.framework.types import WSGIApplication
from walkthrough.site import create_app

TRUSTED_PROXIES_ENV_VAR = "WALKTHROUGH_TRUSTED_PROXIES"


def trusted_proxies(environ: Mapping[str, str]) -> int:
    """Read how many proxies to trust; 0 when unset, loud when malformed.

    A typo must stop gunicorn at import, not silently serve with the proxy's
    address as every client's and links that ignore the sub-path.
    """
    raw = environ.get(TRUSTED_PROXIES_ENV_VAR, "").strip()
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdecimal()) or int(raw) < 1:
        raise ValueError(
            f"{TRUSTED_PROXIES_ENV_VAR}={raw!r}: expected the number of reverse "
            "proxies in front of the site, a whole number >= 1 (e.g. 1 for one "
            "nginx); unset it to trust no X-Forwarded-* header"
        )
    return int(raw)


def make_app(environ: Mapping[str, str]) -> WSGIApplication:
    """Build the site, behind ProxyFix if ``environ`` opts in to proxies.

    Trusts For, Proto, Host and Prefix (the headers the nginx snippet in
    the hosting docs sets), not Port: a proxy puts its port in Host.
    """
    app = create_app()
    count = trusted_proxies(environ)
    if not count:
        return app
    return ProxyFix(app, x_for=count, x_proto=count, x_host=count, x_prefix=count)


app = make_app(os.environ)
