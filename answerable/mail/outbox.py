"""The durable outbox: queued outbound messages are sent over SMTP with retries and backoff.

Any number of senders may run: each claims one message at a time with a conditional UPDATE that takes a
lease, so two never send the same message; a sender that dies mid-send lets its lease expire and the
message is tried again. A crash after the SMTP server accepted a message but before we recorded it sends it
twice, with the same Message-ID, which mail clients treat as one message (at least once, never lost).
"""

import logging
import smtplib
import time
from datetime import datetime, timedelta
from email.utils import format_datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Q
from django.utils.html import escape, linebreaks

from answerable.lib import tokens
from answerable.tickets import services
from answerable.tickets.models import Message, Ticket

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # the default; OUTBOX_LEASE_SECONDS sets it (keep it above EMAIL_TIMEOUT)
MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)  # the default; OUTBOX_RETRY_SECONDS sets it
MAX_DELAY = timedelta(hours=2)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at 2 h: about 2 hours of retrying over 8 attempts."""
    seconds = getattr(settings, "OUTBOX_RETRY_SECONDS", None)
    base = timedelta(seconds=seconds) if seconds else BASE_DELAY
    return min(MAX_DELAY, base * (2 ** max(0, attempts - 1)))


def lease() -> timedelta:
    """How long a sender may hold a message before another may take it (a sender that died)."""
    seconds = getattr(settings, "OUTBOX_LEASE_SECONDS", None)
    return timedelta(seconds=seconds) if seconds else LEASE


def _due(now: datetime) -> Q:
    return Q(delivery=Message.Delivery.QUEUED, next_attempt_at__lte=now) & (
        Q(lease_until=None) | Q(lease_until__lt=now)
    )


def claim_due(now: datetime) -> Message | None:
    """Take the oldest due message, or None. The UPDATE is the lock: 0 rows means another sender won."""
    from django.db.models import F

    for pk in (
        Message.objects.filter(_due(now)).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:5]
    ):
        taken = Message.objects.filter(_due(now), pk=pk).update(
            lease_until=now + lease(), attempts=F("attempts") + 1
        )
        if taken:
            return Message.objects.select_related("ticket__team", "ticket__customer", "author").get(pk=pk)
    return None


def send_due_once(now: datetime) -> bool:
    """Send one due message; False when there was none."""
    message = claim_due(now)
    if message is None:
        return False
    deliver(message, now=now)
    return True


def deliver(message: Message, *, now: datetime) -> None:
    ticket = message.ticket
    recipient = ticket.customer.emails.order_by("-primary", "id").values_list("address", flat=True).first()
    if recipient is None:
        services.record_delivery(message, sent=False, now=now, error="The customer has no email address.")
        return
    try:
        email = build(message, recipient)
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        services.record_delivery(
            message, sent=False, now=now, error=f"Refused by the mail server: {_smtp(exc)}"
        )
    except (smtplib.SMTPResponseException, smtplib.SMTPSenderRefused) as exc:
        permanent = 500 <= getattr(exc, "smtp_code", 0) < 600
        _failed(message, now=now, error=_smtp(exc), permanent=permanent)
    except Exception as exc:  # connection refused, timeouts, TLS: temporary, so retry with backoff
        _failed(message, now=now, error=f"{exc.__class__.__name__}: {exc}", permanent=False)
    else:
        _record_sent(message, now=now)


def _record_sent(message: Message, *, now: datetime) -> None:
    """The server has the message: record that even through a dropped database connection (a few tries over
    about 4 s), because a message left queued is sent again when its lease runs out."""
    for delay in (0.2, 0.5, 1.0, 2.0, None):
        try:
            services.record_delivery(message, sent=True, now=now)
            return
        except (OperationalError, InterfaceError):
            if delay is None or connection.in_atomic_block:
                raise
            log.warning("message %s was sent but not yet recorded: reconnecting to the database", message.pk)
            connection.close()
            time.sleep(delay)


def _smtp(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {msg.decode(errors='replace')}" for rcpt, (code, msg) in exc.recipients.items()
        )
    code = getattr(exc, "smtp_code", "")
    text = getattr(exc, "smtp_error", b"")
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}".strip()


def _failed(message: Message, *, now: datetime, error: str, permanent: bool) -> None:
    attempts = Message.objects.filter(pk=message.pk).values_list("attempts", flat=True).get()
    if permanent or attempts >= MAX_ATTEMPTS:
        services.record_delivery(message, sent=False, now=now, error=f"{error} (after {attempts} attempts)")
    else:
        log.warning("sending message %s failed (attempt %s), retrying: %s", message.pk, attempts, error)
        services.retry_later(message, error=error, at=now + backoff(attempts))


def team_address(ticket: Ticket) -> str:
    return (
        ticket.team.addresses.order_by("id").values_list("email", flat=True).first()
        or settings.DEFAULT_FROM_EMAIL
    )


def build(message: Message, recipient: str) -> EmailMultiAlternatives:
    """The mail as the customer receives it: our Message-ID, the thread's In-Reply-To and References, a
    signed Reply-To that threads back, plain text with an HTML alternative, and the attachments."""
    ticket = message.ticket
    address = team_address(ticket)
    earlier = list(
        ticket.messages.exclude(message_id=None).exclude(pk=message.pk).filter(created_at__lte=message.created_at)
        .exclude(kind=Message.Kind.NOTE).order_by("created_at", "id").values_list("message_id", "kind")
    )  # fmt: skip
    references = [mid for mid, _ in earlier][-20:]
    inbound = [mid for mid, kind in earlier if kind == Message.Kind.INBOUND]
    name = message.author.display_name if message.author else ticket.team.name
    headers = {
        "Message-ID": message.message_id,
        "Date": format_datetime(message.created_at),
        "Reply-To": tokens.reply_address(address, ticket.pk),
    }
    if inbound or references:
        headers["In-Reply-To"] = (inbound or references)[-1]
        headers["References"] = " ".join(references)
    if message.automatic:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer this
    subject = ticket.subject if ticket.subject.lower().startswith("re:") else f"Re: {ticket.subject}"
    email = EmailMultiAlternatives(
        subject=f"{subject} [{ticket.reference}]",
        body=message.text,
        from_email=f"{name} <{address}>",
        to=[recipient],
        headers=headers,
    )
    email.attach_alternative(f"<html><body>{linebreaks(escape(message.text))}</body></html>", "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as fh:
            email.attach(attachment.filename, fh.read(), attachment.content_type)
    return email
