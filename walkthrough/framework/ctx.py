"""The two contexts: ``AppContext`` (app, ``g``), ``RequestContext`` (request).

``wsgi_app`` pushes a RequestContext (app context, request, session, then
``match_request``) and pops it in ``finally``. Flask 3.1's ``flask.ctx``; Flask's
main branch (the unreleased 3.2) merges them, we keep two: a shell or job needs
an app without a request."""

from __future__ import annotations

from contextvars import Token
from types import TracebackType
from typing import TYPE_CHECKING, Any

from walkthrough.framework.exceptions import HTTPException
from walkthrough.framework.globals import _cv_app, _cv_request
from walkthrough.framework.types import WSGIEnvironment

if TYPE_CHECKING:
    from walkthrough.framework.app import App
    from walkthrough.framework.routing import MapAdapter
    from walkthrough.framework.sessions import SecureCookieSession


class _AppCtxGlobals:
    """Give each app context a blank namespace: ``g.user = ...``.

    It lives as long as the app context, which is one request when the
    request pushed it; nothing leaks from one request to the next.
    """

    def get(self, name: str, default: Any = None) -> Any:
        """Return ``g.<name>``, or ``default`` if it was never set."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, *default: Any) -> Any:
        """Remove ``g.<name>`` and return it (or ``default``)."""
        return self.__dict__.pop(name, *default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        """Return ``g.<name>``, setting it to ``default`` first if absent."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__

    def __iter__(self) -> Any:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        return f"<g of {self.__dict__!r}>"


class AppContext:
    """Make ``current_app`` and ``g`` point at one app while it is pushed.

    ``RequestContext.push`` pushes one when none is active for its app;
    ``with app.app_context():`` pushes one for work outside a request.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.g = _AppCtxGlobals()
        self._cv_tokens: list[Token[AppContext]] = []

    def __repr__(self) -> str:
        return f"<AppContext of {self.app.import_name!r}>"

    def push(self) -> None:
        """Set this context as current; the token lets ``pop`` restore the last."""
        self._cv_tokens.append(_cv_app.set(self))

    def pop(self, exc: BaseException | None = None) -> None:
        """Run ``teardown_appcontext`` functions on the last pop, then unset.

        The reset happens in ``finally``, so a failing teardown function
        cannot leave this app current for the next request on the thread.
        """
        try:
            if len(self._cv_tokens) == 1:
                self.app.do_teardown_appcontext(exc)
        finally:
            current = _cv_app.get()
            _cv_app.reset(self._cv_tokens.pop())
        if current is not self:
            raise RuntimeError(
                f"Popped the wrong app context: {current!r}, not {self!r}"
            )

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.pop(exc_value)


class RequestContext:
    """Hold one request's state and make ``request`` and ``session`` point at it.

    Built by ``App.request_context``; it binds the URL map to the environ once,
    so matching here and ``url_for`` in the view share one adapter.
    """

    def __init__(self, app: App, environ: WSGIEnvironment) -> None:
        self.app = app
        self.request = app.request_class(environ)
        self.request.max_content_length = app.config["MAX_CONTENT_LENGTH"]
        self.url_adapter: MapAdapter | None = app.create_url_adapter(self.request)
        self.session: SecureCookieSession | None = None
        self._cv_tokens: list[tuple[Token[RequestContext], AppContext | None]] = []

    def __repr__(self) -> str:
        return f"<RequestContext {self.request.method} {self.request.path!r}>"

    def match_request(self) -> None:
        """Match the URL and keep the rule, or the 404/405/308, on the request.

        The error is stored, not raised: ``dispatch_request`` raises it later,
        inside ``full_dispatch_request``, so before_request hooks still run.
        """
        try:
            rule, view_args = self.url_adapter.match(return_rule=True)  # type: ignore[union-attr]
        except HTTPException as error:
            self.request.routing_exception = error
        else:
            self.request.url_rule, self.request.view_args = rule, view_args

    def push(self) -> None:
        """Push the app context if needed, then this one; open session, match URL.

        The order is Flask's, now as in 1.x: app context first, so the session
        interface and the URL converters can already use ``current_app``.
        """
        app_ctx: AppContext | None = _cv_app.get(None)
        if app_ctx is None or app_ctx.app is not self.app:
            app_ctx = self.app.app_context()
            app_ctx.push()
        else:
            app_ctx = None
        self._cv_tokens.append((_cv_request.set(self), app_ctx))
        if self.session is None:
            interface = self.app.session_interface
            session = interface.open_session(self.app, self.request)
            if session is None:
                session = interface.make_null_session(self.app)
            self.session = session
        if len(self._cv_tokens) == 1 and self.url_adapter is not None:
            self.match_request()

    def pop(self, exc: BaseException | None = None) -> None:
        """Run teardown on the last pop, unset, then pop the app context.

        ``wsgi_app`` calls this in ``finally``; ``exc`` is the error that
        escaped the view, if any, so teardown functions can see it.
        """
        is_last = len(self._cv_tokens) == 1
        try:
            if is_last:
                self.app.do_teardown_request(exc)
        finally:
            current = _cv_request.get()
            token, app_ctx = self._cv_tokens.pop()
            _cv_request.reset(token)
            if app_ctx is not None:
                app_ctx.pop(exc)
        if current is not self:
            raise RuntimeError(f"Popped the wrong request context: {current!r}")

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.pop(exc_value)


def has_request_context() -> bool:
    """Say whether a request is active here (so ``request`` is usable)."""
    return _cv_request.get(None) is not None


def has_app_context() -> bool:
    """Say whether an app context is active (so ``current_app`` works)."""
    return _cv_app.get(None) is not None
