"""Routing: from a complaint's category (and words, where a rule says so) to the responsible agency."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from suara_kit.events import Priority
from suara_router.domain.calendar import SlaPolicy


@dataclass(frozen=True)
class Agency:
    code: str
    name: str


@dataclass(frozen=True)
class Rule:
    rule_id: str
    agency_code: str
    reason: str
    # Empty for a category's default rule; an override applies when any keyword occurs as a whole word.
    keywords: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        return any(
            re.search(rf"(?<![0-9A-Za-z]){re.escape(k)}(?![0-9A-Za-z])", text, re.IGNORECASE) for k in self.keywords
        )


@dataclass(frozen=True)
class CategoryRules:
    category: str
    priority: Priority
    default: Rule
    overrides: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    agencies: dict[str, Agency]
    categories: dict[str, CategoryRules]
    fallback: CategoryRules
    sla: SlaPolicy


@dataclass(frozen=True)
class ComplaintToRoute:
    category: str
    text: str
    received_at: datetime


@dataclass(frozen=True)
class RoutingDecision:
    agency: Agency
    priority: Priority
    due_at: datetime
    rule_id: str
    reason: str


def route(complaint: ComplaintToRoute, catalogue: Catalogue) -> RoutingDecision:
    """The first override whose keywords occur in the text wins, else the category's default. A category the
    catalogue does not know (intake and router can run different catalogue versions) goes to the fallback
    agency, saying so, rather than being dropped."""
    rules = catalogue.categories.get(complaint.category)
    reason_prefix = ""
    if rules is None:
        rules = catalogue.fallback
        reason_prefix = f"Kategori {complaint.category!r} tidak dikenal katalog; "
    rule = next((r for r in rules.overrides if r.matches(complaint.text)), rules.default)
    agency = catalogue.agencies[rule.agency_code]
    return RoutingDecision(
        agency=agency,
        priority=rules.priority,
        due_at=catalogue.sla.due(rules.priority, complaint.received_at),
        rule_id=rule.rule_id,
        reason=reason_prefix + rule.reason,
    )
