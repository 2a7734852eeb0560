"""Logging events as received: byte for byte, once per event, and never what cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from audit_log_contract import received
from kafka.consumer.fetcher import ConsumerRecord

from suara_audit.adapters.audit_log import InMemoryAuditLog
from suara_audit.bootstrap import record_handler
from suara_audit.domain.chain import GENESIS, link
from suara_audit.handlers import describe_record, log_event
from suara_kit.codec import UndecodableEvent

NOW = datetime(2026, 11, 20, 9, 0, 3, tzinfo=UTC)


def log(audit_log: InMemoryAuditLog, record: bytes, offset: int = 0):
    return log_event(record, topic="events", partition=2, offset=offset, audit_log=audit_log, clock=lambda: NOW)


def test_an_event_is_chained_byte_for_byte_with_its_index_read_from_the_record() -> None:
    audit_log, event = InMemoryAuditLog(), received(sequence=3)

    entry = log(audit_log, event.record, offset=77)

    assert entry is not None
    assert entry.record == event.record
    assert entry.index == event.index
    assert entry.entry_hash == link(1, GENESIS, event.record)
    assert (entry.topic, entry.partition, entry.offset, entry.appended_at) == ("events", 2, 77, NOW)


def test_a_redelivered_event_adds_nothing() -> None:
    audit_log, event = InMemoryAuditLog(), received()
    log(audit_log, event.record, offset=1)

    assert log(audit_log, event.record, offset=1) is None
    assert len(list(audit_log.entries())) == 1


def test_an_undecodable_record_raises_and_is_not_logged() -> None:
    audit_log = InMemoryAuditLog()

    with pytest.raises(UndecodableEvent):
        log(audit_log, b"\xff\xff garbage")

    assert audit_log.head() is None


def test_describe_record_reads_the_index_fields_from_the_event() -> None:
    event = received(sequence=4)

    assert describe_record(event.record) == event.index


def test_the_consumer_handler_logs_the_kafka_records_value_and_position() -> None:
    audit_log, event = InMemoryAuditLog(), received()
    message = ConsumerRecord("events", 1, 0, 314, 0, 0, b"key", event.record, [], None, 3, len(event.record), 0)

    record_handler(audit_log)(message)

    (entry,) = audit_log.entries()
    assert (entry.topic, entry.partition, entry.offset) == ("events", 1, 314)
    assert entry.record == event.record
