"""Files and redirects: ``safe_join``, ``send_file``, ``redirect``.

``App.send_static_file`` serves ``/static/<path:filename>`` through these, so a
client-chosen path never leaves the folder. Werkzeug's ``utils`` and
``security.safe_join``; left out: Range, X-Sendfile, ``max_age`` caching."""

from __future__ import annotations

import html
import mimetypes
import os
import posixpath
import re
import zlib
from datetime import UTC, datetime
from urllib.parse import quote
from wsgiref.util import FileWrapper

from walkthrough.framework.exceptions import NotFound
from walkthrough.framework.wrappers import Request, Response

FILE_CHUNK_BYTES = 8192
DRIVE_LETTER_RE = re.compile(r"^[A-Za-z]:")
REDIRECT_CODES = frozenset({300, 301, 302, 303, 305, 307, 308})
# RFC 3986 reserved and unreserved characters stay as they are in Location.
LOCATION_SAFE_CHARS = "/:?#[]@!$&'()*+,;=%~"


def safe_join(directory: str, *pathnames: str) -> str | None:
    """Join untrusted path parts under ``directory``, or None if one escapes.

    Refused: ``..`` segments, absolute paths, backslashes, NUL and drive
    letters, any of which could leave the folder on some OS.
    """
    parts = [directory]
    for filename in pathnames:
        if filename != "":
            filename = posixpath.normpath(filename)
        if (
            "\\" in filename
            or "\x00" in filename
            or DRIVE_LETTER_RE.match(filename)
            or os.path.isabs(filename)
            or filename == ".."
            or filename.startswith(("/", "../"))
        ):
            return None
        parts.append(filename)
    return posixpath.join(*parts)


def send_from_directory(directory: str, path: str, *, request: Request) -> Response:
    """Send ``path`` from inside ``directory``; unsafe or missing is 404."""
    joined = safe_join(directory, path)
    if joined is None or not os.path.isfile(joined):
        raise NotFound()
    return send_file(joined, request=request)


def send_file(path: str, *, request: Request) -> Response:
    """Stream a file with its MIME type, size, ETag and Last-Modified.

    ``make_conditional`` then answers a repeat request with 304 and no body;
    the ``FileWrapper``'s ``close`` shuts the file either way.
    """
    stat = os.stat(path)
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    body = FileWrapper(open(path, "rb"), FILE_CHUNK_BYTES)
    response = Response(body, mimetype=mimetype)
    response.headers.set("Content-Length", stat.st_size)
    response.headers.set("Cache-Control", "no-cache")
    response.last_modified = datetime.fromtimestamp(int(stat.st_mtime), tz=UTC)
    check = zlib.adler32(path.encode("utf-8")) & 0xFFFFFFFF
    response.headers.set("ETag", f'"{stat.st_mtime}-{stat.st_size}-{check}"')
    return response.make_conditional(request)


def redirect(location: str, code: int = 302) -> Response:
    """Return a response that sends the client to ``location``.

    The Location is percent-encoded (non-ASCII and spaces) and the little
    HTML body escapes it, so a user-supplied URL cannot inject markup.
    """
    if code not in REDIRECT_CODES:
        raise ValueError(f"redirect code {code}: use one of {sorted(REDIRECT_CODES)}")
    encoded = quote(location, safe=LOCATION_SAFE_CHARS)
    shown = html.escape(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the "
        f'target URL: <a href="{html.escape(encoded)}">{shown}</a>. If not, click '
        "the link.\n"
    )
    return Response(body, code, {"Location": encoded})
