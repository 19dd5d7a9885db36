from datetime import timedelta

import pytest

from answerable.tickets import services
from answerable.tickets.models import Event, Message, Status
from conftest import T0


def kinds(ticket):
    return list(Event.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True))


def test_opening_a_ticket_records_creation_and_the_first_message(world):
    ticket = world.billing_ticket
    assert ticket.status == Status.NEW
    assert ticket.waiting_since == T0
    assert kinds(ticket) == ["created", "message_received"]
    assert ticket.messages.get().kind == Message.Kind.INBOUND


def test_first_reply_sets_first_response_opens_the_ticket_and_stops_the_wait(world):
    ticket = world.billing_ticket
    services.reply(ticket, agent=world.alice, text="Hi Ana, refunded.", now=T0 + timedelta(minutes=5))
    ticket.refresh_from_db()
    assert ticket.first_response_at == T0 + timedelta(minutes=5)
    assert ticket.status == Status.OPEN
    assert ticket.waiting_since is None
    assert kinds(ticket)[-2:] == ["replied", "status_changed"]


def test_a_second_reply_keeps_the_first_response_time(world):
    ticket = world.billing_ticket
    services.reply(ticket, agent=world.alice, text="One", now=T0 + timedelta(minutes=5))
    services.reply(ticket, agent=world.alice, text="Two", now=T0 + timedelta(minutes=9))
    ticket.refresh_from_db()
    assert ticket.first_response_at == T0 + timedelta(minutes=5)


def test_the_same_idempotency_key_makes_one_reply(world):
    ticket = world.billing_ticket
    first = services.reply(ticket, agent=world.alice, text="Hi", now=T0, idempotency_key="k1")
    again = services.reply(ticket, agent=world.alice, text="Hi", now=T0, idempotency_key="k1")
    assert first.pk == again.pk
    assert ticket.messages.filter(kind=Message.Kind.OUTBOUND).count() == 1
    assert Event.objects.filter(ticket=ticket, kind=Event.Kind.REPLIED).count() == 1


def test_a_reply_written_before_the_customers_newest_message_is_refused_and_nothing_is_written(
    world, make_customer
):
    ticket = world.billing_ticket
    seen = ticket.messages.get().pk
    services.receive_message(ticket, sender=ticket.customer, text="Any news?", now=T0 + timedelta(hours=1))
    with pytest.raises(services.StaleDraft) as caught:
        services.reply(
            ticket, agent=world.alice, text="Done", now=T0 + timedelta(hours=2), seen_message_id=seen
        )
    assert [m.text for m in caught.value.newer] == ["Any news?"]
    assert not ticket.messages.filter(kind=Message.Kind.OUTBOUND).exists()


def test_customer_message_reopens_a_solved_ticket_and_starts_the_wait(world):
    ticket = world.billing_ticket
    services.reply(ticket, agent=world.alice, text="Done", now=T0, status_after=Status.SOLVED)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.solved_at == T0
    services.receive_message(ticket, sender=ticket.customer, text="Not fixed", now=T0 + timedelta(days=1))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.solved_at is None
    assert ticket.waiting_since == T0 + timedelta(days=1)


