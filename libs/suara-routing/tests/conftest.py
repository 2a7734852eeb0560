"""Fixtures: the real catalogue, and a tiny corpus to train a small model on in a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from suara_routing.catalogue import RoutingCatalogue
from suara_routing.catalogue_files import load_routing_catalogue
from suara_routing.corpus import Item
from suara_routing.decision import TextRouter
from suara_routing.training import fit

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "kota-kediri"

TINY = {
    "jalan_rusak": [
        "jalan berlubang besar di jl mayor bismo",
        "aspal ambles dan rusak parah",
        "jalan bolong motor jatuh",
        "lubang jalan makin lebar tolong ditambal",
        "jalan rusak berlubang dekat perempatan",
    ],
    "sampah": [
        "sampah menumpuk di tps belum diangkut",
        "tumpukan sampah bau sekali",
        "sampah tidak diangkut tiga hari",
        "tps penuh sampah berserakan",
        "truk sampah tidak datang",
    ],
    "kebakaran": [
        "kebakaran rumah warga api membesar",
        "gudang terbakar asap tebal",
        "ada kebakaran tolong damkar",
        "api berkobar di toko",
        "rumah terbakar cepat kirim pemadam",
    ],
    "listrik": [
        "listrik padam sejak pagi pln",
        "token listrik error pln",
        "mati listrik terus tiap malam",
        "kabel pln putus",
        "pemadaman listrik tanpa pemberitahuan",
    ],
}


@pytest.fixture(scope="session")
def catalogue() -> RoutingCatalogue:
    return load_routing_catalogue(DATA_DIR)


def make_tiny_items() -> list[Item]:
    items = []
    for category, texts in TINY.items():
        for n, text in enumerate(texts):
            outside = "PLN" if category == "listrik" else None
            opd = {"jalan_rusak": "DPUPR", "sampah": "DLHKP", "kebakaran": "DAMKAR", "listrik": "PLN"}[category]
            if category == "jalan_rusak" and n < 3:  # national-road reports: a third class for the outside head
                text, outside, opd = f"jalan nasional {text}", "BBPJN_JATIM_BALI", "BBPJN_JATIM_BALI"
            items.append(
                Item(
                    f"{category}-{n}",
                    text,
                    category,
                    opd,
                    category == "kebakaran",
                    outside,
                    None,
                    "whatsapp",
                    "informal",
                    None,
                    "written",
                )
            )
    return items


@pytest.fixture(scope="session")
def tiny_router(catalogue) -> TextRouter:
    model, _, _ = fit(make_tiny_items(), javanese=True)
    model.metadata["thresholds"] = {
        "auto": 0.5,
        "margin": 0.0,
        "emergency": 0.5,
        "emergency_head": 0.5,
        "outside": 0.5,
        "outside_boost": 0.6,
    }
    model.metadata["duplicates"] = {"method": "cosine", "threshold": 0.5}
    return TextRouter(model, catalogue, "tiny")


@pytest.fixture
def tiny_items() -> list[Item]:
    return make_tiny_items()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR
