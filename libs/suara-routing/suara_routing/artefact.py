"""Where the trained model lives: data/kota-kediri/model/current.json names the model file, its SHA-256 and its
card; loading checks the hash before reading a byte of the model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suara_routing.catalogue import RoutingCatalogue
from suara_routing.catalogue_files import load_routing_catalogue
from suara_routing.decision import TextRouter
from suara_routing.duplicates import DuplicateFinder
from suara_routing.model import ModelError, RoutingModel, load_model, save_model

MODEL_DIR = "model"
POINTER = "current.json"


@dataclass(frozen=True)
class LoadedRouting:
    router: TextRouter
    duplicates: DuplicateFinder
    card: dict[str, Any]

    @property
    def version(self) -> str:
        return self.router.version


def load_routing(catalogue_dir: Path, catalogue: RoutingCatalogue | None = None) -> LoadedRouting:
    """The router and duplicate finder from `<catalogue_dir>/model/current.json` and the catalogue files."""
    model_dir = catalogue_dir / MODEL_DIR
    try:
        pointer = json.loads((model_dir / POINTER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{model_dir / POINTER}: missing (run `make train-routing`)") from None
    card = json.loads((model_dir / pointer["card"]).read_text(encoding="utf-8"))
    if card["sha256"] != pointer["sha256"]:
        raise ModelError(f"{model_dir}: {POINTER} and the card disagree on the model's SHA-256")
    model = load_model(model_dir / pointer["model"], pointer["sha256"])
    catalogue = catalogue or load_routing_catalogue(catalogue_dir)
    router = TextRouter(model, catalogue, pointer["version"])
    duplicates = model.metadata["duplicates"]
    finder = DuplicateFinder(model.features, catalogue, duplicates["method"], float(duplicates["threshold"]))
    return LoadedRouting(router, finder, card)


def publish(model: RoutingModel, catalogue_dir: Path, card: dict[str, Any]) -> dict[str, Any]:
    """Writes routing-<version>.model, its card and current.json; removes models of earlier versions. The version is
    the first 12 hex digits of the model's SHA-256, so a different model always gets a different name."""
    model_dir = catalogue_dir / MODEL_DIR
    model_dir.mkdir(parents=True, exist_ok=True)
    scratch = model_dir / "routing.model.tmp"
    sha256 = save_model(model, scratch)
    version = sha256[:12]
    name = f"routing-{version}.model"
    for old in model_dir.glob("routing-*"):
        if not old.name.startswith(f"routing-{version}."):
            old.unlink()
    scratch.replace(model_dir / name)
    card = {
        **card,
        "version": version,
        "model": name,
        "sha256": sha256,
        "size_bytes": (model_dir / name).stat().st_size,
    }
    card_name = f"routing-{version}.card.json"
    (model_dir / card_name).write_text(
        json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    pointer = {"version": version, "model": name, "sha256": sha256, "card": card_name}
    (model_dir / POINTER).write_text(json.dumps(pointer, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return card
