"""The names a view imports: ``current_app``, ``g``, ``request``, ``session``.

Each is a ``LocalProxy`` over one of two ``ContextVar``s that ``AppContext.push``
and ``RequestContext.push`` set (see ``ctx.py``), as in ``flask.globals``.
No ``_app_ctx_stack``/``_request_ctx_stack``: Flask 2.2 deprecated those, 3.0
removed them.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from walkthrough.framework.local import LocalProxy

if TYPE_CHECKING:
    from walkthrough.framework.ctx import AppContext, RequestContext

NO_APP_MESSAGE = (
    "Working outside of application context. The code needed the current app "
    "(current_app or g) but no app context was pushed. Push one with "
    "`with app.app_context():`, or call this from inside a request."
)
NO_REQUEST_MESSAGE = (
    "Working outside of request context. The code needed the current request "
    "(request or session) but none is active. In tests or a shell, use "
    "`with app.test_request_context():` or the test client."
)

_cv_app: ContextVar[AppContext] = ContextVar("walkthrough.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("walkthrough.request_ctx")

current_app: Any = LocalProxy(_cv_app, "app", unbound_message=NO_APP_MESSAGE)
g: Any = LocalProxy(_cv_app, "g", unbound_message=NO_APP_MESSAGE)
request: Any = LocalProxy(_cv_request, "request", unbound_message=NO_REQUEST_MESSAGE)
session: Any = LocalProxy(_cv_request, "session", unbound_message=NO_REQUEST_MESSAGE)
