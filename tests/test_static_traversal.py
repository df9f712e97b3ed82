"""Static files on the real server: no traversal reaches outside ``static/``.

Every target goes out as raw bytes, so no client removes ``..`` or decodes
``%2e`` first. The answer must be a whole 404 (400 only where the request
line itself is malformed): never a file from outside, a 500 or a cut
connection. The same table runs with the site mounted under a sub-path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from walkthrough.resources import shipped_path
from walkthrough.site import create_app

STATIC = shipped_path("static")
SUB_PATH = "/team/walkthrough"
READ_CHUNK_BYTES = 65536

# A line only each outside file holds; a leak would carry one of them.
OUTSIDE_FILES = [
    ("../walkthrough/site.py", b"def create_app("),
    ("../pyproject.toml", b"[tool.pytest.ini_options]"),
    ("../../../../../../etc/passwd", b"root:x:0:0:"),
]
SECRETS = [marker for _, marker in OUTSIDE_FILES]

TRAVERSALS = [
    pytest.param(b"/static/../pyproject.toml", id="dotdot"),
    pytest.param(b"/static/../walkthrough/site.py", id="dotdot-to-site-py"),
    pytest.param(b"/static/../../../../../../etc/passwd", id="dotdot-many"),
    pytest.param(b"/static/..", id="dotdot-alone"),
    pytest.param(b"/static/./../pyproject.toml", id="dot-then-dotdot"),
    pytest.param(b"/static/x/../../pyproject.toml", id="in-then-out"),
    # Lands back inside only because the folder is named "static"; a leading
    # ".." is refused outright, as Werkzeug does (browsers never send it).
    pytest.param(b"/static/../static/site.css", id="out-and-back"),
    # Normalises to the folder itself, which is not a file.
    pytest.param(b"/static/site.css/..", id="file-then-dotdot"),
    pytest.param(b"/static/", id="folder-itself"),
    pytest.param(b"/static/%2e%2e/pyproject.toml", id="pct-dots"),
    pytest.param(b"/static/%2E%2E%2Fpyproject.toml", id="pct-upper"),
    pytest.param(b"/static/.%2e/pyproject.toml", id="pct-second-dot"),
    pytest.param(b"/static/%2e./pyproject.toml", id="pct-first-dot"),
    pytest.param(b"/static/..%2fpyproject.toml", id="pct-slash"),
    pytest.param(b"/static/" + b"%2e%2e%2f" * 6 + b"etc%2fpasswd", id="pct-all"),
    pytest.param(b"/static/site.css%2f..%2f..%2fpyproject.toml", id="pct-after-file"),
    pytest.param(b"/static/%2fetc%2fpasswd", id="absolute-pct"),
    pytest.param(b"/static//etc/passwd", id="absolute-slash"),
    pytest.param(b"/static/%2f%2fetc%2fpasswd", id="absolute-pct-double"),
    # http.py's origin-form grammar admits a raw backslash, so it reaches
    # safe_join, which refuses it.
    pytest.param(b"/static/..\\pyproject.toml", id="backslash-raw"),
    pytest.param(b"/static/" + b"..\\" * 6 + b"etc\\passwd", id="backslash-many"),
    pytest.param(b"/static/%5c..%5cpyproject.toml", id="backslash-pct"),
    pytest.param(b"/static/..%5cpyproject.toml", id="dotdot-backslash-pct"),
    pytest.param(b"/static/site.css%00.txt", id="nul-suffix"),
    pytest.param(b"/static/..%00/pyproject.toml", id="nul-in-dotdot"),
    pytest.param(b"/static/%00", id="nul-alone"),
    # Decoded once, "%2e" is a literal name that does not exist.
    pytest.param(b"/static/%252e%252e%252fpyproject.toml", id="double-encoded"),
    pytest.param(b"/static/..%252fpyproject.toml", id="double-encoded-slash"),
    pytest.param(b"/static/C:%5cWindows%5cwin.ini", id="drive-backslash"),
    pytest.param(b"/static/C:/Windows/win.ini", id="drive-slash"),
    pytest.param(b"/static/C:pyproject.toml", id="drive-relative"),
    pytest.param(b"/static/%c0%ae%c0%ae/pyproject.toml", id="overlong-utf8"),
    pytest.param(b"/static/..%c0%afpyproject.toml", id="overlong-utf8-slash"),
    pytest.param(b"/static/%ef%bc%8e%ef%bc%8e/pyproject.toml", id="fullwidth-dots"),
    pytest.param(b"/static/....//pyproject.toml", id="four-dots"),
    pytest.param(b"/static/..;/pyproject.toml", id="semicolon-param"),
]

# The request-line parser refuses these before routing (RFC 9112 §3.2:
# visible ASCII and whole %-escapes only), so 400 is the right answer.
REFUSED_BY_PARSER = [
    pytest.param(b"/static/\xc0\xae\xc0\xae/pyproject.toml", id="raw-non-ascii"),
    pytest.param(b"/static/..\x00/pyproject.toml", id="raw-nul"),
    pytest.param(b"/static/%%2e%2e/pyproject.toml", id="broken-escape"),
    pytest.param(b"/static/.%2/pyproject.toml", id="half-escape"),
]

# RFC 3986 §5.2.4: these dot segments resolve inside the folder (a browser
# would send /static/site.css), so serving site.css is correct.
STAYS_INSIDE = [
    pytest.param(b"/static/./site.css", id="dot"),
    pytest.param(b"/static/x/../site.css", id="in-and-back"),
    pytest.param(b"/static/%2e/site.css", id="pct-dot"),
    pytest.param(b"/static/x%2f..%2fsite.css", id="pct-in-and-back"),
]


class SubPathMount:
    """Serve ``app`` under ``prefix``, moved from PATH_INFO to SCRIPT_NAME.

    The dispatcher of test_hosting.py cut to its core: the prefix is cut
    from the already-decoded path, so the app sees the same attacks.
    """

    def __init__(self, app, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if not path.startswith(self.prefix + "/"):
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        environ["SCRIPT_NAME"] = self.prefix
        environ["PATH_INFO"] = path[len(self.prefix) :]
        return self.app(environ, start_response)


@dataclass
class Reply:
    """One whole response: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Site:
    """The live site and the prefix every path goes under."""

    server: object
    prefix: bytes

    def fetch(self, path: bytes) -> Reply:
        """Send ``GET prefix+path`` as raw bytes and read the whole reply."""
        request = b"GET %s%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        return self.fetch_target(request % (self.prefix, path))

    def fetch_target(self, request: bytes) -> Reply:
        """Send one raw request; read until the server closes."""
        with self.server.connect() as connection:
            connection.sendall(request)
            data = b""
            while chunk := connection.recv(READ_CHUNK_BYTES):
                data += chunk
        return parse_reply(data)


