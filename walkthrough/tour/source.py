"""Resolve a tour symbol (`module:qualname`) to live source; highlight it.

The object is found by import and `getattr`, so a name that no longer exists fails;
its lines are then located in the file as it is on disk now (by parsing it), so an
edited file shows its real, current line numbers. Highlighting uses pygments with CSS
classes only, and `code_objects` tells the probe which code the tours name.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.metadata
import inspect
import os
import platform
import sys
import sysconfig
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import CodeType, FunctionType, MethodType, ModuleType
from typing import Any, NamedTuple

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.styles import get_style_by_name

from walkthrough.tour.content import SYMBOL_RE, Tour

CSS_CLASS = "highlight"
LINE_ANCHOR_PREFIX = "L"
# theme name -> (pygments style, background of emphasised lines, its edge marker)
THEMES: dict[str, tuple[str, str, str]] = {
    "light": ("default", "#fff5b1", "#d4a72c"),
    "dark": ("github-dark", "#3b2e0a", "#e3b341"),
}
_DEFINITION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_NESTED_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers")
# How Python's qualnames step from a function into what it defines.
LOCALS_SEPARATOR = ".<locals>."
# Stamp of a file version for caches: (mtime in ns, size in bytes).
Stamp = tuple[int, int]


class SymbolError(Exception):
    """Say why a tour's symbol cannot be shown, naming the symbol."""


@dataclass(frozen=True)
class SourceCode:
    """The current source lines of one symbol, with its real first line number."""

    file: str
    first_line: int
    lines: tuple[str, ...]
    qualname: str
    module: str
    display_file: str = ""

    @property
    def last_line(self) -> int:
        """Return the real line number of the last line shown."""
        return self.first_line + len(self.lines) - 1

    @property
    def text(self) -> str:
        """Return the lines joined, as pygments and searches want them."""
        return "\n".join(self.lines) + "\n"


class StepRef(NamedTuple):
    """Say which tour step named a code object, so the probe can label events."""

    tour_id: str
    step_id: str
    symbol: str


def resolve_symbol(symbol: str) -> SourceCode:
    """Find a symbol's source as the file is now, with real line numbers."""
    target, module = _resolve(symbol)
    file = _source_file(target, symbol)
    qualname = _qualname(target)
    first_line, lines = _read_definition(file, qualname, target, symbol)
    shown_as = display_path(module, file)
    return SourceCode(file, first_line, lines, qualname, module, shown_as)


def display_path(module: str, file: str) -> str:
    """Name a file by its import path (`http/server.py`), not where it lives.

    Falls back to the bare file name when the module is not that file (as for
    `collections.abc`, which lives in `_collections_abc.py`).
    """
    loaded = getattr(sys.modules.get(module), "__file__", None)
    if loaded is None or os.path.normcase(loaded) != os.path.normcase(file):
        return os.path.basename(file)
    name = module.replace(".", "/")
    is_package = os.path.basename(file) == "__init__.py"
    return f"{name}/__init__.py" if is_package else f"{name}.py"


def source_origin(module: str, file: str) -> str | None:
    """Name where a file comes from, when it is not this project's own code.

    A learner's own Python may number `socketserver.py` differently, so the
    panel says which one it shows: "Python 3.12.1", or "Werkzeug 3.1.9".
    """
    path = os.path.realpath(file)
    if module.split(".")[0] == "walkthrough":
        return None
    purelib = os.path.realpath(sysconfig.get_paths()["purelib"])
    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    if path.startswith(stdlib + os.sep) and not path.startswith(purelib + os.sep):
        return f"Python {platform.python_version()}"
    return _distribution_label(module.split(".")[0])


@functools.cache
def _distribution_label(package: str) -> str | None:
    """Return "Name version" of the installed distribution providing a package."""
    for name in importlib.metadata.packages_distributions().get(package, []):
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        return f"{distribution.metadata['Name']} {distribution.version}"
    return None


def source_file(symbol: str) -> str:
    """Return the path of the file a symbol is defined in, without reading it."""
    return _source_file(resolve_object(symbol), symbol)


def _source_file(target: object, symbol: str) -> str:
    """Return the Python file behind a resolved object, or raise."""
    try:
        file = inspect.getsourcefile(target)
    except TypeError:
        file = None
    if file is None:
        raise SymbolError(f"{symbol!r} has no Python source file to show")
    return file


def _defining_module(target: object) -> str:
    """Return the module defining a resolved object (not where it was found)."""
    if _is(target, ModuleType):
        return target.__name__
    return str(getattr(target, "__module__", "") or "")


