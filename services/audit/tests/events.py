"""Real encoded events of one complaint's life, as the audit consumer receives them (for tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from suara_audit.domain.leaf import Received, Source
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

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
TOPIC = "suara.complaints.events.v1"
TEXT = "Jalan Merbabu dekat perempatan Mrican berlubang besar, kata Bu Sri (0812-3456-7890)."
RECIPIENT = "budi.santoso@kedirikota.example"


def lifecycle(complaint_id: str | None = None, text: str = TEXT, submitted_by: str | None = None) -> list[Event]:
    """Submitted, routed, notified. `submitted_by`: an integrator's id, recorded as intake records it (the
    submission's event id derived from the complaint id, the integrator its actor); else a test service's events."""
    complaint_id = complaint_id or str(uuid.uuid4())
    payloads: list[Payload] = [
        ComplaintSubmitted(
            "KDR-3Q7ZK-M0P4X",
            text,
            "jalan_rusak",
            "35.71.01.1008",
            "Mrican",
            "Mojoroto",
            SourceChannel.WHATSAPP,
            False,
            True,
            f"wa-{complaint_id}",
        ),
        ComplaintRouted("DPUPR", "DPUPR", Priority.NORMAL, START + timedelta(days=7), "R-JALAN-01", "Jalan kota."),
        StaffNotified("DPUPR", "email", RECIPIENT, NotificationOutcome.DELIVERED, f"250 ok {RECIPIENT}"),
    ]
    service = Actor(ActorKind.SERVICE, "test")
    submitter = Actor(ActorKind.INTEGRATOR, submitted_by) if submitted_by else service
    return [
        Event(
            derived_id(complaint_id, "ComplaintSubmitted") if submitted_by and sequence == 1 else str(uuid.uuid4()),
            complaint_id,
            sequence,
            START + timedelta(seconds=sequence),
            submitter if sequence == 1 else service,
            "request-1",
            "cause",
            "test",
            payload,
        )
        for sequence, payload in enumerate(payloads, start=1)
    ]


def received(events: list[Event], first_offset: int = 0, partition: int = 0) -> list[Received]:
    return [Received(codec.encode(e), Source(TOPIC, partition, first_offset + n)) for n, e in enumerate(events)]


def complaints(count: int) -> list[Received]:
    """`count` complaints' events (3 each), offsets 0 .. 3*count-1."""
    return received([e for _ in range(count) for e in lifecycle()])
