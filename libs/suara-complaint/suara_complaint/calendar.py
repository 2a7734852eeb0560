"""The working-day calendar: Monday to Friday in WIB, minus Indonesia's national holidays and cuti bersama."""

from __future__ import annotations

import bisect
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from pathlib import Path

WIB = timezone(timedelta(hours=7), "WIB")
DAY = timedelta(days=1)
MONDAY_TO_FRIDAY = frozenset(range(5))  # date.weekday(): 0 = Monday
_BASE = date(2000, 1, 1)


class HolidayKind(StrEnum):
    LIBUR_NASIONAL = "libur_nasional"
    CUTI_BERSAMA = "cuti_bersama"


@dataclass(frozen=True)
class Holiday:
    day: date
    kind: HolidayKind
    name: str
    verified: bool


@dataclass(frozen=True)
class HolidayYear:
    """One year's list, as one data file gives it."""

    year: int
    decree: str
    complete: bool
    holidays: tuple[Holiday, ...]
    amendments: tuple[str, ...] = ()
    source: str = ""


class HolidayFileError(ValueError):
    """A holiday file is malformed; the message names the file and what is wrong."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Counts working time: each working day contributes its whole 24 hours (local WIB), other days nothing.

    A deadline of N working days is the moment at which N x 24 hours of working time have passed, which is
    the same local clock time N working days later; a start on a day off counts from 00:00 of the next working
    day. This one measure also gives "the time left" when a clock pauses and resumes.
    """

    years: Mapping[int, HolidayYear] = field(default_factory=dict)
    working_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    zone: timezone = WIB
    include_unverified: bool = True

    def __post_init__(self) -> None:
        days: dict[date, Holiday] = {}
        for year in self.years.values():
            for h in year.holidays:
                if h.verified or self.include_unverified:
                    days[h.day] = h
        object.__setattr__(self, "_days", days)
        object.__setattr__(self, "_ordinals", [])
        object.__setattr__(self, "_indexed_through", _BASE.toordinal() - 1)
        # The index is extended on demand from any thread (the deadline clock asks on every tick): one at a time,
        # or two threads would append the same days twice and every later count would be wrong.
        object.__setattr__(self, "_index_lock", threading.Lock())

    def holiday(self, day: date) -> Holiday | None:
        return self._holidays().get(day)

    def holidays(self) -> tuple[Holiday, ...]:
        return tuple(sorted(self._holidays().values(), key=lambda h: h.day))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_weekdays and day not in self._holidays()

    def incomplete_years(self, first: int, last: int) -> tuple[int, ...]:
        """Years in [first, last] whose holidays are missing or only partly known."""
        return tuple(y for y in range(first, last + 1) if y not in self.years or not self.years[y].complete)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The latest moment by which `amount` of working time has passed since `start` (aware datetimes)."""
        if amount < timedelta(0):
            raise ValueError(f"amount must not be negative: {amount}")
        local = start.astimezone(self.zone)
        if local.date() < _BASE:
            return self._add_working_time_by_walking(local, amount)
        target = self._working_time_since_base(local) + amount
        full_days, rest = divmod(target, DAY)
        return _midnight(self._nth_working_day(int(full_days)), self.zone) + rest

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local clock time `days` working days later (a start on a day off counts from 00:00 of the
        next working day): the rule the router uses today."""
        return self.add_working_time(start, timedelta(days=days))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); zero if end is not after start."""
        if end <= start:
            return timedelta(0)
        a, b = start.astimezone(self.zone), end.astimezone(self.zone)
        if a.date() < _BASE:
            return self._working_time_by_walking(a, b)
        return self._working_time_since_base(b) - self._working_time_since_base(a)

    # Working days are indexed once, from 2000-01-01, as a sorted list of ordinals extended on demand, so each
    # question is two binary searches instead of a walk over every day (deadlines of 60 working days are asked
    # about on every tick). The walking versions stay as the reference the tests compare against.

    def _working_time_since_base(self, local: datetime) -> timedelta:
        day = local.date()
        before = self._working_days_before(day)
        into = local - _midnight(day, self.zone) if self.is_working_day(day) else timedelta(0)
        return before * DAY + into

    def _working_days_before(self, day: date) -> int:
        ordinals = self._index_through(day)
        return bisect.bisect_left(ordinals, day.toordinal())

    def _nth_working_day(self, n: int) -> date:
        """The working day with n working days before it (counting from 2000-01-01)."""
        ordinals: list[int] = self.__dict__["_ordinals"]
        while len(ordinals) <= n:
            ordinals = self._index_through(date.fromordinal(self.__dict__["_indexed_through"]) + timedelta(days=366))
        return date.fromordinal(ordinals[n])

    def _index_through(self, day: date) -> list[int]:
        ordinals: list[int] = self.__dict__["_ordinals"]
        with self.__dict__["_index_lock"]:
            last: int = self.__dict__["_indexed_through"]
            if day.toordinal() > last:
                upto = max(day.toordinal(), last + 3660)
                working = [o for o in range(last + 1, upto + 1) if self.is_working_day(date.fromordinal(o))]
                ordinals.extend(working)
                self.__dict__["_indexed_through"] = upto
        return ordinals

    def _add_working_time_by_walking(self, start: datetime, amount: timedelta) -> datetime:
        moment = start.astimezone(self.zone)
        remaining = amount
        if not self.is_working_day(moment.date()):
            moment = self._next_working_midnight(moment.date())
        while True:
            end_of_day = _midnight(moment.date() + DAY, self.zone)
            available = end_of_day - moment
            if remaining < available:
                return moment + remaining
            remaining -= available
            moment = self._next_working_midnight(moment.date())

    def _working_time_by_walking(self, start: datetime, end: datetime) -> timedelta:
        a, b = start.astimezone(self.zone), end.astimezone(self.zone)
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                lo = max(a, _midnight(day, self.zone))
                hi = min(b, _midnight(day + DAY, self.zone))
                if hi > lo:
                    total += hi - lo
            day += DAY
        return total

    def _next_working_midnight(self, after: date) -> datetime:
        day = after + DAY
        for _ in range(3660):  # ten years of days off in a row means the data is broken
            if self.is_working_day(day):
                return _midnight(day, self.zone)
            day += DAY
        raise ValueError(f"no working day within ten years after {after}")

    def _holidays(self) -> dict[date, Holiday]:
        days: dict[date, Holiday] = self.__dict__["_days"]
        return days


def _midnight(day: date, zone: timezone) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def load_holiday_year(path: Path) -> HolidayYear:
    """Read one `id-holidays-YYYY.toml` file, checking every field."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise HolidayFileError(f"{path}: cannot read: {e}") from e
    return parse_holiday_year(data, str(path))