def _qualname(target: object) -> str:
    """Return the name Python gives a definition inside its module ('' for one)."""
    if _is(target, ModuleType):
        return ""
    if _is(target, CodeType):
        return target.co_qualname
    return str(target.__qualname__)


def _is(value: object, kinds: type | tuple[type, ...]) -> bool:
    """Check a value's real type, not `__class__`, which a proxy may forward."""
    return issubclass(type(value), kinds)


def resolve_object(symbol: str) -> object:
    """Import the symbol's module and walk its qualname to the object to show.

    Descriptors are opened (staticmethod/classmethod to the function, property to its
    getter) and decorators are unwrapped through `__wrapped__`. A nested function
    (`outer.<locals>.inner`) exists only as code until `outer` runs, so it resolves
    to that code object, found in `outer`'s constants.
    """
    return _resolve(symbol)[0]


def _resolve(symbol: str) -> tuple[object, str]:
    """Resolve a symbol to its object and the name of the module defining it."""
    if not SYMBOL_RE.fullmatch(symbol):
        raise SymbolError(f"symbol {symbol!r} is not of the form 'module:qualname'")
    module_name, _, qualname = symbol.partition(":")
    outer_name, _, inner_name = qualname.partition(LOCALS_SEPARATOR)
    owner: object = _import_module(module_name, symbol)
    for part in outer_name.split(".") if outer_name else []:
        owner = _open_member(_get_member(owner, part, symbol))
    # A class is shown as written: its `__wrapped__`, if any, is an attribute
    # of its instances (Werkzeug's LocalProxy forwards one), not a decorator's.
    wrapped = inspect.getattr_static(owner, "__wrapped__", None)
    if wrapped is not None and not _is(owner, type):
        owner = inspect.unwrap(owner)
    if inner_name:
        return _nested_code(owner, inner_name, symbol), _defining_module(owner)
    if not _is(owner, (ModuleType, type, FunctionType)):
        message = f"{symbol!r} is a {type(owner).__name__} value, not code"
        raise SymbolError(f"{message}: name the function or class that defines it")
    return owner, _defining_module(owner)


def _nested_code(outer: object, inner_name: str, symbol: str) -> CodeType:
    """Find the code of a function defined inside `outer`, at any depth.

    Python compiles a nested `def` into a code object kept in the enclosing code's
    `co_consts`; each call of `outer` makes a new function from that same code, so
    it is what a tracer sees in `frame.f_code`.
    """
    if not _is(outer, FunctionType):
        message = f"{_describe(outer)} is not a function, so it has no local"
        raise SymbolError(f"{message} {inner_name!r} (while resolving {symbol!r})")
    wanted = f"{outer.__qualname__}{LOCALS_SEPARATOR}{inner_name}"
    found = next(
        (code for code in _inner_codes(outer.__code__) if code.co_qualname == wanted),
        None,
    )
    if found is None:
        message = f"{_describe(outer)} defines no {inner_name!r}"
        raise SymbolError(f"{message} (while resolving {symbol!r})")
    return found


def _inner_codes(code: CodeType) -> Iterator[CodeType]:
    """Yield every code object compiled inside `code`, depth first."""
    for constant in code.co_consts:
        if _is(constant, CodeType):
            yield constant
            yield from _inner_codes(constant)


def _import_module(module_name: str, symbol: str) -> ModuleType:
    """Import a module by name, translating any failure into a `SymbolError`."""
    try:
        return importlib.import_module(module_name)
    # Importing runs the module's code, which may fail in any way; report it as the
    # step's fault instead of crashing `walkthrough check` or the page.
    except Exception as error:
        message = f"cannot import module {module_name!r}: {error}"
        raise SymbolError(f"{message} (while resolving {symbol!r})") from None


def _get_member(owner: object, name: str, symbol: str) -> Any:
    """Return owner.name without running descriptors on classes, or raise.

    Only modules and classes are walked: looking into a value (such as a context
    proxy) could run its code, and a step should name a definition anyway.
    """
    if not _is(owner, (ModuleType, type)):
        message = f"{_describe(owner)} is not a module or class"
        raise SymbolError(
            f"{message}, so it has no {name!r} to show (while resolving {symbol!r})"
        )
    try:
        if _is(owner, type):
            return inspect.getattr_static(owner, name)
        return getattr(owner, name)
    except AttributeError:
        message = f"{_describe(owner)} has no attribute {name!r}"
        raise SymbolError(f"{message} (while resolving {symbol!r})") from None


def _open_member(member: Any) -> Any:
    """Return the function behind a descriptor or bound method, or the member."""
    if _is(member, (staticmethod, classmethod, MethodType)):
        return member.__func__
    if _is(member, property):
        return member.fget if member.fget is not None else member
    if _is(member, functools.cached_property):
        return member.func
    return member


