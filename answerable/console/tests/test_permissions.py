"""Who may see and do what: each role against each page and action, including direct URLs to tickets of
other teams (404, and nothing changes)."""

import pytest
from django.urls import reverse

from answerable.tickets.models import Event, Message, Status

# (role, ticket) -> may see it. Alice and Carl are agents on Billing, Bob an agent on Shipping, Sue a Billing
# supervisor, Ada an admin with no team.
SEES = {
    ("alice", "billing_ticket"): True,
    ("alice", "shipping_ticket"): False,
    ("bob", "billing_ticket"): False,
    ("bob", "shipping_ticket"): True,
    ("sue", "billing_ticket"): True,
    ("sue", "shipping_ticket"): False,
    ("ada", "billing_ticket"): True,
    ("ada", "shipping_ticket"): True,
}

ACTIONS = {
    "reply": ("ticket_compose", {"kind": "reply", "text": "Hello"}),
    "note": ("ticket_compose", {"kind": "note", "text": "Psst"}),
    "status": ("ticket_status", {"status": "pending"}),
    "priority": ("ticket_priority", {"priority": "3"}),
    "tags": ("ticket_tags", {"tags": "vip"}),
    "take": ("ticket_assign", {"assignee": "me"}),
    "complaint": ("ticket_complaint", {"text": "Nobody answers me"}),
}


@pytest.mark.parametrize(("who", "which"), SEES)
def test_ticket_page_is_shown_only_to_those_who_may_see_it(world, client, who, which):
    client.force_login(getattr(world, who))
    ticket = getattr(world, which)
    response = client.get(reverse("ticket", args=[ticket.pk]))
    assert response.status_code == (200 if SEES[(who, which)] else 404)
    if response.status_code == 404:
        assert ticket.subject.encode() not in response.content


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(("who", "which"), SEES)
def test_every_action_on_a_hidden_ticket_is_404_and_changes_nothing(world, client, who, which, action):
    client.force_login(getattr(world, who))
    ticket = getattr(world, which)
    before = (Event.objects.filter(ticket=ticket).count(), Message.objects.filter(ticket=ticket).count())
    name, data = ACTIONS[action]
    response = client.post(reverse(name, args=[ticket.pk]), data)
    after = (Event.objects.filter(ticket=ticket).count(), Message.objects.filter(ticket=ticket).count())
    if SEES[(who, which)]:
        assert response.status_code == 302, response.content[:300]
        assert after != before
    else:
        assert response.status_code == 404
        assert after == before


@pytest.mark.parametrize(
    "name",
    ["ticket", "ticket_presence", "ticket_compose", "ticket_assign", "ticket_escalate", "ticket_complaint"],
)
def test_anonymous_visitors_are_sent_to_the_login_page(world, client, name):
    url = reverse(name, args=[world.billing_ticket.pk])
    response = client.post(url) if name != "ticket" else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_inbox_lists_only_visible_tickets_for_each_role(world, client):
    for who, expected in {
        "alice": {world.billing_ticket.pk},
        "bob": {world.shipping_ticket.pk},
        "sue": {world.billing_ticket.pk},
        "ada": {world.billing_ticket.pk, world.shipping_ticket.pk},
    }.items():
        client.force_login(getattr(world, who))
        response = client.get(reverse("inbox_view", args=["open"]))
        assert {t.pk for t in response.context["page"].rows} == expected, who


def test_counts_do_not_include_hidden_tickets(world, client):
    client.force_login(world.bob)
    counts = client.get(reverse("inbox_view", args=["open"])).context["counts"]
    assert counts["open"] == 1
    assert counts["unassigned"] == 1


def test_an_agent_may_take_an_unassigned_ticket_but_not_assign_it_to_someone_else(world, client):
    client.force_login(world.alice)
    url = reverse("ticket_assign", args=[world.billing_ticket.pk])
    assert client.post(url, {"assignee": str(world.carl.pk)}).status_code == 403
    world.billing_ticket.refresh_from_db()
    assert world.billing_ticket.assignee is None
    assert client.post(url, {"assignee": "me"}).status_code == 302
    world.billing_ticket.refresh_from_db()
    assert world.billing_ticket.assignee == world.alice


def test_an_agent_may_not_take_a_ticket_assigned_to_a_colleague(world, client):
    client.force_login(world.sue)
    client.post(reverse("ticket_assign", args=[world.billing_ticket.pk]), {"assignee": str(world.carl.pk)})
    client.force_login(world.alice)
    response = client.post(reverse("ticket_assign", args=[world.billing_ticket.pk]), {"assignee": "me"})
    assert response.status_code == 403
    world.billing_ticket.refresh_from_db()
    assert world.billing_ticket.assignee == world.carl


def test_a_supervisor_assigns_within_the_team_but_not_to_an_outsider(world, client):
    client.force_login(world.sue)
    url = reverse("ticket_assign", args=[world.billing_ticket.pk])
    assert client.post(url, {"assignee": str(world.bob.pk)}).status_code == 403
    assert client.post(url, {"assignee": str(world.carl.pk)}).status_code == 302
    world.billing_ticket.refresh_from_db()
    assert world.billing_ticket.assignee == world.carl


def test_an_inactive_agent_sees_nothing(world, client):
    world.alice.is_active = False
    world.alice.save()
    client.force_login(world.alice)
    response = client.get(reverse("ticket", args=[world.billing_ticket.pk]))
    assert response.status_code in (302, 404)


def test_only_admins_reach_the_admin_site(world, client):
    for who, allowed in {"alice": False, "sue": False, "ada": True}.items():
        client.force_login(getattr(world, who))
        response = client.get("/admin/")
        assert (response.status_code == 200) is allowed, who


def test_macro_of_another_team_is_not_offered_or_rendered(world, client):
    from answerable.tickets.models import Macro

    other = Macro.objects.create(name="Shipping only", body="Hi", team=world.shipping)
    client.force_login(world.alice)
    response = client.get(reverse("ticket_macro", args=[world.billing_ticket.pk, other.pk]))
    assert response.status_code == 404


def test_status_form_rejects_unknown_values_without_change(world, client):
    client.force_login(world.alice)
    response = client.post(reverse("ticket_status", args=[world.billing_ticket.pk]), {"status": "archived"})
    assert response.status_code == 400
    world.billing_ticket.refresh_from_db()
    assert world.billing_ticket.status == Status.NEW
