"""``werkzeug.datastructures`` → ``walkthrough.framework.datastructures``."""

from _parity_missing import missing_api

from walkthrough.framework.datastructures import *  # noqa: F403

__getattr__ = missing_api(__name__)
