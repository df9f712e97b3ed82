"""The ``walkthrough`` command: serve the site, run any WSGI app, check tours.

Each subcommand is a small function that parses nothing itself: argparse
hands it a namespace, and it returns the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from walkthrough import __version__

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


class AppImportError(Exception):
    """Say why ``MODULE:CALLABLE`` could not be turned into a WSGI app."""


def import_app(spec: str) -> Callable:
    """Import ``module:name`` (or ``module:factory()``) as gunicorn does.

    The current directory goes first on ``sys.path``, so ``walkthrough run
    hello:app`` finds ``./hello.py`` before anything installed.
    """
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise AppImportError(f"{spec!r}: expected MODULE:CALLABLE, e.g. hello:app")
    sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise AppImportError(
            f"{spec!r}: cannot import {module_name!r}: {error}"
        ) from None
    is_factory = attribute.endswith("()")
    app = getattr(module, attribute.removesuffix("()"), None)
    if app is None:
        raise AppImportError(f"{spec!r}: module {module_name!r} has no {attribute!r}")
    if is_factory:
        app = app()
    if not callable(app):
        raise AppImportError(f"{spec!r}: {attribute!r} is not callable")
    return app


def command_run(args: argparse.Namespace) -> int:
    """Serve any WSGI callable on the project's own threaded server."""
    from walkthrough.framework.serving import run_simple

    try:
        app = import_app(args.app)
    except AppImportError as error:
        print(f"walkthrough run: {error}", file=sys.stderr)
        return 2
    run_simple(args.host, args.port, app, log_requests=not args.quiet)
    return 0


def command_serve(args: argparse.Namespace) -> int:
    """Serve the walkthrough site on the project's own threaded server."""
    from walkthrough.framework.serving import run_simple
    from walkthrough.site import create_app

    run_simple(
        args.host, args.port, create_app(args.content), log_requests=not args.quiet
    )
    return 0


def command_check(args: argparse.Namespace) -> int:
    """Validate the tours; print ``file:line: message`` for each fault."""
    from walkthrough.tour.check import main as check_main

    argv = ["--content", args.content] if args.content else []
    return check_main(argv)


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--host``, ``--port`` and ``--quiet``, shared by server commands."""
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to bind (0: any free)"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="do not log a line per request"
    )


def build_parser() -> argparse.ArgumentParser:
    """Describe every subcommand and its options."""
    parser = argparse.ArgumentParser(
        prog="walkthrough",
        description="A source walkthrough of the Flask/Werkzeug request lifecycle.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the walkthrough site")
    add_server_options(serve)
    serve.add_argument("--content", help="tours to serve (default: the shipped ones)")
    serve.set_defaults(handler=command_serve)

    run = commands.add_parser("run", help="serve a WSGI app: walkthrough run mod:app")
    run.add_argument("app", metavar="MODULE:CALLABLE")
    add_server_options(run)
    run.set_defaults(handler=command_run)

    check = commands.add_parser("check", help="validate the tours in a content dir")
    check.add_argument("--content", help="content directory (default: shipped tours)")
    check.set_defaults(handler=command_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand."""
    args = build_parser().parse_args(argv)
    return args.handler(args)
