"""Loads the staff directory (who to alert for each agency) from staff.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from suara_notifier.domain.model import Contact, StaffDirectory


def load_directory(path: Path) -> StaffDirectory:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return StaffDirectory([Contact(c["agency"], c["name"], c["email"]) for c in data["contact"]])
