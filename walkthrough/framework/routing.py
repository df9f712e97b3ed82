"""Map URLs to endpoints and back: converters, rules, the matcher, the map.

Chain steps: ``MapAdapter.match`` turns ``PATH_INFO`` into ``(rule, view_args)``
and ``MapAdapter.build`` runs the other way for ``url_for``. Counterpart:
``werkzeug.routing``, whose five modules fit in this one. Left out: host and
subdomain matching, websockets, merge_slashes, alias and redirect_to rules;
the App uses none of them, and each would add a branch to every function here.
"""

from __future__ import annotations

import ast
import bisect
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

from walkthrough.framework.exceptions import MethodNotAllowed, NotFound, RequestRedirect

# RFC 3986 §3.3: a path segment may carry sub-delims, ':' and '@' unescaped.
SEGMENT_SAFE_CHARS = "!$&'()*+,;=:@"
PATH_SAFE_CHARS = SEGMENT_SAFE_CHARS + "/"
# Werkzeug's choice for query strings; urlencode turns spaces into '+'.
QUERY_SAFE_CHARS = "!$'()*,/:;?@"

# One variable: <name>, <converter:name> or <converter(arguments):name>.
VARIABLE_RE = re.compile(
    r"<(?:(?P<converter>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<arguments>.*?)\))?:)?"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)>"
)


class ValidationError(ValueError):
    """Tell the matcher a value does not fit, so it tries the next rule."""


class BaseConverter:
    """Turn one URL variable from text into a Python value and back.

    ``regex`` says what the text looks like; ``to_python`` converts it (or
    raises ``ValidationError`` to pass); ``to_url`` is the way back for build.
    """

    regex: str = "[^/]+"
    weight: int = 100
    part_isolating: bool = True

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        """Keep the map; refuse arguments that no subclass asked for."""
        if args or kwargs:
            raise TypeError(f"{type(self).__name__} takes no arguments")
        self.map = map

    def to_python(self, value: str) -> Any:
        """Return the matched text as the view argument (here, unchanged)."""
        return value

    def to_url(self, value: Any) -> str:
        """Quote ``value`` for one path segment, so a '/' in it is escaped."""
        return quote(str(value), safe=SEGMENT_SAFE_CHARS)


