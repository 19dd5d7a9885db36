"""Inbound mail to tickets: parse, route to a team, find the customer, thread, store, acknowledge.

Nothing is lost: mail that cannot become a ticket message (no usable sender, no team) is quarantined raw with
the reason; a malformed message is stored with whatever text could be recovered and its problems flagged.

Threading trusts a reference only from the ticket's own customer: In-Reply-To/References to our Message-IDs,
then a signed plus-address token, then "[#123]" in the subject. A forged or guessed reference from anyone
else opens a new ticket instead of reaching another customer's conversation.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from answerable.accounts import services as accounts
from answerable.customers.models import Customer
from answerable.customers.services import find_or_create_customer
from answerable.lib import tokens
from answerable.lib.attachments import AttachmentRejected
from answerable.mail.models import QuarantinedMail
from answerable.mail.parse import ParsedMail, parse
from answerable.mail.reply_text import extract_reply
from answerable.staff import directory
from answerable.staff.models import Team
from answerable.tickets import services
from answerable.tickets.models import Message, Status, Ticket

log = logging.getLogger(__name__)
_REFERENCE = re.compile(r"\[#(\d{1,12})\]")
_ROBOT_SENDER = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+.-].*)?@", re.I)
ACKS_PER_SENDER_PER_HOUR = 3


@dataclass(frozen=True)
class Outcome:
    kind: str  # "new", "reply", "follow_up", "duplicate", "bounce", "quarantined"
    ticket: Ticket | None = None
    message: Message | None = None
    reason: str = ""


def team_for(addresses: list[str]) -> Team | None:
    for address in addresses:
        team = directory.team_at(tokens.base_address(address.strip()))
        if team is not None:
            return team
    return None


def same_message(existing: Message, parsed: ParsedMail, raw: bytes) -> bool:
    """A redelivery of the stored message (the same bytes, or the same text inbound), not a different mail
    that happens to carry the same Message-ID."""
    if existing.kind != Message.Kind.INBOUND:
        return False
    if existing.raw is not None and bytes(existing.raw) == raw:
        return True
    return " ".join(existing.text.split()) == " ".join(parsed.text.split())


def message_key(parsed: ParsedMail, raw: bytes) -> str:
    """The Message-ID, or for mail without one a stable id from its bytes, so a redelivery is still caught."""
    return parsed.message_id or f"<sha256-{hashlib.sha256(raw).hexdigest()}@answerable.invalid>"


@dataclass(frozen=True)
class Prepared:
    """The part of ingesting a message that needs no database: it may run in another process."""

    parsed: ParsedMail
    new_text: str  # the reply without quotes and signature (mail.reply_text)


def prepare(raw: bytes) -> Prepared:
    """Parse and separate the reply. Never raises; picklable, so a pool of processes can do it."""
    parsed = parse(raw)
    return Prepared(parsed, extract_reply(parsed.text, parsed.html))


def ingest(
    raw: bytes,
    *,
    recipients: list[str],
    now: datetime,
    source: str = "smtp",
    historical: bool = False,
    prepared: Prepared | None = None,
) -> Outcome:
    """Store one message. The same message delivered twice is stored once.

    `historical` is for imported archives: the message keeps its own Date (when it is not in the future)
    and nobody is acknowledged for mail written long ago. `prepared` is prepare(raw), when it was done
    elsewhere (a pool of processes parsing while this one writes).
    """
    prepared = prepared or prepare(raw)
    parsed = prepared.parsed
    if historical and parsed.date is not None and parsed.date <= now:
        now = parsed.date
    key = message_key(parsed, raw)
    existing = _stored(key)
    if existing and not same_message(existing, parsed, raw):
        # Some mailers reuse Message-IDs for different mail: keep this one under a key of its own bytes.
        key = f"<sha256-{hashlib.sha256(raw).hexdigest()}@answerable.invalid>"
        parsed.problems.append(f"Message-ID {parsed.message_id} was already used by a different message")
        existing = _stored(key)
    if existing:
        return Outcome("duplicate", existing.ticket, existing)
    if parsed.is_bounce:
        return _bounce(parsed, raw, now=now, source=source)
    # The envelope decides when there is one (SMTP); a mailbox poll or an import has only the headers.
    team = team_for(recipients) or team_for(parsed.recipients)
    if team is None:
        return quarantine(raw, "No team receives mail at any of its recipients.", now=now, source=source)
    if not parsed.from_address:
        return quarantine(raw, "The message has no usable sender address.", now=now, source=source)
    try:
        with transaction.atomic():
            outcome = _file(
                prepared, raw, key=key, team=team, recipients=recipients, now=now, ack=not historical
            )
    except IntegrityError:
        # A concurrent delivery of the same message won the race: that copy is the one we keep.
        existing = _stored(key)
        if existing is None:
            raise
        return Outcome("duplicate", existing.ticket, existing)
    except AttachmentRejected as exc:
        return quarantine(raw, f"Attachment refused: {exc}", now=now, source=source)
    return outcome


def _stored(key: str) -> Message | None:
    """The message stored under this key. Most mail is new: a one-column probe first (the ORM compiles it in
    half the time of the full row with its ticket), the full row only when there is one."""
    stored = Message.objects.filter(message_id=key)
    if not stored.values_list("pk", flat=True)[:1]:
        return None
    return stored.select_related("ticket").get()


def _file(
    prepared: Prepared, raw: bytes, *, key: str, team: Team, recipients: list[str], now: datetime, ack: bool
) -> Outcome:
    parsed = prepared.parsed
    customer, first_contact = find_or_create_customer(parsed.from_address, name=parsed.from_name)
    referenced = None if first_contact else _referenced(parsed, customer, recipients)
    fields = {
        "text": parsed.text, "html": parsed.html, "raw": raw, "message_id": key, "files": parsed.attachments,
        "new_text": prepared.new_text, "problems": parsed.problems,
    }  # fmt: skip
    if referenced is not None and referenced.status != Status.CLOSED:
        message = services.receive_message(referenced, sender=customer, now=now, **fields)
        return Outcome("reply", referenced, message)
    ticket = services.open_ticket(
        customer=customer, team=team, subject=parsed.subject, now=now, channel="email", **fields
    )
    if ack and should_acknowledge(parsed, team, customer, now=now, first_contact=first_contact):
        services.acknowledge(ticket, now=now, opened_here=True)
        accounts.send_terms_reply(ticket, now=now)  # a flag's pre-approved reply, if it has one
    kind = "follow_up" if referenced is not None else "new"
    return Outcome(kind, ticket, ticket.first_message)


def _referenced(parsed: ParsedMail, customer: Customer, recipients: list[str]) -> Ticket | None:
    """The ticket this mail continues, if the sender is that ticket's customer."""
    ids = [*parsed.in_reply_to, *parsed.references]
    if ids:
        # The ticket of the latest referenced message, read without that message's text and raw bytes.
        found = (
            Ticket.objects.filter(customer=customer, messages__message_id__in=ids)
            .order_by("-messages__created_at")
            .first()
        )
        if found:
            return found
    for address in [*recipients, *parsed.recipients]:
        ticket_id = tokens.ticket_from_address(address)
        if ticket_id is not None:
            ticket = Ticket.objects.filter(pk=ticket_id, customer=customer).first()
            if ticket:
                return ticket
    match = _REFERENCE.search(parsed.subject)
    if match:
        return Ticket.objects.filter(pk=int(match.group(1)), customer=customer).first()
    return None


