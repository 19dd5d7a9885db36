"""Sending over real SMTP (an aiosmtpd server the test starts): headers, retries, failures, leases."""

from datetime import timedelta

from answerable.lib import tokens
from answerable.mail import outbox
from answerable.mail.tests.smtp_capture import free_port
from answerable.tickets import services
from answerable.tickets.models import Event, Message
from conftest import T0


def inbound_with_id(ticket, message_id="<c1@acme.example>"):
    message = ticket.messages.get(kind=Message.Kind.INBOUND)
    message.message_id = message_id
    message.save(update_fields=["message_id"])
    return message


def test_a_reply_is_sent_with_headers_that_thread_back(world, smtp_capture):
    ticket = world.billing_ticket
    inbound_with_id(ticket)
    reply = services.reply(ticket, agent=world.alice, text="Refunded today.\nMaya", now=T0)
    assert outbox.send_due_once(T0)
    [sent] = smtp_capture.messages
    assert sent["Message-ID"] == reply.message_id
    assert sent["In-Reply-To"] == "<c1@acme.example>"
    assert "<c1@acme.example>" in sent["References"]
    assert sent["Subject"] == f"Re: Refund for a double charge [#{ticket.pk}]"
    assert tokens.ticket_from_address(sent["Reply-To"]) == ticket.pk
    assert sent["From"] == "Alice <billing@desk.example>"
    assert sent.get_body(("plain",)).get_content().replace("\r\n", "\n").strip() == "Refunded today.\nMaya"
    assert "<br>" in sent.get_body(("html",)).get_content()
    assert "Auto-Submitted" not in sent
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.SENT and reply.sent_at == T0
    assert not outbox.send_due_once(T0)  # nothing left


def test_attachments_are_sent(world, smtp_capture):
    files = [services.IncomingFile("invoice.pdf", b"%PDF-1.4 test", "application/pdf")]
    services.reply(world.billing_ticket, agent=world.alice, text="Attached.", now=T0, files=files)
    outbox.send_due_once(T0)
    [sent] = smtp_capture.messages
    [attachment] = list(sent.iter_attachments())
    assert attachment.get_filename() == "invoice.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"


def test_a_server_that_is_down_means_retry_later_with_backoff_then_sent(world, settings):
    reply = services.reply(world.billing_ticket, agent=world.alice, text="Hi", now=T0)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    assert outbox.send_due_once(T0)
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.QUEUED
    assert "ConnectionRefused" in reply.delivery_error
    assert reply.next_attempt_at == T0 + outbox.backoff(1)
    assert not outbox.send_due_once(T0 + timedelta(seconds=10))  # not due yet
    assert outbox.send_due_once(T0 + timedelta(seconds=31))
    reply.refresh_from_db()
    assert reply.attempts == 2 and reply.next_attempt_at == T0 + timedelta(seconds=31) + outbox.backoff(2)


def test_backoff_doubles_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(30) == outbox.MAX_DELAY


def test_after_the_last_attempt_the_message_is_failed_with_the_reason(world, settings):
    reply = services.reply(world.billing_ticket, agent=world.alice, text="Hi", now=T0)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    now = T0
    for _ in range(outbox.MAX_ATTEMPTS):
        assert outbox.send_due_once(now)
        now += outbox.MAX_DELAY
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.FAILED
    assert f"after {outbox.MAX_ATTEMPTS} attempts" in reply.delivery_error
    assert Event.objects.filter(ticket=world.billing_ticket, kind=Event.Kind.DELIVERY).count() == 1


def test_a_refused_recipient_fails_at_once_and_visibly(world, smtp_capture, client):
    smtp_capture.refuse_with = "550 5.1.1 Mailbox does not exist"
    reply = services.reply(world.billing_ticket, agent=world.alice, text="Hi", now=T0)
    outbox.send_due_once(T0)
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.FAILED
    assert "550" in reply.delivery_error and "Mailbox does not exist" in reply.delivery_error
    client.force_login(world.alice)
    html = client.get(f"/t/{world.billing_ticket.pk}/").content.decode()
    assert "failed" in html and "Mailbox does not exist" in html


def test_a_claimed_message_is_not_claimed_again_until_its_lease_expires(world):
    reply = services.reply(world.billing_ticket, agent=world.alice, text="Hi", now=T0)
    assert outbox.claim_due(T0).pk == reply.pk
    assert outbox.claim_due(T0 + timedelta(seconds=5)) is None
    assert outbox.claim_due(T0 + outbox.LEASE + timedelta(seconds=1)).pk == reply.pk


def test_notes_and_already_sent_replies_never_enter_the_outbox(world):
    services.add_note(world.billing_ticket, agent=world.alice, text="internal", now=T0)
    services.reply(world.billing_ticket, agent=world.alice, text="old", now=T0, queue=False)
    assert outbox.claim_due(T0 + timedelta(days=1)) is None
