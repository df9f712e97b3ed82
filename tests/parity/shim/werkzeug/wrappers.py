"""``werkzeug.wrappers`` → ``walkthrough.framework.wrappers`` (aliases only)."""

from _parity_missing import missing_api

from walkthrough.framework.wrappers import Request, Response  # noqa: F401

__getattr__ = missing_api(__name__)
