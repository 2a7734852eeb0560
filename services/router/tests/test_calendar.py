"""Deadlines: minutes for emergencies, working days in WIB (skipping weekends and holidays) for the rest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from suara_kit.events import Priority
from suara_router.domain.calendar import SlaPolicy

WIB = timezone(timedelta(hours=7))
FRIDAY_1600_WIB = datetime(2026, 11, 20, 16, 0, tzinfo=WIB)


def policy(holidays: frozenset[date] = frozenset()) -> SlaPolicy:
    return SlaPolicy(
        darurat_minutes=60,
        tinggi_working_days=3,
        normal_working_days=5,
        working_days=frozenset(range(5)),
        utc_offset_hours=7,
        holidays=holidays,
    )


def test_the_catalogues_sla_is_the_one_in_categories_toml(catalogue) -> None:
    assert catalogue.sla == policy()


def test_a_normal_complaint_on_friday_1600_wib_is_due_the_next_friday_1600_wib() -> None:
    due = policy().due(Priority.NORMAL, FRIDAY_1600_WIB)

    assert due == datetime(2026, 11, 27, 16, 0, tzinfo=WIB)
    assert due.utcoffset() == timedelta(hours=7)


def test_the_deadline_is_counted_in_wib_whatever_the_zone_of_the_start() -> None:
    due = policy().due(Priority.NORMAL, FRIDAY_1600_WIB.astimezone(UTC))

    assert due == datetime(2026, 11, 27, 16, 0, tzinfo=WIB)


def test_a_holiday_in_between_pushes_the_deadline_by_a_day() -> None:
    due = policy(holidays=frozenset({date(2026, 11, 25)})).due(Priority.NORMAL, FRIDAY_1600_WIB)

    assert due == datetime(2026, 11, 30, 16, 0, tzinfo=WIB)  # Monday


def test_a_holiday_on_a_weekend_changes_nothing() -> None:
    due = policy(holidays=frozenset({date(2026, 11, 21)})).due(Priority.NORMAL, FRIDAY_1600_WIB)

    assert due == datetime(2026, 11, 27, 16, 0, tzinfo=WIB)


def test_a_tinggi_complaint_is_due_in_three_working_days() -> None:
    assert policy().due(Priority.TINGGI, FRIDAY_1600_WIB) == datetime(2026, 11, 25, 16, 0, tzinfo=WIB)


@pytest.mark.parametrize("start", [FRIDAY_1600_WIB, datetime(2026, 11, 22, 23, 30, tzinfo=WIB)], ids=["fri", "sun"])
def test_a_darurat_complaint_is_due_the_darurat_minutes_later_even_on_a_day_off(start: datetime) -> None:
    assert policy().due(Priority.DARURAT, start) == start + timedelta(minutes=60)


def test_the_utc_date_does_not_decide_the_working_day() -> None:
    # Monday 06:00 WIB is still Sunday 23:00 UTC: counted from Monday in WIB, due the next Monday.
    monday_early = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)

    assert policy().due(Priority.NORMAL, monday_early) == datetime(2026, 11, 30, 6, 0, tzinfo=WIB)


def test_working_days_are_the_configured_weekdays_minus_holidays() -> None:
    sla = policy(holidays=frozenset({date(2026, 12, 25)}))

    assert [sla.is_working_day(date(2026, 11, d)) for d in range(16, 23)] == [True] * 5 + [False] * 2
    assert sla.is_working_day(date(2026, 12, 25)) is False


def test_a_complaint_received_on_a_day_off_is_due_no_earlier_than_one_received_as_the_next_working_day_starts() -> None:
    saturday_1000 = datetime(2026, 11, 21, 10, 0, tzinfo=WIB)
    monday_0000 = datetime(2026, 11, 23, 0, 0, tzinfo=WIB)

    assert policy().due(Priority.NORMAL, saturday_1000) >= policy().due(Priority.NORMAL, monday_0000)
