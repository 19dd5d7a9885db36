"""The CPU part of ingest done elsewhere (a pool of processes), and the shortcuts for a first contact."""

import pickle
from email.message import EmailMessage

from answerable.mail.ingest import ingest, prepare
from answerable.tickets.models import Message
from conftest import T0

BILLING = ["billing@desk.example"]


def mail(sender="Nora Berg <nora@new.example>", subject="First question", **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "billing@desk.example"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(
        "Where is my order?\n\nOn Mon, 9 Mar 2026 at 10:00, Billing <billing@desk.example> wrote:\n"
        "> We shipped it.\n"
    )
    return msg.as_bytes()


def test_a_prepared_message_survives_pickling_and_is_stored_like_any_other(world):
    raw = mail(Message_ID="<p1@new.example>")
    prepared = pickle.loads(pickle.dumps(prepare(raw)))  # noqa: S301 (our own bytes, as from a worker)
    outcome = ingest(raw, recipients=BILLING, now=T0, prepared=prepared)
    assert outcome.kind == "new"
    assert outcome.message.new_text == "Where is my order?"
    assert outcome.message == Message.objects.get(message_id="<p1@new.example>")
    assert ingest(raw, recipients=BILLING, now=T0).kind == "duplicate"


def test_a_first_contact_is_acknowledged_and_a_later_reply_threads(world):
    first = ingest(mail(Message_ID="<p2@new.example>"), recipients=BILLING, now=T0)
    assert first.kind == "new" and first.ticket.customer.name == "Nora Berg"
    assert first.ticket.messages.filter(automatic=True).count() == 1
    reply = mail(subject="Re: First question", In_Reply_To="<p2@new.example>")
    again = ingest(reply, recipients=BILLING, now=T0)
    assert again.kind == "reply" and again.ticket == first.ticket
