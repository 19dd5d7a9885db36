"""Assignment rules per team: manual, round robin, least open load; away agents and limits are skipped."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from answerable.staff.models import Agent, Team
from answerable.tickets import services
from answerable.tickets.models import Event, Status, Ticket
from conftest import T0


@pytest.fixture
def desk(make_team, make_agent):
    team = make_team("Desk")
    agents = [make_agent(name, teams=(team,)) for name in ("ann", "ben", "cat")]
    return team, agents


def set_rule(team: Team, rule: str, **kw) -> None:
    Team.objects.filter(pk=team.pk).update(assignment=rule, **kw)
    team.refresh_from_db()


def test_manual_teams_leave_new_tickets_unassigned(desk, make_ticket):
    team, _ = desk
    assert make_ticket(team).assignee is None


def test_round_robin_takes_turns_and_records_the_rule(desk, make_ticket):
    team, (ann, ben, cat) = desk
    set_rule(team, Team.Assignment.ROUND_ROBIN)
    got = [make_ticket(team, now=T0 + timedelta(minutes=i)).assignee for i in range(5)]
    assert got == [ann, ben, cat, ann, ben]
    event = Event.objects.filter(kind=Event.Kind.ASSIGNED).order_by("id").first()
    assert event.actor is None and event.data == {"old": None, "new": ann.pk, "rule": "round_robin"}


def test_round_robin_skips_agents_who_are_away_until_they_are_back(desk, make_ticket):
    team, (ann, ben, cat) = desk
    set_rule(team, Team.Assignment.ROUND_ROBIN)
    Agent.objects.filter(pk=ben.pk).update(away=True, away_until=T0 + timedelta(hours=1))
    Agent.objects.filter(pk=cat.pk).update(away=True)  # away until someone clears it
    assert [make_ticket(team).assignee for _ in range(2)] == [ann, ann]
    later = T0 + timedelta(hours=2)
    assert [make_ticket(team, now=later).assignee for _ in range(2)] == [ben, ann]


def test_least_open_picks_the_agent_with_fewest_open_tickets(desk, make_ticket):
    team, (ann, ben, cat) = desk
    for agent, n in ((ann, 2), (ben, 0), (cat, 1)):
        for _ in range(n):
            services.assign(make_ticket(team), agent, actor=agent, now=T0)
    solved = make_ticket(team)
    services.assign(solved, ben, actor=ben, now=T0)
    services.set_status(solved, Status.SOLVED, actor=ben, now=T0)  # solved tickets are not load
    set_rule(team, Team.Assignment.LEAST_OPEN)
    assert make_ticket(team).assignee == ben
    assert make_ticket(team).assignee in (ben, cat)  # both have one now; ties take turns
    assert sorted(Ticket.objects.filter(status="new").values_list("assignee__username", flat=True)) == [
        "ann", "ann", "ben", "cat", "cat",
    ]  # fmt: skip


def test_limits_are_respected_and_a_full_team_leaves_the_ticket_unassigned(desk, make_ticket):
    team, (ann, ben, cat) = desk
    set_rule(team, Team.Assignment.ROUND_ROBIN, max_open_per_agent=1)
    Agent.objects.filter(pk=cat.pk).update(max_open_tickets=2)  # the agent's own limit wins
    got = [make_ticket(team).assignee for _ in range(5)]
    assert got == [ann, ben, cat, cat, None]


def test_admins_and_inactive_agents_are_not_assigned_automatically(desk, make_ticket, make_agent):
    team, (ann, ben, cat) = desk
    make_agent("root", role=Agent.Role.ADMIN, teams=(team,))
    Agent.objects.filter(pk__in=[ben.pk, cat.pk]).update(is_active=False)
    set_rule(team, Team.Assignment.LEAST_OPEN)
    assert {make_ticket(team).assignee for _ in range(3)} == {ann}


def test_the_acknowledgement_names_the_assigned_agent(desk, make_ticket):
    team, (ann, _, _) = desk
    set_rule(team, Team.Assignment.ROUND_ROBIN)
    ticket = make_ticket(team)
    assert ticket.assignee == ann
    message = services.acknowledge(ticket, now=T0, opened_here=True)
    assert "Ann will answer you by" in message.text


@pytest.mark.django_db(transaction=True)
def test_concurrent_new_tickets_take_turns_under_the_row_lock(make_team, make_agent, make_customer):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serialises writers anyway)")
    team = make_team("Rush")
    agents = [make_agent(f"a{i}", teams=(team,)) for i in range(4)]
    set_rule(team, Team.Assignment.ROUND_ROBIN)
    customers = [make_customer() for _ in range(8)]
    barrier = threading.Barrier(8)
    errors = []

    def open_one(customer) -> None:
        try:
            barrier.wait()
            services.open_ticket(customer=customer, team=team, subject="Rush", text="Help", now=T0)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one, args=(c,)) for c in customers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    per_agent = [Ticket.objects.filter(team=team, assignee=a).count() for a in agents]
    assert per_agent == [2, 2, 2, 2]