def _describe(owner: object) -> str:
    """Name an object for an error message: `module 'x'`, `class 'A'`."""
    if _is(owner, ModuleType):
        return f"module {owner.__name__!r}"
    if _is(owner, type):
        return f"class {owner.__qualname__!r}"
    if _is(owner, FunctionType):
        return f"function {owner.__qualname__!r}"
    # Any other value may be a proxy whose attributes run code: name its type only.
    return f"a {type(owner).__name__} value"


def _read_definition(
    file: str, qualname: str, target: object, symbol: str
) -> tuple[int, tuple[str, ...]]:
    """Return a definition's first line number and lines, as the file is now."""
    stamp = file_stamp(file)
    lines = _read_lines(file, symbol)
    if not qualname:
        return 1, lines
    spans = _definition_index(file, stamp).get(qualname)
    if spans:
        # Defined twice (if/else branches): the one nearest the imported object wins.
        near = _reported_line(target)
        span = min(spans, key=lambda span: abs(span[0] - near))
    else:
        span = _inspect_span(target, symbol)
    return span[0], lines[span[0] - 1 : span[1]]


def file_stamp(path: str | os.PathLike[str]) -> Stamp:
    """Return (mtime_ns, size) of a file, or (-1, -1) if it is gone."""
    try:
        status = os.stat(path)
    except OSError:
        return (-1, -1)
    return (status.st_mtime_ns, status.st_size)


def _read_lines(file: str, symbol: str) -> tuple[str, ...]:
    """Read a source file's lines, honouring its PEP 263 encoding declaration."""
    try:
        with tokenize.open(file) as handle:
            text = handle.read()
    except (OSError, SyntaxError) as error:
        raise SymbolError(f"cannot read {file} for {symbol!r}: {error}") from None
    # split, not splitlines: form feeds must not shift the line numbers.
    return tuple(text.removesuffix("\n").split("\n"))


@functools.lru_cache(maxsize=64)
def _definition_index(file: str, stamp: Stamp) -> dict[str, list[tuple[int, int]]]:
    """Map each qualname defined in a file to its (first, last) line spans.

    Parsing a large module takes milliseconds, so the index is kept per file
    version: `stamp` is part of the cache key, and an edited file is parsed again.
    The first line of a span is its first decorator's. Do not mutate the result.
    """
    try:
        with tokenize.open(file) as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return {}
    index: dict[str, list[tuple[int, int]]] = {}
    for qualname, node in _definitions(tree.body, ""):
        start = _start_line(node)
        index.setdefault(qualname, []).append((start, node.end_lineno or start))
    return index


def _reported_line(target: object) -> int:
    """Return where the imported object starts, to pick among redefinitions."""
    code = target if _is(target, CodeType) else getattr(target, "__code__", None)
    return code.co_firstlineno if isinstance(code, CodeType) else 0


def _inspect_span(target: object, symbol: str) -> tuple[int, int]:
    """Ask `inspect` for a definition the syntax tree does not name directly."""
    try:
        lines, first = inspect.getsourcelines(target)
    except (OSError, TypeError) as error:
        raise SymbolError(f"cannot find the source of {symbol!r}: {error}") from None
    first = max(first, 1)
    return first, first + len(lines) - 1


def _definitions(
    body: Iterable[ast.AST], prefix: str
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]]:
    """Yield (qualname, node) for every def and class, as Python names them."""
    for node in _statements(body):
        if isinstance(node, _DEFINITION_NODES):
            qualname = prefix + node.name
            yield qualname, node
            # Python names a function's nested code `outer.<locals>.inner`.
            is_class = isinstance(node, ast.ClassDef)
            inner = f"{qualname}." if is_class else f"{qualname}.<locals>."
            yield from _definitions(node.body, inner)


