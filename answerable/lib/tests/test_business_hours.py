from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from answerable.lib.business_hours import BusinessCalendar, NoBusinessHours

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def cal(**kw) -> BusinessCalendar:
    return BusinessCalendar(time_zone="Europe/Berlin", week=kw.pop("week", NINE_TO_FIVE), **kw)


def test_four_business_hours_from_friday_afternoon_end_on_monday_morning():
    assert cal().add(berlin(2026, 3, 13, 16, 30), timedelta(hours=4)) == berlin(2026, 3, 16, 12, 30)


def test_time_before_opening_starts_counting_at_opening():
    assert cal().add(berlin(2026, 3, 10, 6, 0), timedelta(minutes=30)) == berlin(2026, 3, 10, 9, 30)


def test_a_closed_day_is_skipped():
    calendar = cal(closed_days={date(2026, 3, 11)})
    assert calendar.add(berlin(2026, 3, 10, 16, 0), timedelta(hours=2)) == berlin(2026, 3, 12, 10, 0)


def test_public_holidays_of_the_teams_country_are_skipped():
    # Good Friday 2026 is 3 April, Easter Monday 6 April: both public holidays in Germany.
    calendar = cal(country="DE")
    assert calendar.add(berlin(2026, 4, 2, 16, 0), timedelta(hours=2)) == berlin(2026, 4, 7, 10, 0)


def test_lunch_breaks_do_not_count():
    week = {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]}
    calendar = cal(week=week)
    assert calendar.add(berlin(2026, 3, 9, 11, 0), timedelta(hours=2)) == berlin(2026, 3, 9, 14, 0)
    assert calendar.between(berlin(2026, 3, 9, 11, 0), berlin(2026, 3, 9, 14, 0)) == timedelta(hours=2)


def test_business_time_is_counted_in_wall_clock_hours_across_a_dst_change():
    # Clocks go forward on Sunday 29 March 2026; Monday 9:00 is still 9:00 local.
    friday = berlin(2026, 3, 27, 16, 0)
    monday = cal().add(friday, timedelta(hours=2))
    assert monday == berlin(2026, 3, 30, 10, 0)
    assert monday.astimezone(UTC).hour == 8  # CEST: UTC+2


def test_between_counts_only_open_hours():
    assert cal().between(berlin(2026, 3, 13, 16, 0), berlin(2026, 3, 16, 10, 0)) == timedelta(hours=2)
    assert cal().between(berlin(2026, 3, 16, 10, 0), berlin(2026, 3, 13, 16, 0)) == timedelta(0)


def test_open_and_next_opening():
    calendar = cal()
    assert calendar.is_open(berlin(2026, 3, 10, 10, 0))
    assert not calendar.is_open(berlin(2026, 3, 14, 10, 0))
    assert calendar.next_open(berlin(2026, 3, 14, 10, 0)) == berlin(2026, 3, 16, 9, 0)


def test_round_the_clock_schedule_with_24_00():
    calendar = cal(week={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    start = berlin(2026, 3, 10, 23, 0)
    assert calendar.add(start, timedelta(hours=3)) == start + timedelta(hours=3)


def test_a_schedule_without_hours_is_refused():
    with pytest.raises(NoBusinessHours):
        cal(week={})


def test_calendar_from_a_team(make_team):
    team = make_team("Support", time_zone="Europe/Berlin", holiday_country="DE")
    team.holidays.create(date=date(2026, 3, 11), name="Staff day")
    calendar = BusinessCalendar.for_team(team)
    assert calendar.add(berlin(2026, 3, 10, 16, 0), timedelta(hours=2)) == berlin(2026, 3, 12, 10, 0)
