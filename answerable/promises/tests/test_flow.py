"""Promises made and kept through the real services and the composer."""

from datetime import timedelta

from django.urls import reverse

from answerable.promises import services as ledger
from answerable.promises.models import Promise, SlaPolicy
from answerable.tickets import services
from answerable.tickets.models import Event, Status
from conftest import T0  # Tuesday 10 March 2026 09:00 UTC; the teams are Mon-Fri 09:00-17:00 UTC


def test_a_reply_records_the_promises_it_makes_with_due_times(world):
    ticket = world.billing_ticket
    text = (
        "Hi Ana, I'll ask my manager and let you know by end of day. "
        "The refund will arrive within 3 business days."
    )
    services.reply(ticket, agent=world.alice, now=T0, text=text)
    made = {p.text: p for p in Promise.objects.filter(ticket=ticket)}
    assert made["I'll ask my manager and let you know by end of day"].due_at == T0 + timedelta(hours=8)
    assert made["The refund will arrive within 3 business days"].due_at == T0 + timedelta(days=3, hours=8)
    assert all(p.owner == world.alice and p.source == "reply" for p in made.values())


def test_a_lead_time_from_a_macro_is_recorded_as_the_macros(world):
    from answerable.tickets.models import Macro

    Macro.objects.create(
        name="Made to order",
        team=world.billing,
        body="Hi {{ customer.first_name }},\n\nYour chair is made to order and ships within 10 business "
        "days.",
    )
    text = (
        "Hi Ana,\n\nYour chair is made to order and ships within 10 business days. I'll call you by Friday."
    )
    services.reply(world.billing_ticket, agent=world.alice, now=T0, text=text)
    sources = sorted(Promise.objects.filter(ticket=world.billing_ticket).values_list("source", "text"))
    assert [source for source, _ in sources] == ["macro", "reply"]
    assert "ships within 10 business days" in sources[0][1] and sources[1][1] == "I'll call you by Friday"


def test_a_promise_without_a_time_is_recorded_without_a_due_time(world):
    services.reply(
        world.billing_ticket, agent=world.alice, now=T0, text="I'll look into it and get back to you."
    )
    [p] = Promise.objects.filter(ticket=world.billing_ticket)
    assert p.due_at is None and p.status == "open"


def test_the_next_reply_keeps_the_get_back_promise(world):
    ticket = world.billing_ticket
    services.reply(ticket, agent=world.alice, now=T0, text="I'll call you back by 3pm today.")
    services.reply(ticket, agent=world.alice, now=T0 + timedelta(hours=2), text="Here is the answer.")
    p = Promise.objects.get(ticket=ticket, text__startswith="I'll call you back")
    assert p.status == Promise.Status.KEPT


def test_an_sla_is_opened_with_the_ticket_and_kept_by_the_first_reply(world, make_ticket):
    SlaPolicy.objects.create(name="Standard", team=world.billing, first_response=timedelta(hours=2))
    ticket = make_ticket(world.billing, subject="New one")
    sla = Promise.objects.get(ticket=ticket, source="sla")
    assert sla.due_at == T0 + timedelta(hours=2)
    services.reply(ticket, agent=world.alice, now=T0 + timedelta(hours=1), text="Hello, here it is.")
    sla.refresh_from_db()
    assert sla.status == Promise.Status.KEPT


def test_a_note_that_commits_to_a_time_is_tracked(world):
    services.add_note(
        world.billing_ticket, agent=world.alice, now=T0, text="I'll ring the bank and update Ana by Friday."
    )
    [p] = Promise.objects.filter(ticket=world.billing_ticket)
    assert p.source == "note" and p.due_at == T0 + timedelta(days=3, hours=8)


def test_the_composer_shows_the_promises_in_a_draft(world, client):
    client.force_login(world.alice)
    html = client.post(
        reverse("ticket_draft_promises", args=[world.billing_ticket.pk]),
        {"text": "We'll ship it within 2 business days. I'll look into the invoice."},
    ).content.decode()
    assert "We&#x27;ll ship it within 2 business days" in html and 'value="2026-' in html
    assert "No time given" in html


def test_promises_the_agent_dropped_or_edited_in_the_composer_are_recorded_as_confirmed(
    world, client, time_machine
):
    time_machine.move_to(T0, tick=False)
    client.force_login(world.alice)
    client.post(
        reverse("ticket_compose", args=[world.billing_ticket.pk]),
        {
            "kind": "reply", "text": "We'll ship it within 2 business days. I'll be honest, it's busy.",
            "promises_reviewed": "1", "promise_count": "2",
            "promise_keep_0": "1", "promise_text_0": "We'll ship it within 2 business days",
            "promise_kind_0": "delivery", "promise_due_0": "2026-03-13T12:00",
            "promise_text_1": "misread", "promise_due_1": "",
        },
    )  # fmt: skip
    [p] = Promise.objects.filter(ticket=world.billing_ticket)
    assert p.kind == "delivery" and p.due_at == T0 + timedelta(days=3, hours=3)  # 12:00 UTC, the team's zone


def test_sending_a_reset_draft_replaces_the_broken_promise(world, client, time_machine):
    ticket = world.billing_ticket
    services.reply(ticket, agent=world.alice, now=T0, text="I'll call you back by 11am today.")
    old = Promise.objects.get(ticket=ticket)
    ledger.sweep_once(T0 + timedelta(hours=3))
    old.refresh_from_db()
    assert old.status == Promise.Status.BROKEN
    time_machine.move_to(T0 + timedelta(hours=3), tick=False)
    client.force_login(world.alice)
    client.post(
        reverse("ticket_compose", args=[ticket.pk]),
        {
            "kind": "reply",
            "text": "Sorry, I missed our call. I'll call you tomorrow at 10am.",
            "reset_promise": old.pk,
        },
    )
    old.refresh_from_db()
    assert old.replaced_by is not None and old.replaced_by.due_at == T0 + timedelta(days=1, hours=1)
    assert Event.objects.filter(ticket=ticket, kind=Event.Kind.PROMISE_RESET).exists()


def test_solving_keeps_the_delivery_promise(world):
    ticket = world.billing_ticket
    services.reply(
        ticket, agent=world.alice, now=T0, text="Your replacement card will arrive within 5 business days."
    )
    services.set_status(ticket, Status.SOLVED, actor=world.alice, now=T0 + timedelta(days=2))
    assert Promise.objects.get(ticket=ticket).status == Promise.Status.KEPT
