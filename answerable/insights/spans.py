"""Business time between many pairs of instants, fast: each local day's open time is worked out once.

`BusinessCalendar.between` walks every day from start to end, which costs ~200 µs for a span of a few
weeks; reports measure tens of thousands of spans. Here between(a, b) = open(a) - open(b) where open(t)
is the business time from a fixed local midnight to t: the whole days in between come from a running sum
kept per day, so a span of any length costs two short `between` calls within one day each.
"""

from datetime import date, datetime, time, timedelta

from answerable.lib.business_hours import BusinessCalendar

_DAY = timedelta(days=1)


class FastCalendar:
    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self._anchor: date | None = None
        self._lo = self._hi = date.min
        self._before: dict[date, timedelta] = {}  # business time from the anchor's midnight to the day's

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.calendar.tz)

    def _day_open(self, day: date) -> timedelta:
        return self.calendar.between(self._midnight(day), self._midnight(day + _DAY))

    def _to_midnight(self, day: date) -> timedelta:
        known = self._before
        if self._anchor is None:
            self._anchor = self._lo = self._hi = day
            known[day] = timedelta()
        # The known days are contiguous, [lo, hi]: extend the running sum day by day towards `day`.
        while day > self._hi:
            known[self._hi + _DAY] = known[self._hi] + self._day_open(self._hi)
            self._hi += _DAY
        while day < self._lo:
            known[self._lo - _DAY] = known[self._lo] - self._day_open(self._lo - _DAY)
            self._lo -= _DAY
        return known[day]

    def _open_until(self, at: datetime) -> timedelta:
        day = at.astimezone(self.calendar.tz).date()
        return self._to_midnight(day) + self.calendar.between(self._midnight(day), at)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Same as BusinessCalendar.between: business time from start to end, zero if end is not after."""
        if end <= start:
            return timedelta()
        return self._open_until(end) - self._open_until(start)
