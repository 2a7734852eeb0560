"""The deadline index's contract, which the in-memory fake passes here and MongoDeadlineIndex on the real store
(tests/integration/test_deadline_index_store.py): idempotent, order of redelivery irrelevant, due in firing order."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from suara_casework.adapters.deadline_index import DeadlineIndex, InMemoryDeadlineIndex
from suara_complaint import WIB, Actor, Context, Policy, Priority, Role, Status, decide, evolve, load_calendar
from suara_complaint import commands as c
from suara_kit import codec
from suara_kit.events import Event

CALENDAR = load_calendar(Path(__file__).resolve().parents[3] / "data" / "calendar")
POLICY = Policy()
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=WIB)
INTEGRATOR = Actor("portal-kota", Role.INTEGRATOR)
COORDINATOR = Actor("koordinator-ani", Role.COORDINATOR)
OFFICER = Actor("siti.dpupr", Role.OPD_OFFICER, "DPUPR")


def stream(*steps: tuple[datetime, c.Command]) -> list[tuple[Event, bytes]]:
    """A complaint's envelopes as the topic carries them, decided by the aggregate."""
    state, out = None, []
    for now, command in steps:
        decision = decide(state, command, Context(now, POLICY, CALENDAR))
        assert isinstance(decision, list), decision
        for change in decision:
            state = evolve(state, change)
            event = codec.lifecycle_event(
                change, state.version, correlation_id="t", causation_id=command.idempotency_key, producer="t"
            )
            out.append((event, codec.encode(event)))
    return out


def dispatched(complaint_id: str, at: datetime = MONDAY) -> list[tuple[Event, bytes]]:
    return stream(
        (
            at,
            c.Submit(
                complaint_id=complaint_id,
                actor=INTEGRATOR,
                idempotency_key="s",
                tracking_number="KDR-3Q7ZK-M0P4X",
                category="jalan_rusak",
                priority=Priority.NORMAL,
                text="Jalan berlubang.",
                kelurahan_code="35.71.01.1008",
                source_channel="web_portal",
            ),
        ),
        (at, c.Dispatch(complaint_id=complaint_id, actor=COORDINATOR, idempotency_key="d", opd="DPUPR")),
    )


def acknowledged(complaint_id: str) -> list[tuple[Event, bytes]]:
    ack = c.Acknowledge(complaint_id=complaint_id, actor=OFFICER, idempotency_key="a")
    events = dispatched(complaint_id)
    return events + stream_after(events, MONDAY + timedelta(hours=1), ack)


def stream_after(before: list[tuple[Event, bytes]], now: datetime, command: c.Command) -> list[tuple[Event, bytes]]:
    state = None
    for event, _ in before:
        state = evolve(state, event.payload)  # lifecycle payloads only in these streams
    decision = decide(state, command, Context(now, POLICY, CALENDAR))
    assert isinstance(decision, list) and state is not None
    out = []
    for change in decision:
        state = evolve(state, change)
        event = codec.lifecycle_event(change, state.version, correlation_id="t", causation_id="t", producer="t")
        out.append((event, codec.encode(event)))
    return out


def apply_all(index: DeadlineIndex, events: list[tuple[Event, bytes]]) -> None:
    for event, data in events:
        index.apply(event, data)


class DeadlineIndexContract:
    """Run by every adapter; the subclass provides the `index` fixture (POLICY and CALENDAR, empty)."""

    def test_a_dispatched_complaint_has_its_two_deadlines_and_its_next_firing(self, index: DeadlineIndex) -> None:
        complaint_id = str(uuid.uuid4())
        apply_all(index, dispatched(complaint_id))

        entry = index.get(complaint_id)
        assert entry is not None
        assert (entry.version, entry.status) == (2, Status.DISPATCHED)
        assert entry.next_firing_at == MONDAY + timedelta(hours=54)
        by_stage = {d.stage: d for d in entry.deadlines}
        assert set(by_stage) == {"acknowledge", "resolve"}
        assert by_stage["acknowledge"].due_at == MONDAY + timedelta(days=3)
        assert by_stage["acknowledge"].opd == "DPUPR"
        assert by_stage["acknowledge"].deadline_id == f"{complaint_id}/acknowledge/2"

    def test_redelivered_and_repeated_events_change_nothing(self, index: DeadlineIndex) -> None:
        complaint_id = str(uuid.uuid4())
        events = acknowledged(complaint_id)
        apply_all(index, events)
        once = index.get(complaint_id)

        apply_all(index, events[:2])  # a consumer that restarted from an older offset
        apply_all(index, events)

        assert index.get(complaint_id) == once
        assert once is not None and once.version == 3
        assert [d.stage for d in once.deadlines] == ["resolve"]

    def test_an_entry_waits_for_a_missing_event_before_moving_on(self, index: DeadlineIndex) -> None:
        complaint_id = str(uuid.uuid4())
        events = acknowledged(complaint_id)
        apply_all(index, [events[0], events[2]])
        entry = index.get(complaint_id)
        assert entry is not None and entry.version == 1 and entry.status == Status.SUBMITTED

        index.apply(*events[1])

        entry = index.get(complaint_id)
        assert entry is not None and entry.version == 3 and entry.status == Status.ACKNOWLEDGED

    def test_due_lists_complaints_whose_next_firing_has_come_earliest_first(self, index: DeadlineIndex) -> None:
        early, late, done = (str(uuid.uuid4()) for _ in range(3))
        apply_all(index, dispatched(late, MONDAY + timedelta(hours=2)))
        apply_all(index, dispatched(early))
        apply_all(index, acknowledged(done))  # next firing: the resolution's warning at 90 h

        assert list(index.due(MONDAY + timedelta(hours=53))) == []
        assert [e.complaint_id for e in index.due(MONDAY + timedelta(hours=54))] == [early]
        assert [e.complaint_id for e in index.due(MONDAY + timedelta(hours=100))] == [early, late, done]

    def test_a_closed_complaint_is_never_due(self, index: DeadlineIndex) -> None:
        complaint_id = str(uuid.uuid4())
        events = dispatched(complaint_id)
        archive = c.Archive(complaint_id=complaint_id, actor=COORDINATOR, idempotency_key="x", reason="spam")
        apply_all(index, events + stream_after(events, MONDAY + timedelta(hours=1), archive))

        entry = index.get(complaint_id)
        assert entry is not None
        assert (entry.status, entry.next_firing_at, entry.deadlines) == (Status.ARCHIVED, None, ())
        assert list(index.due(MONDAY + timedelta(days=365))) == []

    def test_clear_forgets_everything(self, index: DeadlineIndex) -> None:
        complaint_id = str(uuid.uuid4())
        apply_all(index, dispatched(complaint_id))
        index.clear()
        assert index.get(complaint_id) is None
        assert list(index.due(MONDAY + timedelta(days=365))) == []


class TestInMemoryDeadlineIndex(DeadlineIndexContract):
    @pytest.fixture
    def index(self) -> DeadlineIndex:
        return InMemoryDeadlineIndex(POLICY, CALENDAR)
