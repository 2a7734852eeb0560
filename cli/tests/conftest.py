"""Fixtures for the CLI's unit tests: an audit log filled with real encoded events of two complaints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from suara_audit.adapters.audit_log import InMemoryAuditLog
from suara_audit.adapters.export_files import write_export
from suara_audit.domain.chain import Received, RecordIndex
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
)

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def complaint_events(complaint_id: str, text: str) -> list[Event]:
    payloads: list[Payload] = [
        ComplaintSubmitted(
            "KDR-3Q7ZK-M0P4X",
            text,
            "jalan_rusak",
            "35.71.01.1008",
            "Mrican",
            "Mojoroto",
            SourceChannel.WALK_IN,
            False,
            False,
            f"cli-{complaint_id}",
        ),
        ComplaintRouted("DPUPR", "DPUPR", Priority.NORMAL, START + timedelta(days=7), "R-JALAN-01", "Jalan kota."),
        StaffNotified("DPUPR", "email", "penghubung.dpupr@kedirikota.example", NotificationOutcome.DELIVERED, "ok"),
    ]
    return [
        Event(
            str(uuid.uuid4()),
            complaint_id,
            sequence,
            START + timedelta(seconds=sequence),
            Actor(ActorKind.SERVICE, "test"),
            "request-1",
            "cause",
            "test",
            payload,
        )
        for sequence, payload in enumerate(payloads, start=1)
    ]


@pytest.fixture
def audit_log() -> InMemoryAuditLog:
    """Two complaints' events (6 entries), chained exactly as the audit service chains what it receives."""
    log = InMemoryAuditLog()
    events = complaint_events(str(uuid.uuid4()), "Jalan Merbabu berlubang.") + complaint_events(
        str(uuid.uuid4()), "Aspal Jl. Mayor Bismo ambles."
    )
    for offset, event in enumerate(events):
        record = codec.encode(event)
        index = RecordIndex(event.event_id, event.complaint_id, event.sequence, event.event_type)
        log.append(Received(record, index, "suara.complaints.events.v1", 0, offset), START + timedelta(minutes=offset))
    return log


@pytest.fixture
def export_dir(audit_log, tmp_path) -> Path:
    directory = tmp_path / "export"
    write_export(directory, audit_log.entries(), source="test")
    return directory
