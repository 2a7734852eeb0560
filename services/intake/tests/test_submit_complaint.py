"""Submitting a complaint through intake wired to fakes: one event, exactly once, without personal data."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from suara_intake import bootstrap
from suara_intake.adapters.contacts import InMemoryContactStore
from suara_intake.adapters.timeline import InMemoryTimeline
from suara_intake.domain.model import (
    TRACKING_PATTERN,
    IdempotencyKeyReused,
    InvalidComplaint,
    ReporterContact,
    complaint_id_for,
)
from suara_intake.handlers import ComplaintNotFound
from suara_kit.events import ActorKind, ComplaintSubmitted, SourceChannel, derived_id
from suara_kit.journal import InMemoryJournal, StoredEvent

PHONE = "+62 812-3456-7890"


def test_submitting_returns_the_complaint_id_and_a_tracking_number(wired, command) -> None:
    receipt = wired.intake.submit(command(), "request-1")

    assert receipt.complaint_id == complaint_id_for("wa-gateway", SourceChannel.WHATSAPP, "wa:6281234567890:0001")
    assert TRACKING_PATTERN.match(receipt.tracking_number)
    assert receipt.replayed is False


def test_submitting_publishes_exactly_one_complaint_submitted_at_sequence_1(wired, command) -> None:
    receipt = wired.intake.submit(command(), "request-1")

    (event,) = wired.published_events()
    assert wired.publisher.published[0].key == receipt.complaint_id
    assert event.event_id == derived_id(receipt.complaint_id, "ComplaintSubmitted")
    assert event.complaint_id == receipt.complaint_id
    assert event.sequence == 1
    assert event.correlation_id == "request-1"
    assert event.producer == "suara-intake"
    assert (event.actor.kind, event.actor.id) == (ActorKind.INTEGRATOR, "wa-gateway")
    assert event.payload == ComplaintSubmitted(
        tracking_number=receipt.tracking_number,
        text="Jalan Merbabu dekat perempatan Mrican berlubang besar, sudah dua motor jatuh malam ini.",
        category="jalan_rusak",
        kelurahan_code="35.71.01.1008",
        kelurahan_name="Mrican",
        kecamatan_name="Mojoroto",
        source_channel=SourceChannel.WHATSAPP,
        anonymous=False,
        has_reporter_contact=True,
        idempotency_key="wa:6281234567890:0001",
    )
    assert wired.journal.unpublished() == []


def test_a_complaint_without_a_category_is_recorded_with_an_empty_one_for_the_router(wired, command) -> None:
    wired.intake.submit(command(category=""), "request-1")

    (event,) = wired.published_events()
    assert isinstance(event.payload, ComplaintSubmitted)
    assert event.payload.category == ""


def test_the_same_key_without_then_with_a_category_is_refused_as_reused(wired, command) -> None:
    wired.intake.submit(command(category=""), "request-1")

    with pytest.raises(IdempotencyKeyReused):
        wired.intake.submit(command(), "request-2")


def test_the_same_request_again_is_a_replay_that_publishes_nothing_new(wired, command) -> None:
    first = wired.intake.submit(command(), "request-1")

    again = wired.intake.submit(command(), "request-2")

    assert again.replayed is True
    assert (again.complaint_id, again.tracking_number) == (first.complaint_id, first.tracking_number)
    assert len(wired.publisher.published) == 1
    assert len(wired.journal.stream(first.complaint_id)) == 1


def test_the_same_key_with_a_different_text_is_refused_as_reused(wired, command) -> None:
    first = wired.intake.submit(command(), "request-1")

    with pytest.raises(IdempotencyKeyReused) as raised:
        wired.intake.submit(command(text="Lampu PJU di Jl. Sersan Suharmaji mati sudah seminggu."), "request-2")

    assert raised.value.complaint_id == first.complaint_id
    assert str(raised.value).startswith("idempotency_key: 'wa:6281234567890:0001' was already used")
    assert len(wired.publisher.published) == 1


@pytest.mark.parametrize(
    "changes",
    [{"category": "drainase"}, {"kelurahan": "Bandar Lor"}, {"anonymous": True}],
    ids=["category", "kelurahan", "anonymous"],
)
def test_the_same_key_for_another_complaint_is_refused_as_reused(wired, command, changes) -> None:
    wired.intake.submit(command(), "request-1")

    with pytest.raises(IdempotencyKeyReused):
        wired.intake.submit(command(**changes), "request-2")

    assert len(wired.publisher.published) == 1


def test_the_same_key_on_another_channel_is_another_complaint(wired, command) -> None:
    whatsapp = wired.intake.submit(command(), "request-1")

    web = wired.intake.submit(command(source_channel=SourceChannel.WEB_PORTAL), "request-2")

    assert web.complaint_id != whatsapp.complaint_id
    assert web.replayed is False
    assert len(wired.publisher.published) == 2


def test_an_invalid_request_publishes_and_stores_nothing(wired, command) -> None:
    with pytest.raises(InvalidComplaint) as raised:
        wired.intake.submit(command(kelurahan="Desa Sumberejo"), "request-1")

    assert raised.value.field == "kelurahan"
    assert wired.publisher.published == []
    assert wired.journal.unpublished() == []
    assert wired.contacts.contacts == {}


def test_the_reporters_contact_is_kept_in_the_contact_store_and_not_in_the_event(wired, command) -> None:
    receipt = wired.intake.submit(command(), "request-1")

    assert wired.contacts.get(receipt.complaint_id) == ReporterContact("Siti Aminah", PHONE, "siti@example.org")
    (published,) = wired.publisher.published
    (journalled,) = wired.journal.stream(receipt.complaint_id)
    for personal in (PHONE, "812-3456-7890", "Siti Aminah", "siti@example.org"):
        assert personal.encode() not in published.value
        assert personal.encode() not in journalled.data


def test_a_complaint_without_reporter_says_it_has_no_contact(wired, command) -> None:
    receipt = wired.intake.submit(command(reporter=None, anonymous=True), "request-1")

    (event,) = wired.published_events()
    assert event.payload.has_reporter_contact is False
    assert event.payload.anonymous is True
    assert wired.contacts.get(receipt.complaint_id) is None


def test_a_replay_keeps_the_first_contact_and_does_not_save_a_new_one(wired, command) -> None:
    receipt = wired.intake.submit(command(), "request-1")

    wired.intake.submit(command(reporter=ReporterContact(phone="+62 811 000 111")), "request-2")

    assert wired.contacts.get(receipt.complaint_id).phone == PHONE


def test_a_retry_after_publishing_failed_publishes_the_recorded_event(wired, command) -> None:
    def broker_down(key: str, value: bytes) -> None:
        raise ConnectionError("broker unreachable")

    working_publish = wired.publisher.publish
    wired.publisher.publish = broker_down
    with pytest.raises(ConnectionError):
        wired.intake.submit(command(), "request-1")
    assert len(wired.journal.unpublished()) == 1

    wired.publisher.publish = working_publish
    receipt = wired.intake.submit(command(), "request-2")

    (event,) = wired.published_events()
    assert event.complaint_id == receipt.complaint_id
    assert event.correlation_id == "request-1"  # the event recorded by the first attempt
    assert wired.journal.unpublished() == []


def test_a_submitted_complaint_can_be_traced_by_id_and_by_tracking_number(wired, command) -> None:
    receipt = wired.intake.submit(command(), "request-1")
    wired.project()

    by_id = wired.intake.trace(receipt.complaint_id)
    by_number = wired.intake.trace(f"  {receipt.tracking_number.lower()}  ")

    assert by_id == by_number
    assert (by_id.complaint_id, by_id.tracking_number) == (receipt.complaint_id, receipt.tracking_number)
    assert [(e.sequence, e.event_type) for e in by_id.entries] == [(1, "ComplaintSubmitted")]
    assert by_id.entries[0].data == wired.publisher.published[0].value


def test_tracing_an_unknown_reference_raises_complaint_not_found(wired) -> None:
    for reference in ("KDR-00000-00000", str(uuid.uuid4()), "no such thing"):
        with pytest.raises(ComplaintNotFound) as raised:
            wired.intake.trace(reference)
        assert raised.value.reference == reference


class RacingJournal(InMemoryJournal):
    """Runs `competitor` just after the first read of a stream has answered, as a concurrent request would."""

    def __init__(self) -> None:
        super().__init__()
        self.competitor: Callable[[], object] | None = None

    def stream(self, complaint_id: str) -> list[StoredEvent]:
        found = super().stream(complaint_id)
        competitor, self.competitor = self.competitor, None
        if competitor is not None:
            competitor()
        return found


def test_a_request_refused_as_reused_leaves_the_first_reporters_contact_in_place(catalogue, rules, command) -> None:
    journal, contacts = RacingJournal(), InMemoryContactStore()
    intake = bootstrap.wire(
        catalogue=catalogue,
        rules=rules,
        journal=journal,
        appended=lambda: None,
        contacts=contacts,
        timeline=InMemoryTimeline(),
    )
    alice = command(reporter=ReporterContact(name="Alice", phone="0811 1111 1111"))
    bob = command(text="Sampah menumpuk di depan Pasar Setono Betek.", reporter=ReporterContact(name="Bob"))
    receipts = []
    journal.competitor = lambda: receipts.append(intake.submit(alice, "request-alice"))

    with pytest.raises(IdempotencyKeyReused):
        intake.submit(bob, "request-bob")

    assert contacts.get(receipts[0].complaint_id) == ReporterContact(name="Alice", phone="0811 1111 1111")
