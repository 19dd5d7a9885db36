"""Every read the console makes: what to load for a page, in one place, with a bounded number of queries."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Left

from answerable.customers.models import TermsFlag
from answerable.lib.keyset import Page, keyset_page
from answerable.promises import queries as promise_queries
from answerable.promises import services as promise_services
from answerable.staff.models import Agent, Team
from answerable.tickets import access, escalation
from answerable.tickets.models import (
    ACTIVE_STATUSES,
    Escalation,
    Event,
    Macro,
    Message,
    Presence,
    Recovery,
    Status,
    Ticket,
)
from answerable.tickets.services import PRESENCE_TTL

VIEWS = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "teams": "My teams",
    "waiting": "Waiting on us",
    "escalated": "Escalated",
    "open": "All open",
}
SORTS = {
    "recent": ("Latest activity", [("last_activity_at", True), ("id", True)]),
    "oldest": ("Oldest activity", [("last_activity_at", False), ("id", False)]),
    "priority": ("Priority", [("priority", True), ("last_activity_at", True), ("id", True)]),
    "wait": ("Longest wait", [("waiting_since", False), ("id", False)]),
}
COUNT_CAP = 999
PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""
    team: int | None = None
    assignee: str = ""  # "", "me", "none" or an agent id
    tag: str = ""
    sort: str = "recent"

    def as_query(self) -> dict[str, str]:
        out = {
            "status": self.status,
            "team": str(self.team or ""),
            "assignee": self.assignee,
            "tag": self.tag,
        }
        if self.sort != "recent":
            out["sort"] = self.sort
        return {k: v for k, v in out.items() if v}

    @property
    def any(self) -> bool:
        return bool(self.status or self.team or self.assignee or self.tag)


def view_queryset(user: Agent, view: str, status: str = "") -> QuerySet[Ticket]:
    """The tickets of an inbox view. An explicit status replaces the view's active set, so solved and
    closed tickets can be found too."""
    qs = access.visible_tickets(user)
    qs = qs.filter(status=status) if status else qs.filter(status__in=[s.value for s in ACTIVE_STATUSES])
    if view == "mine":
        return qs.filter(assignee=user)
    if view == "unassigned":
        return qs.filter(assignee=None)
    if view == "teams":
        return qs.filter(team__in=user.teams.values("pk"))
    if view == "waiting":  # the customer spoke last and has no answer yet
        return qs.filter(waiting_since__isnull=False)
    if view == "escalated":  # escalations the customer has not had an answer to yet
        return qs.filter(Exists(Escalation.objects.filter(ticket=OuterRef("pk"), closed_at=None)))
    return qs


def inbox_page(user: Agent, view: str, filters: InboxFilters, cursor: str | None) -> Page[Ticket]:
    qs = view_queryset(user, view, filters.status)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.assignee == "me":
        qs = qs.filter(assignee=user)
    elif filters.assignee == "none":
        qs = qs.filter(assignee=None)
    elif filters.assignee.isdigit():
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    latest = (
        Message.objects.filter(ticket=OuterRef("pk"))
        .exclude(kind=Message.Kind.NOTE)
        .order_by("-created_at", "-id")
    )
    qs = qs.select_related("customer__organisation", "assignee", "team").annotate(
        snippet=Left(Subquery(latest.values("text")[:1]), 140),
        snippet_kind=Subquery(latest.values("kind")[:1]),
    )
    sort = filters.sort or default_sort(view)
    if sort == "wait":
        qs = qs.filter(waiting_since__isnull=False)  # a NULL key cannot be paged past
    _, order = SORTS[sort]
    return keyset_page(qs, order, cursor, PAGE_SIZE)


def default_sort(view: str) -> str:
    return "wait" if view == "waiting" else "recent"


def view_counts(user: Agent) -> dict[str, int]:
    """Each view's size, capped: a bounded index scan each, never a count of the whole table."""
    return {view: view_queryset(user, view).values("pk")[: COUNT_CAP + 1].count() for view in VIEWS}


def inbox_choices(user: Agent) -> dict[str, object]:
    teams = Team.objects.all() if user.is_admin else user.teams.all()
    return {
        "teams": list(teams),
        "agents": list(
            Agent.objects.filter(is_active=True, teams__in=teams).distinct().order_by("first_name")
        ),
        "statuses": Status.choices,
        "sorts": [(key, label) for key, (label, _) in SORTS.items()],
    }


