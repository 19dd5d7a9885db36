"""Business-hours arithmetic for a team's calendar: week schedule, time zone and holidays.

SLA clocks and honest expected times count only the hours a team is open: a promise made on Friday at
16:30 with four business hours left is due on Monday at 11:30, not on Friday night.
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays as holiday_data

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS = 3 * 366  # a calendar open less than once in three years is treated as always closed


class NoBusinessHours(ValueError):
    pass


@cache
def _public_holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holiday_data.country_holidays(country, years=year).keys())
    except NotImplementedError:
        return frozenset()


class BusinessCalendar:
    def __init__(
        self,
        *,
        time_zone: str,
        week: dict[str, list[list[str]]],
        closed_days: set[date] | frozenset[date] = frozenset(),
        country: str = "",
    ) -> None:
        self.tz = ZoneInfo(time_zone)
        self.week = {day: [(_hhmm(a), _hhmm(b)) for a, b in week.get(day, [])] for day in WEEKDAYS}
        self.closed_days = frozenset(closed_days)
        self.country = country
        if not any(self.week.values()):
            raise NoBusinessHours("The schedule has no opening hours on any day.")

    @classmethod
    def for_team(cls, team: "object") -> "BusinessCalendar":
        return cls(
            time_zone=team.time_zone,
            week=team.week_schedule,
            closed_days=set(team.holidays.values_list("date", flat=True)),
            country=team.holiday_country,
        )

    def _closed(self, day: date) -> bool:
        return day in self.closed_days or (
            bool(self.country) and day in _public_holidays(self.country, day.year)
        )

    def _intervals_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (aware, UTC-comparable) that end after `start`, in order."""
        day = start.astimezone(self.tz).date() - timedelta(days=1)  # an interval may run past midnight
        for _ in range(_MAX_DAYS):
            if not self._closed(day):
                for open_at, close_at in self.week[WEEKDAYS[day.weekday()]]:
                    a = _local(day, open_at, self.tz)
                    b = _local(day, close_at, self.tz)
                    if b > start:
                        yield max(a, start), b
            day += timedelta(days=1)
        raise NoBusinessHours("No opening hours in the next three years (holidays cover every open day).")

    def is_open(self, at: datetime) -> bool:
        a, _ = next(self._intervals_from(at))
        return a <= at

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when open, else the next opening."""
        a, _ = next(self._intervals_from(at))
        return a

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when `duration` of business time has passed after `start`."""
        left = duration
        for a, b in self._intervals_from(start):
            if b - a >= left:
                return a + left
            left -= b - a
        raise AssertionError("unreachable")  # _intervals_from raises first

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end` (zero if end is not after start)."""
        total = timedelta()
        if end <= start:
            return total
        for a, b in self._intervals_from(start):
            if a >= end:
                break
            total += min(b, end) - a
        return total


def _hhmm(value: str) -> time | None:
    if value == "24:00":
        return None  # end of day
    hh, mm = value.split(":")
    return time(int(hh), int(mm))


def _local(day: date, at: time | None, tz: ZoneInfo) -> datetime:
    if at is None:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(day, at, tzinfo=tz)
