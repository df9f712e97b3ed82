"""Time one hello-world request through ``app(environ, start_response)``.

Compares this project's App with Flask, Bottle and a bare WSGI callable in
one run, in-process (no sockets), from a prebuilt environ copied per call.
Prints the best of several repeats in µs/request and the ratios to ours.

    .venv/bin/python bench/bench_app.py [--number N] [--repeat R] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import timeit
from collections.abc import Callable, Iterable
from wsgiref.util import setup_testing_defaults

from walkthrough.framework.app import App
from walkthrough.framework.types import StartResponse, WSGIApplication, WSGIEnvironment

HELLO_BODY = "Hello, World!"


def make_ours() -> WSGIApplication:
    """Return our App with one hello route."""
    app = App(__name__)
    app.add_url_rule("/", "hello", hello)
    return app


def make_flask() -> WSGIApplication:
    """Return a Flask app with the same route."""
    import flask

    app = flask.Flask(__name__)
    app.add_url_rule("/", "hello", hello)
    return app


def make_bottle() -> WSGIApplication:
    """Return a Bottle app with the same route."""
    import bottle

    app = bottle.Bottle()
    app.route("/", callback=hello)
    return app


def hello() -> str:
    """Answer the benchmark request."""
    return HELLO_BODY


def bare_app(
    environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    """Answer with no framework at all: the floor for any WSGI app."""
    body = HELLO_BODY.encode()
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]


def start_response(
    status: str, headers: list[tuple[str, str]], exc_info: object = None
):
    """Accept the status and headers, as a server would, and drop them."""
    return None


def make_environ() -> WSGIEnvironment:
    """Build the GET / environ every call copies."""
    environ: WSGIEnvironment = {}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO()
    return environ


def request_once(app: WSGIApplication, environ: WSGIEnvironment) -> bytes:
    """Run one request: copy the environ, call the app, drain and close the body."""
    app_iter = app(dict(environ), start_response)
    try:
        return b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()


def time_app(
    app: WSGIApplication, environ: WSGIEnvironment, *, number: int, repeat: int
) -> float:
    """Return the best µs per request over ``repeat`` runs of ``number`` calls."""
    assert request_once(app, environ) == HELLO_BODY.encode(), "app answered wrong"
    timer = timeit.Timer(
        "request_once(app, environ)",
        globals={"request_once": request_once, "app": app, "environ": environ},
    )
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def profile_ours(environ: WSGIEnvironment, *, number: int) -> None:
    """Print the top of a cProfile of our hot path, sorted by own time."""
    app = make_ours()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(number):
        request_once(app, environ)
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> None:
    """Time every contender and print a table of µs/request and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    environ = make_environ()
    if args.profile:
        profile_ours(environ, number=args.number)
        return
    contenders: dict[str, Callable[[], WSGIApplication]] = {
        "walkthrough": make_ours,
        "flask": make_flask,
        "bottle": make_bottle,
        "bare wsgi": lambda: bare_app,
    }
    results = {
        name: time_app(factory(), environ, number=args.number, repeat=args.repeat)
        for name, factory in contenders.items()
    }
    ours = results["walkthrough"]
    print(f"{'app':<12} {'µs/request':>11} {'vs walkthrough':>15}")
    for name, micros in results.items():
        print(f"{name:<12} {micros:>11.2f} {micros / ours:>14.2f}x")
    print(f"flask / walkthrough = {results['flask'] / ours:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
