"""Escalation that always comes back: the get-back promise, the holding reply, hand back, and closing only
when the customer has had a reply. Time is passed in explicitly."""

from datetime import timedelta

import pytest

from answerable.promises import services as ledger
from answerable.promises.models import Notification, Promise, SlaPolicy
from answerable.staff.models import Agent
from answerable.tickets import access, escalation, services
from answerable.tickets.escalation import EscalationError
from answerable.tickets.models import Escalation, Event, Message, Status
from conftest import T0  # Tuesday 10 March 2026, 09:00 UTC; teams default to UTC, Mon-Fri 09-17


def test_escalating_to_a_supervisor_records_it_promises_an_answer_and_notifies_them(world):
    ticket = world.billing_ticket
    due = T0 + timedelta(hours=3)
    esc = escalation.escalate(
        ticket, agent=world.alice, to_agent=world.sue, note="Refund over my limit", due_at=due, now=T0
    )
    assert esc.status == Escalation.Status.WAITING and esc.closed_at is None
    promise = esc.promise
    assert (promise.source, promise.kind, promise.status) == ("escalation", "get_back", "open")
    assert promise.due_at == due and promise.owner == world.sue
    event = Event.objects.get(ticket=ticket, kind=Event.Kind.ESCALATED)
    assert event.actor == world.alice and event.data["to_agent"] == world.sue.pk
    assert Notification.objects.filter(agent=world.sue, promise=promise, kind="escalate").exists()
    assert not ticket.messages.filter(kind=Message.Kind.OUTBOUND).exists()  # no holding reply unless asked


def test_without_a_time_the_policy_gives_the_due_time_in_business_hours(world):
    SlaPolicy.objects.create(
        name="Std", team=world.billing, first_response=timedelta(hours=4), next_response=timedelta(hours=6)
    )
    at = T0 + timedelta(hours=6)  # Tue 15:00: 2 business hours left today
    esc = escalation.escalate(
        world.billing_ticket, agent=world.alice, to_agent=world.sue, note="Help", now=at
    )
    assert esc.promise.due_at == T0 + timedelta(days=1, hours=4)  # Wed 13:00


def test_without_a_policy_the_customer_is_promised_one_business_day(world):
    at = T0 + timedelta(hours=6)
    esc = escalation.escalate(
        world.billing_ticket, agent=world.alice, to_agent=world.sue, note="Help", now=at
    )
    assert esc.promise.due_at == T0 + timedelta(days=1, hours=6)  # Wed 15:00


def test_the_holding_reply_names_the_time_and_does_not_count_as_the_answer(world):
    ticket = world.billing_ticket
    due = T0 + timedelta(days=1, hours=8)  # Wed 17:00 UTC
    esc = escalation.escalate(ticket, agent=world.alice, to_agent=world.sue, note="Refund over my limit",
                              due_at=due, now=T0, send_holding_reply=True)  # fmt: skip
    holding = esc.holding_message
    assert holding.kind == Message.Kind.OUTBOUND and holding.delivery == Message.Delivery.QUEUED
    assert "I've asked my manager" in holding.text
    assert "Wednesday 11 March, 17:00 (UTC time)" in holding.text
    esc.refresh_from_db()
    assert esc.status == Escalation.Status.WAITING
    assert esc.promise.status == Promise.Status.OPEN
    # The holding reply's own words ("you'll hear from us by ...") are not a second promise.
    assert ticket.promises.filter(source=Promise.Source.REPLY).count() == 0


def test_the_holding_reply_is_in_the_team_time_zone(world):
    world.billing.time_zone = "Europe/Berlin"
    world.billing.save()
    ticket = world.billing_ticket
    ticket.refresh_from_db()
    esc = escalation.escalate(ticket, agent=world.alice, to_agent=world.sue, note="x",
                              due_at=T0 + timedelta(hours=2), now=T0, send_holding_reply=True)  # fmt: skip
    assert "Tuesday 10 March, 12:00 (Europe/Berlin time)" in esc.holding_message.text


def test_a_reply_to_the_customer_closes_the_escalation_and_keeps_its_promise(world):
    ticket = world.billing_ticket
    esc = escalation.escalate(ticket, agent=world.alice, to_agent=world.sue, note="x", now=T0)
    message = services.reply(ticket, agent=world.sue, text="We refunded it.", now=T0 + timedelta(hours=1))
    esc.refresh_from_db()
    assert esc.status == Escalation.Status.ANSWERED and esc.closed_at == T0 + timedelta(hours=1)
    assert esc.answered_by == message
    assert esc.promise.status == Promise.Status.KEPT
    assert Event.objects.filter(ticket=ticket, kind=Event.Kind.ESCALATION_ANSWERED, actor=world.sue).exists()


def test_a_note_does_not_close_the_escalation(world):
    ticket = world.billing_ticket
    esc = escalation.escalate(ticket, agent=world.alice, to_agent=world.sue, note="x", now=T0)
    services.add_note(ticket, agent=world.sue, text="Looking", now=T0 + timedelta(minutes=5))
    esc.refresh_from_db()
    assert esc.closed_at is None


