"""``flask.testing`` → ``walkthrough.framework.testing`` (aliases only)."""

from _parity_missing import missing_api

from walkthrough.framework.testing import *  # noqa: F403
from walkthrough.framework.testing import Client as FlaskClient  # noqa: F401

__getattr__ = missing_api(__name__)
