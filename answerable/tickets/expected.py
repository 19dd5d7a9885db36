"""An honest expected time of first response: the team's business hours and how fast it has really
answered lately, not a fixed promise.

We quote the time by which the team answered 80% of recent new tickets (business time), so the
acknowledgement is a time we usually beat, and grows when the team falls behind.
"""

import math
from datetime import datetime, timedelta

from answerable.lib.business_hours import BusinessCalendar, NoBusinessHours
from answerable.staff.models import Team
from answerable.tickets.models import Ticket

DEFAULT_TARGET = timedelta(hours=4)  # business time, until the team has a history
MIN_TARGET = timedelta(minutes=30)
MAX_TARGET = timedelta(hours=5 * 8)
HISTORY_DAYS = 30
HISTORY_TICKETS = 200
MIN_HISTORY = 5


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
    try:
        calendar = BusinessCalendar.for_team(team)
    except NoBusinessHours:
        return _round_up(now + DEFAULT_TARGET)
    return _round_up(calendar.add(now, typical_first_response(team, calendar, now)))


def _round_up(at: datetime, step: int = 15) -> datetime:
    """To the next quarter hour: people promise "by 14:15", not "by 14:07:31"."""
    at = at.replace(second=0, microsecond=0) + (
        timedelta(minutes=1) if at.second or at.microsecond else timedelta()
    )
    extra = (-at.minute) % step
    return at + timedelta(minutes=extra)
