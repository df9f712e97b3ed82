"""The ``walkthrough`` command: serve, run any WSGI app, check, probe, export.

Each subcommand is a small function that parses nothing itself: argparse
hands it a namespace, and it returns the process exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import json
import os
import socket
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from walkthrough import __version__

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEPTH_INDENT = "··"
MAX_PORT = 65535
CONTENT_HINT = "give --content, or $WALKTHROUGH_CONTENT, a folder of tours"
# Exit statuses a shell gives a command killed by Ctrl-C or by a closed pipe.
INTERRUPTED_EXIT = 130
CLOSED_PIPE_EXIT = 141
# What to say when the address cannot be bound, by errno.
BIND_PROBLEMS = {
    errno.EADDRINUSE: "the address is already in use (is another server running?)",
    errno.EACCES: "permission denied (ports below 1024 need root)",
    errno.EADDRNOTAVAIL: "this machine has no such address",
}
FLASK_HINT = " (for Flask: pip install 'walkthrough[flask]')"
# Each worker admits up to ``ServerLimits.max_connections``: this bounds the sum.
MAX_WORKERS = 32


class AppImportError(Exception):
    """Say why ``MODULE:CALLABLE`` could not be turned into a WSGI app."""


def import_app(spec: str) -> Callable:
    """Import ``module:name`` (or ``module:factory()``) as gunicorn does.

    The current directory goes first on ``sys.path``, so ``walkthrough run
    hello:app`` finds ``./hello.py`` before anything installed. Whatever the
    module or the factory raises becomes one ``AppImportError`` line.
    """
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise AppImportError(f"{spec!r}: expected MODULE:CALLABLE, e.g. hello:app")
    sys.path.insert(0, os.getcwd())
    module = _import_app_module(spec, module_name)
    is_factory = attribute.endswith("()")
    app = getattr(module, attribute.removesuffix("()"), None)
    if app is None:
        raise AppImportError(f"{spec!r}: module {module_name!r} has no {attribute!r}")
    if is_factory:
        app = _call_factory(spec, app)
    if not callable(app):
        raise AppImportError(f"{spec!r}: {attribute!r} is not callable")
    return app


def _import_app_module(spec: str, module_name: str) -> Any:
    """Import the app's module; any failure becomes one line that names it."""
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        hint = FLASK_HINT if error.name in ("flask", "werkzeug") else ""
        raise AppImportError(
            f"{spec!r}: cannot import {module_name!r}: {error}{hint}"
        ) from None
    # Importing runs the reader's code, which may fail in any way.
    except Exception as error:
        raise AppImportError(
            f"{spec!r}: importing {module_name!r} raised "
            f"{type(error).__name__}: {error}"
        ) from None


def _call_factory(spec: str, factory: Callable) -> Any:
    """Call an app factory; what it raises becomes one line that names it."""
    try:
        return factory()
    except Exception as error:
        raise AppImportError(
            f"{spec!r}: the factory raised {type(error).__name__}: {error}"
        ) from None


def command_run(args: argparse.Namespace) -> int:
    """Serve any WSGI callable on the project's own threaded server."""
    try:
        app = import_app(args.app)
    except AppImportError as error:
        print(f"walkthrough run: {error}", file=sys.stderr)
        return 2
    return serve_with_options("run", app, args)


def serve_with_options(command: str, app: Any, args: argparse.Namespace) -> int:
    """Serve ``app`` on our server as the command line asked; 0 when stopped."""
    from walkthrough.framework.serving import run_simple

    with explained_bind_errors(command, args):
        run_simple(
            args.host,
            args.port,
            app,
            log_requests=not args.quiet,
            use_reloader=args.reload,
            workers=args.workers,
        )
    return 0


def command_serve(args: argparse.Namespace) -> int:
    """Serve the walkthrough site on the project's own threaded server.

    With ``--app``, the probe page offers the reader's own app too.
    """
    from walkthrough.probe.targets import TargetUnavailable
    from walkthrough.site import content_dir_for, create_app

    problem = content_problem(content_dir_for(args.content))
    if problem:
        print(f"walkthrough serve: {problem}", file=sys.stderr)
        return 2
    try:
        probe_app = probe_target_for(args) if args.app else None
        app = create_app(args.content, demo=args.demo, probe_app=probe_app)
    # ValueError: a bad $WALKTHROUGH_FRAME_ANCESTORS, refused before anything listens.
    except (AppImportError, TargetUnavailable, ValueError) as error:
        print(f"walkthrough serve: {error}", file=sys.stderr)
        return 2
    return serve_with_options("serve", app, args)


