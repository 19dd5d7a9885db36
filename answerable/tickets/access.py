"""Who may see and change which ticket: the one permission check for console pages and, later, the API.

Agents and supervisors see the tickets of their teams; admins see every ticket. A ticket the user may not
see is a 404, so ids of other teams' tickets leak nothing.
"""

from django.db.models import QuerySet
from django.http import Http404

from answerable.staff.models import Agent
from answerable.tickets.models import Ticket


def visible_tickets(user: Agent) -> QuerySet[Ticket]:
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    if user.is_admin:
        return Ticket.objects.all()
    return Ticket.objects.filter(team__in=user.teams.values("pk"))


def ticket_for(user: Agent, pk: int) -> Ticket:
    try:
        return visible_tickets(user).select_related("team", "customer__organisation", "assignee").get(pk=pk)
    except Ticket.DoesNotExist:
        raise Http404("No such ticket") from None


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
