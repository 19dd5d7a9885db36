"""The console's escalation and recovery screens: the Escalate form on the ticket, the Escalations view for
supervisors and admins, hand back, the recovery playbook; and who may see and do each."""

from datetime import timedelta

import pytest
from django.urls import reverse

from answerable.promises import services as ledger
from answerable.promises.models import Promise
from answerable.staff.models import Agent
from answerable.tickets import escalation, recovery, services
from answerable.tickets.models import Escalation, Event, Message, Recovery
from conftest import T0


@pytest.fixture(autouse=True)
def _at_t0(time_machine):
    time_machine.move_to(T0, tick=False)


def escalate_to_sue(world, **kw):
    ticket = world.billing_ticket
    return escalation.escalate(
        ticket, agent=world.alice, to_agent=world.sue, note="Over my limit", now=T0, **kw
    )


def test_escalating_over_htmx_shows_the_escalation_and_the_holding_reply(world, client):
    client.force_login(world.alice)
    ticket = world.billing_ticket
    html = client.get(reverse("ticket", args=[ticket.pk])).content.decode()
    assert "Escalate…" in html and f'value="agent:{world.sue.pk}"' in html
    assert f'value="team:{world.shipping.pk}"' in html and f'value="team:{world.billing.pk}"' not in html
    response = client.post(
        reverse("ticket_escalate", args=[ticket.pk]),
        {"target": f"agent:{world.sue.pk}", "note": "Refund over my limit", "due": "2026-03-10T15:00",
         "holding_reply": "1"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert "Waiting on Sue" in html and "Refund over my limit" in html
    assert 'id="conversation"' in html and "I&#x27;ve asked my manager" in html  # the thread, out of band
    assert 'id="promises-card"' in html and "Get back after escalating to Sue" in html  # the promise too
    esc = Escalation.objects.get()
    assert esc.promise.due_at == T0 + timedelta(hours=6)  # 15:00 in the team's zone (UTC)
    assert esc.holding_message.kind == Message.Kind.OUTBOUND


def test_a_bad_escalation_is_422_with_the_reason_and_nothing_changes(world, client):
    client.force_login(world.alice)
    ticket = world.billing_ticket
    url = reverse("ticket_escalate", args=[ticket.pk])
    before = Event.objects.filter(ticket=ticket).count()
    for data, reason in [
        ({"target": f"agent:{world.sue.pk}", "note": ""}, "note"),
        ({"target": "someone", "note": "x"}, "Choose whom to ask"),
        ({"target": f"agent:{world.carl.pk}", "note": "x"}, "supervisor of this team"),
        ({"target": "agent:999999", "note": "x"}, "Choose whom to ask"),
        ({"target": f"agent:{world.sue.pk}", "note": "x", "due": "2026-03-09T10:00"}, "in the future"),
        ({"target": f"agent:{world.sue.pk}", "note": "x", "due": "tomorrow"}, "date"),
    ]:
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        assert response.status_code == 422, data
        assert reason in response.content.decode(), (data, response.content[:500])
        assert response["HX-Retarget"] == "#escalation"
    assert not Escalation.objects.exists()
    assert Event.objects.filter(ticket=ticket).count() == before


def test_an_agent_of_another_team_can_neither_see_nor_escalate_the_ticket(world, client):
    client.force_login(world.bob)
    ticket = world.billing_ticket
    response = client.post(reverse("ticket_escalate", args=[ticket.pk]),
                           {"target": f"team:{world.shipping.pk}", "note": "mine now"})  # fmt: skip
    assert response.status_code == 404
    assert not Escalation.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 403), ("carl", 403), ("bob", 403), ("sue", 200), ("ada", 200)]
)
def test_only_supervisors_and_admins_see_the_escalations_view(world, client, who, status):
    escalate_to_sue(world)
    client.force_login(getattr(world, who))
    response = client.get(reverse("escalations"))
    assert response.status_code == status
    if status == 200:
        assert "Refund for a double charge" in response.content.decode()
    else:
        assert b"Refund for a double charge" not in response.content


def test_the_escalations_link_shows_for_supervisors_only(world, client):
    client.force_login(world.alice)
    assert reverse("escalations") not in client.get(reverse("inbox")).content.decode()
    client.force_login(world.sue)
    assert reverse("escalations") in client.get(reverse("inbox")).content.decode()


