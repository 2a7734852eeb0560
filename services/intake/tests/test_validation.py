"""Validating a SubmitComplaint: every problem is refused naming the request field."""

from __future__ import annotations

import pytest

from suara_intake.domain.model import (
    TEXT_MAX,
    TRACKING_PATTERN,
    InvalidComplaint,
    ReporterContact,
    complaint_id_for,
    tracking_number_for,
    validate,
)
from suara_kit.events import SourceChannel

INVALID = [
    ("idempotency_key", {"idempotency_key": ""}, "required"),
    ("idempotency_key", {"idempotency_key": "   "}, "required"),
    ("idempotency_key", {"idempotency_key": "key with spaces"}, "1 to 128 characters"),
    ("idempotency_key", {"idempotency_key": "kunci#1!"}, "1 to 128 characters"),
    ("idempotency_key", {"idempotency_key": "k" * 129}, "1 to 128 characters"),
    ("text", {"text": ""}, "required"),
    ("text", {"text": " \n\t "}, "required"),
    ("text", {"text": "Jalan rus"}, "too short (9 characters, at least 10)"),
    ("text", {"text": "x" * (TEXT_MAX + 1)}, "too long (4001 characters, at most 4000)"),
    ("category", {"category": ""}, "required"),
    ("category", {"category": "jalan_berlubang"}, "unknown category 'jalan_berlubang'"),
    ("kelurahan", {"kelurahan": ""}, "required"),
    ("kelurahan", {"kelurahan": "Atlantis"}, "unknown kelurahan 'Atlantis'"),
    ("kelurahan", {"kelurahan": "Pare"}, "not in Kota Kediri"),  # a kecamatan of Kabupaten Kediri
    ("source_channel", {"source_channel": None}, "required"),
    ("reporter.email", {"reporter": ReporterContact(email="siti-at-example.org")}, "not an e-mail address"),
    ("reporter.email", {"reporter": ReporterContact(email="siti @example.org")}, "not an e-mail address"),
    ("reporter.phone", {"reporter": ReporterContact(phone="hubungi saya")}, "not a phone number"),
    ("reporter.phone", {"reporter": ReporterContact(phone="123")}, "not a phone number"),
    ("reporter.name", {"reporter": ReporterContact(name="S" * 201)}, "too long"),
]


@pytest.mark.parametrize(
    ("field", "changes", "problem"),
    INVALID,
    ids=[f"{field}-{i}" for i, (field, _, _) in enumerate(INVALID)],
)
def test_an_invalid_request_is_refused_naming_the_field(catalogue, command, field, changes, problem) -> None:
    with pytest.raises(InvalidComplaint) as raised:
        validate(command(**changes), catalogue)

    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")
    assert problem in raised.value.problem


def test_a_valid_request_becomes_a_valid_complaint_with_catalogue_entries(catalogue, command) -> None:
    complaint = validate(command(text="  Jalan Merbabu berlubang besar.  "), catalogue)

    assert complaint.idempotency_key == "wa:6281234567890:0001"
    assert complaint.text == "Jalan Merbabu berlubang besar."
    assert complaint.category.code == "jalan_rusak"
    assert complaint.category.emergency is False
    assert (complaint.kelurahan.code, complaint.kelurahan.name) == ("35.71.01.1008", "Mrican")
    assert complaint.kelurahan.kecamatan == "Mojoroto"
    assert complaint.source_channel is SourceChannel.WHATSAPP
    assert complaint.reporter == ReporterContact("Siti Aminah", "+62 812-3456-7890", "siti@example.org")


def test_text_of_exactly_the_limits_is_accepted(catalogue, command) -> None:
    assert len(validate(command(text="x" * TEXT_MAX), catalogue).text) == TEXT_MAX
    assert validate(command(text="0123456789"), catalogue).text == "0123456789"


def test_category_codes_are_matched_ignoring_case_and_surrounding_spaces(catalogue, command) -> None:
    assert validate(command(category=" JALAN_RUSAK "), catalogue).category.code == "jalan_rusak"


@pytest.mark.parametrize("reference", ["Kel. Mrican", "kelurahan mrican", "MRICAN", "35.71.01.1008"])
def test_a_kelurahan_is_found_in_the_ways_citizens_write_it(catalogue, command, reference: str) -> None:
    assert validate(command(kelurahan=reference), catalogue).kelurahan.name == "Mrican"


def test_an_empty_reporter_contact_counts_as_no_contact(catalogue, command) -> None:
    assert validate(command(reporter=ReporterContact()), catalogue).reporter is None


def test_the_complaint_id_follows_from_channel_and_idempotency_key() -> None:
    first = complaint_id_for(SourceChannel.WHATSAPP, "k-1")

    assert complaint_id_for(SourceChannel.WHATSAPP, "k-1") == first
    assert complaint_id_for(SourceChannel.WHATSAPP, "k-2") != first
    assert complaint_id_for(SourceChannel.WEB_PORTAL, "k-1") != first


def test_tracking_numbers_are_stable_readable_and_free_of_ambiguous_letters() -> None:
    numbers = {tracking_number_for(complaint_id_for(SourceChannel.WALK_IN, f"key-{i}")) for i in range(500)}

    assert len(numbers) == 500
    for number in numbers:
        assert TRACKING_PATTERN.match(number), number
        assert not set(number[4:]) & set("ILOU"), number
    assert tracking_number_for("6f1f5a52-3c0b-4f57-9a0e-5b3a9c1d2e7f") == tracking_number_for(
        "6f1f5a52-3c0b-4f57-9a0e-5b3a9c1d2e7f"
    )
