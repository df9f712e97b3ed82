"""Say what the probe can run: an app, the server under it, the tours it lights.

A ``ProbeTarget`` is a value: how to build the app, which real server runs
it, which tours explain its chain (their steps name the stages), how it
starts up if it can, and the scenarios it offers. This framework's specimen
is one target, its twin on real Flask another, and an app named on the
command line (``--app MODULE:APP``) a third; the runner, the site and the
page read the value and never ask which one they hold.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import CodeType, FunctionType
from typing import Any

from walkthrough.probe import specimen
from walkthrough.probe.servers import serve_on_walkthrough, serve_on_werkzeug
from walkthrough.probe.specimen import SCENARIOS, Scenario
from walkthrough.tour.source import display_path

WALKTHROUGH = "walkthrough"
FLASK = "flask"
YOURS = "yours"
SERVERS = ("walkthrough", "werkzeug")
FLASK_EXTRA_HINT = "Real Flask is not installed: pip install 'walkthrough[flask]'"
WERKZEUG_HINT = "Werkzeug's server is not installed: pip install 'walkthrough[flask]'"
# Where an app keeps the functions it registered: (kind, attribute). The
# names are the same on Flask and on this framework.
REGISTRIES = (
    ("view", "view_functions"),
    ("hook", "before_request_funcs"),
    ("hook", "after_request_funcs"),
    ("hook", "teardown_request_funcs"),
    ("hook", "teardown_appcontext_funcs"),
    ("handler", "error_handler_spec"),
)
# Code from these packages is the framework's, never the app's own.
FRAMEWORK_PACKAGES = ("flask", "werkzeug", "walkthrough.framework")


class TargetUnavailable(Exception):
    """Say why a target cannot run in this installation, and how to fix it."""


@dataclass(frozen=True)
class OwnFunction:
    """One of the app's own functions: a view, hook, error handler or helper."""

    symbol: str
    kind: str
    function: FunctionType

    def to_json(self) -> dict[str, Any]:
        """Describe the function and its source, for the probe page."""
        try:
            lines, first_line = inspect.getsourcelines(self.function)
            file = inspect.getsourcefile(self.function) or ""
        except (OSError, TypeError):
            # Code made at run time (exec, a REPL) has no file to show.
            lines, first_line, file = [], 0, ""
        return {
            "symbol": self.symbol,
            "kind": self.kind,
            "file": display_path(self.function.__module__, file) if file else "",
            "line": first_line,
            "source": "".join(lines),
        }


@dataclass(frozen=True)
class ProbeTarget:
    """An app the probe can trace, on a real server, and the tours it lights.

    ``request_tours`` and ``startup_tours`` come in order of preference: a
    function several tours name is reported as the first one's step.
    """

    id: str
    title: str
    create_app: Callable[[], Any]
    serve: Callable[[Any], Any]
    request_tours: tuple[str, ...]
    startup_tours: tuple[str, ...] = ()
    startup: Callable[[], None] | None = None
    scenarios: tuple[Scenario, ...] = ()
    helpers: Callable[[], tuple[Callable[..., Any], ...]] = tuple

    @property
    def tours(self) -> tuple[str, ...]:
        """Every tour this target lights, startup's first, each once."""
        return tuple(dict.fromkeys(self.startup_tours + self.request_tours))

    def own_functions(self, app: Any = None) -> tuple[OwnFunction, ...]:
        """Return the app's own views, hooks and handlers (built if not given)."""
        return own_functions(self.create_app() if app is None else app, self.helpers())


def own_functions(
    app: Any, helpers: tuple[Callable[..., Any], ...] = ()
) -> tuple[OwnFunction, ...]:
    """Find what an app registered, as Flask and this framework keep it."""
    found: dict[CodeType, OwnFunction] = {}
    for kind, attribute in REGISTRIES:
        for function in functions_in(getattr(app, attribute, None)):
            found.setdefault(function.__code__, own_function(function, kind))
    for function in functions_in(list(helpers)):
        found.setdefault(function.__code__, own_function(function, "helper"))
    return tuple(own for own in found.values() if not is_framework_code(own.function))


