"""Loading the routing catalogue: the real files load whole, and inconsistent files are refused by name."""

from __future__ import annotations

import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest

from suara_router.adapters.catalogue_files import CatalogueError, load_catalogue


def test_the_real_catalogue_has_every_agency_and_category(catalogue, data_dir) -> None:
    agencies = tomllib.loads((data_dir / "agencies.toml").read_text(encoding="utf-8"))["agency"]
    categories = tomllib.loads((data_dir / "categories.toml").read_text(encoding="utf-8"))["category"]

    assert sorted(catalogue.agencies) == sorted(a["code"] for a in agencies)
    assert len(catalogue.agencies) == 41
    assert sorted(catalogue.categories) == sorted(c["code"] for c in categories)
    assert catalogue.fallback.category == "lainnya"
    assert sum(len(rules.overrides) for rules in catalogue.categories.values()) == 12


def test_overrides_keep_their_file_order(catalogue) -> None:
    assert [r.rule_id for r in catalogue.categories["jalan_rusak"].overrides] == [
        "R-JALAN-02",
        "R-JALAN-03",
        "R-JALAN-04",
    ]
    assert catalogue.categories["pju"].overrides[0].keywords == ("lampu taman", "taman")


@pytest.fixture
def catalogue_copy(data_dir, tmp_path) -> Path:
    for name in ("agencies.toml", "categories.toml"):
        shutil.copy(data_dir / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_rule_naming_an_unknown_agency_is_refused(catalogue_copy) -> None:
    edit(
        catalogue_copy / "categories.toml",
        'opd = "DPUPR"\nrule = "R-JALAN-01"',
        'opd = "DINAS_JALAN"\nrule = "R-JALAN-01"',
    )

    with pytest.raises(CatalogueError, match="jalan_rusak: rule R-JALAN-01 names unknown agency 'DINAS_JALAN'"):
        load_catalogue(catalogue_copy)


def test_a_rule_id_used_twice_is_refused(catalogue_copy) -> None:
    edit(catalogue_copy / "categories.toml", 'rule = "R-DRAIN-01"', 'rule = "R-JALAN-01"')

    with pytest.raises(CatalogueError, match="rule id R-JALAN-01 is used twice"):
        load_catalogue(catalogue_copy)


def test_an_unknown_priority_is_refused(catalogue_copy) -> None:
    edit(
        catalogue_copy / "categories.toml",
        'code = "pohon"\nlabel = "Pohon rawan tumbang / perlu dipangkas"\nemergency = false\npriority = "tinggi"',
        'code = "pohon"\nlabel = "Pohon rawan tumbang / perlu dipangkas"\nemergency = false\npriority = "segera"',
    )

    with pytest.raises(CatalogueError, match="pohon: unknown priority 'segera'"):
        load_catalogue(catalogue_copy)


def test_a_catalogue_without_the_fallback_category_is_refused(catalogue_copy) -> None:
    edit(catalogue_copy / "categories.toml", 'code = "lainnya"', 'code = "lain_lain"')

    with pytest.raises(CatalogueError, match="fallback category 'lainnya' is missing"):
        load_catalogue(catalogue_copy)


def test_holidays_are_read_as_dates(catalogue_copy) -> None:
    edit(catalogue_copy / "categories.toml", "holidays = []", 'holidays = ["2026-12-25", 2026-12-24]')

    sla = load_catalogue(catalogue_copy).sla

    assert sla.holidays == frozenset({date(2026, 12, 25), date(2026, 12, 24)})
