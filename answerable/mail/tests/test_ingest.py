import smtplib
import socket
from email.message import EmailMessage
from pathlib import Path

import pytest

from answerable.lib import tokens
from answerable.lib.corpora import corpora_dir
from answerable.mail.ingest import ingest
from answerable.mail.management.commands.mail_receiver import make_controller
from answerable.mail.models import QuarantinedMail
from answerable.mail.tests.smtp_capture import free_port
from answerable.tickets import services
from answerable.tickets.models import Message, Status, Ticket
from conftest import T0

CORPORA = corpora_dir()
CORPUS = CORPORA / "email" / "messages" if CORPORA else Path("/nonexistent")
BILLING = ["billing@desk.example"]


def mail(
    subject="Order 1042", body="Where is my order?", sender="Ana Ruiz <ana@acme.example>", **headers
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = headers.pop("to", "billing@desk.example")
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def test_new_mail_opens_a_ticket_for_the_team_and_finds_the_customer(world):
    outcome = ingest(mail(Message_ID="<m1@acme.example>"), recipients=BILLING, now=T0)
    assert outcome.kind == "new"
    assert outcome.ticket.team == world.billing
    assert outcome.ticket.customer == world.billing_ticket.customer  # ana@acme.example already known
    assert outcome.message.raw.startswith(b"From: Ana Ruiz")
    assert outcome.message.message_id == "<m1@acme.example>"


def test_the_same_message_delivered_twice_is_stored_once(world):
    raw = mail(Message_ID="<twice@acme.example>")
    first = ingest(raw, recipients=BILLING, now=T0)
    again = ingest(raw, recipients=BILLING, now=T0)
    assert again.kind == "duplicate" and again.message.pk == first.message.pk
    assert Message.objects.filter(message_id="<twice@acme.example>").count() == 1


def test_mail_without_a_message_id_is_still_stored_once(world):
    raw = mail(subject="No id")
    first = ingest(raw, recipients=BILLING, now=T0)
    again = ingest(raw, recipients=BILLING, now=T0)
    assert again.kind == "duplicate" and again.message.pk == first.message.pk


def test_a_reply_threads_by_references_to_our_message_id(world):
    ours = services.reply(world.billing_ticket, agent=world.alice, text="Hi", now=T0)
    outcome = ingest(mail(References=f"<x@y> {ours.message_id}"), recipients=BILLING, now=T0)
    assert outcome.kind == "reply" and outcome.ticket == world.billing_ticket


def test_references_from_another_sender_do_not_reach_the_ticket(world):
    ours = services.reply(world.billing_ticket, agent=world.alice, text="Hi", now=T0)
    outcome = ingest(
        mail(sender="mallory@evil.example", In_Reply_To=ours.message_id), recipients=BILLING, now=T0
    )
    assert outcome.kind == "new" and outcome.ticket != world.billing_ticket


def test_a_subject_reference_from_another_sender_does_not_reach_the_ticket(world):
    subject = f"Re: hello [#{world.billing_ticket.pk}]"
    outcome = ingest(mail(subject=subject, sender="mallory@evil.example"), recipients=BILLING, now=T0)
    assert outcome.kind == "new" and outcome.ticket != world.billing_ticket


def test_a_subject_reference_from_the_customer_threads(world):
    outcome = ingest(mail(subject=f"Re: Refund [#{world.billing_ticket.pk}]"), recipients=BILLING, now=T0)
    assert outcome.ticket == world.billing_ticket


def test_a_signed_plus_address_threads_and_a_forged_one_does_not(world):
    good = tokens.reply_address("billing@desk.example", world.billing_ticket.pk)
    outcome = ingest(mail(subject="Any news?", to=good), recipients=[good], now=T0)
    assert outcome.kind == "reply" and outcome.ticket == world.billing_ticket
    forged = f"billing+t{world.billing_ticket.pk}-0000000000@desk.example"
    outcome = ingest(mail(subject="Any news??", to=forged), recipients=[forged], now=T0)
    assert outcome.kind == "new" and outcome.ticket.team == world.billing


def test_mail_on_a_closed_ticket_opens_a_follow_up(world):
    services.set_status(world.billing_ticket, Status.CLOSED, actor=world.alice, now=T0)
    outcome = ingest(mail(subject=f"Re: Refund [#{world.billing_ticket.pk}]"), recipients=BILLING, now=T0)
    assert outcome.kind == "follow_up" and outcome.ticket != world.billing_ticket
    assert outcome.ticket.customer == world.billing_ticket.customer


def test_mail_for_no_team_is_quarantined_not_lost(world):
    raw = mail(to="nobody@elsewhere.example")
    outcome = ingest(raw, recipients=["nobody@elsewhere.example"], now=T0)
    assert outcome.kind == "quarantined"
    assert QuarantinedMail.objects.get().raw == raw


def test_mail_without_a_usable_sender_is_quarantined(world):
    outcome = ingest(mail(sender="not an address"), recipients=BILLING, now=T0)
    assert outcome.kind == "quarantined" and "sender" in outcome.reason


DSN = """From: MAILER-DAEMON@mx.acme.example
To: billing@desk.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

This is the mail system at host mx.acme.example. Your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme.example

Final-Recipient: rfc822; ana@acme.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <ana@acme.example>: User unknown

--b1
Content-Type: text/rfc822-headers

From: Alice <billing@desk.example>
Message-ID: {message_id}
Subject: Re: Refund

--b1--
"""


def test_a_bounce_marks_the_outbound_message_failed_with_the_reason(world):
    reply = services.reply(world.billing_ticket, agent=world.alice, text="Hi", now=T0)
    outcome = ingest(DSN.format(message_id=reply.message_id).encode(), recipients=BILLING, now=T0)
    assert outcome.kind == "bounce"
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.FAILED
    assert "550 5.1.1 <ana@acme.example>: User unknown" in reply.delivery_error
    assert not Ticket.objects.filter(subject__startswith="Undelivered").exists()


def test_a_bounce_for_an_unknown_message_is_quarantined_not_a_ticket(world):
    outcome = ingest(DSN.format(message_id="<unknown@x>").encode(), recipients=BILLING, now=T0)
    assert outcome.kind == "quarantined"
    assert not Ticket.objects.filter(subject__startswith="Undelivered").exists()


def test_html_only_mail_is_stored_with_text_and_sanitised_html(world):
    msg = EmailMessage()
    msg["From"] = "ana@acme.example"
    msg["To"] = "billing@desk.example"
    msg["Subject"] = "HTML only"
    msg.set_content("<p>Hello <b>there</b><script>alert(1)</script></p>", subtype="html")
    outcome = ingest(msg.as_bytes(), recipients=BILLING, now=T0)
    assert "Hello" in outcome.message.text and "<p>" not in outcome.message.text
    assert "<script>" not in outcome.message.html and "<b>there</b>" in outcome.message.html


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not present")
@pytest.mark.parametrize("folder", ["real", "malformed"])
def test_every_corpus_message_is_stored_or_quarantined_without_a_crash(world, folder):
    files = sorted((CORPUS / folder).glob("*.eml"))
    assert len(files) >= 50
    kinds = [ingest(path.read_bytes(), recipients=BILLING, now=T0).kind for path in files]
    stored = sum(k in ("new", "reply", "follow_up", "duplicate") for k in kinds)
    assert stored + kinds.count("quarantined") + kinds.count("bounce") == len(files)
    assert stored >= len(files) * 0.8, kinds


@pytest.mark.django_db(transaction=True)
def test_smtp_receiver_answers_250_after_storing_and_550_for_unknown_addresses(make_team):
    make_team("Billing")
    port = free_port()
    controller = make_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.ehlo()
            assert smtp.docmd("MAIL FROM:<ana@acme.example>")[0] == 250
            assert smtp.docmd("RCPT TO:<nobody@desk.example>")[0] == 550
            smtp.rset()
            refused = smtp.sendmail("ana@acme.example", BILLING, mail(Message_ID="<s1@acme.example>"))
        assert refused == {}
        assert Message.objects.filter(message_id="<s1@acme.example>").exists()
    finally:
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_lmtp_receiver_answers_once_per_recipient_after_storing(make_team):
    make_team("Billing")
    make_team("Shipping")
    port = free_port()
    controller = make_controller("127.0.0.1", port, lmtp=True)
    controller.start()
    try:
        # smtplib's LMTP reads one reply after DATA, so talk the protocol by hand to see each line.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            conn = sock.makefile("rwb")

            def say(line: str) -> str:
                conn.write(line.encode() + b"\r\n")
                conn.flush()
                return conn.readline().decode()

            assert conn.readline().startswith(b"220")
            assert say("EHLO client.example").startswith("500")  # LMTP speaks LHLO only
            assert say("LHLO client.example").startswith("250")
            while not conn.readline().startswith(b"250 "):  # the rest of the LHLO reply
                pass
            assert say("MAIL FROM:<ana@acme.example>").startswith("250")
            assert say("RCPT TO:<billing@desk.example>").startswith("250")
            assert say("RCPT TO:<nobody@desk.example>").startswith("550")
            assert say("RCPT TO:<shipping@desk.example>").startswith("250")
            assert say("DATA").startswith("354")
            conn.write(mail(Message_ID="<l1@acme.example>").replace(b"\n", b"\r\n") + b"\r\n.\r\n")
            conn.flush()
            replies = [conn.readline().decode(), conn.readline().decode()]
            assert all(r.startswith("250 ") for r in replies), replies  # one per accepted recipient
            say("QUIT")
        assert Message.objects.filter(message_id="<l1@acme.example>").count() == 1
    finally:
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_lmtp_receiver_on_a_unix_socket_stores_the_message(make_team, tmp_path):
    make_team("Billing")
    path = str(tmp_path / "lmtp.sock")
    controller = make_controller("", 0, unix_socket=path)
    controller.start()
    try:
        with smtplib.LMTP(path) as lmtp:
            assert lmtp.sendmail("ana@acme.example", BILLING, mail(Message_ID="<l2@acme.example>")) == {}
        assert Message.objects.filter(message_id="<l2@acme.example>").exists()
    finally:
        controller.stop()


def test_a_reused_message_id_on_different_mail_is_kept_not_dropped(world):
    same = "<same@broken.example>"
    first = ingest(mail(body="First question", Message_ID=same), recipients=BILLING, now=T0)
    other = ingest(mail(body="A different question", Message_ID=same), recipients=BILLING, now=T0)
    assert other.kind in ("new", "reply") and other.message.pk != first.message.pk
    assert other.message.text == "A different question"
    assert any("already used" in p for p in other.message.problems)
    again = ingest(mail(body="A different question", Message_ID=same), recipients=BILLING, now=T0)
    assert again.kind == "duplicate" and again.message.pk == other.message.pk
