"""Near-duplicates: a new complaint in the same kelurahan and category, with similar text, within the category's
window, is a possible duplicate of the earlier one. Flagged with the similarity, never merged."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
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


# A named place: the word after "jalan", "gang", "pasar", "tps" … ("jalan mayor bismo" -> "mayor"). Two reports
# naming the same street or landmark are far more likely about one incident than two reports of one category.
_PLACE = re.compile(
    r"(?<![a-z0-9])(?:jalan|jl|gang|gg|pasar|tps|taman|jembatan|kali|sungai|puskesmas|sd|sdn|smp|smpn|masjid|"
    r"perumahan|perum|terminal|stadion|goa|gunung|alun|lapangan|makam|stasiun|rsud|rs|perempatan|pertigaan)"
    r" ([a-z]{3,})(?: ([a-z]{3,}))?"
)
_NOT_A_NAME = frozenset(
    {
        "yang",
        "rusak",
        "berlubang",
        "depan",
        "dekat",
        "raya",
        "utama",
        "kampung",
        "tolong",
        "sudah",
        "sampai",
        "masuk",
        "kota",
        "kecil",
        "besar",
        "sana",
        "sini",
        "itu",
        "ini",
        "dan",
        "tidak",
        "belum",
        "arah",
        "sebelah",
        "samping",
        "belakang",
        "tengah",
        "umum",
        "baru",
        "lama",
    }
)


def named_places(text: str) -> frozenset[str]:
    """The names after place words in a normalised text ("jalan mayor bismo" -> {"mayor"})."""
    names = set()
    for match in _PLACE.finditer(text):
        words = [w for w in match.groups() if w and w not in _NOT_A_NAME]
        if words:
            names.add(words[0])
    return frozenset(names)


class DuplicateFinder:
    """Similarity methods, chosen with the threshold on labelled train + dev pairs at training:
    "cosine": cosine of the model's TF-IDF vectors (word and character n-grams, each block weighted equally);
    "word": cosine of the word n-gram block alone (rare words such as street names weigh most);
    "word_place": "word" plus PLACE_BONUS when both name the same street or landmark (`named_places`);
    "token_set": rapidfuzz's token_set_ratio / 100.
    A candidate is an earlier report in the same kelurahan, of the same category (or both emergencies: one fire is
    often reported as a fire and as a rescue), within the category's window."""

    METHODS = ("cosine", "word", "word_place", "token_set")
    PLACE_BONUS = 0.2

    def __init__(self, features: Features, catalogue: RoutingCatalogue, method: str, threshold: float) -> None:
        if method not in self.METHODS:
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
        if self.method == "cosine":
            ca, va = self.features.vector(a)
            cb, vb = self.features.vector(b)
            # Each block is l2-normalised on its own, so a full vector has norm sqrt(number of blocks).
            return _dot(ca, va, cb, vb) / len(self.features.blocks)
        word = self.features.blocks[0]
        score = _dot(*word.vector(a), *word.vector(b))
        if self.method == "word_place" and named_places(a) & named_places(b):
            score += self.PLACE_BONUS
        return min(1.0, score)

    def same_matter(self, a: str, b: str) -> bool:
        """Same category, or both emergency categories."""
        categories = self.catalogue.categories
        return a == b or (a in categories and b in categories and categories[a].emergency and categories[b].emergency)

    def candidate(self, new: Report, earlier: Report) -> bool:
        """Same kelurahan and matter, and the earlier one within the (shorter) window before the new one."""
        if new.complaint_id == earlier.complaint_id or new.kelurahan != earlier.kelurahan:
            return False
        if not self.same_matter(new.category, earlier.category):
            return False
        window = min(self.window(new.category), self.window(earlier.category))
        return timedelta(0) <= new.received_at - earlier.received_at <= window

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


def _dot(
    ca: npt.NDArray[np.int64], va: npt.NDArray[np.float64], cb: npt.NDArray[np.int64], vb: npt.NDArray[np.float64]
) -> float:
    common, ia, ib = np.intersect1d(ca, cb, assume_unique=True, return_indices=True)
    return float(va[ia] @ vb[ib]) if len(common) else 0.0
