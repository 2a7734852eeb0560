"""Deadlines: minutes for emergencies, working days (in WIB, skipping weekends and holidays) for the rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from suara_kit.events import Priority

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SlaPolicy:
    darurat_minutes: int
    tinggi_working_days: int
    normal_working_days: int
    working_days: frozenset[int]  # 0 = Monday
    utc_offset_hours: int
    holidays: frozenset[date]

    def due(self, priority: Priority, start: datetime) -> datetime:
        """When a complaint of this priority, received at `start`, must have been handled."""
        if priority is Priority.DARURAT:
            return start + timedelta(minutes=self.darurat_minutes)
        days = self.tinggi_working_days if priority is Priority.TINGGI else self.normal_working_days
        return self.add_working_days(start, days)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local clock time `days` working days later. A complaint received on a day off counts as
        received at 00:00 of the next working day."""
        local_zone = timezone(timedelta(hours=self.utc_offset_hours))
        moment = start.astimezone(local_zone)
        if not self.is_working_day(moment.date()):
            moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            while not self.is_working_day(moment.date()):
                moment += timedelta(days=1)
        counted = 0
        while counted < days:
            moment += timedelta(days=1)
            if self.is_working_day(moment.date()):
                counted += 1
        return moment

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays
