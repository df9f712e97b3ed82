"""MultiDict, Headers, EnvironHeaders, FileStorage."""

from __future__ import annotations

import io

import pytest

from walkthrough.framework.datastructures import (
    EnvironHeaders,
    FileStorage,
    Headers,
    MultiDict,
)


def test_multidict_keeps_every_value() -> None:
    data = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert data["a"] == "1"
    assert data.getlist("a") == ["1", "3"]
    assert list(data) == ["a", "b"] and len(data) == 2
    assert list(data.items(multi=True)) == [("a", "1"), ("a", "3"), ("b", "2")]
    assert data.to_dict() == {"a": "1", "b": "2"}
    assert data.to_dict(flat=False) == {"a": ["1", "3"], "b": ["2"]}
    data["a"] = "x"
    assert data.getlist("a") == ["x"]
    del data["b"]
    assert "b" not in data
    with pytest.raises(KeyError):
        data["missing"]


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("5", {"type": int}, 5),
        ("five", {"type": int, "default": 1}, 1),
        (None, {"default": "d"}, "d"),
        ("x", {}, "x"),
    ],
)
def test_multidict_get_with_type(value, kwargs, expected) -> None:
    data = MultiDict({} if value is None else {"k": value})
    assert data.get("k", **kwargs) == expected


def test_headers_case_insensitive_and_ordered() -> None:
    headers = Headers([("Content-Type", "text/plain"), ("Set-Cookie", "a=1")])
    headers.add("set-cookie", "b=2")
    assert headers["content-type"] == "text/plain"
    assert headers.getlist("SET-COOKIE") == ["a=1", "b=2"]
    assert "CONTENT-TYPE" in headers and "X" not in headers
    assert headers.get("x") is None and headers.get("x", "d") == "d"
    with pytest.raises(KeyError):
        headers["x"]


@pytest.mark.parametrize(
    ("start", "operation", "expected"),
    [
        (
            [("A", "1"), ("B", "2"), ("a", "3")],
            ("set", "a", "9"),
            [("a", "9"), ("B", "2")],
        ),
        ([("B", "2")], ("set", "A", 1), [("B", "2"), ("A", "1")]),
        ([("A", "1"), ("a", "2"), ("B", "3")], ("remove", "A"), [("B", "3")]),
        ([("A", "1")], ("setdefault", "A", "x"), [("A", "1")]),
        ([], ("setdefault", "A", "x"), [("A", "x")]),
        (
            [("A", "1"), ("B", "2")],
            ("update", {"a": "new", "C": ["3", "4"]}),
            [("B", "2"), ("a", "new"), ("C", "3"), ("C", "4")],
        ),
        ([("A", "1")], ("extend", {"A": "2"}), [("A", "1"), ("A", "2")]),
    ],
)
def test_headers_operations(start, operation, expected) -> None:
    headers = Headers(start)
    name, *args = operation
    getattr(headers, name)(*args)
    assert headers.to_wsgi_list() == expected


def test_headers_refuse_newlines() -> None:
    with pytest.raises(ValueError, match="'X'"):
        Headers().set("X", "a\nb")


def test_headers_equality_and_copy_out() -> None:
    headers = Headers({"A": "1"})
    assert headers == Headers([("A", "1")])
    exported = headers.to_wsgi_list()
    exported.append(("B", "2"))
    assert len(headers) == 1


def test_environ_headers_translate_names() -> None:
    headers = EnvironHeaders(
        {
            "HTTP_USER_AGENT": "ua",
            "CONTENT_TYPE": "text/plain",
            "CONTENT_LENGTH": "",
            "SERVER_NAME": "x",
        }
    )
    assert headers["user-agent"] == "ua"
    assert headers["Content-Type"] == "text/plain"
    assert headers.items() == [("User-Agent", "ua"), ("Content-Type", "text/plain")]
    assert len(headers) == 2 and "server-name" not in headers
    assert headers.getlist("User-Agent") == ["ua"] and headers.getlist("X") == []


def test_file_storage_reads_and_saves(tmp_path) -> None:
    upload = FileStorage(io.BytesIO(b"data"), filename="f.txt", name="file")
    target = tmp_path / "saved"
    upload.save(str(target))
    assert target.read_bytes() == b"data"
    assert "f.txt" in repr(upload)


# --- as Werkzeug's MultiDict (issue 12: the upstream suites found these) -----


def test_multidict_spreads_list_values_of_a_mapping() -> None:
    data = MultiDict({"v": [1, 2], "t": ("a",), "empty": [], "one": 3})
    assert data.getlist("v") == [1, 2]
    assert data.getlist("t") == ["a"]
    assert "empty" not in data
    assert data.getlist("one") == [3]


def test_multidict_missing_key_is_a_key_error_and_a_400() -> None:
    from walkthrough.framework.exceptions import BadRequest, BadRequestKeyError

    with pytest.raises(KeyError) as caught:
        MultiDict()["missing"]
    assert isinstance(caught.value, BadRequestKeyError)
    assert isinstance(caught.value, BadRequest)
    assert caught.value.code == 400
    assert caught.value.args == ("missing",)
