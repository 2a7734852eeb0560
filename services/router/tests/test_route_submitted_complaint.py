"""The router's use case with fakes: ComplaintRouted after ComplaintSubmitted, exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from suara_kit import codec
from suara_kit.events import (
    Actor,
    ActorKind,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    NotificationOutcome,
    Payload,
    Priority,
    SourceChannel,
    StaffNotified,
    derived_id,
)
from suara_kit.journal import InMemoryJournal
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.recording import EventRecorder
from suara_router.handlers import route_submitted_complaint

SUBMITTED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday 16:00 WIB
ROUTED_AT = datetime(2026, 11, 20, 9, 0, 2, tzinfo=UTC)


def submitted(text: str = "Pendaftaran SMA negeri di Kediri sistemnya error terus.", category: str = "pendidikan"):
    payload = ComplaintSubmitted(
        "KDR-3Q7ZK-M0P4X",
        text,
        category,
        "35.71.03.1010",
        "Singonegaran",
        "Pesantren",
        SourceChannel.WEB_PORTAL,
        False,
        False,
        "web-1",
    )
    return event(payload, sequence=1, occurred_at=SUBMITTED_AT)


def event(payload: Payload, sequence: int, occurred_at: datetime = SUBMITTED_AT, complaint_id: str = "") -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        complaint_id=complaint_id or str(uuid.uuid4()),
        sequence=sequence,
        occurred_at=occurred_at,
        actor=Actor(ActorKind.INTEGRATOR, "portal"),
        correlation_id="request-7",
        causation_id="request-7",
        producer="suara-intake",
        payload=payload,
    )


class Router:
    def __init__(self, catalogue) -> None:
        self.journal = InMemoryJournal()
        self.publisher = InMemoryEventPublisher()
        self.recorder = EventRecorder(self.journal, self.publisher)
        self.catalogue = catalogue

    def submit(self, submitted_event: Event) -> None:
        """What intake did before: ComplaintSubmitted is sequence 1 of the stream."""
        self.recorder.record(submitted_event.complaint_id, submitted_event.event_id, lambda _: submitted_event)
        self.publisher.published.clear()

    def handle(self, delivered: Event):
        return route_submitted_complaint(
            delivered, catalogue=self.catalogue, recorder=self.recorder, clock=lambda: ROUTED_AT
        )


@pytest.fixture
def router(catalogue) -> Router:
    return Router(catalogue)


def test_a_submitted_complaint_is_recorded_as_routed_at_sequence_2(router) -> None:
    cause = submitted()
    router.submit(cause)

    recorded = router.handle(cause)

    assert recorded is not None
    assert recorded.created is True
    routed = recorded.event
    assert routed.sequence == 2
    assert routed.complaint_id == cause.complaint_id
    assert routed.event_id == derived_id(cause.event_id, "ComplaintRouted")
    assert routed.causation_id == cause.event_id
    assert routed.correlation_id == "request-7"
    assert routed.occurred_at == ROUTED_AT
    assert (routed.actor.kind, routed.producer) == (ActorKind.SERVICE, "suara-router")
    assert isinstance(routed.payload, ComplaintRouted)
    assert routed.payload.opd_code == "PROV_JATIM_DINDIK"
    assert routed.payload.opd_name == router.catalogue.agencies["PROV_JATIM_DINDIK"].name
    assert routed.payload.rule_id == "R-DIDIK-02"
    assert routed.payload.priority is Priority.NORMAL
    assert routed.payload.due_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # counted from submission
    assert [codec.decode(p.value) for p in router.publisher.published] == [routed]
    assert [e.sequence for e in router.journal.stream(cause.complaint_id)] == [1, 2]


def test_a_redelivered_submitted_complaint_records_nothing_new(router) -> None:
    cause = submitted()
    router.submit(cause)
    first = router.handle(cause)

    again = router.handle(cause)

    assert again is not None
    assert again.created is False
    assert again.event == first.event
    assert len(router.publisher.published) == 1
    assert len(router.journal.stream(cause.complaint_id)) == 2


@pytest.mark.parametrize(
    "payload",
    [
        ComplaintRouted("DPUPR", "DPUPR", Priority.NORMAL, SUBMITTED_AT, "R-JALAN-01", "reason"),
        StaffNotified("DPUPR", "email", "a@kedirikota.example", NotificationOutcome.DELIVERED, "ok"),
    ],
    ids=["ComplaintRouted", "StaffNotified"],
)
def test_events_other_than_submitted_are_ignored(router, payload) -> None:
    other = event(payload, sequence=2)

    assert router.handle(other) is None
    assert router.publisher.published == []
    assert router.journal.stream(other.complaint_id) == []


def test_a_complaint_in_a_category_the_router_does_not_know_is_routed_to_the_fallback(router) -> None:
    cause = submitted(text="Ada drone jatuh di atap rumah warga.", category="drone")
    router.submit(cause)

    routed = router.handle(cause).event.payload

    assert routed.opd_code == "SETDA"
    assert "'drone' tidak dikenal" in routed.reason
