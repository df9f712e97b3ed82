"""The live probe's web face: which code to watch, checked input, and SSE.

``site.py`` wires this between the tours and ``walkthrough.probe``: the tours
say which code objects are stages (so adding a step adds a stage), the
client only picks one of the offered apps (``app=``), a method and a path
(never a host, a port or code), at most a few probes run at once, and each
stage leaves as one Server-Sent Event the moment the tracer reports it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import CodeType

from walkthrough.framework.exceptions import (
    BadRequest,
    ServiceUnavailable,
    TooManyRequests,
)
from walkthrough.i18n import ENGLISH, Language
from walkthrough.probe.runner import (
    NO_RESULT,
    Probe,
    ProbeDone,
    ProbeFailed,
    RequestProbe,
    StartupProbe,
)
from walkthrough.probe.targets import (
    FLASK,
    WALKTHROUGH,
    YOURS,
    ProbeTarget,
    TargetUnavailable,
    flask_target,
    walkthrough_target,
)
from walkthrough.probe.tracer import StageEvent, Watch
from walkthrough.tour.chain import NARROW_BOXES_PER_ROW, ChainPicture, layout_chain
from walkthrough.tour.content import Tour
from walkthrough.tour.source import code_objects

PROBE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_PROBE_PATH_CHARS = 2048
DEFAULT_MAX_PROBES = 4
RETRY_AFTER_SECONDS = 2
MODES = ("request", "startup")


@dataclass(frozen=True)
class ProbeRequest:
    """A probe the client asked for, after checking every field."""

    mode: str
    method: str
    path: str
    app: str = WALKTHROUGH


@dataclass(frozen=True)
class TargetChoice:
    """One app the probe page offers: ready, or unavailable and why."""

    id: str
    title: str
    target: ProbeTarget | None
    unavailable: str = ""


class ProbeTargets:
    """The apps the site's probe may run, by ``app=`` id.

    This framework's specimen and its Flask twin always; a reader's own
    app (``walkthrough serve --app``) when one was given. Flask may be
    missing: then its choice stays listed, unavailable, with the fix.
    """

    def __init__(self, yours: ProbeTarget | None = None) -> None:
        self.factories: dict[str, tuple[str, Callable[[], ProbeTarget]]] = {
            WALKTHROUGH: ("This framework", walkthrough_target),
            FLASK: ("Real Flask", flask_target),
        }
        if yours is not None:
            self.factories[YOURS] = (yours.title, lambda: yours)

    def find(self, app_id: str, language: Language = ENGLISH) -> ProbeTarget:
        """Return the target for ``app=``: 400 if unknown, 503 if not installed."""
        if app_id not in self.factories:
            message = language.gettext(
                "Unknown app {app}: choose one of {choices}.",
                app=repr(app_id[:20]),
                choices=", ".join(self.factories),
            )
            raise BadRequest(message)
        try:
            return self.factories[app_id][1]()
        except TargetUnavailable as error:
            raise ServiceUnavailable(language.gettext(str(error))) from None

    def choices(self) -> list[TargetChoice]:
        """List every offered app for the page, each ready or not."""
        listed = []
        for app_id, (title, factory) in self.factories.items():
            try:
                listed.append(TargetChoice(app_id, title, factory()))
            except TargetUnavailable as error:
                listed.append(TargetChoice(app_id, title, None, str(error)))
        return listed


def parse_probe_request(
    args: dict[str, str], language: Language = ENGLISH
) -> ProbeRequest:
    """Check the query of ``/probe/stream``; raise 400 naming the problem.

    ``language`` is the reader's (``lang=`` on the query): the probe page
    shows these messages as they come.
    """
    gettext = language.gettext
    mode = args.get("mode", "request")
    if mode not in MODES:
        raise BadRequest(
            gettext(
                "Unknown probe mode {mode}: use request or startup.",
                mode=repr(mode[:20]),
            )
        )
    method = args.get("method", "GET").upper()
    if method not in PROBE_METHODS:
        raise BadRequest(
            gettext(
                "Method {method} cannot be probed; choose one of {choices}.",
                method=repr(method[:20]),
                choices=", ".join(PROBE_METHODS),
            )
        )
    path = check_probe_path(args.get("path", "/index"), language)
    return ProbeRequest(mode, method, path, args.get("app", WALKTHROUGH))


def check_probe_path(path: str, language: Language = ENGLISH) -> str:
    """Accept a path on the specimen: ``/`` first, printable ASCII, bounded."""
    gettext = language.gettext
    if len(path) > MAX_PROBE_PATH_CHARS:
        raise BadRequest(
            gettext(
                "The path is longer than {max} characters.", max=MAX_PROBE_PATH_CHARS
            )
        )
    if not path.startswith("/"):
        raise BadRequest(
            gettext("The path must start with '/': it is a path on the app.")
        )
    if not (path.isascii() and path.isprintable()) or " " in path:
        raise BadRequest(
            gettext(
                "The path must be printable ASCII without spaces (percent-encode others)."  # noqa: E501
            )
        )
    return path


def watches_for(
    tours: Iterable[Tour], *, prefer_tour: str | tuple[str, ...]
) -> dict[CodeType, Watch]:
    """Map each code object a tour names to its step, preferred tours first.

    One function can be a step in several tours (``serve_forever`` is in
    startup, request and flask); the tour being run live names the stage.
    A step whose symbol no longer resolves lights nothing rather than
    failing every probe; ``walkthrough check`` reports it.
    """
    preferred = (prefer_tour,) if isinstance(prefer_tour, str) else prefer_tour
    rank = {tour_id: index for index, tour_id in enumerate(preferred)}
    ordered = sorted(tours, key=lambda tour: rank.get(tour.id, len(rank)))
    return {
        code: Watch(ref.symbol, ref.tour_id, ref.step_id)
        for code, ref in code_objects(ordered).items()
    }


def make_probe(
    request: ProbeRequest,
    tours: Iterable[Tour],
    target: ProbeTarget,
    language: Language = ENGLISH,
) -> Probe:
    """Build the probe the request asks for, watching the tours' code."""
    if request.mode == "startup":
        if target.startup is None:
            raise BadRequest(no_startup_message(target, language))
        watched = watches_for(tours, prefer_tour=target.startup_tours)
        return StartupProbe(watched, target=target)
    watched = watches_for(tours, prefer_tour=target.request_tours)
    return RequestProbe(
        watched, target=target, method=request.method, path=request.path
    )