def test_a_supervisor_of_another_team_sees_only_what_waits_on_them(world, client, make_agent):
    lena = make_agent("lena", role=Agent.Role.SUPERVISOR, teams=(world.shipping,))
    escalate_to_sue(world)
    client.force_login(lena)
    assert "Refund for a double charge" not in client.get(reverse("escalations")).content.decode()
    esc = Escalation.objects.get()
    response = client.post(reverse("escalation_hand_back", args=[esc.pk]), {"guidance": "meddling"})
    assert response.status_code == 404
    assert client.get(reverse("ticket", args=[world.billing_ticket.pk])).status_code == 404
    esc.refresh_from_db()
    assert esc.status == Escalation.Status.WAITING


def test_a_second_tier_team_sees_the_ticket_while_the_escalation_is_open(world, client, make_agent):
    lena = make_agent("lena", role=Agent.Role.SUPERVISOR, teams=(world.shipping,))
    ticket = world.billing_ticket
    escalation.escalate(ticket, agent=world.alice, to_team=world.shipping, note="Carrier issue", now=T0)
    client.force_login(lena)
    board = client.get(reverse("escalations")).content.decode()
    assert "Carrier issue" in board
    client.force_login(world.bob)
    assert client.get(reverse("ticket", args=[ticket.pk])).status_code == 200
    client.post(reverse("ticket_compose", args=[ticket.pk]), {"kind": "reply", "text": "Re-sent."})
    assert Escalation.objects.get().status == Escalation.Status.ANSWERED
    assert client.get(reverse("ticket", args=[ticket.pk])).status_code == 404


