"""The timeline read model and its projector: every event once, found by complaint id or tracking number."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from suara_intake.adapters.timeline import InMemoryTimeline
from suara_intake.entrypoints.projector import timeline_projector
from suara_kit import codec
from suara_kit.codec import UndecodableEvent
from suara_kit.events import (
    Actor,
    ActorKind,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    Priority,
    SourceChannel,
)

COMPLAINT_ID = str(uuid.uuid4())
TRACKING = "KDR-3Q7ZK-M0P4X"


def event(sequence: int) -> Event:
    payload = (
        ComplaintSubmitted(
            TRACKING,
            "Sampah menumpuk di TPS Jl. Hayam Wuruk.",
            "sampah",
            "35.71.02.1001",
            "Kampung Dalem",
            "Kota",
            SourceChannel.SURGA,
            False,
            False,
            "surga-1",
        )
        if sequence == 1
        else ComplaintRouted("DLHKP", "DLHKP", Priority.NORMAL, datetime(2026, 11, 27, tzinfo=UTC), "R-SAMPAH-01", "")
    )
    return Event(
        str(uuid.uuid4()),
        COMPLAINT_ID,
        sequence,
        datetime(2026, 11, 20, 9, sequence, tzinfo=UTC),
        Actor(ActorKind.SERVICE, "test"),
        "corr",
        "cause",
        "test",
        payload,
    )


def as_record(data: bytes, offset: int = 0) -> ConsumerRecord:
    return ConsumerRecord("events", 0, 0, offset, 0, 0, COMPLAINT_ID.encode(), data, [], None, 0, len(data), 0)


@pytest.fixture
def timeline() -> InMemoryTimeline:
    return InMemoryTimeline()


def test_the_projector_applies_each_event_with_its_bytes_as_received(timeline) -> None:
    project = timeline_projector(timeline)
    routed, submitted = event(2), event(1)

    for offset, e in enumerate((routed, submitted)):
        project(as_record(codec.encode(e), offset))

    view = timeline.find(COMPLAINT_ID)
    assert view is not None
    assert view.tracking_number == TRACKING
    assert [(e.sequence, e.event_type) for e in view.entries] == [(1, "ComplaintSubmitted"), (2, "ComplaintRouted")]
    assert view.entries[0].data == codec.encode(submitted)
    assert view.entries[1].occurred_at == routed.occurred_at


def test_applying_the_same_event_twice_leaves_one_entry(timeline) -> None:
    submitted = event(1)
    data = codec.encode(submitted)

    timeline.apply(submitted, data)
    timeline.apply(submitted, data)

    assert len(timeline.find(TRACKING).entries) == 1


def test_the_projector_refuses_undecodable_bytes_and_stores_nothing(timeline) -> None:
    with pytest.raises(UndecodableEvent):
        timeline_projector(timeline)(as_record(b"\xff\xff"))

    assert timeline.find(COMPLAINT_ID) is None


@pytest.mark.parametrize("reference", [COMPLAINT_ID, COMPLAINT_ID.upper(), TRACKING, TRACKING.lower()])
def test_a_complaint_is_found_by_id_or_tracking_number_in_either_case(timeline, reference) -> None:
    timeline.apply(event(1), b"data")

    view = timeline.find(reference)

    assert view is not None
    assert view.complaint_id == COMPLAINT_ID


def test_clearing_the_timeline_forgets_every_complaint(timeline) -> None:
    timeline.apply(event(1), b"data")

    timeline.clear()

    assert timeline.find(COMPLAINT_ID) is None
    assert timeline.find(TRACKING) is None


def test_a_complaint_seen_only_after_routing_has_no_tracking_number_yet(timeline) -> None:
    timeline.apply(event(2), b"data")

    view = timeline.find(COMPLAINT_ID)

    assert view is not None
    assert view.tracking_number == ""
    assert timeline.find(TRACKING) is None


@pytest.mark.parametrize(
    "reference", [COMPLAINT_ID.replace("-", ""), "{" + COMPLAINT_ID + "}"], ids=["no-hyphens", "braces"]
)
def test_a_complaint_id_written_in_another_uuid_form_is_found(timeline, reference) -> None:
    timeline.apply(event(1), b"data")

    view = timeline.find(reference)

    assert view is not None
    assert view.complaint_id == COMPLAINT_ID
