"""The app's settings: a dict of UPPER_CASE keys with Flask's defaults.

``App.__init__`` copies ``DEFAULT_CONFIG`` into ``app.config``; the chain reads
it per request (``MAX_CONTENT_LENGTH``, the ``SESSION_*`` keys). Flask's
``flask.config``. Left out: loading from files and environment variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

DEFAULT_CONFIG: Mapping[str, Any] = MappingProxyType(
    {
        "DEBUG": False,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "SECRET_KEY": None,
        "MAX_CONTENT_LENGTH": None,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "PREFERRED_URL_SCHEME": "http",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_SAMESITE": None,
        "SESSION_REFRESH_EACH_REQUEST": True,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    }
)


class Config(dict[str, Any]):
    """Hold settings; only UPPER_CASE keys count, as in Flask."""

    def from_mapping(
        self, mapping: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Config:
        """Copy the UPPER_CASE keys of ``mapping`` and ``kwargs`` in."""
        for key, value in {**(mapping or {}), **kwargs}.items():
            if key.isupper():
                self[key] = value
        return self

    def from_object(self, obj: object) -> Config:
        """Copy the UPPER_CASE attributes of a module or class in."""
        return self.from_mapping({key: getattr(obj, key) for key in dir(obj)})
