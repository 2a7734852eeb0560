"""Loads the routing catalogue (agencies, category rules, SLA settings) from the project's TOML data files."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from suara_kit.events import Priority
from suara_router.domain.calendar import WEEKDAYS, SlaPolicy
from suara_router.domain.routing import Agency, Catalogue, CategoryRules, Rule

FALLBACK_CATEGORY = "lainnya"


class CatalogueError(ValueError):
    """The catalogue files are inconsistent; the message names the file and entry."""


def load_catalogue(directory: Path) -> Catalogue:
    agencies_file = _read(directory / "agencies.toml")
    categories_file = _read(directory / "categories.toml")
    agencies = {a["code"]: Agency(a["code"], a["name"]) for a in agencies_file["agency"]}
    categories: dict[str, CategoryRules] = {}
    rule_ids: set[str] = set()
    for entry in categories_file["category"]:
        rules = [_rule(entry, ())] + [_rule(o, tuple(o["keywords"])) for o in entry.get("override", [])]
        for rule in rules:
            if rule.agency_code not in agencies:
                raise CatalogueError(
                    f"categories.toml: {entry['code']}: rule {rule.rule_id} names unknown agency {rule.agency_code!r}"
                )
            if rule.rule_id in rule_ids:
                raise CatalogueError(f"categories.toml: rule id {rule.rule_id} is used twice")
            rule_ids.add(rule.rule_id)
        try:
            priority = Priority(entry["priority"])
        except ValueError:
            raise CatalogueError(f"categories.toml: {entry['code']}: unknown priority {entry['priority']!r}") from None
        categories[entry["code"]] = CategoryRules(entry["code"], priority, rules[0], tuple(rules[1:]))
    if FALLBACK_CATEGORY not in categories:
        raise CatalogueError(f"categories.toml: the fallback category {FALLBACK_CATEGORY!r} is missing")
    return Catalogue(agencies, categories, categories[FALLBACK_CATEGORY], _sla(categories_file["sla"]))


def _rule(entry: dict[str, Any], keywords: tuple[str, ...]) -> Rule:
    return Rule(rule_id=entry["rule"], agency_code=entry["opd"], reason=entry["reason"], keywords=keywords)


def _sla(sla: dict[str, Any]) -> SlaPolicy:
    return SlaPolicy(
        darurat_minutes=int(sla["darurat_minutes"]),
        tinggi_working_days=int(sla["tinggi_working_days"]),
        normal_working_days=int(sla["normal_working_days"]),
        working_days=frozenset(WEEKDAYS.index(d) for d in sla["working_days"]),
        utc_offset_hours=int(sla["timezone_offset_hours"]),
        holidays=frozenset(date.fromisoformat(str(d)) for d in sla.get("holidays", [])),
    )


def _read(path: Path) -> dict[str, Any]:
    with open(path, "rb") as f:
        return tomllib.load(f)
