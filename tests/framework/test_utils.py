"""safe_join, static files, redirect."""

from __future__ import annotations

import os

import pytest

from walkthrough.framework.app import App
from walkthrough.framework.utils import redirect, safe_join

ROOT = "/srv/static"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a.css", "/srv/static/a.css"),
        ("css/site.css", "/srv/static/css/site.css"),
        ("css/../a.css", "/srv/static/a.css"),
        ("..", None),
        ("../etc/passwd", None),
        ("a/../../etc/passwd", None),
        ("/etc/passwd", None),
        ("..\\secret", None),
        ("a\\b", None),
        ("a\x00.css", None),
        ("C:secret", None),
        ("c:/windows/win.ini", None),
        ("", "/srv/static/"),
    ],
)
def test_safe_join(path, expected) -> None:
    assert safe_join(ROOT, path) == expected


@pytest.fixture
def static_app(tmp_path) -> App:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body { color: red }\n")
    (static / "logo.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "secret.txt").write_text("top secret")
    return App(__name__, root_path=str(tmp_path))


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/css%2f..%2f..%2fsecret.txt",
        "/static/..%5csecret.txt",
        "/static/css/site.css%00.png",
        "/static//etc/passwd",
        "/static/C:secret.txt",
        "/static/missing.css",
        "/static/css",
    ],
)
def test_static_traversal_and_misses_are_404(static_app: App, path: str) -> None:
    response = static_app.test_client().get(path)
    assert response.status_code == 404, path
    assert b"top secret" not in response.data


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/static/css/site.css", "text/css; charset=utf-8", b"body { color: red }\n"),
        ("/static/logo.png", "image/png", b"\x89PNG fake"),
    ],
)
def test_static_file_is_served(static_app: App, path, content_type, body) -> None:
    response = static_app.test_client().get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Length"] == str(len(body))
    assert response.data == body
    assert response.headers["ETag"] and response.headers["Last-Modified"]


def test_static_file_revalidates_with_304(static_app: App) -> None:
    client = static_app.test_client()
    first = client.get("/static/css/site.css")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    by_etag = client.get("/static/css/site.css", headers={"If-None-Match": etag})
    assert (by_etag.status_code, by_etag.data) == (304, b"")
    assert "Content-Type" not in by_etag.headers
    by_date = client.get(
        "/static/css/site.css", headers={"If-Modified-Since": modified}
    )
    assert by_date.status_code == 304
    changed = client.get("/static/css/site.css", headers={"If-None-Match": '"old"'})
    assert changed.status_code == 200


def test_static_head_has_length_but_no_body(static_app: App) -> None:
    response = static_app.test_client().head("/static/logo.png")
    assert response.headers["Content-Length"] == "9" and response.data == b""


def test_static_url_path_and_folder_are_configurable(tmp_path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "x.txt").write_text("x")
    app = App(
        __name__,
        root_path=str(tmp_path),
        static_folder="assets",
        static_url_path="/files",
    )
    assert app.test_client().get("/files/x.txt").data == b"x"
    assert app.static_folder == os.path.join(str(tmp_path), "assets")


@pytest.mark.parametrize(
    ("location", "code", "header"),
    [
        ("/login", 302, "/login"),
        ("/a b?q=é", 303, "/a%20b?q=%C3%A9"),
        ("https://example.org/x", 308, "https://example.org/x"),
    ],
)
def test_redirect(location, code, header) -> None:
    response = redirect(location, code)
    assert response.status_code == code
    assert response.headers["Location"] == header
    assert b"Redirecting" in response.get_data()


def test_redirect_escapes_markup_and_rejects_odd_codes() -> None:
    body = redirect('/x"><script>').get_data()
    assert b"<script>" not in body
    with pytest.raises(ValueError, match="redirect code 200"):
        redirect("/", 200)
