"""The session: a dict the client keeps for us in a signed cookie.

``RequestContext.push`` calls ``open_session``; ``process_response`` calls
``save_session``. Flask's ``flask.sessions``, signed with stdlib ``hmac``
(SHA-256) instead of itsdangerous. Left out: tagged JSON, key rotation."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from walkthrough.framework.app import App
    from walkthrough.framework.wrappers import Request, Response

SIGNING_SALT = b"walkthrough.session"
NO_SECRET_KEY_MESSAGE = (
    "The session is unavailable because no secret key was set. Set "
    "app.secret_key (or app.config['SECRET_KEY']) to a long random string."
)


class SecureCookieSession(dict[str, Any]):
    """Remember whether the view read or changed the session.

    ``save_session`` only sends a cookie when ``modified`` is set, and adds
    ``Vary: Cookie`` when ``accessed`` is, so caches do not mix users.
    """

    modified = False
    accessed = False

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value for ``key`` and note the access."""
        self.accessed = True
        return super().get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self.accessed = self.modified = True
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.accessed = self.modified = True
        super().__delitem__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Return ``key``'s value, storing ``default`` first if it is absent."""
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str, *default: Any) -> Any:
        """Remove ``key`` and return its value (a change worth saving)."""
        self.accessed = self.modified = True
        return super().pop(key, *default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Merge in new values and mark the session modified."""
        self.accessed = self.modified = True
        super().update(*args, **kwargs)

    def clear(self) -> None:
        """Empty the session; the next response deletes the cookie."""
        self.accessed = self.modified = True
        super().clear()

    @property
    def permanent(self) -> bool:
        """Say whether the cookie outlives the browser (``Expires`` is set)."""
        return bool(super().get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)


class NullSession(SecureCookieSession):
    """Stand in when there is no secret key: reads work, writes explain why not."""

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        """Refuse a write: without a secret key it could not be signed."""
        raise RuntimeError(NO_SECRET_KEY_MESSAGE)

    __setitem__ = __delitem__ = setdefault = pop = update = clear = _fail


def sign_session(data: dict[str, Any], *, key: bytes, timestamp: int) -> str:
    """Return ``payload.timestamp.signature`` for ``data``, all base64url.

    The timestamp is signed too, so a stolen cookie cannot be made younger.
    """
    payload = _b64encode(json.dumps(data, separators=(",", ":"), sort_keys=True))
    signed = f"{payload}.{_b64encode(str(timestamp))}"
    return f"{signed}.{_signature(signed, key)}"


def unsign_session(
    value: str, *, key: bytes, max_age_seconds: float, now: float
) -> dict[str, Any] | None:
    """Return a valid cookie's data, or None if forged, expired or garbage.

    The signature is checked with ``compare_digest`` before anything is
    decoded, so a forged cookie never reaches the JSON parser.
    """
    signed, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature, _signature(signed, key)):
        return None
    payload, _, stamp = signed.partition(".")
    try:
        timestamp = int(_b64decode(stamp))
        data = json.loads(_b64decode(payload))
    except (ValueError, binascii.Error):
        return None
    if now - timestamp > max_age_seconds or not isinstance(data, dict):
        return None
    return data


def _signature(signed: str, key: bytes) -> str:
    """Return the base64url HMAC-SHA256 of ``signed`` under ``key``."""
    digest = hmac.new(key, signed.encode("ascii", "replace"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _b64encode(text: str) -> str:
    """Encode text as unpadded base64url, safe inside a cookie."""
    return base64.urlsafe_b64encode(text.encode("utf-8")).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> str:
    """Decode unpadded base64url back to text."""
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")


class SecureCookieSessionInterface:
    """Load the session from its cookie on push; store it on the response.

    Flask's ``SessionInterface`` shape, so an app can swap in server-side
    sessions by setting ``app.session_interface``.
    """

    session_class = SecureCookieSession

    def get_signing_key(self, app: App) -> bytes | None:
        """Derive the HMAC key from ``SECRET_KEY``; None when no key is set."""
        secret = app.secret_key
        if not secret:
            return None
        raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        return hmac.new(raw, SIGNING_SALT, hashlib.sha256).digest()

    def make_null_session(self, app: App) -> NullSession:
        """Return the session to use when none can be opened (no secret key)."""
        return NullSession()

    def is_null_session(self, session: SecureCookieSession) -> bool:
        """Say whether ``session`` is the placeholder, which is never saved."""
        return isinstance(session, NullSession)

    def open_session(self, app: App, request: Request) -> SecureCookieSession | None:
        """Read and verify the session cookie; anything wrong starts empty."""
        key = self.get_signing_key(app)
        if key is None:
            return None
        value = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if not value:
            return self.session_class()
        lifetime: timedelta = app.config["PERMANENT_SESSION_LIFETIME"]
        data = unsign_session(
            value, key=key, max_age_seconds=lifetime.total_seconds(), now=time.time()
        )
        return self.session_class(data or {})

    def save_session(
        self, app: App, session: SecureCookieSession, response: Response
    ) -> None:
        """Set (or delete) the cookie if the view changed the session.

        An untouched session sends nothing, so most responses stay cacheable.
        """
        config = app.config
        name, path = config["SESSION_COOKIE_NAME"], self.get_cookie_path(app)
        if session.accessed:
            vary_on_cookie(response)
        if not session:
            if session.modified:
                domain = config["SESSION_COOKIE_DOMAIN"]
                response.delete_cookie(name, path=path, domain=domain)
                vary_on_cookie(response)
            return
        refresh = session.permanent and config["SESSION_REFRESH_EACH_REQUEST"]
        if session.modified or refresh:
            value = self.dumps(app, session)
            response.set_cookie(name, value, **self.cookie_options(app, session))
            vary_on_cookie(response)

    def get_cookie_path(self, app: App) -> str:
        """Return SESSION_COOKIE_PATH, else APPLICATION_ROOT (Flask's rule).

        An app mounted under ``/app`` then keeps its cookie to ``/app``.
        """
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]

    def cookie_options(self, app: App, session: SecureCookieSession) -> dict[str, Any]:
        """Return the cookie attributes from config; a permanent one expires."""
        config = app.config
        options: dict[str, Any] = {
            "path": self.get_cookie_path(app),
            "domain": config["SESSION_COOKIE_DOMAIN"],
            "secure": config["SESSION_COOKIE_SECURE"],
            "httponly": config["SESSION_COOKIE_HTTPONLY"],
            "samesite": config["SESSION_COOKIE_SAMESITE"],
        }
        if session.permanent:
            lifetime: timedelta = config["PERMANENT_SESSION_LIFETIME"]
            options["expires"] = time.time() + lifetime.total_seconds()
        return options

    def dumps(self, app: App, session: SecureCookieSession) -> str:
        """Sign ``session`` for the cookie, stamped with the current time."""
        key = self.get_signing_key(app)
        if key is None:
            raise RuntimeError(NO_SECRET_KEY_MESSAGE)
        return sign_session(dict(session), key=key, timestamp=int(time.time()))


def vary_on_cookie(response: Response) -> None:
    """Add ``Cookie`` to the ``Vary`` header, once.

    The answer depends on the cookie, so a cache must not hand it to
    another visitor; Flask adds it wherever it reads, sets or deletes it.
    """
    vary = response.headers.get("Vary")
    if vary is None:
        response.headers.set("Vary", "Cookie")
    elif "cookie" not in {token.strip().lower() for token in vary.split(",")}:
        response.headers.set("Vary", f"{vary}, Cookie")
