"""The App: a WSGI callable running Flask's chain from environ to view.

``__call__`` → ``wsgi_app`` → ``RequestContext.push`` → ``full_dispatch_request``
→ ``preprocess_request`` → ``dispatch_request`` → ``finalize_request`` →
``make_response`` → ``process_response``. Flask's ``Flask``, minus blueprints."""

from __future__ import annotations

import logging
import os
import sys
import weakref
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

from walkthrough.framework.config import DEFAULT_CONFIG, Config
from walkthrough.framework.ctx import AppContext, RequestContext, _AppCtxGlobals
from walkthrough.framework.exceptions import (
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    RequestRedirect,
)
from walkthrough.framework.globals import _cv_request
from walkthrough.framework.helpers import make_json_response
from walkthrough.framework.routing import MapAdapter
from walkthrough.framework.scaffold import ErrorHandler, Scaffold
from walkthrough.framework.sessions import SecureCookieSessionInterface
from walkthrough.framework.testing import Client, EnvironBuilder
from walkthrough.framework.types import StartResponse, WSGIEnvironment
from walkthrough.framework.utils import send_from_directory
from walkthrough.framework.wrappers import BODY_TYPES, Request, Response

ViewReturn = Any
JSON_TYPES = (dict, list)


class App(Scaffold):
    """Own the URL map, the registries and the config; answer WSGI calls.

    Create one per application; the server calls it once per request.
    """

    request_class = Request
    response_class = Response
    app_ctx_globals_class = _AppCtxGlobals

    def __init__(
        self,
        import_name: str,
        *,
        static_folder: str | os.PathLike[str] | None = "static",
        static_url_path: str | None = None,
        root_path: str | None = None,
    ) -> None:
        """Set up the registries, the config and the static route.

        The static files are served under ``static_url_path``, by default
        the folder's own name (``/static``); ``static_folder=None`` turns
        that route off, and ``""`` serves ``root_path`` itself, as in Flask.
        """
        super().__init__()
        self.import_name = import_name
        self.root_path = root_path or get_root_path(import_name)
        self.config = Config(DEFAULT_CONFIG)
        self.teardown_appcontext_funcs: list[Callable[[BaseException | None], Any]] = []
        self.session_interface = SecureCookieSessionInterface()
        self.static_folder = (
            None
            if static_folder is None
            else os.path.join(self.root_path, os.fspath(static_folder).rstrip("/\\"))
        )
        if static_url_path is None and self.static_folder is not None:
            static_url_path = "/" + os.path.basename(self.static_folder)
        self.static_url_path = (static_url_path or "").rstrip("/")
        if self.static_folder is not None:
            # A weak reference, as Flask's: the bound method would make a
            # cycle (app → view_functions → view → app) that only the
            # garbage collector could free.
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                view_func=partial(_send_static_file_of, weakref.ref(self)),
            )

    def __repr__(self) -> str:
        return f"<App {self.import_name!r}>"

    @property
    def secret_key(self) -> str | bytes | None:
        """Return ``config["SECRET_KEY"]``, which signs the session cookie."""
        return self.config["SECRET_KEY"]

    @secret_key.setter
    def secret_key(self, value: str | bytes | None) -> None:
        self.config["SECRET_KEY"] = value

    @property
    def debug(self) -> bool:
        """Say whether errors propagate (and JSON is pretty-printed)."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value

    @property
    def testing(self) -> bool:
        """Say whether the app is under test: errors then reach the test."""
        return bool(self.config["TESTING"])

    @testing.setter
    def testing(self, value: bool) -> None:
        self.config["TESTING"] = value

    @property
    def permanent_session_lifetime(self) -> timedelta:
        """Return how long a permanent session's cookie lasts (from config)."""
        return self.config["PERMANENT_SESSION_LIFETIME"]

    @permanent_session_lifetime.setter
    def permanent_session_lifetime(self, value: timedelta) -> None:
        self.config["PERMANENT_SESSION_LIFETIME"] = value

    @property
    def logger(self) -> logging.Logger:
        """Return the logger named after the app; 500s are logged here."""
        return logging.getLogger(self.import_name)

    def teardown_appcontext(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``func(exc)`` whenever an app context pops (each request, too)."""
        if not callable(func):
            raise TypeError(f"teardown_appcontext: expected a function, got {func!r}")
        self.teardown_appcontext_funcs.append(func)
        return func

    # -- the request chain ------------------------------------------------

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Answer the server's WSGI call by running ``wsgi_app``.

        A separate step so middleware can wrap ``app.wsgi_app`` and keep
        ``app`` itself as the object the server holds.
        """
        return self.wsgi_app(environ, start_response)

    def wsgi_app(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Push a request context, dispatch, answer, and always pop.

        Popping in ``finally`` runs teardown even when the handler itself
        fails; the error that escaped, if any, is passed to teardown.
        """
        ctx = self.request_context(environ)
        error: Exception | None = None
        try:
            try:
                ctx.push()
                response = self.full_dispatch_request()
            except Exception as exc:
                error = exc
                response = self.handle_exception(exc)
            return response(environ, start_response)
        finally:
            ctx.pop(error)

    def request_context(self, environ: WSGIEnvironment) -> RequestContext:
        """Wrap ``environ`` in a RequestContext (Request + bound URL adapter)."""
        return RequestContext(self, environ)

    def app_context(self) -> AppContext:
        """Return a new AppContext; ``with app.app_context():`` pushes it."""
        return AppContext(self)

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """Bind the URL map to this request, or to SERVER_NAME without one."""
        if request is not None:
            return self.url_map.bind_to_environ(request.environ)
        server_name = self.config["SERVER_NAME"]
        if server_name is None:
            return None
        return self.url_map.bind(
            server_name,
            self.config["APPLICATION_ROOT"],
            url_scheme=self.config["PREFERRED_URL_SCHEME"],
        )

    def full_dispatch_request(self) -> Response:
        """Run the before hooks and the view, catch its errors, finalize.

        An exception from a hook or view becomes a response here; only what
        the error handlers cannot handle goes on to ``handle_exception``.
        """
        try:
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as exc:
            rv = self.handle_user_exception(exc)
        return self.finalize_request(rv)

    def preprocess_request(self) -> ViewReturn | None:
        """Call the before_request hooks in order; the first non-None wins."""
        for func in self.before_request_funcs:
            rv = func()
            if rv is not None:
                return rv
        return None

    def dispatch_request(self) -> ViewReturn:
        """Call the matched view with its URL values, or raise the routing error.

        ``match_request`` stored a 404/405/308 instead of raising, so it is
        raised here, inside the error handling of ``full_dispatch_request``.
        """
        request = _cv_request.get().request
        if request.routing_exception is not None:
            raise request.routing_exception
        rule = request.url_rule
        if request.method == "OPTIONS" and getattr(
            rule, "provide_automatic_options", False
        ):
            return self.make_default_options_response()
        return self.view_functions[rule.endpoint](**request.view_args)

    def make_default_options_response(self) -> Response:
        """Answer OPTIONS with an empty 200 whose Allow lists the path's methods."""
        adapter = _cv_request.get().url_adapter
        response = self.response_class()
        response.headers.set("Allow", ", ".join(adapter.allowed_methods()))
        return response

    def finalize_request(
        self, rv: ViewReturn, from_error_handler: bool = False
    ) -> Response:
        """Turn the view's value into a Response and run the after hooks.

        When this already serves an error, a failing after hook is logged
        rather than raised, so the client still gets the error page.
        """
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed while handling an error")
        return response

    def make_response(self, rv: ViewReturn) -> Response:
        """Convert what a view returned into a Response (Flask's rules).

        str/bytes → body; dict/list → JSON; an iterator → streamed body;
        a WSGI callable (e.g. an HTTPException) → its answer; tuples add
        ``(body, status)``, ``(body, headers)`` or ``(body, status, headers)``.
        """
        status, headers = None, None
        if isinstance(rv, tuple):
            rv, status, headers = _split_view_tuple(rv)
        if rv is None:
            raise TypeError(
                f"The view function for {_current_endpoint()!r} did not return a "
                "valid response: it returned None or ended without a return."
            )
        if not isinstance(rv, self.response_class):
            rv = self.make_response_body(rv)
        if status is not None:
            rv.status = status
        if headers:
            rv.headers.update(headers)
        return rv

    def make_response_body(self, rv: ViewReturn) -> Response:
        """Build a Response from a view's body value (no status or headers yet)."""
        if isinstance(rv, BODY_TYPES) or isinstance(rv, Iterator):
            return self.response_class(rv)
        if isinstance(rv, JSON_TYPES):
            return make_json_response(rv, pretty=self.debug)
        if isinstance(rv, Response):
            return self.response_class(rv.response, rv.status, rv.headers)
        if callable(rv):
            request = _cv_request.get().request
            return self.response_class.from_app(rv, request.environ)
        raise TypeError(
            f"The view function for {_current_endpoint()!r} did not return a valid "
            "response. The return type must be a string, bytes, dict, list, tuple, "
            f"Response, iterator or WSGI callable, but it was a {type(rv).__name__}."
        )

    def process_response(self, response: Response) -> Response:
        """Run after_request hooks (last registered first), then save the session."""
        ctx = _cv_request.get()
        for func in reversed(self.after_request_funcs):
            response = func(response)
        if not self.session_interface.is_null_session(ctx.session):
            self.session_interface.save_session(self, ctx.session, response)
        return response

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Call teardown_request functions, last registered first."""
        for func in reversed(self.teardown_request_funcs):
            func(exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Call teardown_appcontext functions, last registered first."""
        for func in reversed(self.teardown_appcontext_funcs):
            func(exc)

    # -- errors -----------------------------------------------------------

    def handle_user_exception(self, exc: Exception) -> ViewReturn:
        """Route an error from a hook or view to its handler, or re-raise it.

        HTTP errors get an answer (the exception renders itself) unless
        trapped; other errors without a handler go on to ``handle_exception``.
        """
        if isinstance(exc, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            exc.show_exception = True
        if isinstance(exc, HTTPException) and not self.trap_http_exception(exc):
            return self.handle_http_exception(exc)
        handler = self._find_error_handler(exc)
        if handler is None:
            raise exc
        return handler(exc)

    def trap_http_exception(self, exc: HTTPException) -> bool:
        """Say whether an HTTP error should be raised rather than answered.

        ``TRAP_HTTP_EXCEPTIONS`` traps them all; ``TRAP_BAD_REQUEST_ERRORS``
        traps 400s, and when unset, in debug, a missing form key: the
        traceback then shows which line asked for it (Flask's rules).
        """
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None:
            return self.debug and isinstance(exc, BadRequestKeyError)
        return bool(trap_bad_request) and isinstance(exc, BadRequest)

    def handle_http_exception(self, exc: HTTPException) -> ViewReturn:
        """Use the handler registered for the code or class, else the exception.

        A routing redirect passes through untouched: it is not an error.
        """
        if isinstance(exc, RequestRedirect):
            return exc
        handler = self._find_error_handler(exc)
        if handler is None:
            return exc
        return handler(exc)

    def handle_exception(self, exc: Exception) -> Response:
        """Answer an unhandled error with a logged 500 (or re-raise in debug).

        A registered 500 handler gets an InternalServerError whose
        ``original_exception`` is the real error.
        """
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.debug or self.config["TESTING"]
        if propagate:
            raise exc
        self.log_exception(exc)
        server_error = InternalServerError()
        server_error.original_exception = exc  # type: ignore[attr-defined]
        handler = self._find_error_handler(server_error)
        rv = server_error if handler is None else handler(server_error)
        return self.finalize_request(rv, from_error_handler=True)

    def log_exception(self, exc: Exception) -> None:
        """Log the traceback with the method and path, for whoever reads logs."""
        request = _cv_request.get().request
        self.logger.error(
            "Exception on %s [%s]", request.path, request.method, exc_info=exc
        )

    def _find_error_handler(self, exc: Exception) -> ErrorHandler | None:
        """Look a handler up by status code, then class MRO, then generic class.

        ``errorhandler(LookupError)`` thus also catches ``KeyError``.
        """
        code = exc.code if isinstance(exc, HTTPException) else None
        for key in (code, None) if code is not None else (None,):
            handlers = self.error_handler_spec.get(key)
            if not handlers:
                continue
            for cls in type(exc).__mro__:
                handler = handlers.get(cls)
                if handler is not None:
                    return handler
        return None

    # -- static files, testing, serving -----------------------------------

    def send_static_file(self, filename: str) -> Response:
        """Serve ``static_folder/filename`` (the ``static`` endpoint's view)."""
        if self.static_folder is None:
            raise RuntimeError("send_static_file: this app has no static_folder")
        request = _cv_request.get().request
        return send_from_directory(self.static_folder, filename, request=request)

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """Return a RequestContext for a made-up request (see EnvironBuilder)."""
        return self.request_context(EnvironBuilder(*args, **kwargs).get_environ())

    def test_client(self) -> Client:
        """Return a Client that calls this app in-process, keeping cookies."""
        return Client(self)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        debug: bool | None = None,
        **options: Any,
    ) -> None:
        """Serve this app on the project's own server (``serving.run_simple``).

        A host or port not given comes from ``SERVER_NAME``, else
        127.0.0.1:5000, as in Flask.
        """
        from walkthrough.framework.serving import run_simple

        if debug is not None:
            self.debug = debug
        server_host, _, server_port = (self.config["SERVER_NAME"] or "").partition(":")
        host = host or server_host or "127.0.0.1"
        if port is None:
            port = int(server_port) if server_port else 5000
        run_simple(host, int(port), self, **options)


def _send_static_file_of(app_ref: weakref.ref[App], filename: str) -> Response:
    """Serve a static file for the app behind ``app_ref`` (the static view)."""
    app = app_ref()
    if app is None:
        raise RuntimeError("the app of this static view no longer exists")
    return app.send_static_file(filename)


def get_root_path(import_name: str) -> str:
    """Return the folder of the module named ``import_name`` (else the cwd)."""
    module = sys.modules.get(import_name)
    filename = getattr(module, "__file__", None)
    if filename is None:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(filename))


def _split_view_tuple(rv: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    """Split a view tuple into ``(body, status, headers)``, None if absent."""
    if len(rv) == 3:
        return rv
    if len(rv) == 2:
        body, second = rv
        if isinstance(second, dict | list | tuple) or hasattr(second, "to_wsgi_list"):
            return body, None, second
        return body, second, None
    raise TypeError(
        "The view function did not return a valid response tuple. The tuple must "
        "have the form (body, status, headers), (body, status), or (body, headers)."
    )


def _current_endpoint() -> str | None:
    """Return the endpoint being served, for error messages about the view."""
    ctx = _cv_request.get(None)
    return None if ctx is None else ctx.request.endpoint
