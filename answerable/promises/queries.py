"""Reads for the Promises view and the ticket page."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from answerable.promises.models import Notification, Promise
from answerable.staff.models import Agent
from answerable.tickets import access
from answerable.tickets.models import Ticket

SCOPES = {"mine": "Mine", "teams": "My teams", "all": "All"}
GROUP_LIMIT = 200


@dataclass
class PromiseBoard:
    overdue: list[Promise]
    at_risk: list[Promise]
    next_day: list[Promise]
    later: list[Promise]
    next_due: Promise | None


def _scoped(user: Agent, scope: str) -> QuerySet[Promise]:
    qs = Promise.objects.filter(ticket__in=access.visible_tickets(user))
    if scope == "mine":
        return qs.filter(Q(owner=user) | Q(owner=None, ticket__assignee=user))
    if scope == "teams":
        return qs.filter(ticket__team__in=user.teams.values("pk"))
    return qs


def board(user: Agent, scope: str, *, now: datetime) -> PromiseBoard:
    base = _scoped(user, scope).select_related("ticket__customer__organisation", "owner", "ticket__assignee")
    open_ = base.filter(status=Promise.Status.OPEN)
    # Overdue: broken and not yet replaced by a new expectation, on a ticket still being worked.
    overdue = base.filter(status=Promise.Status.BROKEN, replaced_by=None, ticket__solved_at=None).order_by(
        "due_at"
    )
    at_risk = open_.filter(paused_at=None, warn_at__lte=now).order_by("due_at")
    next_day = (
        open_.filter(due_at__gt=now, due_at__lte=now + timedelta(hours=24))
        .exclude(paused_at=None, warn_at__lte=now)
        .order_by("due_at")
    )
    later = open_.filter(
        Q(due_at__gt=now + timedelta(hours=24)) | Q(due_at=None) | ~Q(paused_at=None)
    ).order_by("due_at")
    return PromiseBoard(
        overdue=list(overdue[:GROUP_LIMIT]),
        at_risk=list(at_risk[:GROUP_LIMIT]),
        next_day=list(next_day[:GROUP_LIMIT]),
        later=list(later[:GROUP_LIMIT]),
        next_due=open_.filter(due_at__gt=now).order_by("due_at").first(),
    )


def outcomes(user: Agent, scope: str, *, since: datetime) -> list[dict]:
    """Kept and broken per owner since a date, for the Kept/broken tab."""
    return list(
        _scoped(user, scope)
        .filter(closed_at__gte=since, status__in=[Promise.Status.KEPT, Promise.Status.BROKEN])
        .values("owner__first_name", "owner__last_name", "owner__username")
        .annotate(
            kept=Count("pk", filter=Q(status=Promise.Status.KEPT)),
            broken=Count("pk", filter=Q(status=Promise.Status.BROKEN)),
        )
        .order_by("-broken", "owner__username")
    )


def for_ticket(ticket: Ticket) -> list[Promise]:
    return list(
        ticket.promises.filter(
            Q(status=Promise.Status.OPEN) | Q(status=Promise.Status.BROKEN, replaced_by=None)
        )
        .select_related("owner")
        .order_by("due_at")
    )


def unread_count(user: Agent) -> int:
    return Notification.objects.filter(agent=user, read_at=None).values("pk")[:100].count()
