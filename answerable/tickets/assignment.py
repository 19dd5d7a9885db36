"""Automatic assignment of new tickets, per team: manual (nobody), round robin, or least open load.

Agents who are away are skipped, and so are agents at their limit of open tickets (the agent's own limit,
else the team's). When nobody is available the ticket stays unassigned, visible in "Unassigned".
Round robin keeps its pointer (the agent who got the last ticket) on the team row, read and moved under a
row lock, so concurrent new tickets take turns instead of landing on the same agent.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q

from answerable.staff.models import Agent, Team
from answerable.tickets import services
from answerable.tickets.models import ACTIVE_STATUSES, Ticket


def available(team: Team, *, now: datetime) -> list[tuple[Agent, int]]:
    """The team's active agents who are not away and under their open-ticket limit, with their open load
    (active tickets assigned to them, in any team), in a stable order (by id). One query."""
    active = Q(tickets__status__in=[s.value for s in ACTIVE_STATUSES])
    agents = (
        Agent.objects.filter(is_active=True, teams=team)
        .exclude(role=Agent.Role.ADMIN)
        .annotate(load=Count("tickets", filter=active, distinct=True))
        .order_by("pk")
    )
    out = []
    for agent in agents:
        limit = agent.max_open_tickets if agent.max_open_tickets is not None else team.max_open_per_agent
        if agent.is_away_at(now) or (limit is not None and agent.load >= limit):
            continue
        out.append((agent, agent.load))
    return out


def choose(team: Team, candidates: list[tuple[Agent, int]]) -> Agent | None:
    """The rule's pick among the available agents, or None."""
    if not candidates:
        return None
    if team.assignment == Team.Assignment.LEAST_OPEN:
        # Ties go to whoever comes next after the last one assigned, so equal loads still take turns.
        low = min(load for _, load in candidates)
        candidates = [(a, load) for a, load in candidates if load == low]
    after = [a for a, _ in candidates if team.last_assigned_id is None or a.pk > team.last_assigned_id]
    return after[0] if after else candidates[0][0]


@transaction.atomic
def auto_assign(ticket: Ticket, *, now: datetime) -> Agent | None:
    """Assign a new ticket by its team's rule. Sets `ticket.assignee` on the object passed in too."""
    # The lock on the team row serialises concurrent assignments in the team: each reads the pointer and
    # the loads after the previous one committed.
    team = Team.objects.select_for_update().get(pk=ticket.team_id)
    if team.assignment == Team.Assignment.MANUAL:
        return None
    chosen = choose(team, available(team, now=now))
    if chosen is None:
        return None
    services.assign(ticket, chosen, actor=None, now=now, rule=team.assignment)
    Team.objects.filter(pk=team.pk).update(last_assigned=chosen)
    ticket.assignee = chosen
    return chosen
