"""Config: Flask's defaults, UPPER_CASE only."""

from __future__ import annotations

from types import SimpleNamespace

from walkthrough.framework.app import App
from walkthrough.framework.config import DEFAULT_CONFIG, Config


def test_app_config_starts_from_defaults_and_is_its_own() -> None:
    first, second = App("a", static_folder=None), App("b", static_folder=None)
    first.config["DEBUG"] = True
    assert second.config["DEBUG"] is False
    assert DEFAULT_CONFIG["DEBUG"] is False
    assert first.config["SESSION_COOKIE_NAME"] == "session"


def test_from_mapping_and_from_object_take_upper_case_only() -> None:
    config = Config()
    config.from_mapping({"A": 1, "b": 2}, C=3)
    config.from_object(SimpleNamespace(D=4, e=5))
    assert config == {"A": 1, "C": 3, "D": 4}


def test_secret_key_and_debug_properties() -> None:
    app = App("a", static_folder=None)
    app.secret_key = "k"
    app.debug = True
    assert app.config["SECRET_KEY"] == "k" and app.config["DEBUG"] is True
