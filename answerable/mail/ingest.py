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

from answerable.customers.models import Customer
from answerable.customers.services import customer_for_address
from answerable.lib import tokens
from answerable.lib.attachments import AttachmentRejected
from answerable.mail.models import QuarantinedMail
from answerable.mail.parse import ParsedMail, parse
from answerable.mail.reply_text import extract_reply
from answerable.staff.models import Team, TeamAddress
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
        base = tokens.base_address(address.strip())
        found = TeamAddress.objects.select_related("team").filter(email__iexact=base).first()
        if found:
            return found.team
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


def ingest(
    raw: bytes, *, recipients: list[str], now: datetime, source: str = "smtp", historical: bool = False
) -> Outcome:
    """Store one message. The same message delivered twice is stored once.

    `historical` is for imported archives: the message keeps its own Date (when it is not in the future)
    and nobody is acknowledged for mail written long ago.
    """
    parsed = parse(raw)
    if historical and parsed.date is not None and parsed.date <= now:
        now = parsed.date
    key = message_key(parsed, raw)
    existing = Message.objects.filter(message_id=key).select_related("ticket").first()
    if existing and not same_message(existing, parsed, raw):
        # Some mailers reuse Message-IDs for different mail: keep this one under a key of its own bytes.
        key = f"<sha256-{hashlib.sha256(raw).hexdigest()}@answerable.invalid>"
        parsed.problems.append(f"Message-ID {parsed.message_id} was already used by a different message")
        existing = Message.objects.filter(message_id=key).select_related("ticket").first()
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
                parsed, raw, key=key, team=team, recipients=recipients, now=now, ack=not historical
            )
    except IntegrityError:
        # A concurrent delivery of the same message won the race: that copy is the one we keep.
        existing = Message.objects.filter(message_id=key).select_related("ticket").first()
        if existing is None:
            raise
        return Outcome("duplicate", existing.ticket, existing)
    except AttachmentRejected as exc:
        return quarantine(raw, f"Attachment refused: {exc}", now=now, source=source)
    return outcome


def _file(
    parsed: ParsedMail, raw: bytes, *, key: str, team: Team, recipients: list[str], now: datetime, ack: bool
) -> Outcome:
    customer = customer_for_address(parsed.from_address, name=parsed.from_name)
    referenced = _referenced(parsed, customer, recipients)
    new_text = extract_reply(parsed.text, parsed.html)
    fields = {
        "text": parsed.text, "html": parsed.html, "raw": raw, "message_id": key, "files": parsed.attachments,
        "new_text": new_text, "problems": parsed.problems,
    }  # fmt: skip
    if referenced is not None and referenced.status != Status.CLOSED:
        message = services.receive_message(referenced, sender=customer, now=now, **fields)
        return Outcome("reply", referenced, message)
    ticket = services.open_ticket(
        customer=customer, team=team, subject=parsed.subject, now=now, channel="email", **fields
    )
    if ack and should_acknowledge(parsed, team, customer, now=now):
        services.acknowledge(ticket, now=now)
    kind = "follow_up" if referenced is not None else "new"
    return Outcome(kind, ticket, ticket.messages.get(kind=Message.Kind.INBOUND))


def _referenced(parsed: ParsedMail, customer: Customer, recipients: list[str]) -> Ticket | None:
    """The ticket this mail continues, if the sender is that ticket's customer."""
    ids = [*parsed.in_reply_to, *parsed.references]
    if ids:
        found = (
            Message.objects.filter(message_id__in=ids, ticket__customer=customer)
            .select_related("ticket")
            .order_by("-created_at")
            .first()
        )
        if found:
            return found.ticket
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


def should_acknowledge(parsed: ParsedMail, team: Team, customer: Customer, *, now: datetime) -> bool:
    """RFC 3834 and common sense: never answer robots, lists or ourselves, and not too often."""
    if parsed.auto_submitted not in ("", "no"):
        return False
    if parsed.precedence in ("bulk", "junk", "list") or parsed.list_id:
        return False
    if parsed.return_path == "":  # the null sender <>: a bounce or another auto-reply
        return False
    if _ROBOT_SENDER.match(parsed.from_address):
        return False
    if TeamAddress.objects.filter(email__iexact=tokens.base_address(parsed.from_address)).exists():
        return False
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
