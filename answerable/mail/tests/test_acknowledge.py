"""Acknowledgements: instant, honest, and never sent to robots, lists or ourselves."""

from datetime import timedelta
from email.message import EmailMessage

import pytest

from answerable.mail import outbox
from answerable.mail.ingest import ingest
from answerable.tickets import services
from answerable.tickets.expected import DEFAULT_TARGET, expected_first_response
from answerable.tickets.models import Message
from conftest import T0  # Tuesday 10 March 2026, 09:00 UTC = 10:00 in Berlin


def mail(
    sender="Ana Ruiz <ana@acme.example>", subject="Cake for Saturday", body="Can you do 40 people?", **headers
):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "billing@desk.example"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def acks(ticket):
    return list(ticket.messages.filter(automatic=True))


def test_a_new_ticket_by_mail_is_acknowledged_with_reference_owner_and_expected_time(world, smtp_capture):
    world.billing.time_zone = "Europe/Berlin"
    world.billing.save()
    outcome = ingest(mail(), recipients=["billing@desk.example"], now=T0)
    ticket = outcome.ticket
    ticket.refresh_from_db()
    # No history yet: the default four business hours, from 10:00 Berlin time.
    assert ticket.expected_response_at == T0 + DEFAULT_TARGET
    [ack] = acks(ticket)
    assert f"#{ticket.pk}" in ack.text
    assert "Our Billing team will answer you by Tuesday 10 March, 14:00 (Europe/Berlin time)" in ack.text
    outbox.send_due_once(T0)
    [sent] = smtp_capture.messages
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["To"] == "ana@acme.example"


def test_expected_time_follows_the_teams_recent_first_responses(world, make_ticket):
    # Eight tickets answered 30 to 60 minutes after they came in: the 80th percentile is about 55 min.
    for i in range(8):
        created = T0 - timedelta(days=1) + timedelta(hours=1, minutes=10 * i)  # Monday, in business hours
        ticket = make_ticket(world.billing, subject=f"Old {i}", now=created)
        services.reply(
            ticket, agent=world.alice, text="Hi", now=created + timedelta(minutes=30 + 4 * i), queue=False
        )
    due = expected_first_response(world.billing, T0)
    assert T0 + timedelta(minutes=50) <= due <= T0 + timedelta(minutes=75)
    assert due.minute % 15 == 0


def test_expected_time_counts_business_hours_only(world):
    friday_evening = T0 + timedelta(days=3, hours=7)  # Friday 13 March, 16:00 UTC
    due = expected_first_response(world.billing, friday_evening)
    assert due.weekday() == 0  # Monday


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"Precedence": "list"},
        {"List_Id": "<news.acme.example>"},
        {"Return_Path": "<>"},
        {"sender": "MAILER-DAEMON@acme.example"},
        {"sender": "no-reply@shop.example"},
        {"sender": "Billing <billing@desk.example>"},
    ],
)
def test_robots_lists_and_our_own_mail_are_stored_but_never_acknowledged(world, headers):
    sender = headers.pop("sender", "Ana Ruiz <ana@acme.example>")
    outcome = ingest(mail(sender=sender, **headers), recipients=["billing@desk.example"], now=T0)
    assert outcome.kind == "new"
    assert acks(outcome.ticket) == []


def test_auto_submitted_no_is_a_person_and_is_acknowledged(world):
    outcome = ingest(mail(Auto_Submitted="no"), recipients=["billing@desk.example"], now=T0)
    assert len(acks(outcome.ticket)) == 1


def test_at_most_three_acknowledgements_per_sender_per_hour(world):
    outcomes = [
        ingest(
            mail(subject=f"Question {i}"), recipients=["billing@desk.example"], now=T0 + timedelta(minutes=i)
        )
        for i in range(5)
    ]
    assert [len(acks(o.ticket)) for o in outcomes] == [1, 1, 1, 0, 0]
    later = ingest(mail(subject="Next day"), recipients=["billing@desk.example"], now=T0 + timedelta(hours=2))
    assert len(acks(later.ticket)) == 1


def test_a_reply_on_an_existing_ticket_is_not_acknowledged(world):
    first = ingest(mail(Message_ID="<a1@acme.example>"), recipients=["billing@desk.example"], now=T0)
    again = ingest(
        mail(subject=f"Re: Cake [#{first.ticket.pk}]", In_Reply_To="<a1@acme.example>"),
        recipients=["billing@desk.example"],
        now=T0 + timedelta(minutes=5),
    )
    assert again.kind == "reply"
    assert Message.objects.filter(automatic=True).count() == 1