def test_hand_back_from_the_board_replaces_the_row_and_an_agent_cannot(world, client):
    esc = escalate_to_sue(world)
    url = reverse("escalation_hand_back", args=[esc.pk])
    client.force_login(world.carl)
    assert client.post(url, {"guidance": "x", "from": "board"}).status_code == 404
    client.force_login(world.sue)
    refused = client.post(url, {"guidance": " ", "from": "board"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "Write the guidance" in refused.content.decode()
    assert refused["HX-Reswap"] == "outerHTML" and 'name="guidance"' in refused.content.decode()
    response = client.post(url, {"guidance": "Offer a credit", "from": "board"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Handed back to Alice" in response.content.decode()
    esc.refresh_from_db()
    assert esc.status == Escalation.Status.HANDED_BACK
    world.billing_ticket.refresh_from_db()
    assert world.billing_ticket.assignee == world.alice
    board = client.get(reverse("escalations")).content.decode()
    assert "Nothing is waiting on you" in board and "Handed back, customer not answered yet" in board


def test_the_supervisor_hands_back_from_the_ticket_page(world, client):
    esc = escalate_to_sue(world)
    client.force_login(world.sue)
    html = client.get(reverse("ticket", args=[world.billing_ticket.pk])).content.decode()
    assert "Hand back" in html
    client.force_login(world.alice)  # the escalating agent sees it waiting, without the hand-back form
    html = client.get(reverse("ticket", args=[world.billing_ticket.pk])).content.decode()
    assert "Waiting on Sue" in html and "Hand back" not in html and "Escalate…" not in html
    client.force_login(world.sue)
    response = client.post(reverse("escalation_hand_back", args=[esc.pk]), {"guidance": "Offer a credit"},
                           HTTP_HX_REQUEST="true")  # fmt: skip
    html = response.content.decode()
    assert "Handed back to Alice" in html and "Guidance: Offer a credit" in html  # the note, in the thread


def test_the_recovery_playbook_drafts_the_reply_and_follows_through(world, client):
    ticket = world.billing_ticket
    services.reply(ticket, agent=world.alice, now=T0, text="I'll call you back by 11am today.")
    ledger.sweep_once(T0 + timedelta(hours=3))
    rec = Recovery.objects.get()
    client.force_login(world.alice)
    html = client.get(reverse("ticket", args=[ticket.pk])).content.decode()
    assert (
        "Service recovery" in html and "A promise was broken" in html and "Draft the recovery reply" in html
    )
    html = client.get(reverse("ticket", args=[ticket.pk]), {"recovery": rec.pk}).content.decode()
    assert "we did not keep that" in html and f'name="reset_promise" value="{rec.broken_promise_id}"' in html
    client.post(reverse("ticket_compose", args=[ticket.pk]),
                {"kind": "reply", "text": "Sorry, I missed our call. I'll call you tomorrow at 10am.",
                 "reset_promise": rec.broken_promise_id})  # fmt: skip
    rec.refresh_from_db()
    assert rec.promise is not None and rec.follow_up is not None
    html = client.get(reverse("ticket", args=[ticket.pk])).content.decode()
    assert "Checked" in html
    client.post(reverse("ticket_compose", args=[ticket.pk]), {"kind": "reply", "text": "Done, refunded."})
    rec.refresh_from_db()
    assert rec.outcome == Recovery.Outcome.KEPT
    response = client.post(reverse("ticket_follow_up_checked", args=[ticket.pk, rec.follow_up_id]),
                           HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 200
    assert Promise.objects.get(pk=rec.follow_up_id).status == Promise.Status.KEPT


def test_a_recovery_draft_of_another_ticket_is_404(world, client):
    rec = recovery.complaint(world.shipping_ticket, "Rude", now=T0)
    client.force_login(world.ada)
    url = reverse("ticket", args=[world.billing_ticket.pk])
    assert client.get(url, {"recovery": rec.pk}).status_code == 404


def test_an_agent_records_a_complaint_from_the_ticket(world, client):
    client.force_login(world.alice)
    ticket = world.billing_ticket
    response = client.post(reverse("ticket_complaint", args=[ticket.pk]), {"text": "Called, very upset"},
                           HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 200 and "The customer complained" in response.content.decode()
    assert Event.objects.get(ticket=ticket, kind=Event.Kind.COMPLAINED).actor == world.alice
    assert client.post(reverse("ticket_complaint", args=[ticket.pk]), {"text": ""}).status_code == 422
    services.set_status(world.shipping_ticket, "closed", actor=world.bob, now=T0)
    client.force_login(world.bob)
    refused = client.post(reverse("ticket_complaint", args=[world.shipping_ticket.pk]), {"text": "Upset"})
    assert refused.status_code == 422 and "follow-up" in refused.content.decode()


def test_away_agents_are_marked_in_the_assign_picker(world, client):
    Agent.objects.filter(pk=world.carl.pk).update(away=True)
    client.force_login(world.sue)
    html = client.get(reverse("ticket", args=[world.billing_ticket.pk])).content.decode()
    assert "Carl (away)" in html and "Alice (away)" not in html


def test_ticket_page_with_an_escalation_and_a_recovery_stays_within_its_query_bound(
    world, client, django_assert_max_num_queries
):
    escalate_to_sue(world, send_holding_reply=True)
    recovery.complaint(world.billing_ticket, "Too slow", now=T0)
    client.force_login(world.sue)
    # as the ticket page bound in test_console, plus the supervisor's teams (may she hand back?), less the
    # escalation targets and teams (not loaded while one waits)
    with django_assert_max_num_queries(22):
        assert client.get(reverse("ticket", args=[world.billing_ticket.pk])).status_code == 200


def test_the_escalated_view_lists_tickets_until_the_customer_is_answered(world, client):
    esc = escalate_to_sue(world)
    client.force_login(world.carl)
    response = client.get(reverse("inbox_view", args=["escalated"]))
    assert [t.pk for t in response.context["page"].rows] == [world.billing_ticket.pk]
    assert response.context["counts"]["escalated"] == 1
    escalation.hand_back(esc, supervisor=world.sue, guidance="Offer a credit", now=T0)
    assert client.get(reverse("inbox_view", args=["escalated"])).context["counts"]["escalated"] == 1
    services.reply(world.billing_ticket, agent=world.alice, text="A credit for you.", now=T0)
    assert client.get(reverse("inbox_view", args=["escalated"])).context["page"].rows == []
    client.force_login(world.bob)  # another team's escalations are not counted
    escalate_to_sue(world)
    assert client.get(reverse("inbox_view", args=["escalated"])).context["counts"]["escalated"] == 0
