"""Reads for the supervisor dashboard: who is waiting, what is about to break, who needs help.

Every list is capped and every count is one grouped query, so the page costs the same number of queries
whatever the number of tickets, teams or agents.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Min, Q, Window
from django.db.models.functions import RowNumber

from answerable.coach.models import CoachFinding
from answerable.promises.models import Promise
from answerable.satisfaction.models import Rating
from answerable.staff.models import Agent, Team
from answerable.tickets.models import ACTIVE_STATUSES, Status, Ticket

WAITING_PER_TEAM = 5
SOON = timedelta(hours=2)
LIST_LIMIT = 20
WEEK = timedelta(days=7)
_ACTIVE = [s.value for s in ACTIVE_STATUSES]


@dataclass
class TeamWaiting:
    team: Team
    count: int
    oldest: datetime | None
    longest: list[Ticket]


@dataclass
class AgentLoad:
    agent: Agent
    open: int = 0
    waiting: int = 0
    at_risk: int = 0
    overdue: int = 0
    broken_week: int = 0
    tone_week: int = 0

    @property
    def needs_help(self) -> tuple[int, int, int, int]:
        return (self.overdue + self.broken_week, self.tone_week, self.at_risk, self.open)


@dataclass
class Dashboard:
    waiting: list[TeamWaiting]
    about_to_break: list[Promise]
    overdue: list[Promise]
    escalations: list[Promise]
    agents: list[AgentLoad]
    waiting_total: int
    at_risk_total: int
    broken_today: int
    bad_ratings_week: int


def dashboard(teams: list[Team], *, now: datetime, day_start: datetime) -> Dashboard:
    team_ids = [t.pk for t in teams]
    waiting_tickets = Ticket.objects.filter(
        team_id__in=team_ids, status__in=_ACTIVE, waiting_since__isnull=False
    )
    # 1. count and oldest wait per team
    per_team = {
        r["team_id"]: r
        for r in waiting_tickets.order_by()
        .values("team_id")
        .annotate(n=Count("pk"), oldest=Min("waiting_since"))
    }
    # 2. the longest waits, a few per team, in one query (a window ranks each team's waits)
    ranked = (
        waiting_tickets.select_related("customer__organisation", "assignee")
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("team_id")], order_by=[F("waiting_since").asc(), F("id").asc()]
            )
        )
        .filter(rank__lte=WAITING_PER_TEAM)
        .order_by("waiting_since", "id")
    )
    longest: dict[int, list[Ticket]] = {}
    for ticket in ranked:
        longest.setdefault(ticket.team_id, []).append(ticket)
    waiting = [
        TeamWaiting(
            team=t,
            count=per_team.get(t.pk, {}).get("n", 0),
            oldest=per_team.get(t.pk, {}).get("oldest"),
            longest=longest.get(t.pk, []),
        )
        for t in teams
    ]
    waiting.sort(key=lambda w: (w.oldest is None, w.oldest or now))

    promises = Promise.objects.filter(ticket__team_id__in=team_ids).select_related(
        "ticket__customer", "owner", "ticket__assignee"
    )
    open_ = promises.filter(status=Promise.Status.OPEN, paused_at=None)
    # 3. about to break: warned (75 % of the window used) or due within two hours
    about_to_break = open_.filter(Q(warn_at__lte=now) | Q(due_at__lte=now + SOON)).order_by("due_at")[
        :LIST_LIMIT
    ]
    # 4. broken and not replaced by a new expectation, on tickets still being worked
    overdue = promises.filter(
        status=Promise.Status.BROKEN, replaced_by=None, ticket__status__in=_ACTIVE
    ).order_by("due_at")[:LIST_LIMIT]
    # 5. open escalations: the get-back promises escalations make
    escalations = promises.filter(status=Promise.Status.OPEN, source=Promise.Source.ESCALATION).order_by(
        "due_at"
    )[:LIST_LIMIT]
    # 6. tile totals for promises: one aggregate
    totals = Promise.objects.filter(ticket__team_id__in=team_ids).aggregate(
        at_risk=Count("pk", filter=Q(status=Promise.Status.OPEN, paused_at=None, warn_at__lte=now)),
        broken_today=Count("pk", filter=Q(status=Promise.Status.BROKEN, closed_at__gte=day_start)),
    )
    # 7. bad ratings this week
    bad_ratings = Rating.objects.filter(
        ticket__team_id__in=team_ids, score=Rating.Score.BAD, updated_at__gte=now - WEEK
    ).count()
    return Dashboard(
        waiting=waiting,
        about_to_break=list(about_to_break),
        overdue=list(overdue),
        escalations=list(escalations),
        agents=agent_loads(team_ids, now=now),
        waiting_total=sum(r["n"] for r in per_team.values()),
        at_risk_total=totals["at_risk"],
        broken_today=totals["broken_today"],
        bad_ratings_week=bad_ratings,
    )


def agent_loads(team_ids: list[int], *, now: datetime) -> list[AgentLoad]:
    """Who needs help: the team's agents with their overdue and broken promises, tone findings this week and
    open load, the most in need first."""
    # 8. the agents of these teams
    loads = {
        a.pk: AgentLoad(agent=a)
        for a in Agent.objects.filter(is_active=True, teams__in=team_ids).distinct().order_by("first_name")
    }
    # 9. open load and waiting per assignee
    for r in (
        Ticket.objects.filter(team_id__in=team_ids, status__in=_ACTIVE, assignee_id__in=list(loads))
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"), waiting=Count("pk", filter=Q(waiting_since__isnull=False)))
    ):
        loads[r["assignee_id"]].open, loads[r["assignee_id"]].waiting = r["n"], r["waiting"]
    # 10. promises per owner: at risk, overdue (broken, not replaced, ticket still worked), broken this week
    for r in (
        Promise.objects.filter(ticket__team_id__in=team_ids, owner_id__in=list(loads))
        .filter(Q(status=Promise.Status.OPEN) | Q(status=Promise.Status.BROKEN, closed_at__gte=now - WEEK)
                | Q(status=Promise.Status.BROKEN, replaced_by=None, ticket__status__in=_ACTIVE))
        .order_by()
        .values("owner_id")
        .annotate(
            at_risk=Count("pk", filter=Q(status=Promise.Status.OPEN, paused_at=None, warn_at__lte=now)),
            overdue=Count(
                "pk",
                filter=Q(status=Promise.Status.BROKEN, replaced_by=None)
                & ~Q(ticket__status__in=[Status.SOLVED, Status.CLOSED]),
            ),
            broken_week=Count("pk", filter=Q(status=Promise.Status.BROKEN, closed_at__gte=now - WEEK)),
        )
    ):  # fmt: skip
        load = loads[r["owner_id"]]
        load.at_risk, load.overdue, load.broken_week = r["at_risk"], r["overdue"], r["broken_week"]
    # 11. tone findings this week per agent
    for r in (
        CoachFinding.objects.filter(
            agent_id__in=list(loads),
            ticket__team_id__in=team_ids,
            check_name="tone",
            created_at__gte=now - WEEK,
            created_at__lte=now,
        )
        .order_by()
        .values("agent_id")
        .annotate(n=Count("pk"))
    ):
        loads[r["agent_id"]].tone_week = r["n"]
    return sorted(loads.values(), key=lambda load: tuple(-x for x in load.needs_help))
