"""Classifying one complaint: category, agency, confidence, emergency lane, outside authority, area, and why."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from suara_routing.catalogue import RoutingCatalogue
from suara_routing.model import RoutingModel
from suara_routing.rules import Area, AreaRecogniser, EmergencyLexicon, OutsideLexicon
from suara_routing.text import Normaliser, normaliser

NO_OUTSIDE = "none"


@dataclass(frozen=True)
class Thresholds:
    auto: float  # dispatch without the coordinator at or above this confidence
    emergency: float  # emergency when the classifier's emergency mass reaches this (or a lexicon word says so)
    outside: float  # outside authority when its score reaches this
    outside_boost: float  # what a lexicon word or a Kabupaten place adds to an outside agency's score

    @staticmethod
    def of(model: RoutingModel) -> Thresholds:
        t = model.metadata["thresholds"]
        return Thresholds(float(t["auto"]), float(t["emergency"]), float(t["outside"]), float(t["outside_boost"]))


@dataclass(frozen=True)
class Suggestion:
    category: str
    opd: str
    score: float


@dataclass(frozen=True)
class Classification:
    category: str
    category_given: bool
    model_category: str  # the classifier's own top category (differs from `category` = a disagreement)
    opd: str
    rule_id: str
    reason: str
    confidence: float
    auto: bool  # dispatched without the coordinator
    needs_coordinator: bool
    emergency: bool
    emergency_kind: str | None
    responders: tuple[str, ...]
    outside_responder: str | None
    outside_authority: str | None
    kelurahan: str | None
    kecamatan: str | None
    kabupaten_place: str | None
    alternatives: tuple[Suggestion, ...]
    top_terms: tuple[str, ...]
    model_version: str

    @property
    def disagreement(self) -> bool:
        return self.category_given and self.model_category != self.category


class UnknownCategory(ValueError):
    pass


class UnknownKelurahan(ValueError):
    pass


class TextRouter:
    """Reads a complaint and decides. Pure: the model and the catalogue are given, nothing is read or written."""

    def __init__(self, model: RoutingModel, catalogue: RoutingCatalogue, version: str) -> None:
        self.model = model
        self.catalogue = catalogue
        self.version = version
        self.thresholds = Thresholds.of(model)
        self.normalise: Normaliser = normaliser(bool(model.metadata.get("javanese", True)))
        self.areas = AreaRecogniser(catalogue, self.normalise)
        self.emergency_words = EmergencyLexicon()
        self.outside_words = OutsideLexicon()
        self._categories = model.head("category")
        self._outside = model.head("outside")
        unknown = sorted(set(self._categories.classes) - set(catalogue.categories))
        if unknown:
            raise ValueError(f"the model knows categories the catalogue does not: {unknown}")
        self._emergency_mask = np.array([catalogue.categories[c].emergency for c in self._categories.classes])
        # Only categories with keyword overrides or a by-kecamatan rule route differently by text or place.
        self._text_dependent = tuple(
            (k, c)
            for k, c in enumerate(self._categories.classes)
            if catalogue.categories[c].overrides or catalogue.categories[c].by_kecamatan
        )
        self._default_opd = {c: catalogue.categories[c].default.agency_code for c in self._categories.classes}
        self._no_outside = self._outside.classes.index(NO_OUTSIDE)
        self._kelurahan_by_folded = {
            s.lower().replace(" ", "").replace("-", ""): k.name
            for k in catalogue.kelurahan.values()
            for s in k.spellings
        } | {k.code: k.name for k in catalogue.kelurahan.values()}

    def kelurahan_named(self, reference: str) -> str | None:
        """A kelurahan given by name, spelling or Kemendagri code, as intake accepts it."""
        folded = reference.strip().lower()
        for prefix in ("kelurahan ", "kel. ", "kel "):
            folded = folded.removeprefix(prefix)
        return self._kelurahan_by_folded.get(folded.replace(" ", "").replace("-", ""))

    def classify(self, text: str, category: str | None = None, kelurahan: str | None = None) -> Classification:
        catalogue = self.catalogue
        if category is not None and category not in catalogue.categories:
            raise UnknownCategory(f"unknown category {category!r}")
        given_kelurahan = None
        if kelurahan:
            given_kelurahan = self.kelurahan_named(kelurahan)
            if given_kelurahan is None:
                raise UnknownKelurahan(f"unknown kelurahan {kelurahan!r} (not in Kota Kediri)")
        norm = self.normalise(text)
        # Override keywords are lowercase whole words: the normalised text holds them (abbreviations expanded).
        rule_text = norm
        columns, values = self.model.features.vector(norm)
        p_cat = self._categories.probabilities(columns, values)
        p_out = self._outside.probabilities(columns, values)
        area = self.areas.find(norm)
        kel = given_kelurahan or area.kelurahan
        kecamatan = catalogue.kelurahan[kel].kecamatan if kel else area.kecamatan

        classes = self._categories.classes
        model_category = classes[int(np.argmax(p_cat))]
        chosen = category or model_category

        # Emergency lane: the category, the lexicon, or enough of the classifier's mass on emergency categories.
        kinds = self.emergency_words.kinds(norm)
        emergency_mass = float(p_cat[self._emergency_mask].sum())
        emergency = catalogue.categories[chosen].emergency or bool(kinds) or emergency_mass >= self.thresholds.emergency
        kind: str | None = None
        if emergency:
            if catalogue.categories[chosen].emergency:
                kind = chosen
            elif kinds:
                kind = kinds[0]
            else:
                kind = classes[int(np.argmax(np.where(self._emergency_mask, p_cat, -1.0)))]
            if category is None:
                chosen = kind

        opd_of = dict(self._default_opd)
        for k, c in self._text_dependent:
            if p_cat[k] >= 0.005 or c == chosen:  # below that a category cannot change the confidence noticeably
                opd_of[c] = catalogue.route(c, rule_text, kel).agency_code
        rule = catalogue.route(chosen, rule_text, kel)
        outside, outside_score = self._outside_authority(norm, area, p_out)
        if outside is None and catalogue.outside(rule.agency_code):
            outside, outside_score = rule.agency_code, 1.0 - float(p_out[self._no_outside])

        opd_mass = float(sum(p for c, p in zip(classes, p_cat, strict=True) if opd_of[c] == rule.agency_code))
        confidence = opd_mass * float(p_out[self._no_outside])
        unknown_office = catalogue.categories[chosen].by_kecamatan and kel is None
        if outside is not None:
            opd, auto, confidence = outside, False, outside_score
            reason = (
                f"Di luar kewenangan Pemkot Kediri: diteruskan ke {catalogue.agencies[outside].name} "
                "lewat meja koordinator."
            )
            rule_id = rule.rule_id if rule.agency_code == outside else "R-OUTSIDE-01"
        else:
            opd, rule_id, reason = rule.agency_code, rule.rule_id, rule.reason
            # An emergency's responders are alerted whatever the confidence (the router does that); "auto" says
            # whether the agency decision stands without the coordinator.
            auto = (category is not None or confidence >= self.thresholds.auto) and not unknown_office
        responders: tuple[str, ...] = ()
        outside_responder = None
        if kind is not None:
            responders = catalogue.categories[kind].responders
            outside_responder = catalogue.categories[kind].outside_responder or None

        order = np.argsort(-p_cat, kind="stable")[:3]
        alternatives = tuple(Suggestion(classes[i], opd_of[classes[i]], round(float(p_cat[i]), 4)) for i in order)
        return Classification(
            category=chosen,
            category_given=category is not None,
            model_category=model_category,
            opd=opd,
            rule_id=rule_id,
            reason=reason,
            confidence=round(confidence, 4),
            auto=auto,
            needs_coordinator=not auto,
            emergency=emergency,
            emergency_kind=kind,
            responders=responders,
            outside_responder=outside_responder,
            outside_authority=outside,
            kelurahan=kel,
            kecamatan=kecamatan,
            kabupaten_place=area.kabupaten_place,
            alternatives=alternatives,
            top_terms=self._top_terms(columns, values, chosen),
            model_version=self.version,
        )

    def _outside_authority(self, norm: str, area: Area, p_out: np.ndarray) -> tuple[str | None, float]:
        scores = {c: float(p) for c, p in zip(self._outside.classes, p_out, strict=True) if c != NO_OUTSIDE}
        named = self.outside_words.agencies(norm)
        if area.kabupaten_place is not None:
            named.add(self.catalogue.kabupaten_agency)
        for code in named:
            scores[code] = scores.get(code, 0.0) + self.thresholds.outside_boost
        if not scores:
            return None, 0.0
        best = max(scores, key=lambda c: scores[c])
        if scores[best] >= self.thresholds.outside:
            return best, round(min(1.0, scores[best]), 4)
        return None, 0.0

    def _top_terms(self, columns: np.ndarray, values: np.ndarray, category: str, n: int = 5) -> tuple[str, ...]:
        """The words (word n-grams) that pushed the chosen category's score most."""
        head = self._categories
        word = self.model.features.blocks[0]
        present = columns < len(word.terms)  # the word block comes first
        if category not in head.classes or not present.any():
            return ()
        columns, values = columns[present], values[present]
        contributions = head.contributions(columns, values, head.classes.index(category))
        top = np.argsort(-contributions, kind="stable")[:n]
        return tuple(word.terms[int(columns[i])] for i in top if contributions[i] > 0)
