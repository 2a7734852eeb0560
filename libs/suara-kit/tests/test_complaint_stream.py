"""A stream written in the walking skeleton's vocabulary folds into the aggregate's state, and the aggregate's
commands then apply to it (docs/decisions/0023)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from suara_complaint import Actor, Context, Policy, Role, Status, decide, evolve, load_calendar
from suara_complaint import commands as c
from suara_complaint.calendar import WorkingCalendar
from suara_kit.complaint_stream import fold_stream, lifecycle_events
from suara_kit.events import (
    Actor as EnvelopeActor,
)
from suara_kit.events import (
    ActorKind,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    NotificationOutcome,
    Priority,
    SourceChannel,
    StaffNotified,
)

POLICY = Policy()
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # an hour after the events: no deadline due yet
WIB = timezone(timedelta(hours=7), "WIB")
SUBMITTED = ComplaintSubmitted(
    tracking_number="KDR-3Q7ZK-M0P4X",
    text="Jalan Merbabu dekat perempatan Mrican berlubang besar.",
    category="",
    kelurahan_code="35.71.01.1008",
    kelurahan_name="Mrican",
    kecamatan_name="Mojoroto",
    source_channel=SourceChannel.WHATSAPP,
    anonymous=True,
    has_reporter_contact=False,
    idempotency_key="wa:0001",
)
ROUTED = ComplaintRouted(
    opd_code="DPUPR",
    opd_name="Dinas Pekerjaan Umum dan Penataan Ruang",
    priority=Priority.TINGGI,
    due_at=datetime(2026, 11, 27, 16, 0, tzinfo=WIB),
    rule_id="R-JALAN-01",
    reason="Jalan kota yang berlubang ditangani DPUPR.",
    category="jalan_rusak",
)
NOTIFIED = StaffNotified("DPUPR", "email", "penghubung.dpupr@example.org", NotificationOutcome.DELIVERED, "")


def make_event(payload, complaint_id: str, sequence: int) -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        complaint_id=complaint_id,
        sequence=sequence,
        occurred_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        actor=EnvelopeActor(ActorKind.INTEGRATOR, "wa-gateway", "WhatsApp gateway"),
        correlation_id=str(uuid.uuid4()),
        causation_id=str(uuid.uuid4()),
        producer="suara-test",
        payload=payload,
    )


def calendar() -> WorkingCalendar:
    return load_calendar(Path(__file__).resolve().parents[3] / "data" / "calendar")


def stream(routed=ROUTED, complaint_id: str | None = None):
    complaint_id = complaint_id or str(uuid.uuid4())
    return [
        make_event(SUBMITTED, complaint_id=complaint_id, sequence=1),
        make_event(routed, complaint_id=complaint_id, sequence=2),
        make_event(NOTIFIED, complaint_id=complaint_id, sequence=3),
    ]


def test_a_routed_complaint_is_dispatched_to_its_opd_with_the_routing_priority() -> None:
    state = fold_stream(stream(), POLICY)

    assert state is not None
    assert state.status is Status.DISPATCHED
    assert state.opd == "DPUPR"
    assert str(state.priority) == "tinggi"
    assert state.version == 3


def test_a_complaint_the_router_put_on_the_coordinators_desk_stays_submitted() -> None:
    on_desk = replace(ROUTED, opd_code="DISKOMINFO", needs_coordinator=True, coordinator_desk="DISKOMINFO")
    state = fold_stream(stream(on_desk), POLICY)

    assert state is not None
    assert state.status is Status.SUBMITTED
    assert state.opd in (None, "")


def test_an_emergency_the_desk_must_also_act_on_is_dispatched_to_its_first_responder() -> None:
    fire = replace(ROUTED, opd_code="DAMKAR", needs_coordinator=True, coordinator_desk="DISKOMINFO", emergency=True)

    state = fold_stream(stream(fire), POLICY)

    assert state is not None
    assert (state.status, state.opd) == (Status.DISPATCHED, "DAMKAR")


def test_the_translation_keeps_event_ids_so_a_replay_folds_the_same_state() -> None:
    events = stream()

    first, second = lifecycle_events(events, POLICY), lifecycle_events(events, POLICY)

    assert first == second
    assert [e.event_id for e in first] == [e.event_id for e in events]


def test_an_officer_of_the_opd_can_acknowledge_a_complaint_the_router_dispatched() -> None:
    events = stream()
    state = fold_stream(events, POLICY)
    officer = Actor("siti.dpupr", Role.OPD_OFFICER, "DPUPR")
    command = c.Acknowledge(
        complaint_id=events[0].complaint_id, actor=officer, idempotency_key="ack-1", expected_version=3
    )

    decision = decide(state, command, Context(NOW, POLICY, calendar()))

    assert isinstance(decision, list), decision
    assert [type(e).__name__ for e in decision] == ["ComplaintAcknowledged"]
    after = state
    for event in decision:
        after = evolve(after, event)
    assert after.status is Status.ACKNOWLEDGED