def test_note_is_recorded_but_never_queued_for_sending(world, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.add_note(
            world.billing_ticket, agent=world.alice, text="Card was charged twice", now=T0
        )
    assert note.kind == Message.Kind.NOTE and note.delivery == ""
    assert mailoutbox == []


def test_reply_is_sent_after_commit_with_the_reference_in_the_subject(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.reply(world.billing_ticket, agent=world.alice, text="Refunded today.", now=T0)
    assert len(mailoutbox) == 1
    sent = mailoutbox[0]
    assert sent.to == ["ana@acme.example"]
    assert f"[#{world.billing_ticket.pk}]" in sent.subject
    assert sent.from_email == "Alice <billing@desk.example>"
    message.refresh_from_db()
    assert message.delivery == Message.Delivery.SENT
    assert message.message_id == sent.extra_headers["Message-ID"]


def test_status_change_records_old_and_new(world):
    services.set_status(world.billing_ticket, Status.PENDING, actor=world.alice, now=T0)
    event = Event.objects.filter(ticket=world.billing_ticket, kind=Event.Kind.STATUS_CHANGED).get()
    assert event.data == {"old": "new", "new": "pending"}
    assert event.actor == world.alice


def test_unknown_status_is_refused(world):
    with pytest.raises(ValueError):
        services.set_status(world.billing_ticket, "archived", actor=world.alice, now=T0)


def test_tags_are_normalised_and_a_no_op_records_nothing(world):
    ticket = world.billing_ticket
    services.set_tags(ticket, ["Refund, VIP  refund"], actor=world.alice, now=T0)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip"]
    services.set_tags(ticket, ["vip refund"], actor=world.alice, now=T0)
    assert Event.objects.filter(ticket=ticket, kind=Event.Kind.TAGS_CHANGED).count() == 1


def test_assign_records_previous_and_new_assignee(world):
    services.assign(world.billing_ticket, world.alice, actor=world.sue, now=T0)
    services.assign(world.billing_ticket, world.carl, actor=world.sue, now=T0)
    data = list(
        Event.objects.filter(ticket=world.billing_ticket, kind="assigned")
        .order_by("id")
        .values_list("data", flat=True)
    )
    assert data == [{"old": None, "new": world.alice.pk}, {"old": world.alice.pk, "new": world.carl.pk}]


def test_macro_fills_known_placeholders_and_leaves_unknown_ones_visible(world):
    from answerable.tickets.models import Macro

    macro = Macro.objects.create(
        name="Refund", body="Hi {{ customer.first_name }}, {{agent.name}} here. {{ order.id }}"
    )
    text = services.render_macro(macro, ticket=world.billing_ticket, agent=world.alice)
    assert text == "Hi Ana, Alice here. {{ order.id }}"


def test_solving_a_ticket_ends_the_wait_and_a_new_message_starts_a_new_one(world):
    ticket = world.billing_ticket
    services.set_status(ticket, Status.SOLVED, actor=world.alice, now=T0 + timedelta(hours=1))
    ticket.refresh_from_db()
    assert ticket.waiting_since is None
    services.receive_message(ticket, sender=ticket.customer, text="Thanks!", now=T0 + timedelta(days=3))
    ticket.refresh_from_db()
    assert ticket.waiting_since == T0 + timedelta(days=3)


def test_a_closed_ticket_takes_no_more_messages(world):
    ticket = world.billing_ticket
    services.set_status(ticket, Status.CLOSED, actor=world.alice, now=T0)
    with pytest.raises(ValueError, match="closed"):
        services.receive_message(ticket, sender=ticket.customer, text="Hello again", now=T0)
    assert ticket.messages.count() == 1


def test_a_note_moves_the_tickets_last_activity(world):
    services.add_note(
        world.billing_ticket, agent=world.alice, text="Called the bank", now=T0 + timedelta(hours=2)
    )
    world.billing_ticket.refresh_from_db()
    assert world.billing_ticket.last_activity_at == T0 + timedelta(hours=2)


def test_an_idempotency_key_from_another_ticket_is_refused_not_crossed(world):
    services.reply(world.billing_ticket, agent=world.alice, text="A", now=T0, idempotency_key="same")
    with pytest.raises(ValueError, match="another ticket"):
        services.reply(world.shipping_ticket, agent=world.bob, text="B", now=T0, idempotency_key="same")
    assert not world.shipping_ticket.messages.filter(kind=Message.Kind.OUTBOUND).exists()


def test_a_reply_recorded_as_already_sent_is_not_queued(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.reply(world.billing_ticket, agent=world.alice, text="Old", now=T0, queue=False)
    assert message.delivery == Message.Delivery.SENT
    assert mailoutbox == []