def no_startup_message(target: ProbeTarget, language: Language) -> str:
    """Say, in the reader's language, that this app has no startup to trace."""
    return language.gettext(
        "{app} has no startup the probe can trace: probe one request instead.",
        app=language.gettext(target.title),
    )


class ProbeLimiter:
    """Let at most ``limit`` probes run at once; the next one gets 429."""

    def __init__(self, limit: int = DEFAULT_MAX_PROBES) -> None:
        self.slots = threading.BoundedSemaphore(limit)

    def acquire(self, language: Language = ENGLISH) -> None:
        """Take a slot without waiting, or refuse with Retry-After."""
        if not self.slots.acquire(blocking=False):
            raise TooManyRequests(
                language.gettext("All probe slots are busy; try again in a moment."),
                retry_after_seconds=RETRY_AFTER_SECONDS,
            )

    def release(self) -> None:
        """Give a slot back."""
        self.slots.release()


def sse_message(event: str, data: dict, message_id: int | None = None) -> str:
    """Format one Server-Sent Event: optional id, the event name, JSON data."""
    lines = [] if message_id is None else [f"id: {message_id}"]
    lines += [f"event: {event}", f"data: {json.dumps(data, separators=(',', ':'))}"]
    return "\n".join(lines) + "\n\n"


class ProbeStream:
    """The body of ``/probe/stream``: events as they fire, then one ending.

    A class with ``close`` rather than a bare generator, because the server
    closes the body even if it never started iterating (the client left at
    once), and the probe slot must come back in every case.
    """

    def __init__(
        self, probe: Probe, limiter: ProbeLimiter, language: Language = ENGLISH
    ) -> None:
        self.probe = probe
        self.limiter = limiter
        self.language = language
        self.messages = probe.run()
        self.is_closed = False

    def __iter__(self) -> Iterator[str]:
        """Yield a comment at once (the browser sees the stream open), then events.

        The stream ends right after ``done`` or ``error``: the browser can
        close it without aborting anything, and the probe's own cleanup
        happens afterwards, in ``close``.
        """
        yield ": probe started\n\n"
        for number, message in enumerate(self.messages, start=1):
            yield format_message(message, number, self.language)
            if not isinstance(message, StageEvent):
                return

    def close(self) -> None:
        """Free the slot, then stop the probe (its ``finally`` shuts the specimen).

        The slot goes first: the run is over for the client, so its next probe
        is not refused while this one's server takes its bounded time to stop.
        """
        if self.is_closed:
            return
        self.is_closed = True
        self.limiter.release()
        self.messages.close()


