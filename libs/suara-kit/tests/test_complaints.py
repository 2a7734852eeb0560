"""ComplaintStore: the one write path of commands after submission (load, fold, decide, append at the version)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_complaint_stream import stream

from suara_complaint import Actor, Policy, RefusalKind, Role, Status, load_calendar
from suara_complaint import commands as c
from suara_kit import codec
from suara_kit.complaints import ComplaintStore, Refused
from suara_kit.journal import InMemoryJournal, StoredEvent

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
OFFICER = Actor("siti.dpupr", Role.OPD_OFFICER, "DPUPR")
CALENDAR = load_calendar(Path(__file__).resolve().parents[3] / "data" / "calendar")


@pytest.fixture
def journal() -> InMemoryJournal:
    return InMemoryJournal()


@pytest.fixture
def complaint_id(journal: InMemoryJournal) -> str:
    """A complaint the router dispatched to DPUPR, written in the walking skeleton's vocabulary."""
    events = stream()
    for event in events:
        journal.append(
            StoredEvent(event.event_id, event.complaint_id, event.sequence, event.event_type, codec.encode(event))
        )
    return events[0].complaint_id


@pytest.fixture
def store(journal: InMemoryJournal) -> ComplaintStore:
    return ComplaintStore(journal, Policy(), CALENDAR, producer="suara-test", clock=lambda: NOW)


def acknowledge(complaint_id: str, version: int | None = 3, key: str = "ack-1") -> c.Acknowledge:
    return c.Acknowledge(complaint_id=complaint_id, actor=OFFICER, idempotency_key=key, expected_version=version)


def test_a_command_is_recorded_at_the_next_position_with_the_actor(store, journal, complaint_id) -> None:
    outcome = store.execute(acknowledge(complaint_id), display_name="Siti Rahayu")

    assert (outcome.version, outcome.status) == (4, Status.ACKNOWLEDGED)
    (stored,) = journal.stream(complaint_id)[3:]
    event = codec.decode(stored.data)
    assert (event.sequence, event.event_type) == (4, "Lifecycle.ComplaintAcknowledged")
    assert (event.actor.id, event.actor.display_name) == ("siti.dpupr", "Siti Rahayu")
    assert [p.event.sequence for p in journal.pending() if p.event.complaint_id == complaint_id] == [1, 2, 3, 4]


def test_a_retry_with_the_same_key_records_nothing_and_answers_the_current_version(
    store, journal, complaint_id
) -> None:
    store.execute(acknowledge(complaint_id))

    again = store.execute(acknowledge(complaint_id))

    assert again.recorded == ()
    assert again.version == 4
    assert len(journal.stream(complaint_id)) == 4


def test_a_stale_expected_version_is_refused_with_the_current_version(store, complaint_id) -> None:
    with pytest.raises(Refused) as refused:
        store.execute(acknowledge(complaint_id, version=2))

    assert refused.value.refusal.kind is RefusalKind.STALE_VERSION
    assert refused.value.refusal.version == 3


def test_an_officer_of_another_opd_is_refused_naming_role_and_scope(store, complaint_id) -> None:
    stranger = Actor("budi.dlhkp", Role.OPD_OFFICER, "DLHKP")
    command = c.Acknowledge(complaint_id=complaint_id, actor=stranger, idempotency_key="x", expected_version=3)

    with pytest.raises(Refused) as refused:
        store.execute(command)

    assert refused.value.refusal.kind is RefusalKind.OUT_OF_SCOPE
    assert "DLHKP" in refused.value.refusal.scope


def test_when_another_writer_takes_the_position_first_the_command_is_decided_again(journal, complaint_id) -> None:
    def follow_up(key: str, text: str) -> c.PostFollowUp:
        return c.PostFollowUp(complaint_id=complaint_id, actor=OFFICER, idempotency_key=key, text=text)

    rival = ComplaintStore(journal, Policy(), CALENDAR, producer="rival", clock=lambda: NOW)
    rival.execute(acknowledge(complaint_id))
    raced = False

    class RacingStore(ComplaintStore):
        def load(self, cid):  # the rival records between our load and our append, once
            nonlocal raced
            loaded = super().load(cid)
            if not raced:
                raced = True
                rival.execute(follow_up("fu-rival", "Petugas dijadwalkan."))
            return loaded

    store = RacingStore(journal, Policy(), CALENDAR, producer="suara-test", clock=lambda: NOW)

    outcome = store.execute(follow_up("fu-1", "Tim menuju lokasi."))

    assert outcome.version == 6
    assert [codec.decode(s.data).event_type for s in journal.stream(complaint_id)][3:] == [
        "Lifecycle.ComplaintAcknowledged",
        "Lifecycle.FollowUpPosted",
        "Lifecycle.FollowUpPosted",
    ]
    assert codec.decode(journal.stream(complaint_id)[-1].data).payload.text == "Tim menuju lokasi."


