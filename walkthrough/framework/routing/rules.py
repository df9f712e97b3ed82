"""Describe one URL pattern: parse its variables, compile it into a Rule.

Chain steps: ``Rule.bind`` and ``Rule.compile`` run from ``Map.add`` at
startup; ``RulePart.convert`` runs while matching, ``Rule.build`` for
``url_for``. Counterpart: ``werkzeug.routing.rules``. Left out: rule factories,
host, alias and redirect_to rules, and URL builders made by generating code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from walkthrough.framework.routing.converters import (
    PATH_SAFE_CHARS,
    BaseConverter,
    ValidationError,
    parse_converter_args,
)

if TYPE_CHECKING:
    from walkthrough.framework.routing.map import Map

# One variable: <name>, <converter:name> or <converter(arguments):name>.
VARIABLE_RE = re.compile(
    r"<(?:(?P<converter>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<arguments>.*?)\))?:)?"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)>"
)


class VariableSpec(NamedTuple):
    """One ``<converter(arguments):name>`` as written in the rule string."""

    converter: str
    arguments: str
    name: str


Segment = list[str | VariableSpec]


def parse_rule(rule: str) -> list[Segment]:
    """Split ``/users/<int:id>`` into segments of text and variables.

    Variables are found first, so a '/' inside converter arguments does not
    split a segment. ``/`` gives one empty segment, as does a trailing '/'.
    """
    segments: list[Segment] = [[]]
    position = 0
    for found in VARIABLE_RE.finditer(rule):
        _add_static(segments, rule[position : found.start()])
        converter = found["converter"] or "default"
        segments[-1].append(
            VariableSpec(converter, found["arguments"] or "", found["name"])
        )
        position = found.end()
    _add_static(segments, rule[position:])
    return segments[1:]


def _add_static(segments: list[Segment], text: str) -> None:
    """Append static ``text`` to ``segments``, starting a new one at each '/'."""
    if "<" in text or ">" in text:
        raise ValueError(
            f"malformed variable in {text!r}: write <name>, <converter:name> or "
            "<converter(arguments):name>, with names that are Python identifiers"
        )
    first, *rest = text.split("/")
    if first:
        segments[-1].append(first)
    segments.extend([piece] if piece else [] for piece in rest)


@dataclass(slots=True)
class RulePart:
    """Match one segment with variables, or with ``path``, the rest of the path.

    Rules whose parts have the same ``key`` share one matcher edge, so
    1,000 rules ``/<a>/x{i}`` try the ``<a>`` regex once, not 1,000 times.
    """

    regex: re.Pattern[str]
    # (regex group name, converter) for each variable, in order.
    variables: tuple[tuple[str, BaseConverter], ...]
    # True from a ``path`` variable on: the regex takes the rest of the path,
    # the rule's trailing '/' included when ``ends_with_slash``.
    consumes_rest: bool
    ends_with_slash: bool
    key: tuple[Any, ...]
    # Converter weights, and (index, -length) of each static piece: the
    # matcher orders edges by them as Werkzeug's ``Weighting`` does.
    weights: tuple[int, ...]
    static_weights: tuple[tuple[int, int], ...]

    def convert(self, text: str) -> list[Any] | None:
        """Return the converted values if ``text`` fits, else None."""
        found = self.regex.fullmatch(text)
        if found is None:
            return None
        values = []
        try:
            for group_name, converter in self.variables:
                values.append(converter.to_python(found[group_name]))
        except ValidationError:
            return None
        return values


class Rule:
    """Describe one URL pattern, the endpoint it leads to and its methods.

    The string is compiled by ``Map.add`` (through ``bind``), which knows
    the converters; every mistake in it is reported there, naming the rule.
    """

    def __init__(
        self,
        string: str,
        *,
        endpoint: str | None = None,
        methods: Iterable[str] | None = None,
        strict_slashes: bool | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        """Keep the pattern and its options; compiling waits for ``bind``.

        The converters belong to the map, so the string can only be
        compiled once the rule is added to one.
        """
        self.rule = string
        self.endpoint = endpoint
        self.methods = _normalize_methods(string, methods)
        self.strict_slashes = strict_slashes
        self.defaults: dict[str, Any] = dict(defaults or {})
        self.arguments: set[str] = set()
        self.map: Map | None = None
        self._variable_names: tuple[str, ...] = ()
        self._converters: dict[str, BaseConverter] = {}
        self._parts: list[str | RulePart] = []
        self._build_parts: list[str | tuple[str, BaseConverter]] = []

    def __repr__(self) -> str:
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods else ""
        return f"<Rule {self.rule!r}{methods} -> {self.endpoint}>"

    def bind(self, map: Map) -> None:
        """Check the rule, compile it with ``map``'s converters, attach it."""
        self._check_rule_and_endpoint()
        if self.map is not None:
            raise ValueError(
                f"rule {self.rule!r} is already in a map; "
                "create a new Rule for another map"
            )
        try:
            self.compile(map)
        except TypeError as error:
            raise TypeError(f"rule {self.rule!r}: {error}") from None
        except ValueError as error:
            raise ValueError(f"rule {self.rule!r}: {error}") from None
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        self.map = map

    def _check_rule_and_endpoint(self) -> None:
        """Refuse a rule that is not a '/' path, or an endpoint not a str.

        Unlike Werkzeug, which takes any endpoint (None included), ours wants
        the view's name, so a mistake shows at startup, not as a 404 later.
        """
        if not isinstance(self.rule, str):
            raise TypeError(f"rule {self.rule!r}: a rule must be a str like '/users'")
        if not self.rule.startswith("/"):
            raise ValueError(
                f"rule {self.rule!r}: a rule must start with '/'; write '/{self.rule}'"
            )
        if not isinstance(self.endpoint, str):
            raise TypeError(
                f"rule {self.rule!r}: endpoint must be a str naming the "
                f"view, got {self.endpoint!r}"
            )

    def compile(self, map: Map) -> None:
        """Build the converters, the matcher parts and the build parts."""
        self.arguments, self._converters, self._variable_names = set(), {}, ()
        segments = parse_rule(self.rule)
        for segment in segments:
            for piece in segment:
                if isinstance(piece, VariableSpec):
                    self._add_converter(map, piece)
        taken = sorted(self.arguments & self.defaults.keys())
        if taken:
            raise ValueError(
                f"defaults name the variable {taken[0]!r}, which comes from the "
                "URL; drop it from defaults, or add a second rule without it"
            )
        self._parts = _compile_parts(segments, self._converters)
        self._build_parts = _compile_build_parts(segments, self._converters)

    def _add_converter(self, map: Map, spec: VariableSpec) -> None:
        """Make the converter for one variable; reject unknown or repeated ones."""
        if spec.name in self._converters:
            raise ValueError(
                f"variable {spec.name!r} appears twice; give each variable its own name"
            )
        converter_class = map.converters.get(spec.converter)
        if converter_class is None:
            known = ", ".join(sorted(map.converters))
            raise ValueError(
                f"unknown converter {spec.converter!r} (known: {known}); "
                f"add one with Map(converters={{{spec.converter!r}: ...}})"
            )
        args, kwargs = parse_converter_args(spec.arguments)
        try:
            converter = converter_class(map, *args, **kwargs)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"converter {spec.converter!r} rejected its arguments "
                f"({spec.arguments}): {error}"
            ) from None
        self._converters[spec.name] = converter
        self._variable_names += (spec.name,)
        self.arguments.add(spec.name)

    def unsuitable_reason(
        self, values: Mapping[str, Any], method: str | None
    ) -> str | None:
        """Say why this rule cannot build a URL from ``values``, or None."""
        if method is not None and self.methods is not None:
            if method.upper() not in self.methods:
                allowed = ", ".join(sorted(self.methods))
                return f"does not allow {method} (allows {allowed})"
        missing = [name for name in self._variable_names if name not in values]
        if missing:
            return "is missing " + ", ".join(repr(name) for name in missing)
        for key, default in self.defaults.items():
            if key in values and values[key] != default:
                return f"only builds {key}={default!r}, got {values[key]!r}"
        return None

    def suitable_for(
        self, values: Mapping[str, Any], method: str | None = None
    ) -> bool:
        """Return True if this rule can build a URL from ``values``."""
        return self.unsuitable_reason(values, method) is None

    def build(self, values: Mapping[str, Any]) -> str:
        """Return the quoted path for ``values``, through each converter's to_url."""
        pieces = []
        for piece in self._build_parts:
            if isinstance(piece, str):
                pieces.append(piece)
                continue
            name, converter = piece
            try:
                pieces.append(converter.to_url(values[name]))
            except (TypeError, ValueError) as error:
                # The converter's own error, as in Werkzeug; the note (shown
                # in the traceback) says which rule and variable it was.
                error.add_note(
                    f"rule {self.rule!r}: cannot put {values[name]!r} in <{name}>"
                )
                raise
        return "".join(pieces)


