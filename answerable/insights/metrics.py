"""Report figures: one function per metric, over a period, for a set of teams and optionally one agent.

The definitions, edge cases included, are in docs/metrics.md; keep the two in step. Counts are aggregated
in SQL. Durations are in business hours of each ticket's team: they are measured once into a cache
(insights.durations, insights.models.Duration) and the metrics read the cache, with the medians and
percentiles computed by PostgreSQL where it is the database.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet
from django.db.models.functions import TruncWeek

from answerable.coach.models import CoachFinding
from answerable.insights import durations
from answerable.insights.models import Duration
from answerable.promises.models import Promise
from answerable.satisfaction.models import Rating
from answerable.tickets.models import Ticket

ACK_WITHIN = timedelta(seconds=60)
# (label, lower bound of age, upper bound or None): each bucket includes its lower bound.
BACKLOG_BUCKETS = (
    ("Under 1 day", timedelta(0), timedelta(days=1)),
    ("1-3 days", timedelta(days=1), timedelta(days=3)),
    ("3-7 days", timedelta(days=3), timedelta(days=7)),
    ("7-30 days", timedelta(days=7), timedelta(days=30)),
    ("Over 30 days", timedelta(days=30), None),
)
ALL = "all"  # the key of the whole scope in by-agent results


@dataclass(frozen=True)
class Period:
    """[start, end): start included, end excluded."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("A period must end after it starts.")


@dataclass(frozen=True)
class Scope:
    """The teams whose tickets count (already limited to what the viewer may see), and maybe one agent."""

    team_ids: tuple[int, ...]
    agent_id: int | None = None


@dataclass(frozen=True)
class DurationStats:
    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def value(self) -> float | None:
        """part / whole, or None when there is nothing to divide (shown as "—", never 0 %)."""
        return self.part / self.whole if self.whole else None


def percentile(sorted_values: Sequence[timedelta], share: float) -> timedelta | None:
    """Linear interpolation between closest ranks (PostgreSQL percentile_cont, PERCENTILE.INC)."""
    if not sorted_values:
        return None
    rank = share * (len(sorted_values) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def duration_stats(values: Iterable[timedelta]) -> DurationStats:
    ordered = sorted(values)
    return DurationStats(len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.9))


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: the same interpolation as percentile() above, done in the database."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(share)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, share: float, expression: str) -> None:
        super().__init__(expression, share=float(share))


def _stats(qs: QuerySet[Duration], agent_field: str, *, by_agent: bool) -> dict[object, DurationStats]:
    """Count, median and 90th percentile of the seconds, for the whole scope and per agent if asked.
    PostgreSQL computes them (a few rows come back, however many durations); elsewhere they are read."""
    if connection.vendor == "postgresql":
        figures = {
            "n": Count("pk"),
            "median": PercentileCont(0.5, "seconds"),
            "p90": PercentileCont(0.9, "seconds"),
        }
        stats = {ALL: _from_seconds(**qs.aggregate(**figures))}
        if by_agent:
            for row in qs.order_by().values(agent_field).annotate(**figures):
                key = row.pop(agent_field)
                stats[key] = _from_seconds(**row)
        return stats
    groups: dict[object, list[timedelta]] = defaultdict(list)
    for agent_id, seconds in qs.values_list(agent_field, "seconds"):
        spent = timedelta(seconds=seconds)
        groups[ALL].append(spent)
        if by_agent:
            groups[agent_id].append(spent)
    stats = {key: duration_stats(values) for key, values in groups.items()}
    stats.setdefault(ALL, duration_stats([]))
    return stats


def _from_seconds(n: int, median: float | None, p90: float | None) -> DurationStats:
    def span(seconds: float | None) -> timedelta | None:
        return None if seconds is None else timedelta(seconds=round(seconds, 6))

    return DurationStats(n, span(median), span(p90))


def _measured(kind: str, period: Period, scope: Scope, refreshed: bool) -> QuerySet[Duration]:
    """The cached durations of a kind that ended in the period, after measuring what is new (unless the
    caller just did: a report refreshes once for its three duration metrics)."""
    if not refreshed:
        durations.refresh()
    return Duration.objects.filter(
        kind=kind, ended_at__gte=period.start, ended_at__lt=period.end, team_id__in=scope.team_ids
    )


def _tickets(scope: Scope) -> QuerySet[Ticket]:
    return Ticket.objects.filter(team_id__in=scope.team_ids)


# --- response and resolution ---------------------------------------------------------------------------


