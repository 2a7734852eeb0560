"""Loads intake's catalogue (categories, kelurahan) from the project's TOML data files."""

from __future__ import annotations

import tomllib
from pathlib import Path

from suara_intake.domain.model import Category, Gazetteer, IntakeCatalogue, Kelurahan


def load_catalogue(directory: Path) -> IntakeCatalogue:
    with open(directory / "categories.toml", "rb") as f:
        categories_file = tomllib.load(f)
    with open(directory / "wilayah.toml", "rb") as f:
        wilayah = tomllib.load(f)
    categories = {
        c["code"]: Category(code=c["code"], label=c["label"], emergency=bool(c["emergency"]))
        for c in categories_file["category"]
    }
    kelurahan = [
        Kelurahan(
            code=k["kemendagri_code"],
            name=k["name"],
            kecamatan=kec["name"],
            aliases=tuple(k.get("aliases", [])),
        )
        for kec in wilayah["kecamatan"]
        for k in kec["kelurahan"]
    ]
    return IntakeCatalogue(categories=categories, gazetteer=Gazetteer(kelurahan))
