"""Who may see and change which ticket: the one permission check for console pages and, later, the API.

Agents and supervisors see the tickets of their teams; admins see every ticket; a ticket escalated to a
person or team is theirs to open until it is answered. A ticket the user may not
see is a 404, so ids of other teams' tickets leak nothing.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from answerable.staff.models import Agent
from answerable.tickets.models import Escalation, Ticket


def visible_tickets(user: Agent) -> QuerySet[Ticket]:
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    if user.is_admin:
        return Ticket.objects.all()
    return Ticket.objects.filter(team__in=user.teams.values("pk"))


MAX_PK = 2**63 - 1  # a larger id in a URL is no ticket (and would overflow SQLite's INTEGER)


def ticket_for(user: Agent, pk: int) -> Ticket:
    related = ("team", "customer__organisation", "assignee")
    if not 0 < pk <= MAX_PK:
        raise Http404("No such ticket")
    try:
        return visible_tickets(user).select_related(*related).get(pk=pk)
    except Ticket.DoesNotExist:
        pass
    # A ticket escalated to the user, or to a team of theirs, is theirs to answer until the customer has had
    # a reply. Checked only here, after the team rule failed, so lists and the usual path cost nothing more.
    if user.is_authenticated and user.is_active and escalated_to(user).filter(ticket_id=pk).exists():
        return Ticket.objects.select_related(*related).get(pk=pk)
    raise Http404("No such ticket")


def escalated_to(user: Agent) -> QuerySet[Escalation]:
    """Escalations not yet answered that were sent to the user or to one of their teams."""
    return Escalation.objects.filter(closed_at=None).filter(
        Q(to_agent=user) | Q(to_team__in=user.teams.values("pk"))
    )


def may_assign(user: Agent, ticket: Ticket, assignee: Agent | None) -> bool:
    """Agents take a ticket or let go of their own; supervisors and admins assign anyone on the team."""
    if assignee is not None and not (assignee.is_active and _member_or_admin(assignee, ticket)):
        return False
    if user.is_admin or user.is_supervisor:
        return True
    if assignee is not None:
        return assignee.pk == user.pk and ticket.assignee_id in (None, user.pk)
    return ticket.assignee_id == user.pk


def _member_or_admin(agent: Agent, ticket: Ticket) -> bool:
    return agent.is_admin or agent.teams.filter(pk=ticket.team_id).exists()


def assignable_agents(ticket: Ticket) -> QuerySet[Agent]:
    return Agent.objects.filter(is_active=True, teams=ticket.team).order_by("first_name", "username")
