"""Avoidance detection over stored traffic, the alerts and their one-click reassignment, and terms replies."""

import random
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from answerable.accounts import services
from answerable.accounts.models import AvoidanceAlert
from answerable.customers import services as customer_services
from answerable.customers.models import Organisation
from answerable.mail.ingest import ingest
from answerable.staff.models import WEEKDAYS
from answerable.tickets import services as ticket_services
from answerable.tickets.models import Event, Message, Status
from conftest import T0

ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in WEEKDAYS}
NOW = T0 + timedelta(days=20)
BILLING = ["billing@desk.example"]


@pytest.fixture
def slow_with_acme(world, make_customer):
    """Alice answers Acme in about 8 h and everyone else in about 1 h; Carl answers Acme in about 1 h."""
    world.billing.week_schedule = ALWAYS_OPEN
    world.billing.save()
    acme = Organisation.objects.create(name="Acme", yearly_value=Decimal("1000"))
    acme_people = [make_customer(f"Acme {i}", organisation=acme) for i in range(3)]
    others = [make_customer(f"Other {i}") for i in range(12)]
    rng = random.Random(7)  # noqa: S311 -- reproducible test data
    at = T0

    def conversation(agent, customer, hours):
        nonlocal at
        at += timedelta(hours=3)
        ticket = ticket_services.open_ticket(customer=customer, team=world.billing, subject="Help", text="?",
                                             now=at)  # fmt: skip
        ticket_services.assign(ticket, agent, actor=world.sue, now=at)
        reply_at = at + timedelta(hours=hours * rng.uniform(0.8, 1.25))
        ticket_services.reply(ticket, agent=agent, text="Answer", now=reply_at)
        return ticket

    for i in range(10):
        conversation(world.alice, acme_people[i % 3], 8)
    for i in range(24):
        conversation(world.alice, others[i % 12], 1)
    for i in range(8):
        conversation(world.carl, acme_people[i % 3], 1)
    for i in range(20):
        conversation(world.carl, others[i % 12], 1)
    # Postponements: Alice puts an Acme ticket on hold; an open Acme ticket still waits on her.
    waiting = ticket_services.open_ticket(customer=acme_people[0], team=world.billing, subject="Still?",
                                          text="Any news?", now=NOW - timedelta(hours=30))  # fmt: skip
    ticket_services.assign(waiting, world.alice, actor=world.sue, now=NOW - timedelta(hours=30))
    ticket_services.set_status(waiting, Status.ON_HOLD, actor=world.alice, now=NOW - timedelta(hours=29))
    return acme, waiting


def test_a_markedly_slower_agent_gets_an_alert_with_the_evidence(world, slow_with_acme):
    acme, _ = slow_with_acme
    run = services.detect_avoidance(now=NOW, days=30)
    assert (run.alerts, run.created) == (1, 1)
    alert = AvoidanceAlert.objects.get()
    assert (alert.agent, alert.organisation, alert.status) == (world.alice, acme, "open")
    assert alert.n_account == 11  # ten answered, one still waiting (counted until now)
    assert alert.n_other == 24
    assert 6 * 3600 < alert.median_account_seconds < 10 * 3600
    assert 0.7 * 3600 < alert.median_other_seconds < 1.3 * 3600
    assert alert.p_value < alert.threshold
    assert alert.postponements_account == 1 and alert.postponements_other == 0
    assert not AvoidanceAlert.objects.filter(agent=world.carl).exists()


def test_a_second_run_refreshes_the_alert_instead_of_repeating_it(world, slow_with_acme):
    services.detect_avoidance(now=NOW, days=30)
    run = services.detect_avoidance(now=NOW + timedelta(hours=1), days=30)
    assert (run.created, run.updated) == (0, 1)
    assert AvoidanceAlert.objects.count() == 1
    assert AvoidanceAlert.objects.get().updated_at == NOW + timedelta(hours=1)


