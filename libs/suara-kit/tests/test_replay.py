"""Replay applies each event once to the fresh projections, however often the topic holds it (the whole tool runs
against the real broker and store in tests/integration/test_replay.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from test_complaint_stream import stream

from suara_kit import codec
from suara_kit.events import Event
from suara_kit.replay import Report, _apply, _Feed


@dataclass
class Record:
    value: bytes


class Recording:
    def __init__(self) -> None:
        self.applied: list[str] = []

    def apply(self, event: Event, data: bytes) -> None:
        self.applied.append(event.event_id)


def test_an_event_published_twice_is_applied_once_and_counted() -> None:
    events = stream()
    topic: list[Any] = [Record(codec.encode(e)) for e in [events[0], events[1], events[1], events[2], events[0]]]
    projection, feed, report = Recording(), _Feed(), Report()

    for record in topic:
        _apply(record, [projection], feed, report)

    assert projection.applied == [e.event_id for e in events]
    assert (report.events, report.redelivered) == (5, 2)
    assert [sequence for sequence, _, _ in feed.by_complaint[events[0].complaint_id]] == [1, 2, 3]


def test_an_undecodable_record_is_counted_and_applied_to_nothing() -> None:
    projection, feed, report = Recording(), _Feed(), Report()

    _apply(Record(b"\xff\x00 not an envelope"), [projection], feed, report)

    assert (projection.applied, report.undecodable, report.events) == ([], 1, 0)
