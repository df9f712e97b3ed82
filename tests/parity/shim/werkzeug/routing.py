"""``werkzeug.routing`` → ``walkthrough.framework.routing`` (aliases only)."""

from _parity_missing import missing_api

from walkthrough.framework.exceptions import (  # noqa: F401
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
)
from walkthrough.framework.routing import *  # noqa: F403

__getattr__ = missing_api(__name__)
