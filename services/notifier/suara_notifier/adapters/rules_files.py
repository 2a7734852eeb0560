"""The deadline rules the notifier's ComplaintStore decides with: the catalogue's [sla] table and the holiday files
(the same files every writer of a deployment reads, so all of them agree on every due time)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from suara_complaint import Policy, WorkingCalendar, load_calendar, policy_from_sla_table


def load_rules(catalogue_dir: Path, calendar_dir: Path) -> tuple[Policy, WorkingCalendar]:
    path = catalogue_dir / "categories.toml"
    with open(path, "rb") as f:
        sla = tomllib.load(f).get("sla")
    if not isinstance(sla, dict):
        raise ValueError(f"{path}: no [sla] table")
    return policy_from_sla_table(sla), load_calendar(calendar_dir)