class CommandFailed(Exception):
    """End a command with a one-line message on stderr and an exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@contextlib.contextmanager
def explained_bind_errors(command: str, args: argparse.Namespace) -> Any:
    """Turn a failed bind into one line naming the address and what to do.

    As ``flask run`` does: a raw ``OSError`` traceback for a port in use
    tells a new user nothing they can act on.
    """
    try:
        yield
    except OSError as error:
        address = f"{args.host}:{args.port}"
        if isinstance(error, socket.gaierror):
            reason = f"no such host ({error.strerror})"
        else:
            reason = BIND_PROBLEMS.get(error.errno, error.strerror or str(error))
        raise CommandFailed(
            f"walkthrough {command}: cannot listen on {address}: {reason}. "
            + bind_advice(error)
        ) from None


def bind_advice(error: OSError) -> str:
    """Say what to change after a failed bind: the port, or the host."""
    if error.errno in (errno.EADDRINUSE, errno.EACCES):
        return "Try another --port, or --port 0 for any free one."
    return "Check --host: 127.0.0.1 for this machine, 0.0.0.0 for every interface."


def content_problem(folder: Path) -> str | None:
    """Say why a content folder cannot be served, or None if it can.

    A typo in ``--content`` would otherwise start a site with no tours, or
    one that fails on every page.
    """
    from walkthrough.tour.content import ContentError, tour_files

    if not folder.exists():
        return f"{folder}: no such folder ({CONTENT_HINT})"
    if not folder.is_dir():
        return f"{folder}: not a folder ({CONTENT_HINT})"
    try:
        files = tour_files(folder)
    except (ContentError, OSError) as error:
        return f"{folder}: cannot read this folder ({error})"
    if not files:
        return (
            f"{folder}: no tours here (a tour is a .md file other than README.md; "
            "see the README in the shipped content folder)"
        )
    return None


def command_check(args: argparse.Namespace) -> int:
    """Validate the tours; print ``file:line: message`` for each fault.

    With no ``--content`` it checks what ``serve`` would serve:
    ``$WALKTHROUGH_CONTENT``, else the shipped tours.
    """
    from walkthrough.site import content_dir_for
    from walkthrough.tour.check import main as check_main

    folder = content_dir_for(args.content)
    problem = content_problem(folder)
    if problem:
        print(f"walkthrough check: {problem}", file=sys.stderr)
        return 1
    strict = ["--strict-translations"] if args.strict_translations else []
    return check_main(["--content", str(folder), *strict])


def command_export(args: argparse.Namespace) -> int:
    """Write the site as static files, for hosts that serve only files."""
    from walkthrough.export import ExportError, export_site
    from walkthrough.site import content_dir_for
    from walkthrough.tour.content import ContentError
    from walkthrough.tour.source import SymbolError

    problem = content_problem(content_dir_for(args.content))
    if problem:
        print(f"walkthrough export: {problem}", file=sys.stderr)
        return 2
    try:
        summary = export_site(
            args.outdir, content_dir=args.content, base_url=args.base_url
        )
    except (ExportError, ContentError, SymbolError) as error:
        print(f"walkthrough export: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        reason = error.strerror or str(error)
        print(
            f"walkthrough export: cannot write {args.outdir}: {reason}", file=sys.stderr
        )
        return 1
    print(
        f"Exported {len(summary.pages)} pages and {len(summary.probe_runs)} "
        f"recorded probe runs to {summary.outdir}"
    )
    print(f"Open {summary.outdir / 'index.html'}, or serve the folder as it is.")
    return 0


def probe_target_for(args: argparse.Namespace) -> Any:
    """Pick what to probe: ``--app MODULE:APP`` on ``--server``, or the specimen.

    Raises ``AppImportError`` or ``TargetUnavailable`` with a one-line reason.
    """
    from walkthrough.probe.targets import app_target, walkthrough_target

    if args.app is None:
        if args.server not in (None, "walkthrough"):
            raise AppImportError("--server werkzeug needs --app MODULE:APP")
        return walkthrough_target()
    return app_target(import_app(args.app), args.app, args.server)


def command_probe(args: argparse.Namespace) -> int:
    """Trace one real request (or the startup) and print each stage it ran.

    The app's own output (its ``Running on`` line) goes to stderr, so
    stdout holds only the timeline, or only JSON lines with ``--json``.
    """
    from walkthrough.framework.exceptions import BadRequest
    from walkthrough.probe.targets import TargetUnavailable
    from walkthrough.tour.content import ContentError

    out = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):
            probe = prepare_probe(args)
    except BadRequest as error:
        print(f"walkthrough probe: {error.description}", file=sys.stderr)
        return 2
    except (ContentError, AppImportError, TargetUnavailable) as error:
        print(f"walkthrough probe: {error}", file=sys.stderr)
        return 2
    # closing(): a reader that left (``| head``) or Ctrl-C stops the specimen
    # now, not whenever the generator is collected.
    with contextlib.redirect_stdout(sys.stderr), contextlib.closing(probe.run()) as run:
        ending = relay_probe(run, out, as_json=args.json)
    if "error" in ending:
        print(f"walkthrough probe: {ending['error']['message']}", file=sys.stderr)
        return 1
    return 0


def prepare_probe(args: argparse.Namespace) -> Any:
    """Check the request, load the tours, import the app: the probe to run."""
    from walkthrough.live import make_probe, parse_probe_request
    from walkthrough.site import content_dir_for
    from walkthrough.tour.content import load_tours

    mode = "startup" if args.startup else "request"
    query = {"mode": mode, "method": args.method, "path": args.path}
    request = parse_probe_request(query)
    tours = load_tours(content_dir_for(args.content))
    return make_probe(request, tours, probe_target_for(args))


def relay_probe(
    messages: Iterable[object], out: TextIO, *, as_json: bool
) -> dict[str, Any]:
    """Print the probe's messages; return how it ended (done or error).

    JSON lines leave as each stage fires; the timeline waits for the end,
    so each stage's line can show the facts its exit read too.
    """
    from walkthrough.probe.runner import NO_RESULT, ProbeDone, ProbeFailed
    from walkthrough.probe.tracer import StageEvent

    stages: list[dict[str, Any]] = []
    ending = {"error": ProbeFailed(NO_RESULT).to_json()}
    for message in messages:
        if isinstance(message, StageEvent):
            stages.append(message.to_json())
            if as_json:
                print(json.dumps(stages[-1]), file=out, flush=True)
            continue
        name = "done" if isinstance(message, ProbeDone) else "error"
        ending = {name: message.to_json()}
    if as_json:
        print(json.dumps(ending), file=out, flush=True)
    else:
        print_timeline(stages, ending, out)
    return ending


def print_timeline(
    stages: list[dict[str, Any]], ending: dict[str, Any], out: TextIO
) -> None:
    """Print one line per stage entered, indented by depth, then a summary."""
    thread = None
    for stage in with_exit_facts(stages):
        if stage["thread"] != thread:
            thread = stage["thread"]
            print(f"{'':12}[thread {thread}]", file=out)
        print(timeline_line(stage), file=out)
    print(ending_line(ending), file=out)


def with_exit_facts(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the enter stages, each with the facts its exit read added.

    Each exit closes the last open enter of its thread, as in the tracer.
    """
    enters: list[dict[str, Any]] = []
    open_stages: dict[str, list[dict[str, Any]]] = {}
    for stage in stages:
        stack = open_stages.setdefault(stage["thread"], [])
        if stage["phase"] == "enter":
            entered = {**stage, "detail": dict(stage["detail"])}
            enters.append(entered)
            stack.append(entered)
        elif stack:
            stack.pop()["detail"].update(stage["detail"])
    return enters