def parse_reply(data: bytes) -> Reply:
    """Split a response, asserting it is whole (not a cut connection)."""
    head, blank, body = data.partition(b"\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 ") and blank, f"no whole response: {data!r}"
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    headers = {name.lower(): value for name, value in headers.items()}
    assert int(headers["content-length"]) == len(body), "body cut short"
    return Reply(int(status_line.split(" ")[1]), headers, body)


@pytest.fixture(scope="module", params=["", SUB_PATH], ids=["root", "sub-path"])
def site(request, live_server) -> Iterator[Site]:
    """Serve the site on the real server, at / and under a sub-path."""
    prefix = request.param
    app = SubPathMount(create_app(), prefix) if prefix else create_app()
    with live_server(app) as server:
        yield Site(server, prefix.encode("ascii"))


def assert_refused(site: Site, reply: Reply, status: int) -> None:
    """Check the refusal leaks nothing, then that the server still serves."""
    assert reply.status == status
    assert not any(secret in reply.body for secret in SECRETS)
    assert site.fetch(b"/static/site.css").status == 200


@pytest.mark.parametrize(("relative", "marker"), OUTSIDE_FILES)
def test_targets_aim_at_real_files(relative: str, marker: bytes) -> None:
    """A naive join would serve these, so the leak checks are not vacuous."""
    path = STATIC / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent in this layout")
    assert marker in path.read_bytes()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [(b"/static/site.css", "text/css"), (b"/static/probe.js", "text/javascript")],
)
def test_static_file_is_served(site: Site, path: bytes, content_type: str) -> None:
    reply = site.fetch(path)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith(content_type)
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.body == (STATIC / path.decode().removeprefix("/static/")).read_bytes()


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_is_404(site: Site, path: bytes) -> None:
    assert_refused(site, site.fetch(path), 404)


@pytest.mark.parametrize("path", REFUSED_BY_PARSER)
def test_malformed_target_is_400(site: Site, path: bytes) -> None:
    assert_refused(site, site.fetch(path), 400)


@pytest.mark.parametrize(
    "path", [b"/static/../pyproject.toml", b"/static/%2e%2e%2fpyproject.toml"]
)
def test_absolute_form_traversal_is_404(site: Site, path: bytes) -> None:
    """RFC 9112 §3.2.2: a full URL as target takes the same path to safe_join."""
    request = b"GET http://t%s%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    assert_refused(site, site.fetch_target(request % (site.prefix, path)), 404)


@pytest.mark.parametrize("path", STAYS_INSIDE)
def test_dot_segments_inside_the_folder_are_served(site: Site, path: bytes) -> None:
    reply = site.fetch(path)
    assert reply.status == 200
    assert reply.body == (STATIC / "site.css").read_bytes()
