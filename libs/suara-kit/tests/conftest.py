"""Fixtures for suara-kit's unit tests: events of every type, and this folder on sys.path.

pytest runs in importlib mode, which puts no test folder on sys.path; the contract modules here
(journal_contract) are imported by name, by these tests and by tests/integration."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

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

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

WIB = timezone(timedelta(hours=7), "WIB")

SUBMITTED = ComplaintSubmitted(
    tracking_number="KDR-3Q7ZK-M0P4X",
    text="Jalan Merbabu dekat perempatan Mrican berlubang besar, sudah dua motor jatuh malam ini.",
    category="jalan_rusak",
    kelurahan_code="35.71.01.1008",
    kelurahan_name="Mrican",
    kecamatan_name="Mojoroto",
    source_channel=SourceChannel.WHATSAPP,
    anonymous=True,
    has_reporter_contact=True,
    idempotency_key="wa:6281234567890:0001",
)
ROUTED = ComplaintRouted(
    opd_code="DPUPR",
    opd_name="Dinas Pekerjaan Umum dan Penataan Ruang",
    priority=Priority.TINGGI,
    due_at=datetime(2026, 11, 27, 16, 0, 0, 123456, tzinfo=WIB),
    rule_id="R-JALAN-01",
    reason="Jalan kota yang berlubang ditangani DPUPR.",
)
NOTIFIED = StaffNotified(
    opd_code="DPUPR",
    channel="email",
    recipient="penghubung.dpupr@kedirikota.example",
    outcome=NotificationOutcome.FAILED,
    detail="SMTP 550: 'mailbox unavailable'",
)

EventFactory = Callable[..., Event]


def make_event(
    payload: Payload = SUBMITTED,
    *,
    complaint_id: str | None = None,
    sequence: int = 1,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """An event with every envelope field filled in; ids are fresh UUIDs unless given."""
    return Event(
        event_id=event_id or str(uuid.uuid4()),
        complaint_id=complaint_id or str(uuid.uuid4()),
        sequence=sequence,
        occurred_at=occurred_at or datetime(2026, 11, 20, 9, 0, 0, 654321, tzinfo=UTC),
        actor=Actor(ActorKind.INTEGRATOR, "wa-gateway", "WhatsApp gateway Diskominfo"),
        correlation_id=str(uuid.uuid4()),
        causation_id=str(uuid.uuid4()),
        producer="suara-test",
        payload=payload,
    )


@pytest.fixture
def event_factory() -> EventFactory:
    return make_event


@pytest.fixture(params=[SUBMITTED, ROUTED, NOTIFIED], ids=lambda p: type(p).__name__)
def payload(request: pytest.FixtureRequest) -> Payload:
    """Each event type's payload in turn, with every field set to a non-default value."""
    return request.param


@pytest.fixture
def routed_payload() -> ComplaintRouted:
    return ROUTED
