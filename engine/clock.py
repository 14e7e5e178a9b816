"""Time: the clock every operation receives, working days, and the legal clock's dates.

Deadlines count in calendar days or in working days (week-ends and French public holidays
skipped, from the ``holidays`` library), in the authority's time zone; everything is stored
in UTC.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from definitions.fieldtypes import add_months


class Clock:
    """The real time. Operations take a clock so that tests can simulate time."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FrozenClock(Clock):
    """A clock that only moves when told to (tests, procedure scenarios)."""

    def __init__(self, start: dt.datetime):
        if start.tzinfo is None:
            raise ValueError("the clock's time must be timezone-aware")
        self.current = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, delta: dt.timedelta) -> None:
        self.current += delta

    def set(self, moment: dt.datetime) -> None:
        self.current = moment.astimezone(dt.UTC)


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("FR", years=year))


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The date ``count`` working days after ``day`` (``day`` itself not counted)."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


class Calendar:
    """Date arithmetic in the authority's time zone."""

    def __init__(self, timezone: str = "Europe/Paris"):
        self.zone = ZoneInfo(timezone)

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zone)

    def today(self, moment: dt.datetime) -> dt.date:
        return self.local(moment).date()

    def _at(self, day: dt.date, like: dt.datetime) -> dt.datetime:
        local = self.local(like)
        return dt.datetime.combine(day, local.timetz().replace(tzinfo=None), self.zone).astimezone(
            dt.UTC
        )

    def add(
        self, moment: dt.datetime, *, days: int = 0, working_days: bool = False, months: int = 0
    ) -> dt.datetime:
        """``moment`` plus calendar days, working days or months, at the same local time."""
        day = self.today(moment)
        if months:
            day = add_months(day, months)
        if working_days:
            day = add_working_days(day, days)
        else:
            day += dt.timedelta(days=days)
        return self._at(day, moment)

    def days_left(self, start: dt.datetime, end: dt.datetime, *, working_days: bool) -> int:
        """Whole (working) days from ``start`` to ``end``, at least 0."""
        first, last = self.today(start), self.today(end)
        if last <= first:
            return 0
        if working_days:
            return working_days_between(first, last)
        return (last - first).days
