"""Webhooks end to end: a service records an event, the worker POSTs it signed to a real receiver on
127.0.0.1, failures are retried with exponential backoff, and a receiver that keeps failing is disabled."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine

from answerable.promises import services as ledger
from answerable.satisfaction.services import rate
from answerable.tickets import services as tickets
from answerable.webhooks import services
from answerable.webhooks.models import Attempt, Delivery, Subscription
from answerable.webhooks.signing import signature, verify
from conftest import T0


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the services queue on commit (the jobs run inline in tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def subscribe(receiver):
    def make(*events, team=None, url=None):
        new = services.subscribe(name="crm", url=url or receiver.url, events=events, team=team, now=T0)
        receiver.secret = new.secret
        services.forget_subscriptions()
        return new.subscription

    return make


def deliver_at(moment) -> bool:
    with time_machine.travel(moment, tick=False):
        return services.deliver_due_once(moment)


def test_a_new_ticket_is_posted_signed_with_its_first_message(
    world, make_ticket, receiver, subscribe, committed
):
    sub = subscribe("ticket.created")
    with time_machine.travel(T0, tick=False), committed():
        ticket = make_ticket(world.billing, subject="Where is my parcel?", now=T0)
    [got] = receiver.received
    assert got["valid"]
    assert got["headers"]["X-Answerable-Event"] == "ticket.created"
    assert got["body"]["type"] == "ticket.created"
    assert got["body"]["data"]["ticket"]["id"] == ticket.pk
    assert got["body"]["data"]["ticket"]["subject"] == "Where is my parcel?"
    assert got["body"]["data"]["message"]["kind"] == "inbound"
    assert got["headers"]["X-Answerable-Signature"].startswith(f"t={int(T0.timestamp())},v1=")
    delivery = Delivery.objects.get(subscription=sub)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert str(delivery.event_id) == got["body"]["id"] == got["headers"]["X-Answerable-Delivery"]


def test_nothing_is_queued_or_read_without_a_subscription(
    world, make_ticket, committed, django_assert_num_queries
):
    services.subscribed_events()  # warm the per-process cache
    event = world.billing_ticket.events.first()
    with django_assert_num_queries(0), committed() as callbacks:
        services.on_event(event)
    assert callbacks == []


def test_only_subscribed_events_and_teams_are_delivered(world, make_ticket, receiver, subscribe, committed):
    subscribe("message.received", team=world.billing)
    shipping, billing = world.shipping_ticket, world.billing_ticket
    with time_machine.travel(T0, tick=False), committed():
        new = make_ticket(world.billing, text="First words")  # its first message counts too
        tickets.receive_message(shipping, sender=shipping.customer, text="Hi", now=T0)  # not this team
        tickets.receive_message(billing, sender=billing.customer, text="News?", now=T0)
    assert {r["body"]["type"] for r in receiver.received} == {"message.received"}  # no ticket.created
    got = [
        (r["body"]["data"]["ticket"]["id"], r["body"]["data"]["message"]["text"]) for r in receiver.received
    ]
    assert got == [(new.pk, "First words"), (billing.pk, "News?")]


def test_failures_are_retried_with_exponential_backoff(world, make_ticket, receiver, subscribe, committed):
    sub = subscribe("ticket.created")
    receiver.answers = [500, 503]
    with time_machine.travel(T0, tick=False), committed():
        make_ticket(world.billing, now=T0)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "pending",
        1,
        T0 + timedelta(minutes=1),
    )
    assert not deliver_at(T0 + timedelta(seconds=59))  # not due yet
    assert deliver_at(T0 + timedelta(minutes=1))  # second attempt fails: wait twice as long
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == T0 + timedelta(minutes=1 + 2)
    assert not deliver_at(T0 + timedelta(minutes=2))
    assert deliver_at(T0 + timedelta(minutes=3))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    log = list(Attempt.objects.filter(delivery=delivery).order_by("at").values_list("at", "status_code"))
    assert log == [(T0, 500), (T0 + timedelta(minutes=1), 503), (T0 + timedelta(minutes=3), 200)]
    assert all(r["valid"] for r in receiver.received)  # each attempt signed afresh with its own time
    assert len({r["headers"]["X-Answerable-Signature"] for r in receiver.received}) == 3
    sub.refresh_from_db()
    assert sub.consecutive_failures == 0


def test_a_delivery_fails_for_good_after_its_last_attempt(
    world, make_ticket, receiver, subscribe, committed, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    subscribe("ticket.created")
    receiver.answers = [500] * 10
    with time_machine.travel(T0, tick=False), committed():
        make_ticket(world.billing, now=T0)
    deliver_at(T0 + timedelta(minutes=1))
    deliver_at(T0 + timedelta(minutes=3))
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert not deliver_at(T0 + timedelta(days=1))


def test_a_receiver_that_keeps_failing_is_disabled_and_admins_are_told(
    world, make_ticket, receiver, subscribe, committed, settings, mailoutbox
):
    settings.WEBHOOK_DISABLE_AFTER = 3
    sub = subscribe("ticket.created")
    receiver.answers = [500] * 10
    with time_machine.travel(T0, tick=False), committed():
        make_ticket(world.billing, now=T0)
        make_ticket(world.billing, now=T0)  # two deliveries fail: 2 failures in a row
    with committed():
        deliver_at(T0 + timedelta(minutes=1))  # the third
    sub.refresh_from_db()
    assert not sub.active and "3 failed attempts" in sub.disabled_reason
    [mail] = mailoutbox
    assert mail.to == ["ada@staff.example"] and "disabled" in mail.subject
    assert not deliver_at(T0 + timedelta(hours=1))  # a disabled subscription's deliveries wait
    with time_machine.travel(T0 + timedelta(hours=1), tick=False), committed():
        make_ticket(world.billing, now=T0 + timedelta(hours=1))
    assert Delivery.objects.count() == 2  # no new deliveries while disabled
    services.set_active(sub, True, now=T0 + timedelta(hours=2))
    receiver.answers = []
    assert deliver_at(T0 + timedelta(hours=2))  # enabled again: the pending ones resume
    sub.refresh_from_db()
    assert sub.active and sub.consecutive_failures == 0


def test_redirects_and_refused_connections_are_failures(world, make_ticket, receiver, subscribe, committed):
    subscribe("ticket.created")
    receiver.answers = [302]
    with time_machine.travel(T0, tick=False), committed():
        make_ticket(world.billing, now=T0)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    Subscription.objects.update(url="http://127.0.0.1:9/closed")  # nothing listens on the discard port
    deliver_at(T0 + timedelta(minutes=1))
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and delivery.last_error


def test_promises_at_risk_and_broken_are_delivered_from_the_sweep(world, receiver, subscribe, committed):
    subscribe("promise.at_risk", "promise.broken")
    ticket = world.billing_ticket
    promise = ledger.record(ticket, text="Call back", source="reply", kind="get_back",
                            due_at=T0 + timedelta(hours=4), now=T0, owner=world.alice)  # fmt: skip
    with time_machine.travel(T0 + timedelta(hours=3, minutes=30), tick=False), committed():
        ledger.sweep_once(T0 + timedelta(hours=3, minutes=30))
    with time_machine.travel(T0 + timedelta(hours=5), tick=False), committed():
        ledger.sweep_once(T0 + timedelta(hours=5))
    types = [(r["body"]["type"], r["body"]["data"]["promise"]["id"]) for r in receiver.received]
    assert ("promise.at_risk", promise.pk) in types and ("promise.broken", promise.pk) in types
    broken = next(r for r in receiver.received if r["body"]["type"] == "promise.broken")
    assert broken["body"]["data"]["promise"]["status"] == "broken"


def test_a_rating_is_delivered(world, receiver, subscribe, committed):
    subscribe("rating.received")
    ticket = world.billing_ticket
    tickets.set_status(ticket, "solved", actor=world.alice, now=T0 + timedelta(hours=1))
    ticket.refresh_from_db()
    with time_machine.travel(T0 + timedelta(hours=2), tick=False), committed():
        rate(ticket, "bad", comment="Slow", now=T0 + timedelta(hours=2))
    [got] = receiver.received
    assert (
        got["body"]["data"]["rating"]["score"] == "bad" and got["body"]["data"]["ticket"]["id"] == ticket.pk
    )


def test_signature_verification_refuses_tampering_and_old_timestamps():
    body = b'{"type":"ticket.created"}'
    header = signature("whsec_x", 1_000_000, body)
    assert verify("whsec_x", header, body, now=1_000_100)
    assert not verify("whsec_x", header, body + b" ", now=1_000_100)
    assert not verify("whsec_other", header, body, now=1_000_100)
    assert not verify("whsec_x", header, body, now=1_000_000 + 301)
    assert not verify("whsec_x", "garbage", body, now=1_000_000)


def test_subscriptions_refuse_unknown_events_and_odd_urls(world):
    with pytest.raises(Exception, match="Events are"):
        services.subscribe(name="x", url="https://example.com/h", events=["ticket.deleted"], now=T0)
    with pytest.raises(Exception, match="http"):
        services.subscribe(name="x", url="file:///etc/passwd", events=["ticket.created"], now=T0)


def test_command_creates_lists_and_shows_the_log(world, make_ticket, receiver, committed):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("webhook", "create", "--name", "CRM", "--url", receiver.url, "--events", "ticket.created",
                 "--team", "Billing", stdout=out)  # fmt: skip
    receiver.secret = out.getvalue().split("(shown once): ")[1].strip()
    services.forget_subscriptions()
    with time_machine.travel(T0, tick=False), committed():
        make_ticket(world.billing, now=T0)
    assert receiver.received and receiver.received[0]["valid"]
    sub = Subscription.objects.get()
    out = StringIO()
    call_command("webhook", "log", str(sub.pk), stdout=out)
    assert "ticket.created" in out.getvalue() and "delivered" in out.getvalue()


def test_a_ticket_opened_through_the_api_is_delivered(world, client, receiver, subscribe, committed):
    import json

    from answerable.api import tokens

    subscribe("ticket.created")
    secret = tokens.create_token(world.alice, name="t", scopes=["tickets:write"], now=T0).secret
    body = {
        "team_id": world.billing.pk,
        "subject": "From the CRM",
        "text": "Call me",
        "customer_email": "x@y.example",
    }
    with time_machine.travel(T0, tick=False), committed():
        response = client.post("/api/v1/tickets", json.dumps(body), content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {secret}")  # fmt: skip
    assert response.status_code == 201
    [got] = receiver.received
    assert got["valid"] and got["body"]["data"]["ticket"]["id"] == response.json()["id"]


def test_an_import_of_another_desks_history_sends_no_webhooks(world, receiver, subscribe, committed):
    from pathlib import Path

    from django.core.management import call_command

    subscribe("ticket.created", "message.received")
    export = Path(__file__).resolve().parents[2] / "api" / "tests" / "data" / "zendesk"
    with committed():
        call_command("import", "zendesk", str(export), "--team", "Billing", "--as", "sue", "--no-progress",
                     stdout=StringIO(), stderr=StringIO())  # fmt: skip
    assert receiver.received == [] and not Delivery.objects.exists()


def test_a_delivery_is_claimed_by_one_worker_until_its_lease_expires(world, make_ticket, receiver, subscribe):
    subscribe("ticket.created")
    make_ticket(world.billing, now=T0)  # not committed: nothing sent yet, so write the delivery by hand
    event = world.billing.tickets.latest("id").events.get(kind="created")
    services.create_deliveries("ticket.created", event.ticket_id, {}, now=T0)
    first = services.claim_due(T0)
    assert first is not None
    assert services.claim_due(T0 + timedelta(seconds=30)) is None  # another worker: leased
    again = services.claim_due(T0 + services.LEASE + timedelta(seconds=1))  # the first worker died
    assert again is not None and again.pk == first.pk
