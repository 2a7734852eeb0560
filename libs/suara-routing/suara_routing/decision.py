"""Classifying one complaint: category, agency, confidence, emergency lane, outside authority, area, and why."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from suara_routing.catalogue import RoutingCatalogue
from suara_routing.model import RoutingModel
from suara_routing.rules import Area, AreaRecogniser, EmergencyLexicon, OutsideLexicon
from suara_routing.text import Normaliser, normaliser

NO_OUTSIDE = "none"
EMERGENCY = "emergency"  # the emergency head's positive class ("no" is the other)


@dataclass(frozen=True)
class Thresholds:
    auto: float  # dispatch without the coordinator at or above this confidence
    emergency: float  # emergency when the classifier's emergency mass reaches this (or a lexicon word says so)
    outside: float  # outside authority when its score reaches this
    outside_boost: float  # what a lexicon word or a Kabupaten place adds to an outside agency's score
    margin: float = 0.0  # and the top agency's mass must lead the runner-up's by at least this
    emergency_head: float = 2.0  # emergency when the dedicated emergency head's probability reaches this (2: no head)
    # An emergency found only by the model's score takes the complaint from its category's agency to the responders
    # when the score reaches this; below it the responders are alerted and the coordinator decides (0: always).
    emergency_switch: float = 0.0

    @staticmethod
    def of(model: RoutingModel) -> Thresholds:
        t = model.metadata["thresholds"]
        return Thresholds(
            float(t["auto"]),
            float(t["emergency"]),
            float(t["outside"]),
            float(t["outside_boost"]),
            float(t.get("margin", 0.0)),
            float(t.get("emergency_head", 2.0)),
            float(t.get("emergency_switch", 0.0)),
        )


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
    emergency_score: float = 0.0  # the emergency head's probability (or the emergency categories' mass)
    margin: float = 0.0  # the chosen agency's probability mass minus the runner-up agency's
    kelurahan_in_text: str | None = None  # the kelurahan the text itself names (whatever the caller gave)
    normalised_text: str = ""  # the text as the model read it (what near-duplicates are compared on)

    @property
    def disagreement(self) -> bool:
        return self.category_given and self.model_category != self.category


class UnknownCategory(ValueError):
    pass


class UnknownKelurahan(ValueError):
    pass


class TextRouter:
    """Reads a complaint and decides. Pure: the model and the catalogue are given, nothing is read or written.

    Policy (decisions 0071, 0074): the agency is the one with the most probability mass (summed over the categories
    whose catalogue rule, with the text's keywords and kelurahan, leads to it); `confidence` is that mass times the
    probability that no outside body is meant, and `auto` needs confidence >= thresholds.auto and a lead over the
    runner-up agency >= thresholds.margin. An emergency (category, lexicon, emergency head) is routed to its kind's
    responders; an outside matter to the coordinator, never to a city OPD."""

    def __init__(self, model: RoutingModel, catalogue: RoutingCatalogue, version: str) -> None:
        self.model = model
        self.catalogue = catalogue
        self.version = version
        self.thresholds = Thresholds.of(model)
        policy = model.metadata.get("policy", {})
        self.opd_by_mass = bool(policy.get("opd_by_mass", False))
        # Whether the classifier's own choice of an emergency category makes it an emergency (a given category
        # always does); when off, the danger words and the emergency head decide.
        self.category_flags_emergency = bool(policy.get("category_flags_emergency", True))
        self.normalise: Normaliser = normaliser(bool(model.metadata.get("javanese", True)))
        # The rules always read Javanese mapped to Indonesian ("omahku kobong" is a fire whatever the classifier reads).
        self.rules_normalise: Normaliser = normaliser(True)
        self.areas = AreaRecogniser(catalogue, self.normalise)
        self.emergency_words = EmergencyLexicon()
        self.outside_words = OutsideLexicon()
        self._categories = model.head("category")
        self._outside = model.head("outside")
        self._emergency = model.heads.get("emergency")
        self._emergency_yes = self._emergency.classes.index(EMERGENCY) if self._emergency is not None else 0
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
        # All heads in one matrix: one gather of the present features' rows serves every head.
        heads = [self._categories, self._outside] + ([self._emergency] if self._emergency is not None else [])
        self._stacked = np.ascontiguousarray(np.hstack([h.weights for h in heads]))
        ends = np.cumsum([len(h.classes) for h in heads]).tolist()
        self._slices = [slice(start, end) for start, end in zip([0, *ends[:-1]], ends, strict=True)]

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
        rules_text = norm if self.normalise.use_javanese else self.rules_normalise(text)
        columns, values = self.model.features.vector(norm)
        products = values @ self._stacked[columns]
        scores = [products[s] for s in self._slices]
        p_cat = self._categories.calibrate(scores[0])
        p_out = self._outside.calibrate(scores[1])
        area = self.areas.find(norm)
        kel = given_kelurahan or area.kelurahan
        kecamatan = catalogue.kelurahan[kel].kecamatan if kel else area.kecamatan

        classes = self._categories.classes
        # A few dozen classes: plain Python over the list is cheaper than numpy's per-call overhead here.
        p_list: list[float] = p_cat.tolist()
        # The agency each category leads to for this text and place (keyword overrides, kecamatan offices).
        opd_of = dict(self._default_opd)
        words = frozenset(norm.split())
        for k, c in self._text_dependent:
            if p_list[k] >= 0.005 or c == category:  # below that a category cannot change the confidence noticeably
                opd_of[c] = catalogue.route(c, norm, kel, words).agency_code
        mass: dict[str, float] = {}
        for c, p in zip(classes, p_list, strict=True):
            mass[opd_of[c]] = mass.get(opd_of[c], 0.0) + p
        if self.opd_by_mass:
            best_opd = max(mass, key=mass.__getitem__)
            model_k = max((k for k, c in enumerate(classes) if opd_of[c] == best_opd), key=p_list.__getitem__)
        else:
            model_k = max(range(len(p_list)), key=p_list.__getitem__)  # the first of equals, as np.argmax
        model_category = classes[model_k]
        chosen = category or model_category

        # Emergency lane: the category, the lexicon (in progress, not over), or the emergency head.
        kinds = self.emergency_words.kinds(rules_text)
        if self._emergency is not None:
            emergency_score = float(self._emergency.calibrate(scores[2])[self._emergency_yes])
            by_model = emergency_score >= self.thresholds.emergency_head
        else:
            emergency_score = float(p_cat[self._emergency_mask].sum())  # the emergency categories' mass
            by_model = emergency_score >= self.thresholds.emergency
        by_category = catalogue.categories[chosen].emergency and (category is not None or self.category_flags_emergency)
        emergency = by_category or bool(kinds) or by_model
        kind: str | None = None
        lane = False  # the complaint goes to the emergency's responders (not only alerts them)
        if emergency:
            if catalogue.categories[chosen].emergency:
                kind = chosen
            elif kinds:
                kind = kinds[0]
            lane = by_category or bool(kinds) or emergency_score >= self.thresholds.emergency_switch
            if kind is None and lane:
                kind = classes[int(np.argmax(np.where(self._emergency_mask, p_cat, -1.0)))]
            # Below the switch, an emergency found only by the model's score has no kind anyone named: it is a
            # possible emergency for the coordinator's desk to check at once, not a reason to send the responders
            # of a guessed kind (a fire engine to a pothole).
            if category is None and lane and kind is not None:
                chosen = kind

        rule = catalogue.route(chosen, norm, kel, words)
        outside, outside_score = self._outside_authority(rules_text, area, p_out, lane)
        if outside is None and catalogue.outside(rule.agency_code):
            outside, outside_score = rule.agency_code, 1.0 - float(p_out[self._no_outside])

        p_inside = float(p_out[self._no_outside])
        opd_mass = mass.get(rule.agency_code, 0.0)
        runner_up = max((m for code, m in mass.items() if code != rule.agency_code), default=0.0)
        margin = opd_mass - runner_up
        confidence = opd_mass * p_inside
        unknown_office = catalogue.categories[chosen].by_kecamatan and kel is None
        responders: tuple[str, ...] = ()
        outside_responder = None
        if kind is not None:
            responders = catalogue.categories[kind].responders
            outside_responder = catalogue.categories[kind].outside_responder or None
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
            # whether the agency decision stands without the coordinator. An emergency is never dispatched
            # automatically to an agency that is not one of its responders.
            confident = confidence >= self.thresholds.auto and margin >= self.thresholds.margin
            auto = (category is not None or confident) and not unknown_office
            if emergency and responders and opd not in responders:
                auto = False

        order = sorted(range(len(p_list)), key=lambda i: -p_list[i])[:3]  # stable, as np.argsort(kind="stable")
        alternatives = tuple(Suggestion(classes[i], opd_of[classes[i]], round(p_list[i], 4)) for i in order)
        return Classification(
            category=chosen,
            category_given=category is not None,
            model_category=model_category,
            opd=opd,
            rule_id=rule_id,
            reason=reason,
            confidence=round(confidence, 4),
            auto=auto,
            # A possible emergency (the model's score alone, no responders named) is dispatched as usual and the
            # desk is alerted to check it at once.
            needs_coordinator=not auto or (emergency and not responders),
            emergency=emergency,
            emergency_kind=kind,
            responders=responders,
            outside_responder=outside_responder,
            outside_authority=outside,
            kelurahan=kel,
            kecamatan=kecamatan,
            kabupaten_place=area.kabupaten_place,
            kelurahan_in_text=area.kelurahan,
            normalised_text=norm,
            alternatives=alternatives,
            top_terms=self._top_terms(columns, values, chosen),
            model_version=self.version,
            emergency_score=round(emergency_score, 4),
            margin=round(margin, 4),
        )

    def _outside_authority(
        self, norm: str, area: Area, p_out: np.ndarray, emergency: bool = False
    ) -> tuple[str | None, float]:
        scores = {c: float(p) for c, p in zip(self._outside.classes, p_out, strict=True) if c != NO_OUTSIDE}
        # In an emergency the city's responders act; a word such as "PLN" or "kereta api" does not make it a matter
        # for the outside body (the catalogue's outside_responder says who else must act). A Kabupaten place does.
        named = set() if emergency else self.outside_words.agencies(norm)
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
        present = int(np.searchsorted(columns, len(word.terms)))  # the word block comes first, columns ascend
        if category not in head.classes or present == 0:
            return ()
        columns = columns[:present]
        pushes: list[float] = head.contributions(columns, values[:present], head.classes.index(category)).tolist()
        top = sorted(range(present), key=lambda i: -pushes[i])[:n]  # stable: the first of equals first
        return tuple(word.terms[int(columns[i])] for i in top if pushes[i] > 0)
