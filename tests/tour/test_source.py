"""Tests for walkthrough/tour/source.py: symbols to live source, shown."""

from __future__ import annotations

import html
import inspect
import re
import socketserver
import sys
from http import server as http_server
from pathlib import Path
from types import CodeType

import pytest
from tourfixture import sample
from tourfixture.helpers import FIXTURES, SAMPLE_FILE, line_of

from walkthrough.tour.content import load_tours
from walkthrough.tour.source import (
    StepRef,
    SymbolError,
    code_object,
    code_objects,
    focus_lines,
    highlight,
    resolve_symbol,
    stylesheet,
)

SAMPLE = "tourfixture.sample"


@pytest.mark.parametrize(
    ("qualname", "first_text", "last_text"),
    [
        ("plain", "def plain(", 'return f"hello {name}"'),
        # Decorated: the shown source starts at the first decorator.
        ("decorated", "@shout", 'return f"hello {name}"'),
        ("Greeter", "class Greeter:", "return 1"),
        ("Greeter.greet", "def greet(", 'return f"{self.greeting} {name}"'),
        ("Greeter.default_greeting", "@staticmethod", 'return "hi"'),
        ("Greeter.create", "@classmethod", "return cls(cls.default_greeting())"),
        ("Greeter.loud", "@property", "return self.greeting.upper()"),
        ("Greeter.decorated_method", "    @shout", 'return f"{self.greeting} {name}"'),
        ("Greeter.Inner.method", "def method(self)", "return 1"),
        # Defined twice in if/else: the one that ran is shown.
        ("conditional", "def conditional()", 'return "taken"'),
    ],
)
def test_resolve_symbol_finds_fixture_definitions(
    qualname: str, first_text: str, last_text: str
) -> None:
    source = resolve_symbol(f"{SAMPLE}:{qualname}")
    assert source.first_line == line_of(SAMPLE_FILE, first_text)
    assert first_text in source.lines[0]
    assert last_text in source.lines[-1]
    assert (source.file, source.module) == (str(SAMPLE_FILE), SAMPLE)
    assert source.qualname == qualname
    assert source.display_file == "tourfixture/sample.py"


@pytest.mark.parametrize(
    ("symbol", "target", "qualname", "display_file"),
    [
        (
            "socketserver:BaseServer.serve_forever",
            socketserver.BaseServer.serve_forever,
            "BaseServer.serve_forever",
            "socketserver.py",
        ),
        (
            "http.server:BaseHTTPRequestHandler.handle",
            http_server.BaseHTTPRequestHandler.handle,
            "BaseHTTPRequestHandler.handle",
            "http/server.py",
        ),
        # Found through a subclass, shown where it is defined.
        (
            "socketserver:TCPServer.serve_forever",
            socketserver.BaseServer.serve_forever,
            "BaseServer.serve_forever",
            "socketserver.py",
        ),
        ("socketserver", socketserver, "", "socketserver.py"),
    ],
)
def test_resolve_symbol_matches_inspect_for_stdlib(
    symbol: str, target: object, qualname: str, display_file: str
) -> None:
    lines, first = inspect.getsourcelines(target)
    source = resolve_symbol(symbol)
    assert source.first_line == max(first, 1)
    assert source.lines == tuple(line.rstrip("\n") for line in lines)
    assert (source.qualname, source.display_file) == (qualname, display_file)


