"""Read ``/probe/stream`` as a browser does: one event at a time.

The response is read line by line off the socket (http.client undoes the
chunking), so a test sees each event when it arrives, not when the run ends.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

SOCKET_TIMEOUT_SECONDS = 10.0
ENDINGS = ("done", "error")


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event: its name, its JSON data and its id."""

    name: str
    data: dict[str, Any]
    id: int | None


@dataclass
class Run:
    """A whole probe as received: its stage events and how it ended."""

    stages: list[dict[str, Any]] = field(default_factory=list)
    ending: Event | None = None
    ids: list[int | None] = field(default_factory=list)

    def enters(self) -> list[str]:
        """Return each ``enter``, labelled ``tour/step`` or ``specimen:name``."""
        return [label(stage) for stage in self.stages if stage["phase"] == "enter"]


def label(stage: dict[str, Any]) -> str:
    """Name a stage as the tables do; specimen code belongs to no tour."""
    if stage["tour"] is not None:
        return f"{stage['tour']}/{stage['step']}"
    return "specimen:" + stage["symbol"].partition(":")[2]


class EventStream:
    """One request to ``/probe/stream``, open until ``close``."""

    def __init__(
        self,
        server: Any,
        query: dict[str, str],
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.connection = http.client.HTTPConnection(
            server.host, server.port, timeout=SOCKET_TIMEOUT_SECONDS
        )
        self.connection.request(
            "GET", "/probe/stream?" + urlencode(query), headers=headers or {}
        )
        self.response = self.connection.getresponse()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def next_event(self) -> Event | None:
        """Read up to the next event; None once the stream has ended."""
        fields: dict[str, str] = {}
        while line := self.response.readline():
            text = line.decode("utf-8").rstrip("\n")
            if text.startswith(":"):
                continue
            if text:
                name, _, value = text.partition(": ")
                fields[name] = value
            elif fields:
                return to_event(fields)
        return None

    def next_stage(self) -> dict[str, Any]:
        """Read the next event, which must be a stage; return its data."""
        event = self.next_event()
        assert event is not None and event.name == "stage", event
        return event.data

    def read_run(self, run: Run | None = None) -> Run:
        """Read the rest of the stream: stages, then the one ending event."""
        run = run or Run()
        while (event := self.next_event()) is not None:
            run.ids.append(event.id)
            if event.name in ENDINGS:
                assert run.ending is None, f"a second ending: {event}"
                run.ending = event
            else:
                assert run.ending is None, f"{event} after {run.ending}"
                run.stages.append(event.data)
        return run

    def close(self) -> None:
        """Hang up, whether or not the stream was read to its end."""
        self.connection.close()


def to_event(fields: dict[str, str]) -> Event:
    """Build an Event from one block's ``id``, ``event`` and ``data`` lines."""
    number = fields.get("id")
    return Event(
        fields.get("event", "message"),
        json.loads(fields.get("data", "null")),
        int(number) if number is not None else None,
    )


def probe(server: Any, query: dict[str, str]) -> tuple[int, Run]:
    """Run one probe through the site; return the HTTP status and the run."""
    with EventStream(server, query) as stream:
        return stream.response.status, stream.read_run()