def test_a_dismissed_alert_is_not_raised_again_from_the_same_evidence(world, slow_with_acme):
    services.detect_avoidance(now=NOW, days=30)
    services.dismiss_alert(AvoidanceAlert.objects.get(), actor=world.sue, now=NOW, reason="Known dispute")
    assert services.detect_avoidance(now=NOW + timedelta(hours=1), days=30).created == 0
    assert AvoidanceAlert.objects.get().outcome == "Known dispute"


def test_automatic_messages_answer_nobody(world, slow_with_acme):
    _, waiting = slow_with_acme
    ticket_services.acknowledge(waiting, now=NOW - timedelta(hours=29))
    services.detect_avoidance(now=NOW, days=30)
    assert AvoidanceAlert.objects.get().n_account == 11  # the acknowledgement did not end the wait


def test_waits_count_in_business_hours(world, make_customer):
    # Default schedule: Mon-Fri 09:00-17:00 UTC. A mail on Friday 16:00 answered Monday 10:00 waited 2 h.
    friday = T0.replace(day=13, hour=16)  # 2026-03-13 is a Friday
    ticket = ticket_services.open_ticket(customer=make_customer(), team=world.billing, subject="s", text="t",
                                         now=friday)  # fmt: skip
    ticket_services.reply(ticket, agent=world.alice, text="Answer", now=friday + timedelta(days=3, hours=-6))
    traffic = services.collect_traffic(T0, NOW)
    assert [s.seconds for s in traffic.samples if s.agent == world.alice.pk] == [2 * 3600]


