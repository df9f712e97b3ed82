"""Turn URL variables from text into values and back: the converters.

Chain steps: ``parse_converter_args`` reads ``int(min=1)`` when a rule is
compiled; ``to_python`` runs while matching, ``to_url`` while building.
Counterpart: ``werkzeug.routing.converters``. Left out: Werkzeug's guess of
``part_isolating`` from a '/' in a subclass's regex; ours is declared, in sight.
"""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from walkthrough.framework.routing.map import Map

# RFC 3986 §3.3: a path segment may carry sub-delims, ':' and '@' unescaped.
SEGMENT_SAFE_CHARS = "!$&'()*+,;=:@"
PATH_SAFE_CHARS = SEGMENT_SAFE_CHARS + "/"
# A bare word may hold dots, as in Werkzeug's any(v1.0, v2.0): such a word is
# quoted before ``ast`` reads the arguments; quoted strings are left alone.
BARE_DOTTED_WORD_RE = re.compile(
    r"""('[^']*'|"[^"]*")|(?<![\w.])([A-Za-z_]\w*(?:\.\w+)+)(?![\w.(])"""
)


class ValidationError(ValueError):
    """Tell the matcher a value does not fit, so it tries the next rule."""


class BaseConverter:
    """Turn one URL variable from text into a Python value and back.

    ``regex`` says what the text looks like; ``to_python`` converts it (or
    raises ``ValidationError`` to pass); ``to_url`` is the way back for build.
    A regex that can match '/' needs ``part_isolating = False``: unlike
    Werkzeug, ours does not guess it from a '/' in the regex.
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
        try:
            number = self.num_convert(value)
        except ValueError:  # more digits than sys.get_int_max_str_digits()
            raise ValidationError(f"{value[:20]}... is too long") from None
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
    """Read ``1, 'a', max=9`` as call arguments: literals only, never eval.

    ``ast.parse`` splits the arguments safely (quotes, commas, keywords);
    each one is then a literal, or a bare word kept as text, as in
    Werkzeug's ``any(about, help)``.
    """
    if not text:
        return (), {}
    text = BARE_DOTTED_WORD_RE.sub(lambda found: found[1] or repr(found[2]), text)
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