def first_response_time(
    period: Period, scope: Scope, *, by_agent: bool = False, refreshed: bool = False
) -> dict[object, DurationStats]:
    """Business time from creation to the first reply, for first replies written in the period; the agent is
    the first reply's author. Returns {ALL: stats} (plus {agent id: stats} with by_agent)."""
    rows = _measured(Duration.Kind.FIRST_RESPONSE, period, scope, refreshed)
    if scope.agent_id is not None:
        rows = rows.filter(agent_id=scope.agent_id)
    return _stats(rows, "agent_id", by_agent=by_agent)


def next_response_time(
    period: Period, scope: Scope, *, by_agent: bool = False, refreshed: bool = False
) -> dict[object, DurationStats]:
    """For each reply in the period that ends a wait: business time from the first customer message after
    our previous reply to this reply. The agent is the reply's author."""
    rows = _measured(Duration.Kind.NEXT_RESPONSE, period, scope, refreshed).filter(seconds__isnull=False)
    if scope.agent_id is not None:
        rows = rows.filter(agent_id=scope.agent_id)
    return _stats(rows, "agent_id", by_agent=by_agent)


def _solved(period: Period, scope: Scope) -> QuerySet[Ticket]:
    qs = _tickets(scope).filter(solved_at__gte=period.start, solved_at__lt=period.end)
    if scope.agent_id is not None:
        qs = qs.filter(assignee_id=scope.agent_id)
    return qs


def resolution_time(
    period: Period, scope: Scope, *, by_agent: bool = False, refreshed: bool = False
) -> dict[object, DurationStats]:
    """Business time from creation to the latest solve, for tickets whose latest solve is in the period; the
    agent is the assignee now."""
    # a row counts only while it is the ticket's current solve (a reopened ticket's row no longer matches)
    rows = _measured(Duration.Kind.RESOLUTION, period, scope, refreshed).filter(
        ticket__solved_at=F("ended_at")
    )
    if scope.agent_id is not None:
        rows = rows.filter(ticket__assignee_id=scope.agent_id)
    return _stats(rows, "ticket__assignee_id", by_agent=by_agent)


def first_contact_resolution(
    period: Period, scope: Scope, *, by_agent: bool = False, refreshed: bool = False
) -> dict[object, Share]:
    """Of the tickets solved in the period, those solved with exactly one reply and not reopened before;
    the agent is the assignee now. Read from the resolutions' cache rows, which count both at the solve."""
    rows = _measured(Duration.Kind.RESOLUTION, period, scope, refreshed).filter(
        ticket__solved_at=F("ended_at")
    )
    if scope.agent_id is not None:
        rows = rows.filter(ticket__assignee_id=scope.agent_id)
    counts = {"part": Count("pk", filter=Q(replies=1, reopened=False)), "whole": Count("pk")}
    result: dict[object, Share] = {ALL: Share(**rows.aggregate(**counts))}
    if by_agent:
        for row in rows.order_by().values("ticket__assignee_id").annotate(**counts):
            agent = row.pop("ticket__assignee_id")
            result[agent] = Share(**row)
    return result


def backlog_by_age(period: Period, scope: Scope, *, now: datetime) -> tuple[datetime, dict[str, int]]:
    """Tickets open at the end of the period (or now, if sooner), by calendar age at that instant."""
    as_of = min(period.end, now)
    qs = _tickets(scope).filter(created_at__lt=as_of).filter(Q(solved_at=None) | Q(solved_at__gt=as_of))
    if scope.agent_id is not None:
        qs = qs.filter(assignee_id=scope.agent_id)
    buckets = {}
    for i, (_, low, high) in enumerate(BACKLOG_BUCKETS):
        # age >= low  <=>  created_at <= as_of - low;  age < high  <=>  created_at > as_of - high
        where = Q(created_at__lte=as_of - low)
        if high is not None:
            where &= Q(created_at__gt=as_of - high)
        buckets[f"b{i}"] = Count("pk", filter=where)
    counts = qs.aggregate(**buckets)
    return as_of, {label: counts[f"b{i}"] for i, (label, _, _) in enumerate(BACKLOG_BUCKETS)}


@dataclass(frozen=True)
class Acknowledgement:
    new: int  # tickets created in the period
    acknowledged: int
    within_minute: int

    @property
    def share(self) -> Share:
        return Share(self.within_minute, self.acknowledged)


def acknowledged_within_minute(period: Period, scope: Scope, *, refreshed: bool = False) -> Acknowledgement:
    """Of the tickets created in the period and acknowledged, those acknowledged within 60 s (inclusive).
    The acknowledgements come from the cache (calendar seconds from creation, by the ticket's creation)."""
    tickets = _tickets(scope).filter(created_at__gte=period.start, created_at__lt=period.end)
    acks = _measured(Duration.Kind.ACKNOWLEDGEMENT, period, scope, refreshed)
    if scope.agent_id is not None:
        tickets = tickets.filter(assignee_id=scope.agent_id)
        acks = acks.filter(ticket__assignee_id=scope.agent_id)
    figures = acks.aggregate(
        acknowledged=Count("pk"), within_minute=Count("pk", filter=Q(seconds__lte=ACK_WITHIN.total_seconds()))
    )
    return Acknowledgement(new=tickets.count(), **figures)


