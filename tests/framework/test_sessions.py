"""Signed-cookie sessions: sign/unsign, round trips, tampering, expiry."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from walkthrough.framework.app import App
from walkthrough.framework.globals import session
from walkthrough.framework.sessions import (
    SecureCookieSession,
    sign_session,
    unsign_session,
)

KEY = b"k" * 32
NOW = 1_700_000_000


def unsign(value: str, *, now: float = NOW, key: bytes = KEY) -> dict | None:
    return unsign_session(value, key=key, max_age_seconds=3600, now=now)


GOOD = sign_session({"user": "ada", "n": 1}, key=KEY, timestamp=NOW)


def flip_last_char(value: str) -> str:
    return value[:-1] + ("A" if value[-1] != "A" else "B")


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (GOOD, {}, {"user": "ada", "n": 1}),
        (GOOD, {"now": NOW + 3600}, {"user": "ada", "n": 1}),
        (GOOD, {"now": NOW + 3601}, None),  # expired
        (GOOD, {"key": b"other"}, None),  # signed with another key
        (flip_last_char(GOOD), {}, None),  # signature tampered
        ("eyJ1c2VyIjoiZXZlIn0" + GOOD[GOOD.index(".") :], {}, None),  # payload swapped
        ("garbage", {}, None),
        ("", {}, None),
        ("a.b.c", {}, None),
        (sign_session({}, key=KEY, timestamp=NOW), {}, {}),
    ],
)
def test_unsign_session(value, kwargs, expected) -> None:
    assert unsign(value, **kwargs) == expected


def test_signed_but_not_a_dict_is_rejected() -> None:
    # A validly signed payload that is not an object (e.g. from another app).
    from walkthrough.framework import sessions

    payload = sessions._b64encode("[1, 2]")
    signed = f"{payload}.{sessions._b64encode(str(NOW))}"
    assert unsign(f"{signed}.{sessions._signature(signed, KEY)}") is None


def test_session_tracks_access_and_modification() -> None:
    data = SecureCookieSession({"a": 1})
    assert not data.accessed and not data.modified
    data.get("a")
    assert data.accessed and not data.modified
    data["b"] = 2
    assert data.modified
    data.permanent = True
    assert data.permanent and data["_permanent"] is True


@pytest.fixture
def app() -> App:
    app = App(__name__, static_folder=None)
    app.secret_key = "test secret"

    @app.route("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.route("/read")
    def read() -> str:
        return str(session.get("n"))

    @app.route("/nothing")
    def nothing() -> str:
        return "no session"

    @app.route("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.route("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["p"] = 1
        return "ok"

    return app


def test_session_round_trip_through_the_client(app: App) -> None:
    client = app.test_client()
    assert client.get("/count").text == "1"
    assert client.get("/count").text == "2"
    assert client.get("/read").text == "2"
    cookie = client.get("/count").headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "Path=/" in cookie


def test_reading_only_sends_no_cookie_but_varies(app: App) -> None:
    client = app.test_client()
    client.get("/count")
    response = client.get("/read")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Cookie"
    assert "Vary" not in client.get("/nothing").headers


def test_tampered_cookie_gives_an_empty_session(app: App) -> None:
    client = app.test_client()
    client.get("/count")
    client.cookies["session"] = flip_last_char(client.cookies["session"])
    response = client.get("/read")
    assert (response.status_code, response.text) == (200, "None")


@pytest.mark.parametrize("value", ["garbage", "a.b.c", "%%%", "x" * 5000])
def test_garbage_cookie_gives_an_empty_session(app: App, value: str) -> None:
    response = app.test_client().get("/read", headers={"Cookie": f"session={value}"})
    assert (response.status_code, response.text) == (200, "None")


def test_expired_cookie_gives_an_empty_session(app: App) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=60)
    key = app.session_interface.get_signing_key(app)
    old = sign_session({"n": 5}, key=key, timestamp=int(time.time()) - 3600)
    fresh = sign_session({"n": 5}, key=key, timestamp=int(time.time()))
    client = app.test_client()
    assert client.get("/read", headers={"Cookie": f"session={old}"}).text == "None"
    assert client.get("/read", headers={"Cookie": f"session={fresh}"}).text == "5"


def test_clearing_deletes_the_cookie(app: App) -> None:
    client = app.test_client()
    client.get("/count")
    response = client.get("/clear")
    assert "Max-Age=0" in response.headers["Set-Cookie"]
    assert "session" not in client.cookies


def test_permanent_session_cookie_expires_later(app: App) -> None:
    response = app.test_client().get("/permanent")
    assert "expires=" in response.headers["Set-Cookie"]


def test_cookie_options_come_from_config(app: App) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/app",
    )
    cookie = app.test_client().get("/count").headers["Set-Cookie"]
    assert cookie.startswith("sid=")
    assert all(part in cookie for part in ("Secure", "SameSite=Lax", "Path=/app"))


def test_without_secret_key_reading_works_and_writing_explains() -> None:
    app = App(__name__, static_folder=None)
    app.add_url_rule("/read", "read", lambda: str(session.get("n")))
    app.add_url_rule("/write", "write", lambda: session.update(n=1) or "x")
    client = app.test_client()
    assert client.get("/read").text == "None"
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError, match=r"app\.secret_key"):
        client.get("/write")


def test_a_refreshed_permanent_cookie_varies_on_cookie(app: App) -> None:
    """Flask adds ``Vary: Cookie`` wherever it sets or deletes the cookie,
    so a permanent session refreshed on an untouched page still varies."""
    client = app.test_client()
    assert client.get("/permanent").headers.getlist("Vary") == ["Cookie"]
    response = client.get("/nothing")
    assert response.headers["Set-Cookie"].startswith("session=")
    assert response.headers.getlist("Vary") == ["Cookie"]
    assert client.get("/clear").headers.getlist("Vary") == ["Cookie"]


def test_vary_cookie_joins_the_views_own_vary(app: App) -> None:
    @app.route("/negotiated")
    def negotiated() -> tuple[str, dict[str, str]]:
        session["n"] = 1
        return "ok", {"Vary": "Accept-Encoding"}

    response = app.test_client().get("/negotiated")
    assert response.headers.getlist("Vary") == ["Accept-Encoding, Cookie"]


def test_the_cookie_path_defaults_to_application_root(app: App) -> None:
    """Flask's ``get_cookie_path``: SESSION_COOKIE_PATH, else APPLICATION_ROOT."""
    app.config["APPLICATION_ROOT"] = "/foo"
    client = app.test_client()
    assert "Path=/foo" in client.get("/count").headers["Set-Cookie"]
    assert "Path=/foo" in client.get("/clear").headers["Set-Cookie"]
    app.config["SESSION_COOKIE_PATH"] = "/bar"
    assert "Path=/bar" in client.get("/count").headers["Set-Cookie"]
