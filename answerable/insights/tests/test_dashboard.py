"""The supervisor dashboard: who is waiting, what is about to break, who needs help; who may see it."""

import pytest
import time_machine
from django.urls import reverse

from answerable.promises import services as ledger
from answerable.promises.models import Promise

from .conftest import at

NOW = at(16, 9, 30)  # Monday after the desk's week: every event of the desk has happened


@pytest.fixture
def escalated(desk):
    """An escalation on G: the manager will call back by Monday 11:00 (made Sunday 10:00)."""
    return ledger.record(
        desk.tickets["G"], text="Our manager will call you back", source=Promise.Source.ESCALATION,
        kind=Promise.Kind.GET_BACK, due_at=at(16, 11), now=at(15, 10), owner=desk.sue,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_dashboard_answers_who_waits_what_breaks_and_who_needs_help(desk, escalated, client):
    client.force_login(desk.sue)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    d = response.context["d"]
    t = desk.tickets
    # Waiting on us: E (1 Feb), F (Thu 10:00, only a note), G (Sun 00:00), H (Sun 20:00), longest first.
    # C was answered at 09:10 today. Shipping is not Sue's team.
    assert [w.team for w in d.waiting] == [desk.billing]
    assert d.waiting[0].count == 4 and d.waiting_total == 4
    assert [x.pk for x in d.waiting[0].longest] == [t["E"].pk, t["F"].pk, t["G"].pk, t["H"].pk]
    # About to break: the escalation (due 11:00, within 2 h) and F's reset promise (due 12:00, warned since
    # Sun 17:30: 75 % of Fri 10:00 -> Mon 12:00). Overdue: F's acknowledgement, broken Sunday, F still open
    # (A's broken promise is on a solved ticket).
    assert [p.text for p in d.about_to_break] == ["Our manager will call you back", "by Monday noon"]
    assert [p.ticket_id for p in d.overdue] == [t["F"].pk]
    assert d.escalations == [escalated]
    assert (d.at_risk_total, d.broken_today, d.bad_ratings_week) == (2, 0, 1)
    # Who needs help: Alice (overdue 1 + 2 broken this week, 3 tone findings: A Tue, D Thu, C today),
    # then Sue (the escalation at risk), then Carl (nothing).
    rows = [(a.agent, a.overdue, a.broken_week, a.tone_week, a.at_risk, a.open, a.waiting) for a in d.agents]
    assert rows == [
        (desk.alice, 1, 2, 3, 1, 2, 1),
        (desk.sue, 0, 0, 0, 1, 0, 0),
        (desk.carl, 0, 0, 0, 0, 0, 0),
    ]
    html = response.content.decode()
    assert "Who is waiting" in html and "About to break" in html and "Who needs help" in html
    assert "S</a>" not in html  # Shipping's ticket


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_agents_may_not_open_the_dashboard(desk, client, who):
    client.force_login(getattr(desk, who))
    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(reverse("dashboard"), {"team": desk.billing.pk}).status_code == 403


def test_a_supervisor_cannot_pick_another_team_but_an_admin_can(desk, client):
    client.force_login(desk.sue)
    assert client.get(reverse("dashboard"), {"team": desk.shipping.pk}).status_code == 404
    client.force_login(desk.ada)
    response = client.get(reverse("dashboard"), {"team": desk.shipping.pk})
    assert response.status_code == 200
    assert [w.team for w in response.context["d"].waiting] == [desk.shipping]
    assert response.context["d"].waiting_total == 0


def test_the_nav_links_to_reports_for_everyone_and_the_dashboard_for_supervisors(desk, client):
    client.force_login(desk.alice)
    html = client.get(reverse("reports")).content.decode()
    assert f'href="{reverse("reports")}"' in html and f'href="{reverse("dashboard")}"' not in html
    client.force_login(desk.sue)
    assert f'href="{reverse("dashboard")}"' in client.get(reverse("reports")).content.decode()


@pytest.mark.parametrize("n", [0, 12])
def test_dashboard_queries_do_not_grow_with_tickets_or_agents(
    desk, escalated, client, make_ticket, make_agent, django_assert_num_queries, n
):
    for i in range(n):
        make_ticket(desk.billing, subject=f"More {i}", now=at(15, 9, i))
        make_agent(f"extra{i}", teams=(desk.billing,))
    client.force_login(desk.sue)
    # session, user, teams, waiting per team, longest waits (ranked), about to break, overdue, escalations,
    # promise tiles, bad ratings, agents, open load per agent, promises per owner, tone findings per agent,
    # unread promise warnings
    with django_assert_num_queries(15):
        assert client.get(reverse("dashboard")).status_code == 200