def should_acknowledge(
    parsed: ParsedMail, team: Team, customer: Customer, *, now: datetime, first_contact: bool = False
) -> bool:
    """RFC 3834 and common sense: never answer robots, lists or ourselves, and not too often.

    `first_contact`: the customer was created for this mail, so nothing was sent to them yet.
    """
    if parsed.auto_submitted not in ("", "no"):
        return False
    if parsed.precedence in ("bulk", "junk", "list") or parsed.list_id:
        return False
    if parsed.return_path == "":  # the null sender <>: a bounce or another auto-reply
        return False
    if _ROBOT_SENDER.match(parsed.from_address):
        return False
    if directory.is_team_address(tokens.base_address(parsed.from_address)):
        return False
    if first_contact:
        return True
    recent = Message.objects.filter(
        ticket__customer=customer, automatic=True, created_at__gte=now - timedelta(hours=1)
    ).count()
    return recent < ACKS_PER_SENDER_PER_HOUR


def _bounce(parsed: ParsedMail, raw: bytes, *, now: datetime, source: str) -> Outcome:
    """A delivery status notification marks the message that bounced as failed, visibly, with the reason."""
    original = None
    if parsed.bounced_message_id:
        original = Message.objects.filter(
            message_id=parsed.bounced_message_id, kind=Message.Kind.OUTBOUND
        ).select_related("ticket").first()  # fmt: skip
    if original is None:
        return quarantine(raw, "A bounce for a message we do not know.", now=now, source=source)
    reason = f"Bounced: {parsed.bounce_reason or 'the recipient server returned it'}"
    services.record_delivery(original, sent=False, now=now, error=reason)
    quarantine(raw, f"Bounce for {original.ticket.reference}: {reason}", now=now, source=source)
    return Outcome("bounce", original.ticket, original, reason)


def quarantine(raw: bytes, reason: str, *, now: datetime, source: str) -> Outcome:
    digest = hashlib.sha256(raw).hexdigest()
    QuarantinedMail.objects.get_or_create(
        sha256=digest, defaults={"raw": raw, "reason": reason, "source": source[:255], "received_at": now}
    )
    log.warning("quarantined mail from %s: %s", source, reason)
    return Outcome("quarantined", reason=reason)
