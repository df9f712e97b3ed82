"""Team hosting over real sockets: gunicorn, a sub-path, a reverse proxy.

gunicorn runs ``walkthrough.wsgi:app`` with ``walkthrough.gunicorn_conf`` in a
subprocess; the sub-path and proxy cases mount the site on our own server
behind a test-local dispatcher or ``ProxyFix``, then follow every link a page
offers and check that it stays under the prefix and answers.
"""

from __future__ import annotations

import http.client
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from gunicorn.config import Config

from walkthrough import gunicorn_conf
from walkthrough.framework.app import App
from walkthrough.framework.middleware import ProxyFix
from walkthrough.site import create_app
from walkthrough.wsgi import TRUSTED_PROXIES_ENV_VAR, make_app

REPO = Path(__file__).resolve().parent.parent
SOCKET_TIMEOUT_SECONDS = 15.0
STARTUP_SECONDS = 30.0
# graceful_timeout (10 s) plus room for the arbiter to reap its workers.
SHUTDOWN_SECONDS = 25.0
CONCURRENT_PROBES = 3
PREFIX = "/team/walkthrough"
# The command docs/hosting.md gives, with --bind added by the test.
GUNICORN_CONFIG = "python:walkthrough.gunicorn_conf"
GUNICORN_APP = "walkthrough.wsgi:app"
LINK_ATTRIBUTES = ("href", "src", "action", "xlink:href")
# URLs that scripts read from the page: probe.js streams and lifts steps,
# search.js fetches its index.
DATA_URL_ATTRIBUTES = ("data-stream-url", "data-step-url", "data-index")


# -- clients -----------------------------------------------------------------


@dataclass
class Answer:
    """One response, read to its end."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """Return the body as text."""
        return self.body.decode("utf-8")


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> Answer:
    """GET ``path`` on 127.0.0.1 without following redirects.

    http.client raises IncompleteRead on a body shorter than its
    Content-Length or an unfinished chunked one, so a cut body fails here.
    """
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=SOCKET_TIMEOUT_SECONDS
    )
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return Answer(response.status, dict(response.getheaders()), body)
    finally:
        connection.close()


def last_event(stream: bytes) -> str:
    """Return the name of the last Server-Sent Event in a stream body."""
    block = stream.decode("utf-8").strip().rsplit("\n\n", 1)[-1]
    names = [line[7:] for line in block.splitlines() if line.startswith("event: ")]
    return names[-1] if names else ""


class LinkParser(HTMLParser):
    """Collect every URL a page points at: links, assets, forms, script URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.data_urls: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in LINK_ATTRIBUTES:
                self.links.append(value)
            elif name in DATA_URL_ATTRIBUTES:
                self.data_urls[name] = value


def parse_links(html: str) -> LinkParser:
    """Parse ``html`` and return what it links to."""
    parser = LinkParser()
    parser.feed(html)
    parser.close()
    return parser


def local_targets(page_url: str, links: Iterable[str]) -> set[str]:
    """Resolve links against the page URL; keep this host's other documents."""
    host = urlsplit(page_url).netloc
    targets = set()
    for link in links:
        if link.startswith("#"):
            continue
        url = urlsplit(urljoin(page_url, link))
        if url.scheme in ("http", "https") and url.netloc == host:
            targets.add(url.path + (f"?{url.query}" if url.query else ""))
    return targets


# -- gunicorn in a subprocess ------------------------------------------------


