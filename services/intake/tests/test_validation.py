"""Validating a SubmitComplaint: every problem is refused naming the request field."""

from __future__ import annotations

import time

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
    ("category", {"category": "jalan_berlubang"}, "unknown category 'jalan_berlubang'"),
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


@pytest.mark.parametrize("category", ["", "   "])
def test_a_complaint_without_a_category_is_accepted_for_the_router_to_propose_one(catalogue, command, category) -> None:
    assert validate(command(category=category), catalogue).category is None


@pytest.mark.parametrize("reference", ["Kel. Mrican", "kelurahan mrican", "MRICAN", "35.71.01.1008"])
def test_a_kelurahan_is_found_in_the_ways_citizens_write_it(catalogue, command, reference: str) -> None:
    assert validate(command(kelurahan=reference), catalogue).kelurahan.name == "Mrican"


def test_an_empty_reporter_contact_counts_as_no_contact(catalogue, command) -> None:
    assert validate(command(reporter=ReporterContact()), catalogue).reporter is None


def test_the_complaint_id_follows_from_integrator_channel_and_idempotency_key() -> None:
    first = complaint_id_for("lapor-112", SourceChannel.WHATSAPP, "k-1")

    assert complaint_id_for("lapor-112", SourceChannel.WHATSAPP, "k-1") == first
    assert complaint_id_for("lapor-112", SourceChannel.WHATSAPP, "k-2") != first
    assert complaint_id_for("lapor-112", SourceChannel.WEB_PORTAL, "k-1") != first
    assert complaint_id_for("portal-kediri", SourceChannel.WHATSAPP, "k-1") != first  # keys are per integrator


def test_tracking_numbers_are_stable_readable_and_free_of_ambiguous_letters() -> None:
    numbers = {
        tracking_number_for(complaint_id_for("lapor-112", SourceChannel.WALK_IN, f"key-{i}")) for i in range(500)
    }

    assert len(numbers) == 500
    for number in numbers:
        assert TRACKING_PATTERN.match(number), number
        assert not set(number[4:]) & set("ILOU"), number
    assert tracking_number_for("6f1f5a52-3c0b-4f57-9a0e-5b3a9c1d2e7f") == tracking_number_for(
        "6f1f5a52-3c0b-4f57-9a0e-5b3a9c1d2e7f"
    )


# --- hostile input: bounded time, bounded echoes, clean text ------------------------------------------------


def test_a_pathological_email_is_refused_in_linear_time(catalogue, command) -> None:
    # `a@` + `a.` * 16000 + `@` took 5.5 s against the old backtracking pattern.
    hostile = "a@" + "a." * 16_000 + "@"
    started = time.perf_counter()

    with pytest.raises(InvalidComplaint) as raised:
        validate(command(reporter=ReporterContact(email=hostile)), catalogue)

    assert time.perf_counter() - started < 0.05
    assert raised.value.field == "reporter.email"


@pytest.mark.parametrize(
    "address",
    ["siti@example.org", "a.b+c@mail.kedirikota.go.id", "x@y.z"],
)
def test_ordinary_email_addresses_are_accepted(catalogue, command, address: str) -> None:
    assert validate(command(reporter=ReporterContact(email=address)), catalogue).reporter.email == address


@pytest.mark.parametrize(
    "address",
    [
        "a@b",
        "@example.org",
        "siti@",
        "siti@@example.org",
        "siti@example..org",
        "si ti@example.org",
        "x" * 65 + "@example.org",
        "siti@" + "d." * 130 + "org",
    ],
)
def test_implausible_email_addresses_are_refused(catalogue, command, address: str) -> None:
    with pytest.raises(InvalidComplaint) as raised:
        validate(command(reporter=ReporterContact(email=address)), catalogue)
    assert raised.value.field == "reporter.email"


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("category", {"category": "x" * 100_000}),
        ("kelurahan", {"kelurahan": "y" * 100_000}),
        ("reporter.email", {"reporter": ReporterContact(email="z" * 100_000)}),
        ("reporter.phone", {"reporter": ReporterContact(phone="9" * 100_000)}),
    ],
)
def test_an_error_repeats_at_most_the_first_40_characters_of_a_bad_value(catalogue, command, field, changes) -> None:
    with pytest.raises(InvalidComplaint) as raised:
        validate(command(**changes), catalogue)

    assert raised.value.field == field
    assert len(str(raised.value)) < 200
    assert "…" in str(raised.value)


@pytest.mark.parametrize(
    ("character", "name"), [("\x00", "U+0000"), ("\x07", "U+0007"), ("\x1b", "U+001B"), ("\x7f", "U+007F")]
)
def test_text_with_a_control_character_is_refused_naming_it(catalogue, command, character: str, name: str) -> None:
    with pytest.raises(InvalidComplaint) as raised:
        validate(command(text=f"Jalan Merbabu{character} berlubang besar."), catalogue)

    assert raised.value.field == "text"
    assert f"control character {name} at position 13" in raised.value.problem


def test_newlines_and_tabs_are_kept_and_carriage_returns_become_newlines(catalogue, command) -> None:
    complaint = validate(command(text="Jalan Merbabu berlubang.\r\nSudah\tdua motor jatuh.\rTolong."), catalogue)

    assert complaint.text == "Jalan Merbabu berlubang.\nSudah\tdua motor jatuh.\nTolong."


def test_zero_width_and_bidi_characters_are_stripped_and_text_is_nfc(catalogue, command) -> None:
    sneaky = "Jala\u200bn Merbabu\u200d be\u202erlubang\ufeff di depan Cafe\u0301."

    complaint = validate(command(text=sneaky), catalogue)

    assert complaint.text == "Jalan Merbabu berlubang di depan Caf\u00e9."


def test_the_reporter_name_is_normalised_and_refused_with_control_characters(catalogue, command) -> None:
    named = validate(command(reporter=ReporterContact(name="Siti\u200b Aminah")), catalogue)
    assert named.reporter.name == "Siti Aminah"

    with pytest.raises(InvalidComplaint) as raised:
        validate(command(reporter=ReporterContact(name="Siti\x00")), catalogue)
    assert raised.value.field == "reporter.name"


def test_the_length_limit_counts_characters_after_normalisation(catalogue, command) -> None:
    # 4000 visible characters plus zero-width padding is still 4000 characters.
    assert len(validate(command(text="x" * TEXT_MAX + "\u200b" * 50), catalogue).text) == TEXT_MAX


def test_a_complaint_without_a_kelurahan_is_valid_and_the_router_reads_it_from_the_text(catalogue, command) -> None:
    assert validate(command(kelurahan="", category=""), catalogue).kelurahan is None
