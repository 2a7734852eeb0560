"""Fixtures for intake's unit tests: the real Kota Kediri catalogue and intake wired to in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from suara_complaint import Policy
from suara_complaint.calendar import WorkingCalendar
from suara_complaint.policy import load_rules
from suara_intake import bootstrap
from suara_intake.adapters.catalogue_files import load_catalogue
from suara_intake.adapters.contacts import InMemoryContactStore
from suara_intake.adapters.timeline import InMemoryTimeline
from suara_intake.domain.model import IntakeCatalogue, ReporterContact, SubmitComplaint
from suara_kit import codec
from suara_kit.events import Event, SourceChannel
from suara_kit.identity import AuthInterceptor, IdentitySettings, authenticating
from suara_kit.identity.dev import DevIdentityProvider
from suara_kit.journal import InMemoryJournal
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.relay import publish_on_append
from suara_kit.settings import Env

# services/intake/tests/conftest.py -> the repository root is three folders up.
DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "kota-kediri"
SUBMITTED_AT = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def catalogue() -> IntakeCatalogue:
    return load_catalogue(DATA_DIR)


@pytest.fixture(scope="session")
def rules() -> tuple[Policy, WorkingCalendar]:
    """The deployment's deadline policy and calendar, from the project's data files."""
    return load_rules(DATA_DIR, DATA_DIR.parent / "calendar")


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
def wired(catalogue: IntakeCatalogue, rules: tuple[Policy, WorkingCalendar]) -> IntakeWithFakes:
    journal, publisher = InMemoryJournal(), InMemoryEventPublisher()
    contacts, timeline = InMemoryContactStore(), InMemoryTimeline()
    intake = bootstrap.wire(
        catalogue=catalogue,
        rules=rules,
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


# --- identity: real tokens from the development identity provider, checked by the real interceptor -------------

DEMO_USERS = Path(__file__).resolve().parents[3] / "data" / "kota-kediri" / "demo-users.toml"


@pytest.fixture(scope="session")
def idp(tmp_path_factory: pytest.TempPathFactory) -> DevIdentityProvider:
    return DevIdentityProvider.ensure(tmp_path_factory.mktemp("identity"), DEMO_USERS)


@pytest.fixture(scope="session")
def auth(idp: DevIdentityProvider) -> AuthInterceptor:
    return authenticating(IdentitySettings.from_env(Env(idp.service_env())))


class Bearer(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Sends `authorization: Bearer <token>` with every call, as the CLI and integrators do."""

    def __init__(self, token: str) -> None:
        self._token = token

    def intercept_unary_unary(self, continuation, details, request):  # type: ignore[no-untyped-def]
        metadata = [*(details.metadata or ()), ("authorization", f"Bearer {self._token}")]
        return continuation(details._replace(metadata=metadata), request)


@pytest.fixture(scope="session")
def as_user(idp: DevIdentityProvider) -> Callable[[grpc.Channel, str], grpc.Channel]:
    """as_user(channel, "integrator-portal"): the channel, sending that demo user's token with every call."""
    return lambda channel, username: grpc.intercept_channel(channel, Bearer(idp.mint(username)))
