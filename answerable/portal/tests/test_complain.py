"""Asking for a manager always reaches a person and creates a tracked promise."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from answerable.portal import services
from answerable.portal.tests.helpers import NOW
from answerable.promises.models import Notification, Promise, SlaPolicy
from answerable.staff.models import Agent
from answerable.tickets import services as tickets
from answerable.tickets.models import Event, Message, Recovery, Status, Ticket


def recipients(promise) -> list:
    return list(
        Notification.objects.filter(promise=promise).order_by("agent").values_list("agent", flat=True)
    )


def test_a_complaint_is_stored_recorded_starts_recovery_and_reaches_the_supervisors(world):
    ticket = world.billing_ticket
    promise = services.complain(ticket, "  Nobody has answered in two days.  ", now=NOW)
    message = ticket.messages.filter(kind=Message.Kind.INBOUND).latest("created_at")
    assert message.text == "Nobody has answered in two days." and message.sender == ticket.customer
    event = Event.objects.get(ticket=ticket, kind=Event.Kind.COMPLAINED)
    assert event.data == {"text": "Nobody has answered in two days."}
    assert Recovery.objects.get(ticket=ticket).reason == Recovery.Reason.COMPLAINT
    assert (promise.source, promise.kind, promise.status) == (
        Promise.Source.RECOVERY,
        Promise.Kind.GET_BACK,
        Promise.Status.OPEN,
    )
    # Tuesday 10:00 + 4 business hours (Mon-Fri 09:00-17:00 UTC) = Tuesday 14:00.
    assert promise.due_at == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    notes = Notification.objects.filter(promise=promise)
    assert [n.agent for n in notes] == [world.sue] and notes[0].kind == Notification.Kind.ESCALATED
    assert "Complaint" in notes[0].text


def test_the_get_back_time_counts_business_hours_only(world):
    late_friday = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)
    promise = services.complain(world.billing_ticket, "Still broken.", now=late_friday)
    assert promise.due_at == datetime(2026, 3, 16, 12, 0, tzinfo=UTC)  # 1 h Friday, 3 h Monday


def test_the_teams_next_response_target_applies(world):
    SlaPolicy.objects.create(
        name="Fast", team=world.billing, first_response=timedelta(hours=2), next_response=timedelta(hours=1)
    )
    promise = services.complain(world.billing_ticket, "Hello?", now=NOW)
    assert promise.due_at == NOW + timedelta(hours=1)


def test_without_supervisors_the_owner_hears_of_it_and_without_one_the_admins(world):
    world.sue.is_active = False
    world.sue.save()
    ticket = world.billing_ticket
    tickets.assign(ticket, world.carl, actor=world.carl, now=NOW)
    promise = services.complain(ticket, "One", now=NOW)
    assert promise.owner == world.carl and recipients(promise) == [world.carl.pk]
    unowned = world.shipping_ticket  # shipping has no supervisor and nobody owns this one
    assert recipients(services.complain(unowned, "Two", now=NOW)) == [world.ada.pk]


def test_a_complaint_on_a_closed_request_opens_a_follow_up(world):
    ticket = world.billing_ticket
    tickets.set_status(ticket, Status.CLOSED, actor=world.alice, now=NOW)
    promise = services.complain(ticket, "You closed it without fixing it.", now=NOW)
    follow_up = promise.ticket
    assert (
        follow_up.pk != ticket.pk and follow_up.customer == ticket.customer and follow_up.team == ticket.team
    )
    assert f"#{ticket.pk}" in follow_up.subject
    assert Event.objects.filter(ticket=follow_up, kind=Event.Kind.COMPLAINED).exists()


def test_a_complaint_on_a_solved_request_reopens_it(world):
    ticket = world.billing_ticket
    tickets.set_status(ticket, Status.SOLVED, actor=world.alice, now=NOW)
    services.complain(ticket, "Not solved at all.", now=NOW + timedelta(minutes=5))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_an_empty_complaint_is_refused(world):
    with pytest.raises(ValueError):
        services.complain(world.billing_ticket, "   ", now=NOW)
    assert not Promise.objects.filter(source=Promise.Source.RECOVERY).exists()


def test_the_agents_reply_keeps_the_promise(world):
    promise = services.complain(world.billing_ticket, "Call me.", now=NOW)
    tickets.reply(world.billing_ticket, agent=world.sue, text="I'm sorry; I have refunded you.", now=NOW)
    promise.refresh_from_db()
    assert promise.status == Promise.Status.KEPT


def test_the_portal_page_sends_the_complaint_and_says_when_to_expect_an_answer(
    client, clock, world, sign_in_as
):
    sign_in_as("ana@acme.example")
    url = reverse("portal:complain", args=[world.billing_ticket.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Ask for a manager" in page.content.decode()
    assert client.post(url, {"text": ""}).status_code == 400
    response = client.post(url, {"text": "This is the third time I write."})
    html = response.content.decode()
    assert response.status_code == 200 and "will get back to you by" in html
    assert "2026-03-10T14:00:00+00:00" in html
    assert Promise.objects.filter(ticket=world.billing_ticket, source=Promise.Source.RECOVERY).count() == 1
    assert Ticket.objects.count() == 2


def test_nobody_is_never_the_answer_while_the_desk_has_an_active_agent(world):
    Agent.objects.exclude(pk=world.bob.pk).update(is_active=False)
    assert recipients(services.complain(world.billing_ticket, "Anyone?", now=NOW)) == [world.bob.pk]


def test_a_second_complaint_joins_the_open_recovery_and_its_promise(world):
    first = services.complain(world.billing_ticket, "One", now=NOW)
    second = services.complain(world.billing_ticket, "Two", now=NOW + timedelta(minutes=5))
    assert first == second and Recovery.objects.filter(ticket=world.billing_ticket).count() == 1
    assert Event.objects.filter(kind=Event.Kind.COMPLAINED).count() == 2


def test_complaints_from_one_customer_are_limited_per_hour(client, clock, world, sign_in_as):
    sign_in_as("ana@acme.example")
    url = reverse("portal:complain", args=[world.billing_ticket.pk])
    for i in range(5):
        assert client.post(url, {"text": f"Complaint {i}"}).status_code == 200
    response = client.post(url, {"text": "Sixth"})
    assert response.status_code == 429 and "Sixth" in response.content.decode()
    assert Event.objects.filter(kind=Event.Kind.COMPLAINED).count() == 5
