"""Map URLs to endpoints and back: converters, rules, the matcher, the map.

Chain steps: ``MapAdapter.match`` turns ``PATH_INFO`` into ``(rule, view_args)``
and ``MapAdapter.build`` runs the other way for ``url_for``. Counterpart:
``werkzeug.routing``, split into the same modules since Werkzeug 2.2. Left out:
hosts, subdomains, websockets, merge_slashes, alias and redirect_to rules.
"""

from walkthrough.framework.routing.converters import (
    DEFAULT_CONVERTERS,
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    NumberConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
    parse_converter_args,
)
from walkthrough.framework.routing.map import BuildError, Map, MapAdapter
from walkthrough.framework.routing.matcher import (
    MatchAttempt,
    NoMatch,
    SlashRequired,
    State,
    StateMachineMatcher,
)
from walkthrough.framework.routing.rules import Rule, RulePart, parse_rule

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "BuildError",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "MapAdapter",
    "MatchAttempt",
    "NoMatch",
    "NumberConverter",
    "PathConverter",
    "Rule",
    "RulePart",
    "SlashRequired",
    "State",
    "StateMachineMatcher",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "parse_converter_args",
    "parse_rule",
]
