"""An honest expected time of first response: the team's business hours and how fast it has really
answered lately, not a fixed promise.

We quote the time by which the team answered 80% of recent new tickets (business time), so the
acknowledgement is a time we usually beat, and grows when the team falls behind.

The team's calendar and typical response time are kept per process for CACHE_SECONDS of the `now` passed
in: a burst of mail computes them once, not once per acknowledgement (each computation reads up to 200
tickets and walks their business hours). Saving the team or its holidays in this process clears the team's
entry at once; a change of history (new answers) shows once the entry is older than CACHE_SECONDS.
"""

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models.signals import post_delete, post_save

from answerable.lib.business_hours import BusinessCalendar, NoBusinessHours
from answerable.staff.models import Holiday, Team
from answerable.tickets.models import Ticket

DEFAULT_TARGET = timedelta(hours=4)  # business time, until the team has a history
MIN_TARGET = timedelta(minutes=30)
MAX_TARGET = timedelta(hours=5 * 8)
HISTORY_DAYS = 30
HISTORY_TICKETS = 200
MIN_HISTORY = 5
CACHE_SECONDS = 60


@dataclass(frozen=True)
class _Entry:
    computed_at: datetime
    config: str  # the team's schedule as read then: a changed team object misses the cache
    calendar: BusinessCalendar | None  # None: the team has no business hours
    typical: timedelta


_cache: dict[int, _Entry] = {}


def percentile(values: list[timedelta], share: float) -> timedelta:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def typical_first_response(team: Team, calendar: BusinessCalendar, now: datetime) -> timedelta:
    recent = (
        Ticket.objects.filter(
            team=team, created_at__gte=now - timedelta(days=HISTORY_DAYS), created_at__lte=now
        )
        .exclude(first_response_at=None)
        .order_by("-created_at")
        .values_list("created_at", "first_response_at")[:HISTORY_TICKETS]
    )
    times = [calendar.between(created, answered) for created, answered in recent]
    if len(times) < MIN_HISTORY:
        return DEFAULT_TARGET
    return min(MAX_TARGET, max(MIN_TARGET, percentile(times, 0.8)))


def expected_first_response(team: Team, now: datetime) -> datetime:
    entry = _cached(team, now)
    if entry.calendar is None:
        return _round_up(now + DEFAULT_TARGET)
    return _round_up(entry.calendar.add(now, entry.typical))


def _cached(team: Team, now: datetime) -> _Entry:
    config = json.dumps([team.time_zone, team.week_schedule, team.holiday_country], sort_keys=True)
    entry = _cache.get(team.pk)
    if (
        entry is not None
        and entry.config == config
        and entry.computed_at <= now < entry.computed_at + timedelta(seconds=CACHE_SECONDS)
    ):
        return entry
    try:
        calendar = BusinessCalendar.for_team(team)
    except NoBusinessHours:
        entry = _Entry(now, config, None, DEFAULT_TARGET)
    else:
        entry = _Entry(now, config, calendar, typical_first_response(team, calendar, now))
    _cache[team.pk] = entry
    return entry


def clear_cache(**kwargs: object) -> None:
    """Forget every team's entry (a team or holiday was saved; tests start afresh)."""
    _cache.clear()


def _round_up(at: datetime, step: int = 15) -> datetime:
    """To the next quarter hour: people promise "by 14:15", not "by 14:07:31"."""
    at = at.replace(second=0, microsecond=0) + (
        timedelta(minutes=1) if at.second or at.microsecond else timedelta()
    )
    extra = (-at.minute) % step
    return at + timedelta(minutes=extra)


for _model in (Team, Holiday):
    post_save.connect(clear_cache, sender=_model, dispatch_uid=f"expected-clear-save-{_model.__name__}")
    post_delete.connect(clear_cache, sender=_model, dispatch_uid=f"expected-clear-delete-{_model.__name__}")
