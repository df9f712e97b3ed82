"""``werkzeug.exceptions`` → ``walkthrough.framework.exceptions`` (aliases only)."""

from _parity_missing import missing_api

from walkthrough.framework.exceptions import *  # noqa: F403

__getattr__ = missing_api(__name__)