def timeline_line(stage: dict[str, Any]) -> str:
    """Format ``  12.34 ms  ··tour/step  Qual.name  key=value ...``."""
    label = f"{stage['tour']}/{stage['step']}" if stage["tour"] else "app"
    qualname = stage["symbol"].partition(":")[2]
    facts = " ".join(
        f"{key}={fact_text(value)}" for key, value in stage["detail"].items()
    )
    line = f"{stage['t_us'] / 1000:7.2f} ms  {DEPTH_INDENT * stage['depth']}{label}"
    return f"{line}  {qualname}  {facts}".rstrip()


def fact_text(value: object) -> str:
    """Show a fact bare if it is one word, else as JSON (quoted, escaped)."""
    text = str(value)
    if isinstance(value, str | int) and text and not any(c.isspace() for c in text):
        return text
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def ending_line(ending: dict[str, Any]) -> str:
    """Summarise how the probe ended, in the timeline's last line."""
    if "error" in ending:
        return f"error: {ending['error']['message']}"
    done = ending["done"]
    timing = f"{done['total_us'] / 1000:.2f} ms, {done['stages']} stages"
    if done["status"] is None:
        return f"done: serving (startup, no request), {timing}"
    return f"done: status {done['status']}, {done['size']} bytes, {timing}"