def _check_count(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` if it is a whole number >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return value


def _check_bound(name: str, value: Any) -> int | float | None:
    """Return ``value`` if it is None or a number, else raise."""
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        raise ValueError(f"{name} must be a number or None, got {value!r}")
    return value


class UnicodeConverter(BaseConverter):
    """Accept one segment of text: ``<name>``, ``<string(length=2):lang>``."""

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        """Turn the length limits into the ``[^/]{low,high}`` regex."""
        super().__init__(map)
        if length is not None:
            self.regex = f"[^/]{{{_check_count('length', length)}}}"
            return
        low = _check_count("minlength", minlength)
        high = "" if maxlength is None else _check_count("maxlength", maxlength, low)
        self.regex = f"[^/]{{{low},{high}}}"


class NumberConverter(BaseConverter):
    """Share digits, bounds and sign between ``int`` and ``float``."""

    weight = 50
    num_convert: Callable[[Any], int | float] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | float | None = None,
        max: int | float | None = None,
        signed: bool = False,
    ) -> None:
        """Check and keep the limits; a signed number may start with '-'."""
        super().__init__(map)
        self.fixed_digits = _check_count("fixed_digits", fixed_digits, 0)
        self.min = _check_bound("min", min)
        self.max = _check_bound("max", max)
        if not isinstance(signed, bool):
            raise ValueError(f"signed must be True or False, got {signed!r}")
        self.signed = signed
        if signed:
            self.regex = f"-?{self.regex}"

    def to_python(self, value: str) -> int | float:
        """Convert the digits; a wrong width or a value out of bounds passes."""
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError(f"{value!r} is not {self.fixed_digits} digits")
        number = self.num_convert(value)
        if self.min is not None and number < self.min:
            raise ValidationError(f"{number} is below {self.min}")
        if self.max is not None and number > self.max:
            raise ValidationError(f"{number} is above {self.max}")
        return number

    def to_url(self, value: Any) -> str:
        """Write the number, zero-padded to ``fixed_digits`` when set."""
        return str(self.num_convert(value)).zfill(self.fixed_digits)


class IntegerConverter(NumberConverter):
    """Accept ASCII digits as an int: ``<int:id>``, ``<int(min=1):page>``."""

    # Not \d: in a str pattern \d also matches digits of other scripts.
    regex = "[0-9]+"


class FloatConverter(NumberConverter):
    """Accept ``1.5`` as a float (a dot and digits on both sides are needed)."""

    regex = r"[0-9]+\.[0-9]+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        """Take the same limits as ``int`` except ``fixed_digits``."""
        super().__init__(map, min=min, max=max, signed=signed)


class PathConverter(BaseConverter):
    """Accept the rest of the path, slashes included: ``<path:filename>``."""

    regex = "[^/].*?"
    weight = 200
    part_isolating = False

    def to_url(self, value: Any) -> str:
        """Quote ``value`` but keep its '/' so it stays a path."""
        return quote(str(value), safe=PATH_SAFE_CHARS)


class UUIDConverter(BaseConverter):
    """Accept a UUID in 8-4-4-4-12 hex form and pass it as ``uuid.UUID``."""

    regex = (
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    )
    weight = 50

    def to_python(self, value: str) -> uuid.UUID:
        """Parse the text; the regex has already checked its shape."""
        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        """Write the canonical lower-case form; a non-UUID raises ValueError."""
        return str(uuid.UUID(str(value)))


class AnyConverter(BaseConverter):
    """Accept exactly one of the listed words: ``<any(about, help):page>``."""

    weight = 50

    def __init__(self, map: Map, *items: str) -> None:
        """Keep the items and match them literally (escaped, not as regexes)."""
        super().__init__(map)
        if not items or not all(
            isinstance(i, str) and i and "/" not in i for i in items
        ):
            raise ValueError(
                f"any() needs one or more words without '/', got {items!r}; "
                "write any(about, help) or any('two words', other)"
            )
        self.items = items
        self.regex = "(?:" + "|".join(re.escape(item) for item in items) + ")"

    def to_url(self, value: Any) -> str:
        """Quote ``value`` if it is one of the items; refuse anything else."""
        if value not in self.items:
            listed = ", ".join(repr(item) for item in self.items)
            raise ValueError(f"{value!r} is not one of {listed}")
        return super().to_url(value)


DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "path": PathConverter,
    "uuid": UUIDConverter,
    "any": AnyConverter,
}


def parse_converter_args(text: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Read ``1, max=9, 'a'`` as call arguments: literals only, never eval.

    ``ast.parse`` splits the arguments safely (quotes, commas, keywords);
    each one is then a literal, or a bare word kept as text, as in
    Werkzeug's ``any(about, help)``.
    """
    if not text:
        return (), {}
    try:
        call = ast.parse(f"converter({text})", mode="eval").body
    except SyntaxError:
        call = None
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise ValueError(
            f"cannot read converter arguments ({text}); write them like a "
            "Python call: int(min=1, max=9), any(about, 'two words')"
        )
    names = [keyword.arg for keyword in call.keywords]
    if None in names or len(set(names)) != len(names):
        raise ValueError(
            f"cannot read converter arguments ({text}): name each keyword "
            "argument once, and use no **"
        )
    args = tuple(_literal(node) for node in call.args)
    kwargs = {str(keyword.arg): _literal(keyword.value) for keyword in call.keywords}
    return args, kwargs


def _literal(node: ast.expr) -> Any:
    """Return the value a literal node spells; a bare word is its own text."""
    if isinstance(node, ast.Name):
        return node.id
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        raise ValueError(
            f"converter argument {ast.unparse(node)} is not a literal; "
            "use numbers, True/False/None or quoted strings"
        ) from None


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
    weights: tuple[int, ...]
    static_length: int

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


def _precedence(edge: tuple[RulePart, State]) -> tuple[tuple[int, ...], int]:
    """Order matcher edges: lower converter weights, then more static text."""
    return edge[0].weights, -edge[0].static_length


@dataclass(slots=True)
class State:
    """One node of the matcher's trie: the rules ending here and the ways on."""

    static: dict[str, State] = field(default_factory=dict)
    dynamic: list[tuple[RulePart, State]] = field(default_factory=list)
    dynamic_by_key: dict[tuple[Any, ...], State] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)


class NoMatch(Exception):
    """No rule fits; ``allowed_methods`` holds what the path would accept."""

    def __init__(self, allowed_methods: set[str]) -> None:
        super().__init__(sorted(allowed_methods))
        self.allowed_methods = allowed_methods


class SlashRequired(Exception):
    """Only the rule with a trailing slash fits: the adapter redirects."""


class BuildError(LookupError):
    """Say why no rule of ``endpoint`` can build a URL from the values."""

    def __init__(self, endpoint: str, message: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint


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
        methods = ", ".join(sorted(self.methods)) if self.methods else "any method"
        return f"<Rule {self.rule!r} ({methods}) -> {self.endpoint}>"

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
        """Refuse a rule that is not a '/' path, or an endpoint not a str."""
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
                raise ValueError(
                    f"rule {self.rule!r}: cannot put {values[name]!r} "
                    f"in <{name}>: {error}"
                ) from None
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
        static_length=sum(len(p) for s in segments for p in s if isinstance(p, str)),
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


class StateMachineMatcher:
    """Find the rule for a path by walking a trie of path segments.

    Why not try each rule's regex in turn, as Werkzeug did before 2.2 and
    Django still does? Then a miss costs one regex per rule: 1,000 rules,
    1,000 tries. Here a fully static rule is one dict lookup on the whole
    path; otherwise each segment is one dict lookup, plus a regex for each
    *distinct* variable part at that position. The cost follows the depth
    of the path and the choices at each step, not the number of rules.

    Precedence when several rules fit, decided segment by segment:

    1. a static segment beats one with variables (``/users/new`` beats
       ``/users/<name>``);
    2. then lower converter weights, left to right: any, uuid, int, float
       (50) before default/string (100) before path (200);
    3. then more static characters (``page-<int:n>`` before ``<int:n>``);
    4. then the order the rules were added. Rules of the same shape also
       keep that order, and the first whose methods fit wins.

    The walk backtracks: if the best branch holds no rule for the rest of
    the path, or a converter raises ValidationError, the next one is tried.
    """

    def __init__(self) -> None:
        self.root = State()
        self.static_rules: dict[str, list[Rule]] = {}

    def add(self, rule: Rule) -> None:
        """Put ``rule`` in the trie, sharing every edge it has in common."""
        state = self.root
        for part in rule._parts:
            if isinstance(part, str):
                state = state.static.setdefault(part, State())
            elif part.key in state.dynamic_by_key:
                state = state.dynamic_by_key[part.key]
            else:
                new_state = State()
                bisect.insort(state.dynamic, (part, new_state), key=_precedence)
                state.dynamic_by_key[part.key] = new_state
                state = new_state
        state.rules.append(rule)
        if not rule.arguments:
            self.static_rules.setdefault(rule.rule, []).append(rule)

    def match(self, path: str, method: str) -> tuple[Rule, list[Any]]:
        """Return the best rule for ``path`` and ``method``, and its values.

        Raise NoMatch carrying the methods that rules for this path allow,
        or SlashRequired if only a rule with a trailing slash fits.
        """
        for rule in self.static_rules.get(path, ()):
            if rule.methods is None or method in rule.methods:
                return rule, []
        parts = path.removeprefix("/").split("/") if path else []
        attempt = MatchAttempt(parts, method)
        found = self._visit(attempt, self.root, 0, [])
        if found is None:
            raise NoMatch(attempt.allowed_methods)
        return found

    def _visit(
        self, attempt: MatchAttempt, state: State, index: int, values: list[Any]
    ) -> tuple[Rule, list[Any]] | None:
        """Match ``parts[index:]`` below ``state``: static, then variables."""
        parts = attempt.parts
        if index == len(parts):
            return self._end_of_path(attempt, state, values)
        part = parts[index]
        if part in state.static:
            found = self._visit(attempt, state.static[part], index + 1, values)
            if found is not None:
                return found
        for rule_part, next_state in state.dynamic:
            found = self._follow(attempt, rule_part, next_state, index, values)
            if found is not None:
                return found
        # "/docs/" asked for, rule "/docs" has strict_slashes=False: accept it.
        if part == "" and index == len(parts) - 1:
            lenient = [rule for rule in state.rules if not rule.strict_slashes]
            return attempt.choose(lenient, values)
        return None

    def _follow(
        self,
        attempt: MatchAttempt,
        rule_part: RulePart,
        next_state: State,
        index: int,
        values: list[Any],
    ) -> tuple[Rule, list[Any]] | None:
        """Follow one edge with variables: one segment, or the rest (``path``).

        A rest that only lacks the rule's trailing '/' is offered to the
        rules as a redirect, as ``_end_of_path`` does for plain segments.
        """
        parts = attempt.parts
        if not rule_part.consumes_rest:
            converted = rule_part.convert(parts[index])
            if converted is None:
                return None
            return self._visit(attempt, next_state, index + 1, values + converted)
        rest = "/".join(parts[index:])
        converted = rule_part.convert(rest)
        if converted is not None:
            return self._visit(attempt, next_state, len(parts), values + converted)
        if not rule_part.ends_with_slash or attempt.ends_with_slash():
            return None
        converted = rule_part.convert(rest + "/")
        if converted is None:
            return None
        return self._add_slash(attempt, next_state.rules, values + converted)

    def _end_of_path(
        self, attempt: MatchAttempt, state: State, values: list[Any]
    ) -> tuple[Rule, list[Any]] | None:
        """Choose among the rules ending here, then those that only lack '/'."""
        found = attempt.choose(state.rules, values)
        slash_state = state.static.get("")
        if found is not None or slash_state is None or attempt.ends_with_slash():
            return found
        return self._add_slash(attempt, slash_state.rules, values)

    def _add_slash(
        self, attempt: MatchAttempt, rules: list[Rule], values: list[Any]
    ) -> tuple[Rule, list[Any]] | None:
        """Take a rule that fits once '/' is added: redirect, or accept as is.

        Only rules that allow the method count, so a POST is never sent to
        a URL that would answer 405 (Werkzeug does the same).
        """
        for rule in rules:
            if rule.methods is None or attempt.method in rule.methods:
                if rule.strict_slashes:
                    raise SlashRequired()
                return rule, values
        return None


@dataclass(slots=True)
class MatchAttempt:
    """Hold one walk through the trie: the path, the method, what was seen.

    ``allowed_methods`` gathers the methods of rules that fit the path but
    not the method, so a miss can say 405 (with Allow) rather than 404.
    """

    parts: list[str]
    method: str
    allowed_methods: set[str] = field(default_factory=set)

    def choose(
        self, rules: list[Rule], values: list[Any]
    ) -> tuple[Rule, list[Any]] | None:
        """Return the first rule whose methods fit; remember the others'."""
        for rule in rules:
            if rule.methods is None or self.method in rule.methods:
                return rule, values
            self.allowed_methods.update(rule.methods)
        return None

    def ends_with_slash(self) -> bool:
        """Return True if the path ends in '/', so no slash can be missing."""
        return bool(self.parts) and self.parts[-1] == ""


class Map:
    """Hold an app's rules and the matcher compiled from them."""

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        *,
        strict_slashes: bool = True,
        converters: Mapping[str, type[BaseConverter]] | None = None,
    ) -> None:
        for name, converter_class in (converters or {}).items():
            if not (
                isinstance(converter_class, type)
                and issubclass(converter_class, BaseConverter)
            ):
                raise TypeError(
                    f"converter {name!r} must be a BaseConverter "
                    f"subclass, got {converter_class!r}"
                )
        self.converters: dict[str, type[BaseConverter]] = {
            **DEFAULT_CONVERTERS,
            **(converters or {}),
        }
        self.strict_slashes = strict_slashes
        self._rules: list[Rule] = []
        self._rules_by_endpoint: dict[str, list[Rule]] = {}
        self._matcher = StateMachineMatcher()
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> None:
        """Compile ``rule`` and add it; a setup mistake raises here, not later."""
        rule.bind(self)
        self._rules.append(rule)
        self._matcher.add(rule)
        # Build tries rules with more values first, so values land in the
        # path rather than in the query string; sort() keeps ties in order.
        for_endpoint = self._rules_by_endpoint.setdefault(rule.endpoint, [])
        for_endpoint.append(rule)
        for_endpoint.sort(key=_build_precedence)

    def iter_rules(self, endpoint: str | None = None) -> Iterator[Rule]:
        """Yield the rules in the order they were added, or one endpoint's."""
        return (rule for rule in self._rules if endpoint in (None, rule.endpoint))

    def bind(
        self,
        server_name: str,
        script_name: str = "/",
        *,
        url_scheme: str = "http",
        path_info: str = "/",
        default_method: str = "GET",
        query_args: str = "",
    ) -> MapAdapter:
        """Return an adapter that matches and builds for one request."""
        return MapAdapter(
            self,
            server_name,
            script_name,
            url_scheme=url_scheme,
            path_info=path_info,
            default_method=default_method,
            query_args=query_args,
        )

    def bind_to_environ(self, environ: dict[str, Any]) -> MapAdapter:
        """Return an adapter for the request that ``environ`` describes."""
        return self.bind(
            _server_name(environ),
            _wsgi_decoding_dance(environ.get("SCRIPT_NAME", "")),
            url_scheme=environ.get("wsgi.url_scheme", "http"),
            path_info=_wsgi_decoding_dance(environ.get("PATH_INFO", "")),
            default_method=environ.get("REQUEST_METHOD", "GET"),
            query_args=environ.get("QUERY_STRING", ""),
        )


def _build_precedence(rule: Rule) -> tuple[int, int]:
    """Sort key: most values used first, then most defaults."""
    return -(len(rule.arguments) + len(rule.defaults)), -len(rule.defaults)


def _server_name(environ: dict[str, Any]) -> str:
    """Return ``host[:port]`` from Host, else SERVER_NAME and SERVER_PORT.

    RFC 9112 §3.2: the Host header names the authority the client used,
    so it wins; the default port of the scheme is dropped, as Werkzeug does.
    """
    host = environ.get("HTTP_HOST", "")
    if not host:
        host = environ.get("SERVER_NAME", "")
        port = environ.get("SERVER_PORT", "")
        host = f"{host}:{port}" if port else host
    scheme = environ.get("wsgi.url_scheme", "http")
    default_port = {"http": ":80", "https": ":443"}.get(scheme, "")
    if default_port and host.endswith(default_port):
        host = host.removesuffix(default_port)
    return host.lower()


def _wsgi_decoding_dance(value: str) -> str:
    """Undo PEP 3333's latin-1 so UTF-8 paths read as text (Werkzeug's name).

    A server that already put real text there is left alone: that text does
    not survive the round trip, so it is returned unchanged.
    """
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


class MapAdapter:
    """Match and build URLs for one request: its host, script root and path."""

    def __init__(
        self,
        map: Map,
        server_name: str,
        script_name: str = "/",
        *,
        url_scheme: str = "http",
        path_info: str = "/",
        default_method: str = "GET",
        query_args: str = "",
    ) -> None:
        self.map = map
        self.server_name = server_name
        self.script_name = script_name.rstrip("/") + "/"
        self.url_scheme = url_scheme
        self.path_info = path_info
        self.default_method = default_method.upper()
        self.query_args = query_args

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        *,
        return_rule: bool = False,
    ) -> tuple[Rule | str, dict[str, Any]]:
        """Return ``(endpoint, view_args)`` for the path, or raise 404/405/308.

        This is the boundary that knows HTTP: the matcher's NoMatch and
        SlashRequired become NotFound, MethodNotAllowed and RequestRedirect.
        """
        path = self.path_info if path_info is None else path_info
        method = (method or self.default_method).upper()
        try:
            rule, values = self.map._matcher.match(path, method)
        except SlashRequired:
            raise RequestRedirect(self._slash_redirect_url(path)) from None
        except NoMatch as no_match:
            if no_match.allowed_methods:
                raise MethodNotAllowed(valid_methods=no_match.allowed_methods) from None
            raise NotFound() from None
        # One value per variable, in order, by construction: skip strict's check.
        view_args = dict(zip(rule._variable_names, values, strict=False))
        if rule.defaults:
            view_args.update(rule.defaults)
        return (rule if return_rule else rule.endpoint), view_args

    def _slash_redirect_url(self, path: str) -> str:
        """Return the path with a '/' added: script root, path, query."""
        new_path = f"/{path.removeprefix('/')}/" if path else "/"
        url = self._script_root() + quote(new_path, safe=PATH_SAFE_CHARS)
        return f"{url}?{self.query_args}" if self.query_args else url

    def _script_root(self) -> str:
        """Return the quoted script name without its trailing '/'."""
        return quote(self.script_name.rstrip("/"), safe=PATH_SAFE_CHARS)

    def allowed_methods(self, path_info: str | None = None) -> list[str]:
        """Return the sorted methods that the rules for this path accept.

        The App answers OPTIONS with this. Like Werkzeug, it matches with a
        method no rule has and reads the 405; a rule that takes any method
        (``methods=None``) matches instead, and "any" cannot be listed: [].
        """
        try:
            self.match(path_info, method="-")
        except MethodNotAllowed as error:
            return list(error.valid_methods)
        except (NotFound, RequestRedirect):
            return []
        # A rule that accepts any method matched "-".
        return []

    def build(
        self,
        endpoint: str,
        values: Mapping[str, Any] | None = None,
        *,
        method: str | None = None,
        force_external: bool = False,
    ) -> str:
        """Return the URL for ``endpoint``: script root, path, then a query.

        Values the rule does not use go to the query string, in the order
        given; None values are dropped, as in Werkzeug.
        """
        given = {
            key: value for key, value in (values or {}).items() if value is not None
        }
        rule = self._find_build_rule(endpoint, given, method)
        url = self._script_root() + rule.build(given)
        extra = [
            (key, value)
            for key, value in given.items()
            if key not in rule.arguments and key not in rule.defaults
        ]
        if extra:
            url += "?" + urlencode(extra, doseq=True, safe=QUERY_SAFE_CHARS)
        if force_external:
            url = f"{self.url_scheme}://{self.server_name}{url}"
        return url

    def _find_build_rule(
        self, endpoint: str, values: Mapping[str, Any], method: str | None
    ) -> Rule:
        """Return the first rule of ``endpoint`` that can use ``values``.

        Without a method, rules for the adapter's own method (GET for a
        page) are tried first, then any: Werkzeug's order, so a link from a
        page goes to the GET rule rather than the form's POST one.
        """
        rules = self.map._rules_by_endpoint.get(endpoint, [])
        for wanted in (method,) if method else (self.default_method, None):
            for rule in rules:
                if rule.suitable_for(values, wanted):
                    return rule
        raise self._build_error(endpoint, values, method)

    def _build_error(
        self, endpoint: str, values: Mapping[str, Any], method: str | None
    ) -> BuildError:
        """Say why no rule fits: an unknown endpoint, or each rule's reason."""
        rules = self.map._rules_by_endpoint.get(endpoint, [])
        if not rules:
            known = sorted(self.map._rules_by_endpoint)
            close = get_close_matches(str(endpoint), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return BuildError(
                endpoint,
                f"could not build a URL for endpoint {endpoint!r}: no rule has "
                f"that endpoint{hint} (known: {', '.join(known)})",
            )
        reasons = "; ".join(
            f"rule {rule.rule!r} {rule.unsuitable_reason(values, method)}"
            for rule in rules
        )
        return BuildError(
            endpoint,
            f"could not build a URL for endpoint {endpoint!r} "
            f"from {sorted(values)}: {reasons}",
        )