def _normalize_methods(
    rule: str, methods: Iterable[str] | None
) -> frozenset[str] | None:
    """Upper-case the methods and add HEAD wherever GET is allowed."""
    if methods is None:
        return None
    if isinstance(methods, str):
        raise TypeError(
            f"rule {rule!r}: methods must be a list such as ['GET'], "
            f"not the string {methods!r}"
        )
    methods = list(methods)
    if not all(isinstance(method, str) for method in methods):
        raise TypeError(f"rule {rule!r}: methods must be strings, got {methods!r}")
    upper = {method.upper() for method in methods}
    if not upper:
        raise ValueError(f"rule {rule!r}: methods is empty; pass None to allow any")
    if "GET" in upper:
        upper.add("HEAD")
    return frozenset(upper)


def _compile_parts(
    segments: list[Segment], converters: dict[str, BaseConverter]
) -> list[str | RulePart]:
    """Turn segments into matcher steps: text, or a RulePart with variables.

    From the first segment with a ``path``-like converter on, the rest of
    the rule, a trailing '/' included, becomes one RulePart over the rest.
    """
    parts: list[str | RulePart] = []
    for index, segment in enumerate(segments):
        if all(isinstance(piece, str) for piece in segment):
            parts.append("".join(str(piece) for piece in segment))
            continue
        if all(converters[p.name].part_isolating for p in _variables(segment)):
            parts.append(_make_rule_part([segment], converters, consumes_rest=False))
            continue
        parts.append(_make_rule_part(segments[index:], converters, consumes_rest=True))
        break
    return parts