@pytest.mark.parametrize(
    ("symbol", "message"),
    [
        (
            "socketserver:Nope.serve",
            "module 'socketserver' has no attribute 'Nope' "
            "(while resolving 'socketserver:Nope.serve')",
        ),
        (
            "socketserver:BaseServer.nope",
            "class 'BaseServer' has no attribute 'nope' "
            "(while resolving 'socketserver:BaseServer.nope')",
        ),
        (
            "no_such_module_xyz:f",
            "cannot import module 'no_such_module_xyz': No module named "
            "'no_such_module_xyz' (while resolving 'no_such_module_xyz:f')",
        ),
        (
            f"{SAMPLE}:GREETING",
            f"'{SAMPLE}:GREETING' is a str value, not code: name the function or "
            "class that defines it",
        ),
        (
            "os:getcwd",
            "'os:getcwd' is a builtin_function_or_method value, not code: name the "
            "function or class that defines it",
        ),
        ("not a symbol", "symbol 'not a symbol' is not of the form 'module:qualname'"),
        # A proxy's attributes are never looked up: that would run its code.
        (
            f"{SAMPLE}:proxy",
            f"'{SAMPLE}:proxy' is a Proxy value, not code: name the function or "
            "class that defines it",
        ),
        (
            f"{SAMPLE}:proxy.method",
            "a Proxy value is not a module or class, so it has no 'method' to show "
            f"(while resolving '{SAMPLE}:proxy.method')",
        ),
        (
            f"{SAMPLE}:plain.attribute",
            "function 'plain' is not a module or class, so it has no 'attribute' to "
            f"show (while resolving '{SAMPLE}:plain.attribute')",
        ),
    ],
)
def test_resolve_symbol_explains_failures(symbol: str, message: str) -> None:
    with pytest.raises(SymbolError) as raised:
        resolve_symbol(symbol)
    assert str(raised.value) == message


def test_resolve_symbol_reads_the_file_as_it_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "tour_live_source_module.py"
    module.write_text("def stage():\n    return 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert resolve_symbol("tour_live_source_module:stage").first_line == 1
    module.write_text("X = 1\n\n\ndef stage():\n    return 2\n", encoding="utf-8")
    source = resolve_symbol("tour_live_source_module:stage")
    assert (source.first_line, source.lines) == (4, ("def stage():", "    return 2"))


@pytest.mark.parametrize(
    ("focus", "expected_texts"),
    [
        ((), []),
        (("greeting",), ["stored greeting", 'return f"{self.greeting} {name}"']),
        (("def greet", "return"), ["def greet(", 'return f"{self.greeting} {name}"']),
    ],
)
def test_focus_lines_returns_real_line_numbers(
    focus: tuple[str, ...], expected_texts: list[str]
) -> None:
    source = resolve_symbol(f"{SAMPLE}:Greeter.greet")
    expected = [line_of(SAMPLE_FILE, text) for text in expected_texts]
    assert focus_lines(source, focus) == expected


def test_focus_lines_reports_missing_text_unless_lenient() -> None:
    source = resolve_symbol(f"{SAMPLE}:plain")
    first = line_of(SAMPLE_FILE, "def plain(")
    with pytest.raises(SymbolError) as raised:
        focus_lines(source, ["hello", "goodbye"])
    assert str(raised.value) == (
        f"focus text 'goodbye' not found in {SAMPLE}:plain "
        f"(tourfixture/sample.py lines {first}-{first + 2})"
    )
    assert focus_lines(source, ["hello", "goodbye"], strict=False) == [first + 2]


def _code_cell_text(code_html: str) -> str:
    """Return the text a reader copies from the code cell (tags stripped)."""
    cell = code_html.split('<td class="code">', 1)[1].split("</td>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", "", cell))


def test_highlight_has_real_numbers_anchors_and_emphasis() -> None:
    source = resolve_symbol(f"{SAMPLE}:Greeter.create")
    emphasised = focus_lines(source, ["return cls"])
    code_html = highlight(source, emphasised)
    numbers = range(source.first_line, source.last_line + 1)
    for number in numbers:
        assert f'<a id="L-{number}" name="L-{number}"></a>' in code_html
        assert f'<a href="#L-{number}">{number}</a>' in code_html
    assert f'id="L-{source.first_line - 1}"' not in code_html
    assert f'id="L-{source.last_line + 1}"' not in code_html
    (line,) = emphasised
    assert f'name="L-{line}"></a><span class="hll">' in code_html
    assert code_html.count('class="hll"') == 1
    assert f'<span class="normal emphasised"><a href="#L-{line}">' in code_html
    assert "style=" not in code_html
    # Numbers live in their own cell: copying the code cell copies code only.
    assert _code_cell_text(code_html) == source.text


def test_highlight_anchor_prefix_is_configurable() -> None:
    source = resolve_symbol(f"{SAMPLE}:plain")
    code_html = highlight(source, anchor_prefix="s2")
    assert f'id="s2-{source.first_line}"' in code_html
    assert 'id="L-' not in code_html


