"""``flask.globals`` → ``walkthrough.framework.globals`` (aliases only)."""

from _parity_missing import missing_api

from walkthrough.framework.globals import *  # noqa: F403

__getattr__ = missing_api(__name__)