def test_an_unknown_complaint_is_not_found(store) -> None:
    with pytest.raises(Refused) as refused:
        store.execute(acknowledge(str(uuid.uuid4())))

    assert refused.value.refusal.kind is RefusalKind.NOT_FOUND


def test_a_complaint_on_the_coordinators_desk_takes_commands_at_the_next_journal_position(journal) -> None:
    from dataclasses import replace as changed

    from test_complaint_stream import ROUTED
    from test_complaint_stream import stream as skeleton_stream

    events = skeleton_stream(changed(ROUTED, opd_code="DISKOMINFO", needs_coordinator=True))
    for event in events:
        journal.append(
            StoredEvent(event.event_id, event.complaint_id, event.sequence, event.event_type, codec.encode(event))
        )
    store = ComplaintStore(journal, Policy(), CALENDAR, producer="suara-test", clock=lambda: NOW)
    coordinator = Actor("rina.diskominfo", Role.COORDINATOR)
    dispatch = c.Dispatch(
        complaint_id=events[0].complaint_id, actor=coordinator, idempotency_key="d-1", expected_version=3, opd="DPUPR"
    )

    outcome = store.execute(dispatch)

    assert (outcome.version, outcome.status) == (4, Status.DISPATCHED)
    assert journal.stream(events[0].complaint_id)[-1].sequence == 4


def test_a_retry_of_a_command_whose_outbox_entry_was_lost_puts_it_back(journal, complaint_id) -> None:
    nudges: list[int] = []
    store = ComplaintStore(
        journal, Policy(), CALENDAR, producer="suara-test", clock=lambda: NOW, appended=lambda: nudges.append(1)
    )
    store.execute(acknowledge(complaint_id))
    journal.lose_outbox_entry(complaint_id, 4)  # the first attempt died between its two inserts
    nudges.clear()

    again = store.execute(acknowledge(complaint_id))

    assert again.recorded == ()
    assert [p.event.sequence for p in journal.pending() if p.event.complaint_id == complaint_id][-1] == 4
    assert nudges == [1]


def _staff_notified_wire(recipient: str):  # type: ignore[no-untyped-def]
    """The notifier's wire form of RecordNotification, with the recipient it puts on the wire."""
    from suara_kit.events import Actor as EnvelopeActor
    from suara_kit.events import ActorKind, Event, NotificationOutcome, StaffNotified

    def wire(decided, sequence: int) -> Event:  # type: ignore[no-untyped-def]
        return Event(
            event_id=decided.command_key,  # the alert id: the key of its command
            complaint_id=decided.complaint_id,
            sequence=sequence,
            occurred_at=decided.at,
            actor=EnvelopeActor(ActorKind.SERVICE, "suara-notifier"),
            correlation_id="c",
            causation_id="routed-event",
            producer="suara-notifier",
            payload=StaffNotified("DPUPR", "email", recipient, NotificationOutcome.DELIVERED, "ok"),
        )

    return wire


def notification(complaint_id: str, key: str) -> c.RecordNotification:
    return c.RecordNotification(
        complaint_id=complaint_id,
        actor=Actor("suara-notifier", Role.SYSTEM),
        idempotency_key=str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
        opd="DPUPR",
        channel="email",
        recipient="binamarga@kedirikota.example",
        outcome="delivered",
        detail="ok",
    )


def test_a_decision_is_recorded_in_a_wire_form_that_reads_back_as_exactly_that_decision(
    store, journal, complaint_id
) -> None:
    command = notification(complaint_id, "alert-1")

    outcome = store.execute(command, wire=_staff_notified_wire("binamarga@kedirikota.example"))

    (event,) = outcome.recorded
    assert event.event_type == "StaffNotified"  # the skeleton's type on the topic
    assert codec.decode(journal.stream(complaint_id)[-1].data) == event
    assert store.load(complaint_id).state.keys[command.idempotency_key] == "StaffNotified"
    # A retry records nothing: the wire form's key is the command's.
    assert store.execute(command, wire=_staff_notified_wire("binamarga@kedirikota.example")).recorded == ()


def test_a_wire_form_that_says_something_the_aggregate_did_not_decide_is_never_recorded(
    store, journal, complaint_id
) -> None:
    from suara_kit.complaints import WireFormMismatch

    with pytest.raises(WireFormMismatch, match="reads back as"):
        store.execute(notification(complaint_id, "alert-2"), wire=_staff_notified_wire("someone.else@example"))

    assert len(journal.stream(complaint_id)) == 3