def free_port() -> int:
    """Return a port that was free a moment ago (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Gunicorn:
    """A running gunicorn, its port, its error log lines and access log file."""

    process: subprocess.Popen[str]
    port: int
    log_lines: queue.Queue[str | None]
    access_log: Path


def drain(stream: Iterable[str], lines: queue.Queue[str | None]) -> None:
    """Copy gunicorn's stderr into a queue, so its pipe never fills; None at EOF."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def start_gunicorn(log_dir: Path) -> Gunicorn:
    """Start gunicorn as the hosting docs say; return once /healthz answers.

    "Listening at" means the socket is bound: requests then wait in its
    backlog until a worker accepts, so nothing needs to poll after it.
    """
    port = free_port()
    access_log = log_dir / f"access-{port}.log"
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("WALKTHROUGH_", "GUNICORN_"))
    }
    command = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, GUNICORN_APP]
    with access_log.open("w") as stdout:
        process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{port}"],
            cwd=REPO,
            env=environ,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
        )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=drain, args=(process.stderr, lines), daemon=True).start()
    server = Gunicorn(process, port, lines, access_log)
    try:
        wait_for_line(server, "Listening at: ")
        assert fetch(port, "/healthz").text == "ok\n"
    except BaseException:
        stop(server)
        raise
    return server


def wait_for_line(server: Gunicorn, text: str) -> str:
    """Return the first error-log line holding ``text``; fail by the deadline."""
    deadline = time.monotonic() + STARTUP_SECONDS
    seen: list[str] = []
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = server.log_lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if text in line:
            return line
    pytest.fail(f"gunicorn never logged {text!r}; it said:\n{''.join(seen)}")


def stop(server: Gunicorn) -> int:
    """SIGTERM gunicorn and return its exit code; kill it if it hangs."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
    try:
        return server.process.wait(timeout=SHUTDOWN_SECONDS)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=SOCKET_TIMEOUT_SECONDS)
        raise


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """Serve the site under real gunicorn for this module's tests."""
    server = start_gunicorn(tmp_path_factory.mktemp("gunicorn"))
    yield server
    stop(server)


# -- gunicorn ------------------------------------------------------------------


def test_config_names_only_real_gunicorn_settings() -> None:
    """A misspelt setting (``keep_alive``) is silently ignored by gunicorn."""
    known = Config().settings
    ours = {
        name
        for name, value in vars(gunicorn_conf).items()
        if name.islower()
        and not name.startswith("_")
        and isinstance(value, str | int | float | list | dict)
    }
    assert ours - set(known) == set()
    assert gunicorn_conf.worker_class == "gthread"
    assert gunicorn_conf.control_socket_disable is True


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_config_refuses_a_bad_count(monkeypatch: pytest.MonkeyPatch, raw) -> None:
    monkeypatch.setenv(gunicorn_conf.THREADS_ENV_VAR, raw)
    with pytest.raises(ValueError, match="WALKTHROUGH_THREADS=.*whole number"):
        gunicorn_conf.positive_int_from_env(gunicorn_conf.THREADS_ENV_VAR, 4)


def test_gunicorn_serves_pages_static_files_and_a_probe(gunicorn: Gunicorn) -> None:
    index = fetch(gunicorn.port, "/")
    assert index.status == 200
    assert index.headers["Content-Type"].startswith("text/html")
    tour = first_link(f"http://127.0.0.1:{gunicorn.port}/", index.text, "/tours/")
    assert fetch(gunicorn.port, tour).status == 200
    css = fetch(gunicorn.port, "/static/site.css")
    assert (css.status, css.headers["Content-Type"]) == (200, "text/css; charset=utf-8")
    stream = fetch(gunicorn.port, "/probe/stream?path=/index")
    assert stream.status == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    assert last_event(stream.body) == "done"


