"""The contract every AuditLog adapter keeps, written once and run against each adapter.

Subclass `AuditLogContract` in a class named `Test...` and give it an `audit_log` fixture that yields an EMPTY log
(positions are asserted from 1):

    class TestInMemoryAuditLog(AuditLogContract):
        @pytest.fixture
        def audit_log(self) -> AuditLog:
            return InMemoryAuditLog()

This module imports nothing but pytest and the suara packages: the integration tests put this folder on sys.path
and subclass the same contract with MongoAuditLog.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from suara_audit.adapters.audit_log import AuditLog
from suara_audit.domain.chain import GENESIS, Received, RecordIndex, link
from suara_kit import codec
from suara_kit.events import Actor, ActorKind, ComplaintRouted, Event, Priority

# Whole milliseconds: what a MongoDB-protocol store keeps of a datetime.
APPENDED_AT = datetime(2026, 11, 20, 9, 0, 1, 250_000, tzinfo=UTC)


def received(sequence: int = 1, complaint_id: str = "", offset: int = 0, event_id: str = "") -> Received:
    """A real encoded event, as the audit consumer would receive it from partition 1 of the events topic."""
    event = Event(
        event_id=event_id or str(uuid.uuid4()),
        complaint_id=complaint_id or str(uuid.uuid4()),
        sequence=sequence,
        occurred_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        actor=Actor(ActorKind.SERVICE, "suara-router"),
        correlation_id="request-1",
        causation_id="cause-1",
        producer="suara-router",
        payload=ComplaintRouted("DPUPR", "DPUPR", Priority.NORMAL, datetime(2026, 11, 27, tzinfo=UTC), "R-1", "r"),
    )
    record = codec.encode(event)
    index = RecordIndex(event.event_id, event.complaint_id, event.sequence, event.event_type)
    return Received(record, index, "suara.complaints.events.v1", 1, offset)


class AuditLogContract:
    """Tests that any AuditLog must pass. Not collected by itself (the class name does not start with Test)."""

    @pytest.fixture
    def audit_log(self) -> AuditLog:
        raise NotImplementedError("a subclass provides an empty audit log")

    def test_an_empty_log_has_no_head_and_no_entries(self, audit_log: AuditLog) -> None:
        assert audit_log.head() is None
        assert list(audit_log.entries()) == []

    def test_the_first_entry_is_position_1_chained_to_the_genesis_hash(self, audit_log: AuditLog) -> None:
        first = received(offset=41)

        entry = audit_log.append(first, APPENDED_AT)

        assert entry is not None
        assert entry.position == 1
        assert entry.previous_hash == GENESIS
        assert entry.entry_hash == link(1, GENESIS, first.record)
        assert entry.record == first.record
        assert entry.index == first.index
        assert (entry.topic, entry.partition, entry.offset) == ("suara.complaints.events.v1", 1, 41)
        assert entry.appended_at == APPENDED_AT

    def test_appends_chain_positions_1_2_3_each_to_the_hash_before(self, audit_log: AuditLog) -> None:
        records = [received(offset=n) for n in range(3)]

        entries = [audit_log.append(r, APPENDED_AT + timedelta(seconds=n)) for n, r in enumerate(records)]

        previous = GENESIS
        for position, (entry, record) in enumerate(zip(entries, records, strict=True), start=1):
            assert entry is not None
            assert entry.position == position
            assert entry.previous_hash == previous
            assert entry.entry_hash == link(position, previous, record.record)
            previous = entry.entry_hash

    def test_the_same_event_again_returns_none_and_adds_no_entry(self, audit_log: AuditLog) -> None:
        first = received()
        original = audit_log.append(first, APPENDED_AT)

        again = audit_log.append(first, APPENDED_AT + timedelta(minutes=5))

        assert again is None
        assert list(audit_log.entries()) == [original]
        assert audit_log.head() == original

    def test_the_same_event_id_with_other_bytes_is_still_the_same_event(self, audit_log: AuditLog) -> None:
        first = received()
        audit_log.append(first, APPENDED_AT)
        reencoded = received(event_id=first.index.event_id, complaint_id=first.index.complaint_id, offset=99)

        assert audit_log.append(reencoded, APPENDED_AT) is None
        assert [e.record for e in audit_log.entries()] == [first.record]

    def test_entries_are_read_back_exactly_as_appended(self, audit_log: AuditLog) -> None:
        appended = [audit_log.append(received(offset=n), APPENDED_AT) for n in range(3)]

        assert list(audit_log.entries()) == appended

    def test_entries_start_at_from_position_and_stop_after_limit(self, audit_log: AuditLog) -> None:
        for n in range(5):
            audit_log.append(received(offset=n), APPENDED_AT)

        assert [e.position for e in audit_log.entries(from_position=3)] == [3, 4, 5]
        assert [e.position for e in audit_log.entries(from_position=2, limit=2)] == [2, 3]
        assert [e.position for e in audit_log.entries(limit=1)] == [1]
        assert [e.position for e in audit_log.entries(from_position=1, limit=0)] == [1, 2, 3, 4, 5]
        assert list(audit_log.entries(from_position=6)) == []

    def test_head_is_the_last_entry(self, audit_log: AuditLog) -> None:
        audit_log.append(received(), APPENDED_AT)
        last = audit_log.append(received(), APPENDED_AT)

        assert audit_log.head() == last
        assert last is not None
        assert last.position == 2