@pytest.mark.parametrize(
    ("theme", "scope", "prefix"),
    [
        ("light", None, '[data-theme="light"] .highlight'),
        ("dark", None, '[data-theme="dark"] .highlight'),
        ("dark", ":root", ":root .highlight"),
    ],
)
def test_stylesheet_scopes_every_rule(
    theme: str, scope: str | None, prefix: str
) -> None:
    css = stylesheet(theme, scope=scope)
    rules = [line for line in css.splitlines() if line.strip()]
    assert rules and all(rule.startswith(prefix) for rule in rules)
    assert f"{prefix} .linenos {{ user-select: none;" in css
    assert f"{prefix} .hll {{" in css


def test_stylesheet_themes_differ_and_unknown_theme_fails() -> None:
    assert stylesheet("light").replace("light", "") != stylesheet("dark").replace(
        "dark", ""
    )
    with pytest.raises(ValueError, match="unknown theme 'sepia'"):
        stylesheet("sepia")


@pytest.mark.parametrize(
    ("qualname", "expected"),
    [
        ("plain", sample.plain.__code__),
        ("decorated", sample.decorated.__wrapped__.__wrapped__.__code__),
        ("Greeter", sample.Greeter.__init__.__code__),
        ("Greeter.greet", sample.Greeter.greet.__code__),
        ("Greeter.default_greeting", sample.Greeter.default_greeting.__code__),
        ("Greeter.create", sample.Greeter.create.__func__.__code__),
        ("Greeter.loud", sample.Greeter.loud.fget.__code__),
        (
            "Greeter.decorated_method",
            sample.Greeter.decorated_method.__wrapped__.__code__,
        ),
        ("Plain", None),
    ],
)
def test_code_object_unwraps_to_the_code_the_probe_sees(
    qualname: str, expected: CodeType | None
) -> None:
    assert code_object(f"{SAMPLE}:{qualname}") is expected


def test_code_object_of_a_module_is_none() -> None:
    assert code_object("socketserver") is None


def test_code_objects_maps_every_step_of_the_tours() -> None:
    watched = code_objects(load_tours(FIXTURES / "good"))
    assert watched == {
        sample.plain.__code__: StepRef("sample", "plain", f"{SAMPLE}:plain"),
        sample.decorated.__wrapped__.__wrapped__.__code__: StepRef(
            "sample", "loud", f"{SAMPLE}:decorated"
        ),
        sample.Greeter.loud.fget.__code__: StepRef(
            "sample", "property", f"{SAMPLE}:Greeter.loud"
        ),
        socketserver.BaseServer.serve_forever.__code__: StepRef(
            "serving", "accept", "socketserver:BaseServer.serve_forever"
        ),
        http_server.BaseHTTPRequestHandler.handle.__code__: StepRef(
            "serving", "handle", "http.server:BaseHTTPRequestHandler.handle"
        ),
    }


NESTED = "tourfixture.nested"


def _nested_code(function: object, *names: str) -> CodeType:
    """Walk a function's constants by name to the code of a nested definition."""
    code = function.__code__  # type: ignore[attr-defined]
    for name in names:
        code = next(
            const
            for const in code.co_consts
            if isinstance(const, CodeType) and const.co_name == name
        )
    return code


@pytest.mark.parametrize(
    ("qualname", "first_text", "last_text", "code_path"),
    [
        ("outer.<locals>.inner", "def inner(", "return innermost()", ("inner",)),
        (
            "outer.<locals>.inner.<locals>.innermost",
            "def innermost(",
            'return f"{name}{suffix}"',
            ("inner", "innermost"),
        ),
        (
            "outer.<locals>.Local.method",
            "def method(self)",
            'return inner("!")',
            ("Local", "method"),
        ),
        (
            "outer.<locals>.in_a_block",
            "def in_a_block(",
            "return name",
            ("in_a_block",),
        ),
        (
            "decorated_outer.<locals>.behind_decorator",
            "def behind_decorator(",
            'return "found"',
            ("behind_decorator",),
        ),
        (
            "Handler.run.<locals>.execute",
            "def execute(",
            'return "executed"',
            ("execute",),
        ),
    ],
)
def test_nested_symbols_resolve_to_their_own_lines_and_code(
    qualname: str, first_text: str, last_text: str, code_path: tuple[str, ...]
) -> None:
    from tourfixture import nested

    outer_name = qualname.partition(".<locals>.")[0]
    outer = nested
    for part in outer_name.split("."):
        outer = getattr(outer, part)
    outer = inspect.unwrap(outer)
    source = resolve_symbol(f"{NESTED}:{qualname}")
    nested_file = Path(nested.__file__)
    assert source.first_line == line_of(nested_file, first_text)
    assert first_text in source.lines[0]
    assert last_text in source.lines[-1]
    assert (source.qualname, source.module) == (qualname, NESTED)
    assert source.display_file == "tourfixture/nested.py"
    expected_code = _nested_code(outer, *code_path)
    assert code_object(f"{NESTED}:{qualname}") is expected_code
    assert expected_code.co_firstlineno == source.first_line