def port_number(text: str) -> int:
    """Parse ``--port``: a whole number from 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(
            f"{port} is not a port (give 0-{MAX_PORT}; 0 picks a free one)"
        )
    return port


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--host``, ``--port`` and ``--quiet``, shared by server commands."""
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind")
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help="port to bind (0: any free)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="do not log a line per request"
    )
    parser.add_argument(
        "--reload", action="store_true", help="restart when a Python file changes"
    )
    parser.add_argument(
        "--workers",
        type=worker_count,
        default=1,
        help=f"processes serving the port, 1 to {MAX_WORKERS} (default: 1)",
    )


def worker_count(text: str) -> int:
    """Parse ``--workers``: a whole number from 1 to ``MAX_WORKERS``."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_WORKERS}, got {text!r}")
    return int(text)


SERVE_ENVIRONMENT = """environment:
  WALKTHROUGH_CONTENT          tours to serve when --content is not given
  WALKTHROUGH_FRAME_ANCESTORS  who may show the site in a frame (CSP frame-ancestors),
                               default 'self'; a wiki: "'self' https://wiki.example.org"
"""


def add_probe_server_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--server``: which real server runs the probed app."""
    parser.add_argument(
        "--server",
        choices=("walkthrough", "werkzeug"),
        help="server for --app: this framework's or Werkzeug's (default: "
        "werkzeug for a Flask app, else walkthrough)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Describe every subcommand and its options."""
    parser = argparse.ArgumentParser(
        prog="walkthrough",
        description="A source walkthrough of the Flask/Werkzeug request lifecycle.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="serve the walkthrough site",
        epilog=SERVE_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_server_options(serve)
    serve.add_argument("--content", help="tours to serve (default: the shipped ones)")
    serve.add_argument(
        "--demo", action="store_true", help="the site presents itself, in a loop"
    )
    serve.add_argument(
        "--app",
        metavar="MODULE:APP",
        help="offer your own app on the probe page too (local use)",
    )
    add_probe_server_option(serve)
    serve.set_defaults(handler=command_serve)

    run = commands.add_parser("run", help="serve a WSGI app: walkthrough run mod:app")
    run.add_argument("app", metavar="MODULE:CALLABLE")
    add_server_options(run)
    run.set_defaults(handler=command_run)

    check = commands.add_parser("check", help="validate the tours in a content dir")
    check.add_argument("--content", help="content directory (default: shipped tours)")
    check.add_argument(
        "--strict-translations",
        action="store_true",
        help="fail on missing or stale translations too (normally warnings)",
    )
    check.set_defaults(handler=command_check)

    probe = commands.add_parser(
        "probe", help="trace one real request and print each stage it ran"
    )
    probe.add_argument(
        "path", nargs="?", default="/index", help="path to request (default: /index)"
    )
    probe.add_argument(
        "--app",
        metavar="MODULE:APP",
        help="probe your own WSGI app (Flask or this framework) instead of the "
        "specimen; imported from the current directory, as `run` does",
    )
    add_probe_server_option(probe)
    probe.add_argument("--method", default="GET", help="HTTP method (default: GET)")
    probe.add_argument(
        "--startup", action="store_true", help="trace the server starting instead"
    )
    probe.add_argument(
        "--json", action="store_true", help="print JSON lines: stages, then the end"
    )
    probe.add_argument("--content", help="tours whose steps name the stages")
    probe.set_defaults(handler=command_probe)

    export = commands.add_parser(
        "export", help="write the site as static files: walkthrough export OUTDIR"
    )
    export.add_argument("outdir", help="folder to write (new, empty or an export)")
    export.add_argument(
        "--base-url",
        help="path the folder will be served under, e.g. /team/walkthrough/ "
        "(only 404.html needs it; every other link is relative)",
    )
    export.add_argument("--content", help="content directory (default: shipped tours)")
    export.set_defaults(handler=command_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand.

    Ctrl-C ends any command quietly with the status shells expect, and so
    does a reader that closed our output early (``| head``), as ``ls`` does.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "reload", False) and getattr(args, "workers", 1) > 1:
        parser.error("--reload serves in one process: drop --workers")
    try:
        return args.handler(args)
    except CommandFailed as failure:
        print(failure, file=sys.stderr)
        return failure.status
    except KeyboardInterrupt:
        return INTERRUPTED_EXIT
    except BrokenPipeError:
        return stop_writing_stdout()


def stop_writing_stdout() -> int:
    """Point stdout at /dev/null, so flushing it at exit cannot fail again.

    The Python docs' recipe for SIGPIPE: the reader is gone, and what is
    still buffered for it must not become a second error on the way out.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return CLOSED_PIPE_EXIT
