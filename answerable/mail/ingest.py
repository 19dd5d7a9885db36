"""Inbound mail to tickets: parse, find the team and the customer, thread, store, in one transaction.

Threading trusts a reference only from the ticket's own customer: a forged In-Reply-To or "[#123]" from
anyone else opens a new ticket instead of reaching another customer's conversation.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.html import strip_tags

from answerable.customers.services import customer_for_address, normalise_address
from answerable.lib.attachments import AttachmentRejected
from answerable.staff.models import Team, TeamAddress
from answerable.tickets import services
from answerable.tickets.models import Message, Status, Ticket

log = logging.getLogger(__name__)
_REFERENCE = re.compile(r"\[#(\d{1,12})\]")


class NotForUs(ValueError):
    """No team receives mail at any of the recipients."""


@dataclass(frozen=True)
class Ingested:
    ticket: Ticket
    message: Message
    created_ticket: bool
    duplicate: bool = False


def team_for(recipients: list[str]) -> Team | None:
    for address in recipients:
        found = TeamAddress.objects.select_related("team").filter(email__iexact=address.strip()).first()
        if found:
            return found.team
    return None


def ingest(raw: bytes, *, recipients: list[str], now: datetime) -> Ingested:
    """Store one message. The same Message-ID delivered twice is stored once."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    # The envelope decides when there is one (SMTP); a mailbox poll has only the headers.
    headers = [a for _, a in getaddresses([*msg.get_all("delivered-to", []), *msg.get_all("to", [])])]
    team = team_for(recipients or headers)
    if team is None:
        raise NotForUs(f"No team receives mail at {', '.join(recipients)}")
    message_id = (msg.get("message-id") or "").strip() or None
    if message_id:
        existing = Message.objects.filter(message_id=message_id).select_related("ticket").first()
        if existing:
            return Ingested(existing.ticket, existing, created_ticket=False, duplicate=True)
    name, address = _sender(msg)
    text, html = _body(msg)
    files = _files(msg)
    try:
        with transaction.atomic():
            customer = customer_for_address(address, name=name)
            ticket = _thread(msg, customer_id=customer.pk, team=team)
            if ticket is None:
                ticket = services.open_ticket(
                    customer=customer, team=team, subject=str(msg.get("subject", "")), text=text, html=html,
                    raw=raw, message_id=message_id, files=files, now=now, channel="email",
                )  # fmt: skip
                return Ingested(ticket, ticket.messages.get(), created_ticket=True)
            message = services.receive_message(
                ticket,
                sender=customer,
                text=text,
                html=html,
                raw=raw,
                message_id=message_id,
                files=files,
                now=now,
            )
            return Ingested(ticket, message, created_ticket=False)
    except IntegrityError:
        # A concurrent delivery of the same Message-ID won the race: that copy is the one we keep.
        existing = Message.objects.filter(message_id=message_id).select_related("ticket").first()
        if existing is None:
            raise
        return Ingested(existing.ticket, existing, created_ticket=False, duplicate=True)
    except (ValidationError, AttachmentRejected) as exc:
        raise ValueError(str(exc)) from exc


def _sender(msg: EmailMessage) -> tuple[str, str]:
    """The first usable address among From, Reply-To, Sender and Return-Path."""
    for header in ("from", "reply-to", "sender", "return-path"):
        try:
            name, address = parseaddr(str(msg.get(header, "")))
        except (IndexError, ValueError):  # the header parser gives up on some broken headers
            continue
        if "@" in address:
            try:
                normalise_address(address)
            except ValidationError:
                continue
            return name, address
    raise ValueError("The message has no usable sender address.")


def _thread(msg: EmailMessage, *, customer_id: int, team: Team) -> Ticket | None:
    """The ticket this mail continues, if the sender is its customer; a closed ticket gets a follow-up."""
    ticket = _referenced(msg, customer_id=customer_id)
    if ticket is None or ticket.status == Status.CLOSED:
        return None
    return ticket


def _referenced(msg: EmailMessage, *, customer_id: int) -> Ticket | None:
    ids = re.findall(r"<[^>]+>", f"{msg.get('in-reply-to', '')} {msg.get('references', '')}")
    if ids:
        found = (
            Message.objects.filter(message_id__in=ids, ticket__customer_id=customer_id)
            .select_related("ticket")
            .order_by("-created_at")
            .first()
        )
        if found:
            return found.ticket
    match = _REFERENCE.search(str(msg.get("subject", "")))
    if match:
        return Ticket.objects.filter(pk=int(match.group(1)), customer_id=customer_id).first()
    return None


def _body(msg: EmailMessage) -> tuple[str, str]:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if part.get_content_type() == "text/html":
        return strip_tags(content).strip(), content
    html_part = msg.get_body(preferencelist=("html",))
    html = ""
    if html_part is not None:
        try:
            html = html_part.get_content()
        except (LookupError, UnicodeError):
            html = ""
    return content.strip(), html


def _files(msg: EmailMessage) -> list[services.IncomingFile]:
    out = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        out.append(
            services.IncomingFile(
                filename=part.get_filename() or "attachment",
                content=payload,
                content_type=part.get_content_type(),
            )
        )
    return out
