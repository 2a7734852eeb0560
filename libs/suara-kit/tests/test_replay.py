"""Replay gathers each event once, however often the topic holds it, and builds each complaint into the fresh
projections: at once where a projection can rebuild, else event by event (the whole tool runs against the real
broker and store in tests/integration/test_replay.py)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from test_complaint_stream import stream

from suara_kit import codec
from suara_kit.events import Event
from suara_kit.kafka import PoisonMessage
from suara_kit.replay import Rebuilds, Report, _build, _Feed, _gather


@dataclass
class Record:
    value: bytes


class Recording:
    """A projection that only applies events."""

    def __init__(self, refuse: str = "") -> None:
        self.applied: list[str] = []
        self._refuse = refuse

    def apply(self, event: Event, data: bytes) -> None:
        if event.event_id == self._refuse:
            raise PoisonMessage("refused")
        self.applied.append(event.event_id)


class Rebuilding(Recording):
    """A projection that rebuilds a complaint from its whole stream."""

    def __init__(self) -> None:
        super().__init__()
        self.rebuilt: list[tuple[str, list[str]]] = []

    def rebuild(self, complaint_id: str, stream: Sequence[tuple[Event, bytes]]) -> None:
        self.rebuilt.append((complaint_id, [event.event_id for event, _ in stream]))


def _gathered(events: list[Event]) -> tuple[_Feed, Report]:
    feed, report = _Feed(), Report()
    for event in events:
        _gather(Record(codec.encode(event)), feed, report)
    return feed, report


def test_an_event_published_twice_is_gathered_once_and_counted() -> None:
    events = stream()

    feed, report = _gathered([events[0], events[1], events[1], events[2], events[0]])

    assert (report.events, report.redelivered) == (5, 2)
    assert [event.sequence for event, _ in feed.by_complaint[events[0].complaint_id]] == [1, 2, 3]
    assert [data for _, data in feed.by_complaint[events[0].complaint_id]] == [codec.encode(e) for e in events[:3]]


def test_an_undecodable_record_is_counted_and_gathered_nowhere() -> None:
    feed, report = _Feed(), Report()

    _gather(Record(b"\xff\x00 not an envelope"), feed, report)

    assert (feed.by_complaint, report.undecodable, report.events) == ({}, 1, 0)


def test_a_projection_that_rebuilds_gets_each_complaint_once_and_the_others_each_event_once() -> None:
    first, second = stream(), stream()
    feed, report = _gathered([first[0], second[0], first[1], first[1], second[1], first[2]])
    rebuilding, applying = Rebuilding(), Recording()
    assert isinstance(rebuilding, Rebuilds) and not isinstance(applying, Rebuilds)

    _build([rebuilding, applying], feed, report, progress=lambda line: None)

    assert rebuilding.rebuilt == [
        (first[0].complaint_id, [e.event_id for e in first[:3]]),
        (second[0].complaint_id, [e.event_id for e in second[:2]]),
    ]
    assert rebuilding.applied == []
    assert applying.applied == [e.event_id for e in [*first[:3], *second[:2]]]
    assert (report.complaints, report.poison) == (2, 0)


def test_an_event_a_projection_refuses_is_counted_and_the_rest_still_applied() -> None:
    events = stream()
    feed, report = _gathered(events[:3])
    refusing = Recording(refuse=events[1].event_id)

    _build([refusing], feed, report, progress=lambda line: None)

    assert refusing.applied == [events[0].event_id, events[2].event_id]
    assert report.poison == 1


def test_rebuild_progress_is_reported_by_complaint(monkeypatch: Any) -> None:
    feed, report = _gathered([*stream()[:1], *stream()[:1]])
    ticks = itertools.count(0.0, 5.0)  # every complaint takes more than the 2 s between progress lines
    monkeypatch.setattr("suara_kit.replay.time.monotonic", lambda: next(ticks))
    lines: list[str] = []

    _build([Recording()], feed, report, progress=lines.append)

    assert lines == ["... 1 of 2 complaints rebuilt", "... 2 of 2 complaints rebuilt"]


def test_a_stream_the_rebuild_refuses_goes_event_by_event_and_the_refusals_are_counted() -> None:
    events = stream()
    feed, report = _gathered(events[:3])

    class RefusesToRebuild(Recording):
        def rebuild(self, complaint_id: str, stream: Sequence[tuple[Event, bytes]]) -> None:
            raise PoisonMessage("the aggregate cannot fold this stream")

    projection = RefusesToRebuild(refuse=events[2].event_id)

    _build([projection], feed, report, progress=lambda line: None)

    assert projection.applied == [events[0].event_id, events[1].event_id]
    assert report.poison == 1
