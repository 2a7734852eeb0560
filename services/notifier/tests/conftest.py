"""Fixtures for the notifier's unit tests: the notifier wired to in-memory fakes, and a complaint's events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from suara_complaint import Policy, load_calendar
from suara_kit import codec
from suara_kit.complaints import ComplaintStore
from suara_kit.events import (
    Actor,
    ActorKind,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    Priority,
    SourceChannel,
    StaffNotified,
    derived_id,
)
from suara_kit.journal import InMemoryJournal
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.recording import EventRecorder
from suara_kit.relay import publish_on_append
from suara_notifier.adapters.channels import InMemoryChannel
from suara_notifier.adapters.stores import InMemoryComplaintBook, InMemoryDeliveryLog
from suara_notifier.domain.model import Contact, StaffDirectory
from suara_notifier.handlers import NotifierDeps

# services/notifier/tests/conftest.py -> the repository root is three folders up.
DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "kota-kediri"
CALENDAR = load_calendar(DATA_DIR.parent / "calendar")
NOTIFIED_AT = datetime(2026, 11, 20, 9, 0, 5, tzinfo=UTC)
DPUPR_CONTACTS = [
    Contact("DPUPR", "Admin Penghubung DPUPR", "penghubung.dpupr@kedirikota.example"),
    Contact("DPUPR", "Kabid Bina Marga", "binamarga.dpupr@kedirikota.example"),
]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@dataclass
class Complaint:
    """One complaint's events as the notifier receives them: Submitted (1), then Routed (2)."""

    submitted: Event
    routed: Event


@pytest.fixture
def complaint() -> Complaint:
    complaint_id = str(uuid.uuid4())
    submitted_id = str(uuid.uuid4())
    submitted = Event(
        event_id=submitted_id,
        complaint_id=complaint_id,
        sequence=1,
        occurred_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        actor=Actor(ActorKind.INTEGRATOR, "portal"),
        correlation_id="request-9",
        causation_id="request-9",
        producer="suara-intake",
        payload=ComplaintSubmitted(
            tracking_number="KDR-3Q7ZK-M0P4X",
            text="Jalan Merbabu dekat perempatan Mrican berlubang besar, sudah dua motor jatuh malam ini.",
            category="jalan_rusak",
            kelurahan_code="35.71.01.1008",
            kelurahan_name="Mrican",
            kecamatan_name="Mojoroto",
            source_channel=SourceChannel.WHATSAPP,
            anonymous=False,
            has_reporter_contact=True,
            idempotency_key="wa-1",
        ),
    )
    routed = Event(
        event_id=derived_id(submitted_id, "ComplaintRouted"),
        complaint_id=complaint_id,
        sequence=2,
        occurred_at=datetime(2026, 11, 20, 9, 0, 1, tzinfo=UTC),
        actor=Actor(ActorKind.SERVICE, "suara-router"),
        correlation_id="request-9",
        causation_id=submitted_id,
        producer="suara-router",
        payload=ComplaintRouted(
            opd_code="DPUPR",
            opd_name="Dinas Pekerjaan Umum dan Penataan Ruang",
            priority=Priority.NORMAL,
            due_at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
            rule_id="R-JALAN-01",
            reason="Jalan kota yang berlubang ditangani DPUPR.",
        ),
    )
    return Complaint(submitted, routed)


@dataclass
class NotifierWithFakes:
    deps: NotifierDeps
    journal: InMemoryJournal
    publisher: InMemoryEventPublisher
    channel: InMemoryChannel
    book: InMemoryComplaintBook
    deliveries: InMemoryDeliveryLog

    def recorded(self, complaint_id: str) -> list[Event]:
        return [codec.decode(e.data) for e in self.journal.stream(complaint_id)]

    def published_notifications(self) -> list[StaffNotified]:
        events = [codec.decode(p.value) for p in self.publisher.published]
        return [e.payload for e in events if isinstance(e.payload, StaffNotified)]

    def journal_upstream(self, complaint: Complaint) -> None:
        """Intake and the router recorded Submitted and Routed before the notifier sees them."""
        for upstream in (complaint.submitted, complaint.routed):
            recorder = EventRecorder(self.journal, publish_on_append(self.journal, self.publisher))
            recorder.record(upstream.complaint_id, upstream.event_id, lambda _, e=upstream: e)
        self.publisher.published.clear()


@pytest.fixture
def notifier() -> NotifierWithFakes:
    journal, publisher = InMemoryJournal(), InMemoryEventPublisher()
    channel, book, deliveries = InMemoryChannel(), InMemoryComplaintBook(), InMemoryDeliveryLog()
    nudge = publish_on_append(journal, publisher)
    deps = NotifierDeps(
        directory=StaffDirectory(DPUPR_CONTACTS),
        book=book,
        channel=channel,
        deliveries=deliveries,
        complaints=ComplaintStore(
            journal, Policy(), CALENDAR, producer="suara-notifier", appended=nudge, clock=lambda: NOTIFIED_AT
        ),
    )
    return NotifierWithFakes(deps, journal, publisher, channel, book, deliveries)