def format_message(
    message: StageEvent | ProbeDone | ProbeFailed,
    number: int,
    language: Language = ENGLISH,
) -> str:
    """Turn a probe message into its SSE form: stage, done or error.

    An error is worded in the reader's ``language``; the rest is data.
    """
    if isinstance(message, StageEvent):
        return sse_message("stage", message.to_json(), number)
    if isinstance(message, ProbeDone):
        return sse_message("done", message.to_json(), number)
    return sse_message("error", message.to_json(language), number)


def run_to_document(probe: Probe, language: Language = ENGLISH) -> dict:
    """Run a probe to the end and return all of it as one JSON document."""
    stages, ending = [], {"error": ProbeFailed(NO_RESULT).to_json(language)}
    for message in probe.run():
        if isinstance(message, StageEvent):
            stages.append(message.to_json())
        elif isinstance(message, ProbeDone):
            ending = {"done": message.to_json()}
        else:
            ending = {"error": message.to_json(language)}
    return {"stages": stages, **ending}


@dataclass(frozen=True)
class ProbeChoiceView:
    """What the probe page shows and tells its script about one app.

    The page's script learns everything per app from ``data-*`` attributes
    made of these fields: which tours light up, which tour a startup or a
    request run belongs to, and the app's own views and hooks with their
    source (``own_code``, JSON), so no tour or step id lives in JavaScript.
    """

    id: str
    title: str
    unavailable: str
    tours: tuple[str, ...]
    request_tours: tuple[str, ...]
    startup_tours: tuple[str, ...]
    has_startup: bool
    has_scenarios: bool
    own_code: str


def choice_view(choice: TargetChoice) -> ProbeChoiceView:
    """Describe one offered app for the page, ready or not."""
    target = choice.target
    if target is None:
        return ProbeChoiceView(
            choice.id, choice.title, choice.unavailable, (), (), (), False, False, "[]"
        )
    own = [function.to_json() for function in target.own_functions()]
    return ProbeChoiceView(
        id=choice.id,
        title=choice.title,
        unavailable="",
        tours=target.tours,
        request_tours=target.request_tours,
        startup_tours=target.startup_tours,
        has_startup=target.startup is not None,
        has_scenarios=bool(target.scenarios),
        own_code=json.dumps(own, separators=(",", ":")),
    )


@dataclass(frozen=True)
class ProbeFigure:
    """One chain picture on the probe page: the lanes one app lights.

    ``narrow`` is the same picture laid out for a phone's width.
    """

    tours: tuple[str, ...]
    chain: ChainPicture
    narrow: ChainPicture


def probe_page_context(
    choices: Iterable[TargetChoice], tours: Iterable[Tour]
) -> dict[str, object]:
    """Gather what the probe page shows: apps, their tours and pictures.

    Every tour any offered app lights is listed once; each distinct set of
    tours gets its own picture, which the page shows while that app is on.
    """
    views = [choice_view(choice) for choice in choices]
    by_id = {tour.id: tour for tour in tours}
    live_ids = dict.fromkeys(
        tour_id for view in views for tour_id in view.tours if tour_id in by_id
    )
    figures: dict[tuple[str, ...], ProbeFigure] = {}
    for view in views:
        shown = tuple(tour_id for tour_id in view.tours if tour_id in by_id)
        chain = layout_chain(by_id[tour_id] for tour_id in shown)
        narrow = layout_chain(
            (by_id[tour_id] for tour_id in shown), per_row=NARROW_BOXES_PER_ROW
        )
        if shown and shown not in figures and chain.lanes:
            figures[shown] = ProbeFigure(shown, chain, narrow)
    return {
        "probe_targets": views,
        "live_tours": [by_id[tour_id] for tour_id in live_ids],
        "probe_figures": list(figures.values()),
    }
