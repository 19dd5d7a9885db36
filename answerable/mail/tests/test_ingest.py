import smtplib
import socket
from email.message import EmailMessage
from pathlib import Path

import pytest

from answerable.lib.corpora import corpora_dir
from answerable.mail.ingest import NotForUs, ingest
from answerable.mail.management.commands.mail_receiver import make_controller
from answerable.tickets.models import Message
from conftest import T0

CORPORA = corpora_dir()
CORPUS = CORPORA / "email" / "messages" if CORPORA else Path("/nonexistent")


def mail(
    subject="Order 1042", body="Where is my order?", sender="Ana Ruiz <ana@acme.example>", **headers
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "billing@desk.example"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def test_new_mail_opens_a_ticket_for_the_team_and_finds_the_customer(world):
    result = ingest(mail(Message_ID="<m1@acme.example>"), recipients=["billing@desk.example"], now=T0)
    assert result.created_ticket
    assert result.ticket.team == world.billing
    assert result.ticket.customer == world.billing_ticket.customer  # ana@acme.example already known
    assert result.message.raw.startswith(b"From: Ana Ruiz")


def test_the_same_message_delivered_twice_is_stored_once(world):
    raw = mail(Message_ID="<twice@acme.example>")
    first = ingest(raw, recipients=["billing@desk.example"], now=T0)
    again = ingest(raw, recipients=["billing@desk.example"], now=T0)
    assert again.duplicate and again.message.pk == first.message.pk
    assert Message.objects.filter(message_id="<twice@acme.example>").count() == 1


def test_a_reply_threads_by_references_to_our_message_id(world):
    ours = Message.objects.create(ticket=world.billing_ticket, kind="outbound", text="Hi", created_at=T0,
                                  message_id="<ours@desk.example>")  # fmt: skip
    result = ingest(mail(References="<x@y> <ours@desk.example>"), recipients=["billing@desk.example"], now=T0)
    assert result.ticket == world.billing_ticket and not result.created_ticket
    assert ours.ticket.messages.count() == 3


def test_a_subject_reference_from_another_sender_does_not_reach_the_ticket(world):
    subject = f"Re: hello [#{world.billing_ticket.pk}]"
    result = ingest(
        mail(subject=subject, sender="mallory@evil.example"), recipients=["billing@desk.example"], now=T0
    )
    assert result.created_ticket and result.ticket != world.billing_ticket


def test_a_subject_reference_from_the_customer_threads(world):
    subject = f"Re: Refund [#{world.billing_ticket.pk}]"
    result = ingest(mail(subject=subject), recipients=["billing@desk.example"], now=T0)
    assert result.ticket == world.billing_ticket


def test_mail_for_no_team_is_refused(world):
    with pytest.raises(NotForUs):
        ingest(mail(), recipients=["nobody@elsewhere.example"], now=T0)


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not present")
def test_real_messages_from_the_corpus_become_tickets_or_a_clear_refusal(world):
    files = sorted((CORPUS / "real").glob("*.eml"))
    assert len(files) >= 50
    stored, refused = 0, []
    for path in files:
        try:
            ingest(path.read_bytes(), recipients=["billing@desk.example"], now=T0)
            stored += 1
        except ValueError as exc:  # e.g. no usable sender: quarantine comes with the email channel (issue 3)
            refused.append((path.name, str(exc)))
    assert all(reason == "The message has no usable sender address." for _, reason in refused), refused
    assert stored >= 45, refused


@pytest.mark.django_db(transaction=True)
def test_smtp_receiver_answers_250_after_storing_and_550_for_unknown_addresses(make_team):
    make_team("Billing")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = make_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.ehlo()
            code, _ = smtp.docmd("MAIL FROM:<ana@acme.example>")
            assert code == 250
            code, _ = smtp.docmd("RCPT TO:<nobody@desk.example>")
            assert code == 550
            smtp.rset()
            refused = smtp.sendmail(
                "ana@acme.example", ["billing@desk.example"], mail(Message_ID="<s1@acme.example>")
            )
        assert refused == {}
        assert Message.objects.filter(message_id="<s1@acme.example>").exists()
    finally:
        controller.stop()


def test_mail_on_a_closed_ticket_opens_a_follow_up(world):
    from answerable.tickets import services
    from answerable.tickets.models import Status

    services.set_status(world.billing_ticket, Status.CLOSED, actor=world.alice, now=T0)
    subject = f"Re: Refund [#{world.billing_ticket.pk}]"
    result = ingest(mail(subject=subject), recipients=["billing@desk.example"], now=T0)
    assert result.created_ticket and result.ticket != world.billing_ticket
    assert result.ticket.customer == world.billing_ticket.customer