class OpenStream:
    """A probe stream read up to its first event, left open for the test."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=SOCKET_TIMEOUT_SECONDS
        )
        self.connection.request("GET", "/probe/stream?path=/index")
        self.response = self.connection.getresponse()
        assert self.response.status == 200, self.response.read()
        self.first_event = self.read_event()

    def read_event(self) -> bytes:
        """Read one event block, up to its blank line."""
        block = b""
        while not block.endswith(b"\n\n"):
            line = self.response.readline()
            assert line, f"the stream ended inside an event: {block!r}"
            block += line
        return block

    def read_rest(self) -> bytes:
        """Read the stream to its end and hang up."""
        try:
            return self.first_event + self.response.read()
        finally:
            self.connection.close()


def test_concurrent_probes_while_pages_answer(gunicorn: Gunicorn) -> None:
    """Three streams open at once, none refused, while ``/`` still answers."""
    streams = [OpenStream(gunicorn.port) for _ in range(CONCURRENT_PROBES)]
    try:
        assert fetch(gunicorn.port, "/").status == 200
        endings = [last_event(stream.read_rest()) for stream in streams]
    finally:
        for stream in streams:
            stream.connection.close()
    assert endings == ["done"] * CONCURRENT_PROBES


def test_sigterm_finishes_responses_and_exits_zero(tmp_path: Path) -> None:
    """Stop as a process manager does: what was sent arrives whole, exit 0."""
    server = start_gunicorn(tmp_path)
    try:
        page = fetch(server.port, "/")
        stream = OpenStream(server.port)
        server.process.send_signal(signal.SIGTERM)
        rest = stream.read_rest()
        exit_code = server.process.wait(timeout=SHUTDOWN_SECONDS)
    finally:
        stop(server)
    assert len(page.body) == int(page.headers["Content-Length"])
    assert last_event(rest) == "done"
    assert exit_code == 0
    access_log = server.access_log.read_text()
    assert '"GET / HTTP/1.1" 200' in access_log
    assert '"GET /probe/stream?path=/index HTTP/1.1" 200' in access_log


# -- the WSGI entry ------------------------------------------------------------


def test_wsgi_entry_trusts_no_proxy_unless_told() -> None:
    assert isinstance(make_app({}), App)
    fixed = make_app({TRUSTED_PROXIES_ENV_VAR: "2"})
    assert isinstance(fixed, ProxyFix)
    assert (fixed.x_for, fixed.x_proto, fixed.x_host, fixed.x_prefix) == (2, 2, 2, 2)
    assert fixed.x_port == 0


@pytest.mark.parametrize("raw", ["0", "-1", "one", "1.5", "²"])
def test_wsgi_entry_refuses_a_bad_proxy_count(raw: str) -> None:
    with pytest.raises(ValueError, match="WALKTHROUGH_TRUSTED_PROXIES=.*>= 1"):
        make_app({TRUSTED_PROXIES_ENV_VAR: raw})


# -- a sub-path ----------------------------------------------------------------


class PrefixDispatcher:
    """Mount an app at ``prefix``, as Werkzeug's DispatcherMiddleware does.

    The prefix moves from PATH_INFO to SCRIPT_NAME; anything outside it is 404.
    """

    def __init__(self, app, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            body = b"Nothing is mounted here.\n"
            start_response(
                "404 Not Found",
                [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
            )
            return [body]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
        environ["PATH_INFO"] = path[len(self.prefix) :]
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def mounted(live_server) -> Iterator:
    """Serve the site at PREFIX on our own server, behind the dispatcher."""
    with live_server(PrefixDispatcher(create_app(), PREFIX)) as server:
        yield server


def first_link(page_url: str, html: str, start: str) -> str:
    """Return the first local link on a page whose path begins with ``start``."""
    links = local_targets(page_url, parse_links(html).links)
    return sorted(link for link in links if link.startswith(start) and link != start)[0]


def crawl_pages(port: int, prefix: str) -> dict[str, LinkParser]:
    """Fetch the index, a tour, a step, the probe and a 404; parse each."""
    base = f"http://127.0.0.1:{port}"
    index = fetch(port, prefix + "/")
    tour_path = first_link(base + prefix + "/", index.text, prefix + "/tours/")
    tour = fetch(port, tour_path)
    step_path = first_link(base + tour_path, tour.text, tour_path)
    pages = {prefix + "/": index, tour_path: tour}
    for path in (step_path, prefix + "/probe", prefix + "/no/such/page"):
        pages[path] = fetch(port, path)
    assert [a.status for a in pages.values()] == [200, 200, 200, 200, 404]
    return {path: parse_links(answer.text) for path, answer in pages.items()}


def test_every_link_under_a_sub_path_resolves(mounted) -> None:
    base = f"http://127.0.0.1:{mounted.port}"
    targets: set[str] = set()
    for path, links in crawl_pages(mounted.port, PREFIX).items():
        found = local_targets(base + path, links.links)
        assert found, f"{path} links nowhere"
        found |= {url for url in links.data_urls.values() if "__" not in url}
        escaped = [t for t in found if not t.startswith(PREFIX + "/")]
        assert escaped == [], f"{path} links outside {PREFIX}"
        assert all(url.startswith(PREFIX + "/") for url in links.data_urls.values())
        targets |= found
    answers = {target: fetch(mounted.port, target).status for target in targets}
    assert {t: s for t, s in answers.items() if s != 200} == {}


def test_probe_page_streams_under_the_sub_path(mounted) -> None:
    """probe.js opens ``data-stream-url + "?" + query`` and fetches step URLs."""
    page = parse_links(fetch(mounted.port, PREFIX + "/probe").text)
    stream_url = page.data_urls["data-stream-url"]
    assert stream_url == PREFIX + "/probe/stream"
    assert page.data_urls["data-step-url"].startswith(PREFIX + "/tours/")
    stream = fetch(mounted.port, stream_url + "?mode=request&method=GET&path=/index")
    assert (stream.status, last_event(stream.body)) == (200, "done")


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        (PREFIX, 308, PREFIX + "/"),
        (PREFIX + "/tours/request", 308, PREFIX + "/tours/request/"),
        ("/", 404, None),
        ("/static/site.css", 404, None),
        (PREFIX + "x/", 404, None),
    ],
)
def test_sub_path_redirects_keep_the_prefix(mounted, path, status, location) -> None:
    answer = fetch(mounted.port, path)
    assert (answer.status, answer.headers.get("Location")) == (status, location)


# -- behind a reverse proxy ----------------------------------------------------

FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "wiki.example.org",
    "X-Forwarded-Prefix": "/wiki/wt",
}


@pytest.fixture(scope="module")
def proxied(live_server) -> Iterator:
    """Serve the site as a team with one nginx in front does (opted in)."""
    app = ProxyFix(create_app(), x_for=1, x_proto=1, x_host=1, x_prefix=1)
    with live_server(app) as server:
        yield server


@pytest.fixture(scope="module")
def unproxied(live_server) -> Iterator:
    """Serve the site as ``walkthrough.wsgi`` does without the opt-in."""
    with live_server(make_app({})) as server:
        yield server


def test_forwarded_prefix_moves_every_link(proxied) -> None:
    """Links point at /wiki/wt/...; the proxy strips that prefix again."""
    page_url = "https://wiki.example.org/wiki/wt/"
    index = fetch(proxied.port, "/", FORWARDED)
    targets = local_targets(page_url, parse_links(index.text).links)
    assert targets and all(t.startswith("/wiki/wt/") for t in targets), targets
    statuses = {
        target: fetch(proxied.port, target.removeprefix("/wiki/wt"), FORWARDED).status
        for target in targets
    }
    assert set(statuses.values()) == {200}, statuses
    redirect = fetch(proxied.port, "/tours/request", FORWARDED)
    assert redirect.headers["Location"] == "/wiki/wt/tours/request/"


def test_forwarded_headers_change_nothing_without_opting_in(unproxied) -> None:
    index = fetch(unproxied.port, "/", FORWARDED)
    links = parse_links(index.text).links
    assert any(link.startswith("/static/site.css?v=") for link in links), links
    assert not [link for link in links if "/wiki/wt" in link or "example.org" in link]
    redirect = fetch(unproxied.port, "/tours/request", FORWARDED)
    assert redirect.headers["Location"] == "/tours/request/"
