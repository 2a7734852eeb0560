"""Fixtures: the project's own holiday files (data/calendar) and the default policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from suara_complaint import Policy, WorkingCalendar, load_calendar

CALENDAR_DIR = Path(__file__).resolve().parents[3] / "data" / "calendar"


@pytest.fixture(scope="session")
def calendar() -> WorkingCalendar:
    return load_calendar(CALENDAR_DIR)


@pytest.fixture(scope="session")
def policy() -> Policy:
    return Policy()