# --- promises, satisfaction, coach ---------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseOutcomes:
    kept: int
    broken: int
    reset: int

    @property
    def kept_share(self) -> Share:
        return Share(self.kept, self.kept + self.broken)


def promise_outcomes(
    period: Period, scope: Scope, *, by_agent: bool = False
) -> dict[object, PromiseOutcomes]:
    """Promises closed in the period as kept, broken or reset (dropped ones are not counted); agent: owner."""
    qs = Promise.objects.filter(
        ticket__team_id__in=scope.team_ids,
        closed_at__gte=period.start,
        closed_at__lt=period.end,
        status__in=[Promise.Status.KEPT, Promise.Status.BROKEN, Promise.Status.RESET],
    )
    if scope.agent_id is not None:
        qs = qs.filter(owner_id=scope.agent_id)
    counts = {
        "kept": Count("pk", filter=Q(status=Promise.Status.KEPT)),
        "broken": Count("pk", filter=Q(status=Promise.Status.BROKEN)),
        "reset": Count("pk", filter=Q(status=Promise.Status.RESET)),
    }
    result: dict[object, PromiseOutcomes] = {ALL: PromiseOutcomes(**qs.aggregate(**counts))}
    if by_agent:
        for row in qs.order_by().values("owner_id").annotate(**counts):
            owner = row.pop("owner_id")
            result[owner] = PromiseOutcomes(**row)
    return result


@dataclass(frozen=True)
class Satisfaction:
    good: int
    bad: int

    @property
    def share_good(self) -> Share:
        return Share(self.good, self.good + self.bad)


def satisfaction(period: Period, scope: Scope, *, by_agent: bool = False) -> dict[object, Satisfaction]:
    """Ratings first given in the period, with their latest score; agent: the one recorded on the rating."""
    qs = Rating.objects.filter(
        ticket__team_id__in=scope.team_ids, created_at__gte=period.start, created_at__lt=period.end
    )
    if scope.agent_id is not None:
        qs = qs.filter(agent_id=scope.agent_id)
    counts = {
        "good": Count("pk", filter=Q(score=Rating.Score.GOOD)),
        "bad": Count("pk", filter=Q(score=Rating.Score.BAD)),
    }
    result: dict[object, Satisfaction] = {ALL: Satisfaction(**qs.aggregate(**counts))}
    if by_agent:
        for row in qs.order_by().values("agent_id").annotate(**counts):
            agent = row.pop("agent_id")
            result[agent] = Satisfaction(**row)
    return result


def _findings(period: Period, scope: Scope) -> QuerySet[CoachFinding]:
    qs = CoachFinding.objects.filter(
        ticket__team_id__in=scope.team_ids, created_at__gte=period.start, created_at__lt=period.end
    )
    if scope.agent_id is not None:
        qs = qs.filter(agent_id=scope.agent_id)
    return qs


def coach_findings_by_kind(period: Period, scope: Scope) -> dict[str, int]:
    """Findings recorded on sent replies in the period, per kind (check), most frequent first."""
    rows = _findings(period, scope).order_by().values("check_name").annotate(n=Count("pk"))
    return dict(sorted(((r["check_name"], r["n"]) for r in rows), key=lambda kv: (-kv[1], kv[0])))


def coach_findings_by_agent(period: Period, scope: Scope) -> dict[int, int]:
    rows = _findings(period, scope).order_by().values("agent_id").annotate(n=Count("pk"))
    return {r["agent_id"]: r["n"] for r in rows}


def coach_findings_trend(
    period: Period, scope: Scope, *, tz: tzinfo
) -> list[tuple[datetime, dict[str, int]]]:
    """Findings per week (weeks from Monday 00:00 in `tz`) and kind; weeks without findings too."""
    rows = (
        _findings(period, scope)
        .annotate(week=TruncWeek("created_at", tzinfo=tz))
        .order_by()
        .values("week", "check_name")
        .annotate(n=Count("pk"))
    )
    weeks: dict[datetime, dict[str, int]] = {}
    start = period.start.astimezone(tz)
    week = (start - timedelta(days=start.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    while week < period.end:
        weeks[week] = {}
        week += timedelta(days=7)  # wall-clock arithmetic: still Monday 00:00 across a DST change
    for row in rows:
        key = row["week"].astimezone(tz)
        weeks.setdefault(key, {})[row["check_name"]] = row["n"]
    return sorted(weeks.items())
