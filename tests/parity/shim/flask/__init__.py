"""``flask`` for the parity run: our ``App`` as ``Flask`` and the names a view
imports (aliases only). See tests/parity/README.md."""

from _parity_missing import missing_api

# Imported before __getattr__ exists: `flask.app` is the module, not a placeholder.
import flask.app  # noqa: F401
import flask.globals  # noqa: F401
import flask.testing  # noqa: F401
from walkthrough.framework.app import App as Flask  # noqa: F401
from walkthrough.framework.exceptions import abort  # noqa: F401
from walkthrough.framework.globals import (  # noqa: F401
    current_app,
    g,
    request,
    session,
)
from walkthrough.framework.helpers import (  # noqa: F401
    jsonify,
    make_response,
    stream_with_context,
    url_for,
)
from walkthrough.framework.utils import redirect, send_file  # noqa: F401
from walkthrough.framework.wrappers import Request, Response  # noqa: F401

__getattr__ = missing_api(__name__)
