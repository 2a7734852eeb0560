"""Near-duplicates: a new complaint in the same kelurahan and category, with similar text, within the category's
window, is a possible duplicate of the earlier one. Flagged with the similarity, never merged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from rapidfuzz import fuzz

from suara_routing.catalogue import RoutingCatalogue
from suara_routing.features import Features


@dataclass(frozen=True)
class Report:
    complaint_id: str
    normalised_text: str
    kelurahan: str
    category: str
    received_at: datetime


@dataclass(frozen=True)
class PossibleDuplicate:
    complaint_id: str
    similarity: float


class DuplicateFinder:
    """`method` "cosine": cosine of the model's TF-IDF vectors (word and character n-grams); "token_set":
    rapidfuzz's token_set_ratio / 100. Which one, and the threshold, are chosen on the dev pairs at training."""

    def __init__(self, features: Features, catalogue: RoutingCatalogue, method: str, threshold: float) -> None:
        if method not in ("cosine", "token_set"):
            raise ValueError(f"unknown similarity method {method!r}")
        self.features = features
        self.catalogue = catalogue
        self.method = method
        self.threshold = threshold

    def window(self, category: str) -> timedelta:
        return timedelta(hours=self.catalogue.categories[category].duplicate_window_hours)

    def similarity(self, a: str, b: str) -> float:
        if self.method == "token_set":
            return float(fuzz.token_set_ratio(a, b)) / 100.0
        ca, va = self.features.vector(a)
        cb, vb = self.features.vector(b)
        common, ia, ib = np.intersect1d(ca, cb, assume_unique=True, return_indices=True)
        if len(common) == 0:
            return 0.0
        # Each block is l2-normalised on its own, so a full vector has norm sqrt(number of blocks).
        return float(va[ia] @ vb[ib]) / len(self.features.blocks)

    def candidate(self, new: Report, earlier: Report) -> bool:
        """Same kelurahan and category, and the earlier one within the category's window before the new one."""
        return (
            new.complaint_id != earlier.complaint_id
            and new.kelurahan == earlier.kelurahan
            and new.category == earlier.category
            and timedelta(0) <= new.received_at - earlier.received_at <= self.window(new.category)
        )

    def find(self, new: Report, earlier: list[Report]) -> PossibleDuplicate | None:
        """The most similar earlier report that qualifies, if its similarity reaches the threshold."""
        best: PossibleDuplicate | None = None
        for report in earlier:
            if not self.candidate(new, report):
                continue
            score = self.similarity(new.normalised_text, report.normalised_text)
            if score >= self.threshold and (best is None or score > best.similarity):
                best = PossibleDuplicate(report.complaint_id, round(score, 4))
        return best
