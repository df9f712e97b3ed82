"""``flask.app`` → ``walkthrough.framework.app`` (aliases only)."""

from _parity_missing import missing_api

from walkthrough.framework.app import *  # noqa: F403
from walkthrough.framework.app import App as Flask  # noqa: F401

__getattr__ = missing_api(__name__)
