"""Hold an app's rules and bind them to one request: Map and MapAdapter.

Chain steps: ``Map.add`` at startup; per request ``Map.bind_to_environ``, then
``MapAdapter.match`` (the boundary where 404/405/308 are raised) and
``MapAdapter.build`` for ``url_for``. Counterpart: ``werkzeug.routing.map``.
Left out: hosts and subdomains, redirect_defaults and lazy re-sorting.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from difflib import get_close_matches
from typing import Any
from urllib.parse import quote, urlencode

from walkthrough.framework.datastructures import MultiDict
from walkthrough.framework.exceptions import MethodNotAllowed, NotFound, RequestRedirect
from walkthrough.framework.routing.converters import (
    DEFAULT_CONVERTERS,
    PATH_SAFE_CHARS,
    BaseConverter,
)
from walkthrough.framework.routing.matcher import (
    NoMatch,
    SlashRequired,
    StateMachineMatcher,
)
from walkthrough.framework.routing.rules import Rule

# Werkzeug's choice for query strings; urlencode turns spaces into '+'.
QUERY_SAFE_CHARS = "!$'()*,/:;?@"


class BuildError(LookupError):
    """Say why no rule of ``endpoint`` can build a URL from the values.

    Unlike Werkzeug's, which is given the values, method and adapter and
    words its own message, ours is handed a message that lists each rule's
    reason, or suggests a close endpoint name.
    """

    def __init__(self, endpoint: str, message: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class Map:
    """Hold an app's rules and the matcher compiled from them."""

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        *,
        strict_slashes: bool = True,
        converters: Mapping[str, type[BaseConverter]] | None = None,
    ) -> None:
        """Check the custom converters, then add ``rules`` one by one.

        A converter that is not a ``BaseConverter`` subclass fails here, at
        startup, rather than when the first rule that names it is compiled.
        """
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

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._rules!r})"

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
        """Return an adapter that matches and builds for one request.

        A host in Unicode is written in IDNA (``xn--…``), the form DNS and
        the Host header use, as Werkzeug does. A name IDNA cannot write (a
        label over 63 characters) is kept as given, where Werkzeug raises
        BadHost: a bad Host header must not break the request before the
        app can answer it.
        """
        host, colon, port = server_name.lower().partition(":")
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
        return MapAdapter(
            self,
            f"{host}{colon}{port}",
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


def _build_values(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the values to build with, as Werkzeug reads them.

    From a dict, None values are dropped; from a MultiDict, a key keeps its
    one value, or the list of them when there are several.
    """
    if isinstance(values, MultiDict):
        lists = values.to_dict(flat=False).items()
        return {key: (v[0] if len(v) == 1 else v) for key, v in lists if v}
    return {key: value for key, value in (values or {}).items() if value is not None}


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
        """Keep what the request says about itself: host, script root, path.

        ``script_name`` is made to end in one '/', as in Werkzeug, so an app
        mounted at ``/app`` or ``/app/`` builds the same URLs.
        """
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
        Unlike Werkzeug, ours never redirects a URL that spells out a rule's
        default (``/page/1`` to ``/page/`` when ``defaults={"n": 1}``).
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
        """Return the path with a '/' added: script root, path, query.

        Unlike Werkzeug, which writes ``http://host/path/``, ours keeps no
        host in redirects: a path is enough for the browser, and it stays
        right behind a proxy that changes the host.
        """
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
        append_unknown: bool = True,
    ) -> str:
        """Return the URL for ``endpoint``: script root, path, then a query.

        Values the rule does not use go to the query string, in the order
        given (unless ``append_unknown`` is false); None is dropped, even
        inside a list. A MultiDict key with several values gives them all.
        """
        given = _build_values(values)
        rule = self._find_build_rule(endpoint, given, method)
        url = self._script_root() + rule.build(given)
        extra = [
            (key, item)
            for key, value in given.items()
            if key not in rule.arguments and key not in rule.defaults
            for item in (value if isinstance(value, list | tuple) else [value])
            if item is not None
        ]
        if extra and append_unknown:
            url += "?" + urlencode(extra, safe=QUERY_SAFE_CHARS)
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
