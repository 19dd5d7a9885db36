"""Who may see which report figures and the dashboard.

Admins see every team; supervisors and agents their own teams. Agents see only their own figures: a report
for anyone else, or a team or agent outside the viewer's reach, is a 404 (ids leak nothing). The dashboard
is for supervisors and admins.
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from answerable.staff.models import Agent, Team


def report_teams(user: Agent) -> QuerySet[Team]:
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    return Team.objects.all() if user.is_admin else user.teams.all()


def sees_others(user: Agent) -> bool:
    return user.is_admin or user.is_supervisor


def may_see_dashboard(user: Agent) -> bool:
    return user.is_authenticated and user.is_active and sees_others(user)


@dataclass(frozen=True)
class ReportTarget:
    allowed: list[Team]  # every team the viewer may pick
    teams: list[Team]  # the teams the figures cover
    team: Team | None  # the one team asked for, if any
    agent: Agent | None  # the one agent asked for, if any
    agents: list[Agent] | None  # the per-agent table's rows; None: no table for this viewer


def report_target(user: Agent, *, team_id: int | None, agent_id: int | None) -> ReportTarget:
    allowed = list(report_teams(user))
    team = None
    if team_id is not None:
        team = next((t for t in allowed if t.pk == team_id), None)
        if team is None:
            raise Http404("No such team")
    teams = [team] if team else allowed
    if not sees_others(user):
        if agent_id not in (None, user.pk):
            raise Http404("No such agent")
        return ReportTarget(allowed=allowed, teams=teams, team=team, agent=user, agents=None)
    members = (
        Agent.objects.filter(is_active=True, teams__in=teams).distinct().order_by("first_name", "username")
    )
    agent = None
    if agent_id is not None:
        agent = (
            Agent.objects.filter(pk=agent_id).first()
            if user.is_admin
            else members.filter(pk=agent_id).first()
        )
        if agent is None:
            raise Http404("No such agent")
    return ReportTarget(
        allowed=allowed, teams=teams, team=team, agent=agent, agents=None if agent else list(members)
    )