@dataclass
class TicketPage:
    ticket: Ticket
    thread: list[Message]
    events: list[Event]
    history: list[Ticket]
    flags: list[TermsFlag]
    emails: list[str]
    macros: list[Macro]
    agents: list[Agent]
    others: list[Presence] = field(default_factory=list)
    last_inbound_id: int = 0
    promises: list = field(default_factory=list)
    policy: object = None
    escalations: list[Escalation] = field(default_factory=list)
    can_handle: bool = False  # may answer or hand back the escalation waiting on this ticket
    escalation_targets: list[Agent] = field(default_factory=list)
    escalation_teams: list[Team] = field(default_factory=list)
    recovery: Recovery | None = None

    @property
    def waiting_escalation(self) -> Escalation | None:
        return next((e for e in self.escalations if e.status == Escalation.Status.WAITING), None)


def ticket_page(user: Agent, ticket: Ticket, *, now: datetime) -> TicketPage:
    thread = list(
        ticket.messages.select_related("author", "sender").prefetch_related("attachments").defer("raw")
        .annotate(has_raw=Q(raw__isnull=False)).order_by("created_at", "id")
    )  # fmt: skip
    customer = ticket.customer
    flags = []
    if customer.organisation_id:
        flags = list(
            TermsFlag.objects.filter(organisation_id=customer.organisation_id, cleared_at=None)
            .select_related("set_by").order_by("set_at")
        )  # fmt: skip
    history = list(
        access.visible_tickets(user).filter(customer=customer).exclude(pk=ticket.pk)
        .only("id", "subject", "status", "created_at").order_by("-created_at")[:5]
    )  # fmt: skip
    return TicketPage(
        ticket=ticket,
        thread=thread,
        events=list(ticket.events.select_related("actor").order_by("-at", "-id")[:20]),
        history=history,
        flags=flags,
        emails=list(customer.emails.values_list("address", flat=True)),
        macros=list(Macro.objects.filter(Q(team=ticket.team_id) | Q(team=None), active=True)),
        agents=list(access.assignable_agents(ticket)),
        others=others_on(ticket, user, now=now),
        last_inbound_id=max((m.pk for m in thread if m.kind == Message.Kind.INBOUND), default=0),
        promises=promise_queries.for_ticket(ticket),
        policy=promise_services.policy_for(ticket),
        **_escalation_and_recovery(user, ticket),
    )


def _escalation_and_recovery(user: Agent, ticket: Ticket) -> dict[str, object]:
    """The ticket's escalations not yet answered, whom it can go to, and its service recovery (the open one,
    or the last one while its follow-up check is open)."""
    escalations = list(
        ticket.escalations.filter(closed_at=None)
        .select_related("escalated_by", "to_agent", "to_team", "promise")
        .order_by("created_at")
    )
    waiting = next((e for e in escalations if e.status == Escalation.Status.WAITING), None)
    recovery = (
        ticket.recoveries.select_related("broken_promise", "promise", "follow_up")
        .order_by("-started_at")
        .first()
    )
    if recovery and recovery.closed_at and not (recovery.follow_up and recovery.follow_up.status == "open"):
        recovery = None
    return {
        "escalations": escalations,
        "can_handle": bool(waiting and escalation.may_handle(user, waiting)),
        "escalation_targets": list(escalation.targets(ticket)) if not waiting else [],
        "escalation_teams": list(escalation.target_teams(ticket)) if not waiting else [],
        "recovery": recovery,
    }


def escalations_board(user: Agent) -> dict[str, list[Escalation]]:
    """The Escalations view: waiting on the user or one of their teams (admins: all), oldest first; and
    those handed back but not yet answered. Supervisors and admins only (the view checks)."""
    qs = Escalation.objects.filter(closed_at=None).select_related(
        "ticket__customer__organisation", "ticket__team", "escalated_by", "to_agent", "to_team", "promise"
    )
    if not user.is_admin:
        qs = qs.filter(Q(to_agent=user) | Q(to_team__in=user.teams.values("pk")))
    return {
        "waiting": list(qs.filter(status=Escalation.Status.WAITING).order_by("created_at")[:200]),
        "handed_back": list(qs.filter(status=Escalation.Status.HANDED_BACK).order_by("-handed_back_at")[:50]),
    }


def others_on(ticket: Ticket, user: Agent, *, now: datetime) -> list[Presence]:
    return list(
        Presence.objects.filter(ticket=ticket, seen_at__gte=now - PRESENCE_TTL).exclude(agent=user)
        .select_related("agent").order_by("-drafting_since", "agent__first_name")
    )  # fmt: skip