def _statements(body: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Yield a block's statements, descending into non-def compound ones."""
    for node in body:
        yield node
        if isinstance(node, _DEFINITION_NODES):
            continue
        for field in _NESTED_BLOCK_FIELDS:
            yield from _statements(getattr(node, field, None) or [])


def _start_line(node: ast.AST) -> int:
    """Return a definition's first line, which is its first decorator's if any."""
    decorators = getattr(node, "decorator_list", None) or []
    first = getattr(node, "lineno", 1)
    return min([decorator.lineno for decorator in decorators] + [first])


def focus_lines(
    source: SourceCode, focus: Sequence[str], *, strict: bool = True
) -> list[int]:
    """Return the real line numbers of source lines containing any focus text.

    A focus text found nowhere raises `SymbolError` when `strict` (as `check` wants);
    otherwise it is skipped, so a page still renders while an author fixes it.
    """
    missing = missing_focus(source, focus)
    if missing and strict:
        raise SymbolError(missing_focus_message(source, missing[0]))
    return [
        source.first_line + index
        for index, line in enumerate(source.lines)
        if any(text in line for text in focus)
    ]


def missing_focus(source: SourceCode, focus: Sequence[str]) -> list[str]:
    """Return the focus texts that appear on no line of the source."""
    return [text for text in focus if not any(text in line for line in source.lines)]


def missing_focus_message(source: SourceCode, text: str) -> str:
    """Say which focus text is missing and where it was looked for."""
    where = f"{source.display_file} lines {source.first_line}-{source.last_line}"
    name = f"{source.module}:{source.qualname}" if source.qualname else source.module
    return f"focus text {text!r} not found in {name} ({where})"


def highlight(
    source: SourceCode,
    emphasised: Iterable[int] = (),
    *,
    anchor_prefix: str = LINE_ANCHOR_PREFIX,
) -> str:
    """Render source as HTML: real line numbers, anchors, emphasised lines.

    Line numbers sit in their own table cell, so copying the code leaves them out;
    each line has id `<prefix>-<lineno>` and its number links to it. A method keeps
    its indentation: the reader sees the lines exactly as they are in the file.
    """
    marked = sorted(set(emphasised))
    formatter = HtmlFormatter(
        cssclass=CSS_CLASS,
        linenos="table",
        linenostart=source.first_line,
        hl_lines=[line - source.first_line + 1 for line in marked],
        lineanchors=anchor_prefix,
        anchorlinenos=True,
        wrapcode=True,
        noclasses=False,
    )
    code = pygments_highlight(source.text, PythonLexer(), formatter)
    return _mark_line_numbers(code, marked, anchor_prefix)


def _mark_line_numbers(html: str, marked: list[int], anchor_prefix: str) -> str:
    """Mark emphasised lines' numbers too, which pygments does not do."""
    for line in marked:
        number = f'<a href="#{anchor_prefix}-{line}">{line}</a>'
        html = html.replace(
            f'<span class="normal">{number}</span>',
            f'<span class="normal emphasised">{number}</span>',
        )
    return html


def stylesheet(theme: str, *, scope: str | None = None) -> str:
    """Return CSS for one theme, every rule scoped so themes can share a page.

    The default scope is `[data-theme="<theme>"]`: the site sets that attribute on
    `<html>` to switch. No rule is unscoped, so two themes never fight.
    """
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r} (known: {', '.join(THEMES)})")
    style_name, emphasis, edge = THEMES[theme]
    style = get_style_by_name(style_name)
    scope = scope or '[data-theme="' + theme + '"]'
    prefix = f"{scope} .{CSS_CLASS}"
    formatter = HtmlFormatter(style=style_name, cssclass=CSS_CLASS)
    line_number_color = style.line_number_color
    if line_number_color in (None, "inherit"):
        line_number_color = "#6e7781"
    rules = [
        *formatter.get_background_style_defs(prefix),
        *formatter.get_token_style_defs(prefix),
        f"{prefix} pre {{ line-height: 125%; margin: 0; }}",
        f"{prefix} .linenos {{ user-select: none; -webkit-user-select: none; }}",
        f"{prefix} .linenos .normal {{ color: {line_number_color}; padding: 0 .5em; }}",
        f"{prefix} .linenos a {{ color: inherit; text-decoration: none; }}",
        f"{prefix} .hll {{ display: block; background-color: {emphasis}; "
        f"box-shadow: inset 3px 0 0 {edge}; }}",
        f"{prefix} .linenos .emphasised {{ background-color: {emphasis}; "
        "font-weight: bold; }",
    ]
    return "\n".join(rules) + "\n"


def code_object(symbol: str) -> CodeType | None:
    """Return the code object the probe watches for a symbol, or None.

    A function gives its own (unwrapped) code; a class gives its `__init__`'s; a
    nested function gives the code its enclosing function's constants hold.
    """
    target = resolve_object(symbol)
    if _is(target, CodeType):
        return target
    if _is(target, type):
        target = inspect.unwrap(target.__init__)
    if _is(target, FunctionType):
        return target.__code__
    return None


def code_objects(tours: Iterable[Tour]) -> dict[CodeType, StepRef]:
    """Map each code object the tours name to the first step that names it.

    Steps whose symbol does not resolve, or has no Python code, are left out;
    `walkthrough check` reports the first kind.
    """
    watched: dict[CodeType, StepRef] = {}
    for tour in tours:
        for step in tour.steps:
            try:
                code = code_object(step.symbol)
            except SymbolError:
                continue
            if code is not None and code not in watched:
                watched[code] = StepRef(tour.id, step.id, step.symbol)
    return watched
