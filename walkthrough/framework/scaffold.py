"""Registration: ``add_url_rule`` and the decorators that fill the registries.

``route``, the request hooks and ``errorhandler`` only record functions; the
chain in ``app.py`` calls them. Flask's ``sansio.scaffold.Scaffold`` (shared
with blueprints, left out); each mistake fails here, naming what was wrong."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from walkthrough.framework.exceptions import DEFAULT_EXCEPTIONS, HTTPException
from walkthrough.framework.routing import Map, Rule

F = TypeVar("F", bound=Callable[..., Any])
ErrorHandler = Callable[[Any], Any]


class Scaffold:
    """Hold the per-app registries the request chain consults.

    They live on the instance, never at module level, so two apps in one
    process (say, a test app and the site) never share a hook.
    """

    def __init__(self) -> None:
        self.view_functions: dict[str, Callable[..., Any]] = {}
        self.before_request_funcs: list[Callable[[], Any]] = []
        self.after_request_funcs: list[Callable[[Any], Any]] = []
        self.teardown_request_funcs: list[Callable[[BaseException | None], Any]] = []
        self.error_handler_spec: dict[int | None, dict[type, ErrorHandler]] = {}
        self.url_map = Map()

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        """Add a ``Rule`` to ``url_map`` and file the view under its endpoint.

        OPTIONS is added to the methods so ``dispatch_request`` can answer
        it with ``Allow`` (unless ``provide_automatic_options=False``, given
        here or set on the view); a clash or a non-callable fails here.
        Unlike Flask, ours does not refuse a rule added after the first
        request; add them all before serving, or workers may disagree.
        """
        if endpoint is None and view_func is not None:
            endpoint = view_func.__name__
        if endpoint is None:
            raise TypeError(f"rule {rule!r}: give an endpoint= or a view function")
        if view_func is not None and not callable(view_func):
            raise TypeError(f"rule {rule!r}: view {view_func!r} is not callable")
        old_func = self.view_functions.get(endpoint)
        if view_func is not None and old_func is not None and old_func != view_func:
            raise ValueError(
                f"rule {rule!r}: endpoint {endpoint!r} is already bound to "
                f"{old_func.__qualname__}; pass endpoint= to pick another name"
            )
        automatic = options.pop("provide_automatic_options", None)
        if automatic is None:
            automatic = getattr(view_func, "provide_automatic_options", None)
        methods, automatic_options = _rule_methods(
            rule, options.pop("methods", None), automatic
        )
        url_rule = Rule(rule, endpoint=endpoint, methods=methods, **options)
        url_rule.provide_automatic_options = automatic_options  # type: ignore[attr-defined]
        self.url_map.add(url_rule)
        if view_func is not None:
            self.view_functions[endpoint] = view_func

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Return a decorator that registers the view for ``rule``.

        ``@app.route("/")`` is ``add_url_rule("/", view_func=index)`` in
        decorator form; ``partial`` keeps the step nameable (no closure).
        """
        return partial(self.register_route, rule, dict(options))

    def register_route(self, rule: str, options: dict[str, Any], view_func: F) -> F:
        """Register ``view_func`` for ``rule`` and hand it back unchanged.

        This is what ``@app.route(...)`` runs when Python applies it to the
        function below it.
        """
        endpoint = options.pop("endpoint", None)
        self.add_url_rule(rule, endpoint, view_func, **options)
        return view_func

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["GET"])``, shorter (Flask's, since 2.0)."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["POST"])``, shorter."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PUT"])``, shorter."""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``, shorter."""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``, shorter."""
        return self._method_route("PATCH", rule, options)

    def _method_route(
        self, method: str, rule: str, options: dict[str, Any]
    ) -> Callable[[F], F]:
        """Return ``route`` for one method; ``methods=`` belongs to ``route``."""
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Return a decorator that binds a view to an endpoint added without one."""
        return partial(self.register_endpoint, endpoint)

    def register_endpoint(self, endpoint: str, view_func: F) -> F:
        """Bind ``view_func`` to ``endpoint`` and hand it back unchanged."""
        _check_callable(view_func, f"endpoint {endpoint!r}: the view")
        self.view_functions[endpoint] = view_func
        return view_func

    def before_request(self, func: F) -> F:
        """Run ``func()`` before each view; a non-None return ends the request."""
        _check_callable(func, "before_request")
        self.before_request_funcs.append(func)
        return func

    def after_request(self, func: F) -> F:
        """Run ``func(response)`` after each view; it must return a response."""
        _check_callable(func, "after_request")
        self.after_request_funcs.append(func)
        return func

    def teardown_request(self, func: F) -> F:
        """Run ``func(exc)`` when the request context pops, even after an error."""
        _check_callable(func, "teardown_request")
        self.teardown_request_funcs.append(func)
        return func

    def errorhandler(self, code_or_exception: type | int) -> Callable[[F], F]:
        """Return a decorator that registers an error handler (code or class)."""
        return partial(self.register_error_handler, code_or_exception)

    def register_error_handler(self, code_or_exception: type | int, func: F) -> F:
        """File ``func`` under the status code (or None) and exception class.

        Returns ``func`` unchanged, so ``errorhandler`` can use it as the
        decorator itself.
        """
        exc_class, code = _get_exc_class_and_code(code_or_exception)
        _check_callable(func, f"errorhandler({code_or_exception!r})")
        self.error_handler_spec.setdefault(code, {})[exc_class] = func
        return func


def _get_exc_class_and_code(code_or_exception: type | int) -> tuple[type, int | None]:
    """Turn ``404`` or ``NotFound`` into ``(NotFound, 404)``; reject the rest.

    A handler for an unknown code would never run, so refuse it now.
    """
    if isinstance(code_or_exception, int):
        try:
            exc_class: type = DEFAULT_EXCEPTIONS[code_or_exception]
        except KeyError:
            known = ", ".join(str(code) for code in sorted(DEFAULT_EXCEPTIONS))
            raise ValueError(
                f"errorhandler({code_or_exception}): not a known HTTP error code "
                f"(known: {known}); register an HTTPException subclass instead"
            ) from None
    else:
        exc_class = code_or_exception
    if not (isinstance(exc_class, type) and issubclass(exc_class, Exception)):
        raise TypeError(
            f"errorhandler({code_or_exception!r}): expected an HTTP status code "
            "or an Exception subclass"
        )
    if issubclass(exc_class, HTTPException) and exc_class is not HTTPException:
        return exc_class, exc_class.code
    return exc_class, None


def _check_callable(func: object, what: str) -> None:
    """Refuse a non-callable at registration, where the mistake is made."""
    if not callable(func):
        raise TypeError(f"{what}: expected a function, got {func!r}")


def _rule_methods(
    rule: str, methods: Any, automatic: bool | None = None
) -> tuple[set[str], bool]:
    """Return the rule's methods (default GET) and if OPTIONS is automatic.

    It is, unless the rule lists OPTIONS itself or ``automatic`` is False.
    """
    if isinstance(methods, str):
        raise TypeError(
            f"rule {rule!r}: methods must be a list of strings, e.g. methods=['POST']"
        )
    method_set = {method.upper() for method in (methods or ("GET",))}
    if automatic is None:
        automatic = "OPTIONS" not in method_set
    return (method_set | {"OPTIONS"} if automatic else method_set), automatic
