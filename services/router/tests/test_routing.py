"""Routing follows categories.toml exactly: the 40 examples in examples.toml are the specification."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from suara_kit.events import Priority
from suara_router.domain.routing import ComplaintToRoute, Rule, route

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "kota-kediri"
EXAMPLES = tomllib.loads((DATA_DIR / "examples.toml").read_text(encoding="utf-8"))["example"]
CATEGORIES = tomllib.loads((DATA_DIR / "categories.toml").read_text(encoding="utf-8"))["category"]
RECEIVED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 09:00 WIB


def routed(catalogue, category: str, text: str):
    return route(ComplaintToRoute(category=category, text=text, received_at=RECEIVED), catalogue)


def test_the_data_has_40_examples() -> None:
    assert len(EXAMPLES) == 40


@pytest.mark.parametrize(
    "example", EXAMPLES, ids=[f"{n:02d}-{e['category']}-{e['opd']}" for n, e in enumerate(EXAMPLES, start=1)]
)
def test_every_example_routes_to_its_expected_opd(catalogue, example) -> None:
    decision = routed(catalogue, example["category"], example["text"])

    assert decision.agency.code == example["opd"], example["text"]
    assert (decision.priority is Priority.DARURAT) is example["emergency"]


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c["code"])
def test_every_category_routes_by_default_to_its_opd_with_its_rule_and_reason(catalogue, category) -> None:
    decision = routed(catalogue, category["code"], "Mohon ditindaklanjuti, terima kasih.")

    assert decision.agency.code == category["opd"]
    assert decision.rule_id == category["rule"]
    assert decision.reason == category["reason"]
    assert decision.priority is Priority(category["priority"])


def test_an_sma_complaint_in_pendidikan_goes_to_the_province(catalogue) -> None:
    decision = routed(catalogue, "pendidikan", "Pungutan seragam di SMA Negeri 2 Kediri terlalu mahal.")

    assert decision.agency.code == "PROV_JATIM_DINDIK"
    assert decision.rule_id == "R-DIDIK-02"
    assert decision.reason.startswith("SMA/SMK menjadi kewenangan Pemprov Jawa Timur")


def test_a_keyword_inside_a_longer_word_does_not_match(catalogue) -> None:
    decision = routed(catalogue, "pendidikan", "Guru SD meminta murid membeli smartphone untuk ujian daring.")

    assert decision.agency.code == "DINDIK"
    assert decision.rule_id == "R-DIDIK-01"


def test_keywords_match_ignoring_case_and_as_whole_phrases(catalogue) -> None:
    assert routed(catalogue, "jalan_rusak", "Aspal JALAN PROVINSI di Ngronggo ambles.").rule_id == "R-JALAN-02"
    assert routed(catalogue, "jalan_rusak", "Jalan, provinsi mana yang urus?").rule_id == "R-JALAN-01"


def test_the_first_override_in_file_order_wins(catalogue) -> None:
    decision = routed(catalogue, "pju", "Lampu taman di gang RT 02 mati.")  # matches R-PJU-02 and R-PJU-03

    assert decision.agency.code == "DLHKP"
    assert decision.rule_id == "R-PJU-02"


def test_an_unknown_category_goes_to_the_fallback_agency_saying_it_was_unknown(catalogue) -> None:
    decision = routed(catalogue, "parkir_drone", "Drone parkir sembarangan di atas Jembatan Brawijaya.")

    assert decision.agency.code == "SETDA"
    assert decision.rule_id == "R-LAIN-01"
    assert decision.priority is Priority.NORMAL
    assert decision.reason.startswith("Kategori 'parkir_drone' tidak dikenal katalog; ")
    assert decision.reason.endswith(catalogue.fallback.default.reason)


def test_an_emergency_is_due_within_the_darurat_minutes(catalogue) -> None:
    decision = routed(catalogue, "kebakaran", "Rumah terbakar di Jl. Semeru, api sudah besar.")

    assert decision.priority is Priority.DARURAT
    assert decision.due_at == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_a_normal_complaint_is_due_in_five_working_days(catalogue) -> None:
    decision = routed(catalogue, "sampah", "Sampah menumpuk di TPS Jl. Hayam Wuruk.")

    assert decision.due_at == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_rules_match_keywords_as_whole_words_only() -> None:
    rule = Rule("R-X", "X", "", keywords=("rt", "lampu jalan"))

    assert rule.matches("Gang RT 03 gelap")
    assert rule.matches("rt.03")
    assert rule.matches("(Lampu Jalan) mati")
    assert not rule.matches("Warga sudah lapor ke kantor")  # 'rt' only inside words
    assert not rule.matches("RT03")  # followed by a digit
    assert not rule.matches("lampu  jalan")  # a phrase has single spaces


def test_rules_treat_only_ascii_letters_and_digits_as_word_characters_as_categories_toml_specifies() -> None:
    rule = Rule("R-X", "X", "", keywords=("gang",))

    assert rule.matches("PJU mati di gang_3")
