"""The routing catalogue as the text router needs it: agencies, category rules, wilayah and places. Pure data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORD = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    kind: str  # "opd" | "kecamatan" | "external"
    city_owned: bool = False

    @property
    def outside_city_authority(self) -> bool:
        """External and not one of the city's own enterprises: the matter must be forwarded, not dispatched."""
        return self.kind == "external" and not self.city_owned


@dataclass(frozen=True)
class Rule:
    rule_id: str
    agency_code: str
    reason: str
    keywords: tuple[str, ...] = ()
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    # The first word of each keyword (lowercase): a keyword cannot match a text that lacks its first word.
    _first_words: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @staticmethod
    def make(rule_id: str, agency_code: str, reason: str, keywords: tuple[str, ...] = ()) -> Rule:
        pattern = None
        if keywords:
            alternatives = "|".join(re.escape(k) for k in keywords)
            pattern = re.compile(rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])", re.IGNORECASE)
        first = frozenset(w[0] for k in keywords if (w := _WORD.findall(k.lower())))
        return Rule(rule_id, agency_code, reason, keywords, pattern, first)

    def matches(self, text: str, words: frozenset[str] | None = None) -> bool:
        """Whole-word, case-insensitive, as categories.toml specifies. `words` (the lowercase words of `text`, if
        the caller has them) lets most rules answer without running their pattern."""
        if self._pattern is None or (words is not None and self._first_words.isdisjoint(words)):
            return False
        return self._pattern.search(text) is not None


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    emergency: bool
    priority: str
    default: Rule
    overrides: tuple[Rule, ...]
    duplicate_window_hours: int
    responders: tuple[str, ...] = ()
    outside_responder: str = ""
    by_kecamatan: bool = False

    def rule_for(self, text: str, words: frozenset[str] | None = None) -> Rule:
        """The first override whose keywords occur in the text, else the default (categories.toml's algorithm)."""
        return next((r for r in self.overrides if r.matches(text, words)), self.default)


@dataclass(frozen=True)
class Kelurahan:
    name: str
    code: str
    kecamatan: str
    spellings: tuple[str, ...]
    ambiguous: bool


@dataclass(frozen=True)
class Kecamatan:
    name: str
    office: str  # agency code of the kecamatan office
    spellings: tuple[str, ...]


@dataclass(frozen=True)
class KabupatenPlace:
    name: str
    kind: str  # "kecamatan" | "desa" | "landmark"
    kecamatan: str
    spellings: tuple[str, ...]
    ambiguous: bool


@dataclass(frozen=True)
class RoutingCatalogue:
    agencies: dict[str, Agency]
    categories: dict[str, Category]
    kelurahan: dict[str, Kelurahan]
    kecamatan: dict[str, Kecamatan]
    kabupaten_places: tuple[KabupatenPlace, ...]
    kabupaten_names: tuple[str, ...]
    coordinator_desk: str = "DISKOMINFO"
    kabupaten_agency: str = "KABUPATEN_KEDIRI"

    def route(self, category: str, text: str, kelurahan: str | None, words: frozenset[str] | None = None) -> Rule:
        """The rule that routes `text` filed under `category`. A by-kecamatan category goes to the kecamatan office
        of the kelurahan (its default rule's agency only when the kelurahan is unknown). `words`: see Rule.matches."""
        rules = self.categories[category]
        rule = rules.rule_for(text, words)
        if rules.by_kecamatan and kelurahan in self.kelurahan and rule is rules.default:
            office = self.kecamatan[self.kelurahan[kelurahan].kecamatan].office
            return Rule.make(rule.rule_id, office, rule.reason)
        return rule

    def outside(self, agency_code: str) -> bool:
        return self.agencies[agency_code].outside_city_authority