def test_the_command_runs_detection_and_says_what_it_found(world, slow_with_acme, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("detect_avoidance", "--days", "30")
    assert "1 alert(s), 1 new" in capsys.readouterr().out
    assert AvoidanceAlert.objects.count() == 1


def test_the_alert_list_is_for_supervisors_of_the_agents_team(world, slow_with_acme, login, make_agent):
    services.detect_avoidance(now=NOW, days=30)
    assert login(world.alice).get(reverse("avoidance_alerts")).status_code == 403
    page = login(world.sue).get(reverse("avoidance_alerts"))
    assert page.status_code == 200 and "Alice answers" in page.content.decode()
    (pool,) = page.context["choices"].values()
    assert world.carl in pool and world.bob not in pool and world.alice not in pool
    shipping_sup = make_agent("sam", role="supervisor", teams=(world.shipping,))
    assert "Alice answers" not in login(shipping_sup).get(reverse("avoidance_alerts")).content.decode()
    alert = AvoidanceAlert.objects.get()
    response = login(shipping_sup).post(reverse("avoidance_reassign", args=[alert.pk]), {"to": world.bob.pk})
    assert response.status_code == 404


def test_one_click_reassignment_moves_the_accounts_open_tickets_through_assign(world, slow_with_acme, login):
    _, waiting = slow_with_acme
    services.detect_avoidance(now=NOW, days=30)
    alert = AvoidanceAlert.objects.get()
    with time_machine.travel(NOW, tick=False):
        response = login(world.sue).post(
            reverse("avoidance_reassign", args=[alert.pk]), {"to": world.carl.pk}, follow=True
        )
    assert "11 ticket(s) moved to Carl." in response.content.decode()  # every open Acme ticket of hers
    waiting.refresh_from_db()
    assert waiting.assignee == world.carl
    event = Event.objects.filter(ticket=waiting, kind=Event.Kind.ASSIGNED).latest("at")
    assert (event.actor, event.data["new"]) == (world.sue, world.carl.pk)
    alert.refresh_from_db()
    assert (alert.status, alert.closed_by) == ("reassigned", world.sue)
    # Closed: a second click changes nothing.
    again = login(world.sue).post(
        reverse("avoidance_reassign", args=[alert.pk]), {"to": world.carl.pk}, follow=True
    )
    assert "already dealt with" in again.content.decode()


def test_reassignment_refuses_agents_not_on_the_tickets_team(world, slow_with_acme):
    services.detect_avoidance(now=NOW, days=30)
    done = services.reassign_account(AvoidanceAlert.objects.get(), world.bob, actor=world.ada, now=NOW)
    assert done.moved == [] and len(done.refused) == 11
    assert slow_with_acme[1].__class__.objects.get(pk=slow_with_acme[1].pk).assignee == world.alice


# --- terms replies ---------------------------------------------------------------------------------------


def _mail(sender: str, message_id: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = (
        sender,
        "billing@desk.example",
        "New job",
        message_id,
    )
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Could you start on a new project for us?")
    return msg.as_bytes()


@pytest.fixture
def flagged(world):
    acme = Organisation.objects.create(name="Acme")
    customer = world.billing_ticket.customer  # ana@acme.example
    customer.organisation = acme
    customer.save()
    customer_services.set_terms_flag(
        acme, "decline_new_work", reason="Contract ended", actor=world.sue, now=T0,
        auto_reply="Hello, thank you for thinking of us. We are not taking on new work for your account "
        "at the moment; your account manager will be in touch.",
    )  # fmt: skip
    return acme


def test_a_new_request_under_a_flag_gets_the_pre_approved_reply_after_the_acknowledgement(world, flagged):
    outcome = ingest(_mail("Ana <ana@acme.example>", "<n1@acme.example>"), recipients=BILLING, now=T0)
    sent = list(outcome.ticket.messages.filter(kind=Message.Kind.OUTBOUND).order_by("id"))
    assert len(sent) == 2 and all(m.automatic for m in sent)
    assert "not taking on new work" in sent[1].text and sent[1].author == world.sue
    event = Event.objects.get(ticket=outcome.ticket, kind=Event.Kind.TERMS_REPLY)
    assert event.data == {
        "message": sent[1].pk,
        "flag": flagged.terms_flags.get().pk,
        "kind": "decline_new_work",
    }


def test_automatic_mail_never_gets_a_terms_reply(world, flagged):
    raw = _mail("Ana <ana@acme.example>", "<n2@acme.example>", Auto_Submitted="auto-replied")
    outcome = ingest(raw, recipients=BILLING, now=T0)
    assert not outcome.ticket.messages.filter(kind=Message.Kind.OUTBOUND).exists()
    assert not Event.objects.filter(kind=Event.Kind.TERMS_REPLY).exists()


def test_no_terms_reply_without_approved_text_or_once_cleared(world, flagged):
    flag = flagged.terms_flags.get()
    customer_services.clear_terms_flag(flag, actor=world.sue, now=T0)
    customer_services.set_terms_flag(
        flagged, "prepayment_required", reason="Overdue", actor=world.sue, now=T0
    )
    outcome = ingest(_mail("Ana <ana@acme.example>", "<n3@acme.example>"), recipients=BILLING, now=T0)
    assert list(
        outcome.ticket.messages.filter(kind=Message.Kind.OUTBOUND).values_list("automatic", "text")
    ) == [(True, outcome.ticket.messages.get(kind=Message.Kind.OUTBOUND).text)]  # the acknowledgement only
    assert not Event.objects.filter(kind=Event.Kind.TERMS_REPLY).exists()


def test_a_reply_on_an_existing_ticket_gets_no_terms_reply(world, flagged):
    ingest(_mail("Ana <ana@acme.example>", "<n4@acme.example>"), recipients=BILLING, now=T0)
    raw = _mail("Ana <ana@acme.example>", "<n5@acme.example>", In_Reply_To="<n4@acme.example>")
    outcome = ingest(raw, recipients=BILLING, now=T0 + timedelta(minutes=5))
    assert outcome.kind == "reply"
    assert Event.objects.filter(kind=Event.Kind.TERMS_REPLY).count() == 1


def test_the_terms_reply_is_sent_once_per_ticket(world, flagged):
    outcome = ingest(_mail("Ana <ana@acme.example>", "<n6@acme.example>"), recipients=BILLING, now=T0)
    assert services.send_terms_reply(outcome.ticket, now=T0) is None
    assert Event.objects.filter(kind=Event.Kind.TERMS_REPLY).count() == 1
