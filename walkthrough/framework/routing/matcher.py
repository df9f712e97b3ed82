"""Find the rule for a path by walking a trie of segments, not every regex.

Chain step: ``StateMachineMatcher.match``, called by ``MapAdapter.match``;
``add`` builds the trie at startup. Counterpart: ``werkzeug.routing.matcher``.
Its errors, NoMatch and SlashRequired, know no HTTP: the adapter translates
them. Left out: hosts, websockets and merge_slashes, which the App never uses.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from walkthrough.framework.routing.rules import Rule, RulePart


def _precedence(edge: tuple[RulePart, State]) -> tuple[Any, ...]:
    """Order matcher edges as Werkzeug weighs rule parts.

    More static pieces first, longer ones first; then more variables; then
    lower converter weights, left to right.
    """
    part = edge[0]
    return (
        -len(part.static_weights),
        part.static_weights,
        -len(part.weights),
        part.weights,
    )


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
    2. then, as Werkzeug weighs them, more static pieces of text, longer
       ones first (``page-<int:n>`` before ``<int:n>``);
    3. then more variables (``<path:a>/<path:b>`` before ``<path:a>``);
    4. then lower converter weights, left to right: any, uuid, int, float
       (50) before default/string (100) before path (200);
    5. then the order the rules were added. Rules of the same shape also
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
        found = self.visit(attempt, self.root, 0, [])
        if found is None:
            raise NoMatch(attempt.allowed_methods)
        return found

    def visit(
        self, attempt: MatchAttempt, state: State, index: int, values: list[Any]
    ) -> tuple[Rule, list[Any]] | None:
        """Match ``parts[index:]`` below ``state``: static, then variables."""
        parts = attempt.parts
        if index == len(parts):
            return self.end_of_path(attempt, state, values)
        part = parts[index]
        if part in state.static:
            found = self.visit(attempt, state.static[part], index + 1, values)
            if found is not None:
                return found
        for rule_part, next_state in state.dynamic:
            found = self.follow(attempt, rule_part, next_state, index, values)
            if found is not None:
                return found
        # "/docs/" asked for, rule "/docs" has strict_slashes=False: accept it.
        if part == "" and index == len(parts) - 1:
            lenient = [rule for rule in state.rules if not rule.strict_slashes]
            return attempt.choose(lenient, values)
        return None

    def follow(
        self,
        attempt: MatchAttempt,
        rule_part: RulePart,
        next_state: State,
        index: int,
        values: list[Any],
    ) -> tuple[Rule, list[Any]] | None:
        """Follow one edge with variables: one segment, or the rest (``path``).

        A rest that only lacks the rule's trailing '/' is offered to the
        rules as a redirect, as ``end_of_path`` does for plain segments.
        """
        parts = attempt.parts
        if not rule_part.consumes_rest:
            converted = rule_part.convert(parts[index])
            if converted is None:
                return None
            return self.visit(attempt, next_state, index + 1, values + converted)
        rest = "/".join(parts[index:])
        converted = rule_part.convert(rest)
        if converted is not None:
            return self.visit(attempt, next_state, len(parts), values + converted)
        if not rule_part.ends_with_slash or attempt.ends_with_slash():
            return None
        converted = rule_part.convert(rest + "/")
        if converted is None:
            return None
        return self.add_slash(attempt, next_state.rules, values + converted)

    def end_of_path(
        self, attempt: MatchAttempt, state: State, values: list[Any]
    ) -> tuple[Rule, list[Any]] | None:
        """Choose among the rules ending here, then those that only lack '/'."""
        found = attempt.choose(state.rules, values)
        slash_state = state.static.get("")
        if found is not None or slash_state is None or attempt.ends_with_slash():
            return found
        return self.add_slash(attempt, slash_state.rules, values)

    def add_slash(
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
