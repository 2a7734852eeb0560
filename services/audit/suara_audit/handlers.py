"""The audit service's use cases: log an event as received; describe a record for verification."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from suara_audit.adapters.audit_log import AuditLog
from suara_audit.domain.chain import ChainEntry, Received, RecordIndex
from suara_kit import codec


def describe_record(record: bytes) -> RecordIndex:
    """The index fields of a record, read from the record itself (raises ValueError if it is not an event)."""
    event = codec.decode(record)
    return RecordIndex(event.event_id, event.complaint_id, event.sequence, event.event_type)


def log_event(
    record: bytes, *, topic: str, partition: int, offset: int, audit_log: AuditLog, clock: Callable[[], datetime]
) -> ChainEntry | None:
    """Append the record, byte for byte, to the chain. A redelivered event (same event_id) adds nothing.
    Undecodable records raise UndecodableEvent and go to the dead-letter topic instead."""
    received = Received(record, describe_record(record), topic, partition, offset)
    return audit_log.append(received, clock())
