"""The working-day calendar and its holiday files."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suara_complaint import WIB, HolidayFileError, HolidayKind, WorkingCalendar, load_calendar
from suara_complaint.calendar import load_holiday_year

CALENDAR_DIR = Path(__file__).resolve().parents[3] / "data" / "calendar"


def test_each_year_file_names_its_decree_and_lists_holidays(calendar: WorkingCalendar) -> None:
    for year in (2025, 2026, 2027):
        assert year in calendar.years, f"no holiday file for {year}"
        assert calendar.years[year].holidays, f"the {year} holiday list is empty"
        assert calendar.years[year].decree
    assert len([h for h in calendar.holidays() if h.day.year == 2025]) == 17 + 11  # 10 cuti bersama + 18 Aug
    assert len([h for h in calendar.holidays() if h.day.year == 2026]) == 17 + 8


def test_2027_is_marked_incomplete_and_unverified_until_its_decree_is_found(calendar: WorkingCalendar) -> None:
    assert calendar.incomplete_years(2025, 2028) == (2027, 2028)
    assert all(not h.verified for h in calendar.years[2027].holidays)


def test_cuti_bersama_are_days_off(calendar: WorkingCalendar) -> None:
    holiday = calendar.holiday(date(2026, 3, 23))
    assert holiday is not None and holiday.kind is HolidayKind.CUTI_BERSAMA
    assert not calendar.is_working_day(date(2026, 3, 23))
    assert calendar.is_working_day(date(2026, 3, 25))


def test_a_complaint_dispatched_before_lebaran_is_due_after_the_cuti_bersama(calendar: WorkingCalendar) -> None:
    # Thursday 26 March 2025, 10:00 WIB; off: 28 Mar (cuti Nyepi), 31 Mar-1 Apr (Idulfitri), 2-4 and 7 Apr (cuti).
    dispatched = datetime(2025, 3, 26, 10, 0, tzinfo=WIB)
    assert calendar.add_working_days(dispatched, 3) == datetime(2025, 4, 9, 10, 0, tzinfo=WIB)
    # Without the holiday files, the same deadline would fall on Monday 31 March.
    assert WorkingCalendar().add_working_days(dispatched, 3) == datetime(2025, 3, 31, 10, 0, tzinfo=WIB)


def test_a_complaint_received_on_a_day_off_counts_from_the_next_working_morning(calendar: WorkingCalendar) -> None:
    sunday = datetime(2026, 11, 22, 17, 31, tzinfo=WIB)
    assert calendar.add_working_days(sunday, 5) == datetime(2026, 11, 30, 0, 0, tzinfo=WIB)


def test_working_time_between_is_the_inverse_of_adding_it(calendar: WorkingCalendar) -> None:
    start = datetime(2026, 3, 17, 15, 45, tzinfo=WIB)
    for hours in (0, 1, 9, 24, 31, 24 * 7, 24 * 30):
        end = calendar.add_working_time(start, timedelta(hours=hours))
        assert calendar.working_time_between(start, end) == timedelta(hours=hours)


def test_a_malformed_holiday_file_is_refused_naming_the_file_and_day(tmp_path: Path) -> None:
    bad = tmp_path / "id-holidays-2025.toml"
    bad.write_text(
        'year = 2025\ndecree = "SKB"\ncomplete = true\n[[day]]\ndate = 2024-12-31\nkind = "libur_nasional"\n'
        'name = "x"\nverified = true\n'
    )
    with pytest.raises(HolidayFileError, match=r"id-holidays-2025.toml: day #1: 2024-12-31 is not in 2025"):
        load_holiday_year(bad)
    bad.write_text('year = 2025\ndecree = "SKB"\ncomplete = true\n')
    with pytest.raises(HolidayFileError, match="a complete year cannot list no holidays"):
        load_holiday_year(bad)
    bad.write_text(
        'year = 2025\ndecree = "SKB"\ncomplete = true\n[[day]]\ndate = 2025-01-01\nkind = "libur"\n'
        'name = "x"\nverified = true\n'
    )
    with pytest.raises(HolidayFileError, match="'kind' must be one of libur_nasional, cuti_bersama"):
        load_holiday_year(bad)


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(HolidayFileError, match=r"no id-holidays-YYYY\.toml files"):
        load_calendar(tmp_path)


def test_the_project_reads_its_own_copy_of_the_calendar() -> None:
    assert CALENDAR_DIR.parts[-2:] == ("data", "calendar")
    assert "shared" not in CALENDAR_DIR.parts


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2024, 12, 1), max_value=datetime(2027, 6, 1)),
    hours=st.integers(0, 24 * 90),
    minutes=st.integers(0, 59),
)
def test_the_indexed_arithmetic_agrees_with_walking_day_by_day(start: datetime, hours: int, minutes: int) -> None:
    cal = load_calendar(CALENDAR_DIR)
    begin = start.replace(tzinfo=WIB)
    amount = timedelta(hours=hours, minutes=minutes)
    end = cal.add_working_time(begin, amount)
    assert end == cal._add_working_time_by_walking(begin, amount)
    assert cal.working_time_between(begin, end) == cal._working_time_by_walking(begin, end) == amount