def own_function(function: FunctionType, kind: str) -> OwnFunction:
    """Name a function by ``module:qualname``, as the tours name stages."""
    return OwnFunction(f"{function.__module__}:{function.__qualname__}", kind, function)


def functions_in(registry: object) -> Iterator[FunctionType]:
    """Yield the plain functions in a registry of dicts and lists, unwrapped."""
    if isinstance(registry, Mapping):
        for value in registry.values():
            yield from functions_in(value)
    elif isinstance(registry, list | tuple):
        for value in registry:
            yield from functions_in(value)
    elif callable(registry):
        function = inspect.unwrap(getattr(registry, "__func__", registry))
        if isinstance(function, FunctionType):
            yield function


def is_framework_code(function: FunctionType) -> bool:
    """Tell Flask's own ``static`` view (and the like) from the app's code."""
    module = function.__module__ or ""
    return any(
        module == package or module.startswith(f"{package}.")
        for package in FRAMEWORK_PACKAGES
    )


def build_specimen() -> Any:
    """Build the specimen, looked up when called (tests may swap it)."""
    return specimen.create_specimen()


def start_specimen() -> None:
    """Build the specimen and serve it on a free port, quietly."""
    specimen.create_specimen().run("127.0.0.1", 0, log_requests=False)


def specimen_helpers() -> tuple[Callable[..., Any], ...]:
    """Return the specimen's own code that no registry holds."""
    return (specimen.generate_parts,)


def walkthrough_target() -> ProbeTarget:
    """The specimen on this framework's threaded server: the tours' own app."""
    return ProbeTarget(
        id=WALKTHROUGH,
        title="This framework",
        create_app=build_specimen,
        serve=serve_on_walkthrough,
        request_tours=("request",),
        startup_tours=("startup",),
        startup=start_specimen,
        scenarios=SCENARIOS,
        helpers=specimen_helpers,
    )


def require(module: str, hint: str = FLASK_EXTRA_HINT) -> Any:
    """Import an optional module, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise TargetUnavailable(hint) from None


def flask_target() -> ProbeTarget:
    """The specimen's twin on real Flask, served by Werkzeug's own server."""
    require("flask")
    require("werkzeug.serving")
    twin = require("walkthrough.probe.flask_twin")
    return ProbeTarget(
        id=FLASK,
        title="Real Flask",
        create_app=twin.create_flask_twin,
        serve=serve_on_werkzeug,
        request_tours=(FLASK,),
        startup_tours=(FLASK,),
        startup=twin.start_flask_twin,
        scenarios=SCENARIOS,
        helpers=lambda: (twin.generate_parts,),
    )


def is_flask_app(app: object) -> bool:
    """Tell a Flask app, without importing Flask when the app did not."""
    flask = sys.modules.get("flask")
    return flask is not None and isinstance(app, flask.Flask)


def default_server(app: object) -> str:
    """Serve a Flask app on Werkzeug, as ``flask run`` would; others on ours."""
    return "werkzeug" if is_flask_app(app) else "walkthrough"


def app_target(app: Any, spec: str, server: str | None = None) -> ProbeTarget:
    """A reader's own app (``MODULE:APP``) on the server they chose.

    The tours that explain the server come first, then those that explain
    the app: Flask's tour for a Flask app, the request tour for one of ours.
    """
    server = server or default_server(app)
    if server not in SERVERS:
        raise ValueError(f"unknown server {server!r} (choose from {SERVERS})")
    if server == "werkzeug":
        require("werkzeug.serving", WERKZEUG_HINT)
    server_tours = (FLASK,) if server == "werkzeug" else ("request",)
    app_tours = (FLASK,) if is_flask_app(app) else ("request",)
    serve = serve_on_werkzeug if server == "werkzeug" else serve_on_walkthrough
    return ProbeTarget(
        id=YOURS,
        title=f"Your app ({spec})",
        create_app=lambda: app,
        serve=serve,
        request_tours=tuple(dict.fromkeys(server_tours + app_tours)),
    )