def _variables(segment: Segment) -> list[VariableSpec]:
    """Return the variables of one segment, in order."""
    return [piece for piece in segment if isinstance(piece, VariableSpec)]


def _make_rule_part(
    segments: list[Segment],
    converters: dict[str, BaseConverter],
    *,
    consumes_rest: bool,
) -> RulePart:
    """Compile segments into one regex with a named group per variable."""
    specs = [spec for segment in segments for spec in _variables(segment)]
    group_names = {spec.name: f"v{number}" for number, spec in enumerate(specs)}
    source = "/".join(
        "".join(_piece_regex(piece, converters, group_names) for piece in segment)
        for segment in segments
    )
    try:
        regex = re.compile(source)
    except re.error as error:
        raise ValueError(
            f"converter regex does not compile ({source}): {error}"
        ) from None
    variables = tuple((group_names[s.name], converters[s.name]) for s in specs)
    return RulePart(
        regex=regex,
        variables=variables,
        consumes_rest=consumes_rest,
        ends_with_slash=len(segments) > 1 and not segments[-1],
        key=(source, consumes_rest, tuple((s.converter, s.arguments) for s in specs)),
        weights=tuple(converter.weight for _, converter in variables),
        static_weights=tuple(
            (index, -len(text))
            for index, text in enumerate(
                p for s in segments for p in s if isinstance(p, str)
            )
        ),
    )


def _piece_regex(
    piece: str | VariableSpec,
    converters: dict[str, BaseConverter],
    group_names: dict[str, str],
) -> str:
    """Escape static text; turn a variable into a named group of its regex."""
    if isinstance(piece, str):
        return re.escape(piece)
    return f"(?P<{group_names[piece.name]}>{converters[piece.name].regex})"


def _compile_build_parts(
    segments: list[Segment], converters: dict[str, BaseConverter]
) -> list[str | tuple[str, BaseConverter]]:
    """Turn segments into quoted text and (name, converter) pairs for build."""
    parts: list[str | tuple[str, BaseConverter]] = []
    for segment in segments:
        parts.append("/")
        for piece in segment:
            if isinstance(piece, str):
                parts.append(quote(piece, safe=PATH_SAFE_CHARS))
            else:
                parts.append((piece.name, converters[piece.name]))
    return parts
