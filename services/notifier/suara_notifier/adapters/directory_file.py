"""Loads the staff directory (who to alert for each agency) from staff.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from suara_notifier.domain.model import LIAISON, ROLES, Contact, StaffDirectory


def load_directory(path: Path) -> StaffDirectory:
    """Each [[contact]] has agency, name, email and an optional role: "liaison" (the default: receives the
    agency's alerts), "head" (told when an alert to the agency could not be delivered) or "complaint_desk" (told
    so for agencies that name no head)."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    contacts = []
    for entry in data["contact"]:
        role = entry.get("role", LIAISON)
        if role not in ROLES:
            raise ValueError(f"{path}: contact {entry.get('email', '?')}: role {role!r} is not one of {ROLES}")
        contacts.append(Contact(entry["agency"], entry["name"], entry["email"], role))
    return StaffDirectory(contacts)
