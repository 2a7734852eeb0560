"""The text-routing model as the router's Classifier: loaded once at start from the catalogue folder, its hash
checked (suara_routing.artefact); a missing or altered model stops the router with a message saying which."""

from __future__ import annotations

from pathlib import Path

from suara_routing.artefact import LoadedRouting, load_routing
from suara_routing.decision import Classification
from suara_routing.model import ModelError


class RoutingModelUnusable(RuntimeError):
    """The routing model cannot be loaded; the message names the file and what is wrong."""


class ModelClassifier:
    def __init__(self, loaded: LoadedRouting) -> None:
        self.loaded = loaded
        self.duplicates = loaded.duplicates
        self.coordinator_desk = loaded.router.catalogue.coordinator_desk

    @property
    def version(self) -> str:
        return self.loaded.version

    def dispatchable(self, agency_code: str) -> bool:
        """A city agency a complaint may be dispatched to (not a body outside the city's authority)."""
        catalogue = self.loaded.router.catalogue
        return agency_code in catalogue.agencies and not catalogue.outside(agency_code)

    def classify(self, text: str, category: str | None, kelurahan: str | None) -> Classification:
        return self.loaded.router.classify(text, category, kelurahan)


def load_classifier(catalogue_dir: Path) -> ModelClassifier:
    """The model named by `<catalogue_dir>/model/current.json`. Raises RoutingModelUnusable naming the problem."""
    try:
        return ModelClassifier(load_routing(catalogue_dir))
    except ModelError as error:
        raise RoutingModelUnusable(f"the routing model cannot be used: {error}") from None
    except (OSError, ValueError, KeyError) as error:  # an unreadable card or pointer, or a model/catalogue mismatch
        raise RoutingModelUnusable(
            f"the routing model in {catalogue_dir / 'model'} cannot be used: {type(error).__name__}: {error}"
        ) from None
