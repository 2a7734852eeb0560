"""Intake's catalogue is the data in data/kota-kediri: every category and every kelurahan in it is accepted."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from suara_intake.domain.model import validate

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "kota-kediri"
CATEGORIES = tomllib.loads((DATA_DIR / "categories.toml").read_text(encoding="utf-8"))["category"]
WILAYAH = tomllib.loads((DATA_DIR / "wilayah.toml").read_text(encoding="utf-8"))
KELURAHAN = [(kecamatan["name"], k) for kecamatan in WILAYAH["kecamatan"] for k in kecamatan["kelurahan"]]
ALIASES = [(k["name"], alias) for _, k in KELURAHAN for alias in k["aliases"]]


def test_the_data_has_39_categories_and_46_kelurahan() -> None:
    assert len(CATEGORIES) == 39
    assert len(KELURAHAN) == 46


def test_the_catalogue_holds_every_category_of_the_data(catalogue) -> None:
    assert sorted(catalogue.categories) == sorted(c["code"] for c in CATEGORIES)


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c["code"])
def test_every_category_is_accepted_with_its_label_and_emergency_flag(catalogue, command, category) -> None:
    complaint = validate(command(category=category["code"]), catalogue)

    assert complaint.category.code == category["code"]
    assert complaint.category.label == category["label"]
    assert complaint.category.emergency is category["emergency"]


def test_the_gazetteer_knows_46_kelurahan(catalogue) -> None:
    assert len(catalogue.gazetteer) == 46


@pytest.mark.parametrize(("kecamatan", "kelurahan"), KELURAHAN, ids=[k["name"] for _, k in KELURAHAN])
def test_every_kelurahan_is_found_by_name_and_by_kemendagri_code(catalogue, kecamatan, kelurahan) -> None:
    by_name = catalogue.gazetteer.find(kelurahan["name"])
    by_code = catalogue.gazetteer.find(kelurahan["kemendagri_code"])

    assert by_name is not None
    assert (by_name.code, by_name.name, by_name.kecamatan) == (
        kelurahan["kemendagri_code"],
        kelurahan["name"],
        kecamatan,
    )
    assert by_code == by_name


@pytest.mark.parametrize(("name", "alias"), ALIASES, ids=[alias for _, alias in ALIASES])
def test_every_kelurahan_alias_finds_its_kelurahan(catalogue, name, alias) -> None:
    found = catalogue.gazetteer.find(alias)

    assert found is not None
    assert found.name == name


def test_the_data_lists_some_aliases() -> None:
    assert len(ALIASES) >= 5