def test_hand_back_leaves_guidance_as_a_note_and_returns_the_ticket_and_the_promise(world):
    ticket = world.billing_ticket
    services.assign(ticket, world.carl, actor=world.sue, now=T0)
    esc = escalation.escalate(ticket, agent=world.alice, to_agent=world.sue, note="x", now=T0)
    esc = escalation.hand_back(
        esc, supervisor=world.sue, guidance="Offer a 10% credit", now=T0 + timedelta(hours=1)
    )
    assert esc.status == Escalation.Status.HANDED_BACK and esc.closed_at is None
    assert esc.guidance.kind == Message.Kind.NOTE and "Offer a 10% credit" in esc.guidance.text
    ticket.refresh_from_db()
    assert ticket.assignee == world.alice
    esc.promise.refresh_from_db()
    assert esc.promise.owner == world.alice and esc.promise.status == Promise.Status.OPEN
    assert Event.objects.filter(ticket=ticket, kind=Event.Kind.HANDED_BACK, actor=world.sue).exists()
    # Assignment history kept: carl, then alice.
    assigned = list(
        ticket.events.filter(kind=Event.Kind.ASSIGNED).order_by("id").values_list("data", flat=True)
    )
    assert [a["new"] for a in assigned] == [world.carl.pk, world.alice.pk]
    # Only the customer's reply closes it.
    services.reply(ticket, agent=world.alice, text="We can offer a credit.", now=T0 + timedelta(hours=2))
    esc.refresh_from_db()
    assert esc.status == Escalation.Status.ANSWERED


def test_hand_back_twice_or_without_guidance_is_refused(world):
    esc = escalation.escalate(world.billing_ticket, agent=world.alice, to_agent=world.sue, note="x", now=T0)
    with pytest.raises(EscalationError, match="guidance"):
        escalation.hand_back(esc, supervisor=world.sue, guidance="  ", now=T0)
    escalation.hand_back(esc, supervisor=world.sue, guidance="Do X", now=T0)
    with pytest.raises(EscalationError, match="no longer waiting"):
        escalation.hand_back(esc, supervisor=world.sue, guidance="Do Y", now=T0)


def test_a_quiet_escalation_warns_and_breaks_like_any_promise(world):
    ticket = world.billing_ticket
    esc = escalation.escalate(ticket, agent=world.alice, to_agent=world.sue, note="x",
                              due_at=T0 + timedelta(hours=4), now=T0)  # fmt: skip
    assert ledger.sweep_once(T0 + timedelta(hours=3, minutes=1)).warned == 1
    assert Notification.objects.filter(agent=world.sue, kind=Notification.Kind.AT_RISK).exists()
    assert ledger.sweep_once(T0 + timedelta(hours=4)).broken == 1
    esc.refresh_from_db()
    assert esc.promise.status == Promise.Status.BROKEN
    assert esc.closed_at is None  # still owed a reply


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"note": " "}, "needs a note"),
        ({"to_agent": None}, "one supervisor or to one team"),
        ({"to_agent": "carl"}, "supervisor of this team"),
        ({"to_agent": "alice"}, "not yourself"),
        ({"to_agent": "bob"}, "supervisor of this team"),
        ({"due_at": T0 - timedelta(minutes=1)}, "in the future"),
    ],
)
def test_bad_escalations_are_refused_with_a_reason_and_change_nothing(world, kwargs, message):
    args = {"note": "Help", "to_agent": "sue"} | kwargs
    if isinstance(args["to_agent"], str):
        args["to_agent"] = getattr(world, args["to_agent"])
    before = Event.objects.count()
    with pytest.raises(EscalationError, match=message):
        escalation.escalate(world.billing_ticket, agent=world.alice, now=T0, **args)
    assert Event.objects.count() == before and not Escalation.objects.exists()


def test_escalating_to_the_own_team_or_a_solved_ticket_is_refused(world):
    with pytest.raises(EscalationError, match="another team"):
        escalation.escalate(world.billing_ticket, agent=world.alice, to_team=world.billing, note="x", now=T0)
    services.set_status(world.billing_ticket, Status.SOLVED, actor=world.alice, now=T0)
    with pytest.raises(EscalationError, match="solved or closed"):
        escalation.escalate(world.billing_ticket, agent=world.alice, to_agent=world.sue, note="x", now=T0)


def test_a_second_escalation_while_one_waits_is_refused_and_its_holding_reply_not_sent(world):
    ticket = world.billing_ticket
    escalation.escalate(ticket, agent=world.alice, to_agent=world.sue, note="x", now=T0)
    with pytest.raises(EscalationError, match="already escalated"):
        escalation.escalate(ticket, agent=world.alice, to_agent=world.sue, note="x", now=T0,
                            send_holding_reply=True)  # fmt: skip
    assert not ticket.messages.filter(kind=Message.Kind.OUTBOUND).exists()
    assert Escalation.objects.count() == 1 and ticket.promises.filter(source="escalation").count() == 1


def test_escalating_to_a_second_tier_team_lets_that_team_open_and_answer_the_ticket(world, make_agent):
    ticket = world.billing_ticket
    lead = make_agent("lena", role=Agent.Role.SUPERVISOR, teams=(world.shipping,))
    with pytest.raises(Exception, match="No such ticket"):
        access.ticket_for(world.bob, ticket.pk)
    esc = escalation.escalate(ticket, agent=world.alice, to_team=world.shipping, note="Carrier issue", now=T0)
    assert esc.promise.owner == world.alice
    assert Notification.objects.filter(agent=lead, kind="escalate").exists()
    assert access.ticket_for(world.bob, ticket.pk) == ticket
    assert escalation.may_handle(lead, esc) and not escalation.may_handle(world.bob, esc)
    assert not escalation.may_handle(world.carl, esc) and escalation.may_handle(world.sue, esc)
    services.reply(ticket, agent=world.bob, text="The carrier re-sent it.", now=T0 + timedelta(hours=1))
    # Answered: the ticket is the billing team's again only.
    with pytest.raises(Exception, match="No such ticket"):
        access.ticket_for(world.bob, ticket.pk)
