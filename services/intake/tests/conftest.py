"""Fixtures for intake's unit tests: the real Kota Kediri catalogue and intake wired to in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from suara_intake import bootstrap
from suara_intake.adapters.catalogue_files import load_catalogue
from suara_intake.adapters.contacts import InMemoryContactStore
from suara_intake.adapters.timeline import InMemoryTimeline
from suara_intake.domain.model import IntakeCatalogue, ReporterContact, SubmitComplaint
from suara_kit import codec
from suara_kit.events import Event, SourceChannel
from suara_kit.journal import InMemoryJournal
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.relay import publish_on_append

# services/intake/tests/conftest.py -> the repository root is three folders up.
DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "kota-kediri"
SUBMITTED_AT = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def catalogue() -> IntakeCatalogue:
    return load_catalogue(DATA_DIR)


@dataclass
class IntakeWithFakes:
    intake: bootstrap.Intake
    journal: InMemoryJournal
    publisher: InMemoryEventPublisher
    contacts: InMemoryContactStore
    timeline: InMemoryTimeline

    def published_events(self) -> list[Event]:
        return [codec.decode(p.value) for p in self.publisher.published]

    def project(self) -> None:
        """What the timeline projector does with every published event."""
        for published in self.publisher.published:
            self.timeline.apply(codec.decode(published.value), published.value)


@pytest.fixture
def wired(catalogue: IntakeCatalogue) -> IntakeWithFakes:
    journal, publisher = InMemoryJournal(), InMemoryEventPublisher()
    contacts, timeline = InMemoryContactStore(), InMemoryTimeline()
    intake = bootstrap.wire(
        catalogue=catalogue,
        journal=journal,
        appended=publish_on_append(journal, publisher),
        contacts=contacts,
        timeline=timeline,
        clock=lambda: SUBMITTED_AT,
    )
    return IntakeWithFakes(intake, journal, publisher, contacts, timeline)


CommandFactory = Callable[..., SubmitComplaint]


@pytest.fixture
def command() -> CommandFactory:
    """A valid SubmitComplaint; keyword arguments replace its fields."""

    def make(**changes: object) -> SubmitComplaint:
        fields: dict[str, object] = {
            "idempotency_key": "wa:6281234567890:0001",
            "text": "Jalan Merbabu dekat perempatan Mrican berlubang besar, sudah dua motor jatuh malam ini.",
            "category": "jalan_rusak",
            "kelurahan": "Mrican",
            "source_channel": SourceChannel.WHATSAPP,
            "anonymous": False,
            "reporter": ReporterContact(name="Siti Aminah", phone="+62 812-3456-7890", email="siti@example.org"),
            "submitted_by": "wa-gateway",
        }
        fields.update(changes)
        return SubmitComplaint(**fields)

    return make
