"""The fast business-time sum gives exactly what BusinessCalendar.between gives."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from answerable.insights.spans import FastCalendar
from answerable.lib.business_hours import BusinessCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
EVERY_DAY = (*WEEKDAYS, "sat", "sun")
CALENDARS = {
    "weekdays UTC": BusinessCalendar(time_zone="UTC", week={d: [["09:00", "17:00"]] for d in WEEKDAYS}),
    # split days, a late shift to midnight, public holidays and a closed day, across the DST change
    "Berlin": BusinessCalendar(
        time_zone="Europe/Berlin",
        week={
            "mon": [["08:00", "12:00"], ["13:00", "18:00"]],
            "tue": [["08:00", "18:00"]],
            "sat": [["20:00", "24:00"]],
        },
        closed_days={date(2026, 3, 31)},
        country="DE",
    ),
    "New York weekdays": BusinessCalendar(
        time_zone="America/New_York", week={d: [["07:30", "19:00"]] for d in WEEKDAYS}
    ),
    # Not a zone with DST: BusinessCalendar.between counts an interval that contains the clock change in
    # wall-clock time (00:00-24:00 on a 23-hour day counts 24 h), and so would this sum.
    "always open, UTC": BusinessCalendar(time_zone="UTC", week={d: [["00:00", "24:00"]] for d in EVERY_DAY}),
}


@pytest.mark.parametrize("name", CALENDARS)
def test_fast_business_time_equals_the_calendars_own(name):
    calendar = CALENDARS[name]
    fast = FastCalendar(calendar)
    rng = random.Random(7)  # noqa: S311 - test data, not secrets
    base = datetime(2026, 3, 20, tzinfo=UTC)  # DST starts 29 March in Europe, 8 March in New York
    for _ in range(400):
        a = base + timedelta(minutes=rng.randint(-60 * 24 * 40, 60 * 24 * 40))
        b = a + timedelta(minutes=rng.choice([0, 1, 59, 600, 60 * 24 * 3, rng.randint(-3000, 60 * 24 * 30)]))
        assert fast.between(a, b) == calendar.between(a, b), (a, b)