def parse_holiday_year(data: Mapping[str, object], source: str) -> HolidayYear:
    year = data.get("year")
    if not isinstance(year, int):
        raise HolidayFileError(f"{source}: 'year' must be an integer")
    decree = data.get("decree")
    if not isinstance(decree, str) or not decree.strip():
        raise HolidayFileError(f"{source}: 'decree' must name the decree the list comes from")
    complete = data.get("complete")
    if not isinstance(complete, bool):
        raise HolidayFileError(f"{source}: 'complete' must be true or false")
    amendments = data.get("amendments", [])
    if not isinstance(amendments, list) or not all(isinstance(a, str) for a in amendments):
        raise HolidayFileError(f"{source}: 'amendments' must be a list of strings")
    raw_days = data.get("day", [])
    if not isinstance(raw_days, list):
        raise HolidayFileError(f"{source}: 'day' must be an array of tables ([[day]])")
    seen: set[date] = set()
    holidays: list[Holiday] = []
    for i, raw in enumerate(raw_days):
        where = f"{source}: day #{i + 1}"
        if not isinstance(raw, dict):
            raise HolidayFileError(f"{where}: must be a table")
        day = raw.get("date")
        if not isinstance(day, date) or isinstance(day, datetime):
            raise HolidayFileError(f"{where}: 'date' must be a TOML date (YYYY-MM-DD), got {raw.get('date')!r}")
        if day.year != year:
            raise HolidayFileError(f"{where}: {day} is not in {year}")
        if day in seen:
            raise HolidayFileError(f"{where}: {day} is listed twice")
        seen.add(day)
        try:
            kind = HolidayKind(str(raw.get("kind")))
        except ValueError:
            raise HolidayFileError(
                f"{where}: 'kind' must be one of {', '.join(k.value for k in HolidayKind)}, got {raw.get('kind')!r}"
            ) from None
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise HolidayFileError(f"{where}: 'name' is required")
        verified = raw.get("verified")
        if not isinstance(verified, bool):
            raise HolidayFileError(f"{where}: 'verified' must be true or false")
        holidays.append(Holiday(day, kind, name, verified))
    if complete and not holidays:
        raise HolidayFileError(f"{source}: a complete year cannot list no holidays")
    holidays.sort(key=lambda h: h.day)
    return HolidayYear(year, decree, complete, tuple(holidays), tuple(amendments), source)


def load_calendar(directory: Path, *, include_unverified: bool = True) -> WorkingCalendar:
    """Every `id-holidays-YYYY.toml` in `directory`, as one calendar."""
    paths = sorted(directory.glob("id-holidays-*.toml"))
    if not paths:
        raise HolidayFileError(f"{directory}: no id-holidays-YYYY.toml files")
    return WorkingCalendar(years=_by_year(load_holiday_year(p) for p in paths), include_unverified=include_unverified)


def _by_year(years: Iterable[HolidayYear]) -> dict[int, HolidayYear]:
    by_year: dict[int, HolidayYear] = {}
    for y in years:
        if y.year in by_year:
            raise HolidayFileError(f"{y.source}: year {y.year} is also given by {by_year[y.year].source}")
        by_year[y.year] = y
    return by_year