def test_a_nested_symbol_found_through_a_subclass_is_the_same_code() -> None:
    from tourfixture import nested

    through_subclass = code_object(f"{NESTED}:SubHandler.run.<locals>.execute")
    assert through_subclass is _nested_code(nested.Handler.run, "execute")
    source = resolve_symbol(f"{NESTED}:SubHandler.run.<locals>.execute")
    assert source.qualname == "Handler.run.<locals>.execute"


def test_the_tracer_sees_the_nested_code_it_was_given() -> None:
    from tourfixture import nested

    watched = code_object(f"{NESTED}:outer.<locals>.inner.<locals>.innermost")
    seen: list[CodeType] = []

    def profile(frame: object, event: str, _arg: object) -> None:
        if event == "call":
            seen.append(frame.f_code)  # type: ignore[attr-defined]

    sys.setprofile(profile)
    try:
        nested.outer("hi")
    finally:
        sys.setprofile(None)
    assert watched in seen


@pytest.mark.parametrize(
    ("symbol", "message"),
    [
        (
            f"{NESTED}:outer.<locals>.missing",
            "function 'outer' defines no 'missing' "
            f"(while resolving '{NESTED}:outer.<locals>.missing')",
        ),
        (
            f"{NESTED}:Handler.<locals>.run",
            "class 'Handler' is not a function, so it has no local 'run' "
            f"(while resolving '{NESTED}:Handler.<locals>.run')",
        ),
        (
            f"{NESTED}:outer.<locals>",
            f"symbol '{NESTED}:outer.<locals>' is not of the form 'module:qualname'",
        ),
        (
            f"{NESTED}:<locals>.inner",
            f"symbol '{NESTED}:<locals>.inner' is not of the form 'module:qualname'",
        ),
    ],
)
def test_nested_symbol_failures_say_what_is_missing(symbol: str, message: str) -> None:
    with pytest.raises(SymbolError) as raised:
        resolve_symbol(symbol)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("name", "first_text", "focus_text"),
    [
        ("execute", "def execute(app: WSGIApplication)", "application_iter = app("),
        ("start_response", "def start_response(", "headers_set = headers"),
        ("write", "def write(data: bytes)", "self.send_response(code, msg)"),
    ],
)
def test_werkzeug_run_wsgi_closures_resolve_inside_run_wsgi(
    name: str, first_text: str, focus_text: str
) -> None:
    serving = pytest.importorskip("werkzeug.serving")
    symbol = f"werkzeug.serving:WSGIRequestHandler.run_wsgi.<locals>.{name}"
    source = resolve_symbol(symbol)
    run_wsgi = resolve_symbol("werkzeug.serving:WSGIRequestHandler.run_wsgi")
    assert run_wsgi.first_line < source.first_line <= source.last_line
    assert source.last_line <= run_wsgi.last_line
    assert source.first_line == line_of(Path(serving.__file__), first_text)
    assert source.display_file == "werkzeug/serving.py"
    assert focus_lines(source, [focus_text])
    code = code_object(symbol)
    assert code is not None and code.co_qualname == source.qualname
    assert code in set(_all_codes(serving.WSGIRequestHandler.run_wsgi.__code__))


def _all_codes(code: CodeType) -> list[CodeType]:
    """List every code object compiled inside `code`."""
    found = []
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found += [const, *_all_codes(const)]
    return found
