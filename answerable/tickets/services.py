"""Every write to a ticket happens here, in one transaction that also records the Event.

Views, the mail receiver, commands and tests call these functions; nothing else saves tickets or messages.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from types import ModuleType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from answerable.customers.models import Customer
from answerable.lib import jobs
from answerable.lib.attachments import check_attachment
from answerable.lib.html import sanitise
from answerable.staff import directory
from answerable.staff.models import Agent, Team
from answerable.tickets.models import (
    Attachment,
    Event,
    Macro,
    Message,
    Presence,
    Priority,
    Status,
    Tag,
    Ticket,
)
from answerable.webhooks import services as webhooks

if TYPE_CHECKING:
    from answerable.promises.services import PromiseDraft


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    content: bytes
    content_type: str


def promise_hooks() -> "ModuleType":
    """The promise ledger's hooks. Imported late: the ledger's models import this app's models."""
    from answerable.promises import services as ledger

    return ledger


def _event(ticket: Ticket, kind: str, *, actor: Agent | None, now: datetime, **data: object) -> Event:
    event = Event.objects.create(ticket=ticket, kind=kind, actor=actor, at=now, data=data)
    webhooks.on_event(event)  # queues deliveries on commit, only for events someone subscribed to
    return event


def _store_files(message: Message, files: Iterable[IncomingFile]) -> None:
    for f in files:
        content_type = check_attachment(f.filename, f.content, f.content_type)
        name = _safe_filename(f.filename)
        attachment = Attachment(
            message=message, filename=name, content_type=content_type, size=len(f.content)
        )
        attachment.file.save(name, ContentFile(f.content), save=False)
        attachment.save()


def _inbound(
    ticket: Ticket,
    sender: Customer,
    *,
    text: str,
    html: str,
    raw: bytes | None,
    message_id: str | None,
    files: Sequence[IncomingFile],
    now: datetime,
    actor: Agent | None,
    new_text: str = "",
    problems: Sequence[str] = (),
) -> Message:
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.INBOUND,
        sender=sender,
        text=text,
        new_text=new_text if new_text.strip() != text.strip() else "",
        problems=list(problems),
        html=sanitise(html) if html else "",
        raw=raw,
        message_id=message_id,
        created_at=now,
    )
    _store_files(message, files)
    _event(ticket, Event.Kind.MESSAGE_RECEIVED, actor=actor, now=now, message=message.pk)
    return message


def _safe_filename(filename: str) -> str:
    """No paths, no control characters, never empty: the name is shown and used for downloads."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip(" .")
    return base[:200] or "attachment"


@transaction.atomic
def open_ticket(
    *,
    customer: Customer,
    team: Team,
    subject: str,
    text: str,
    now: datetime,
    html: str = "",
    priority: int = Priority.NORMAL,
    raw: bytes | None = None,
    message_id: str | None = None,
    files: Sequence[IncomingFile] = (),
    actor: Agent | None = None,
    channel: str = "web",
    new_text: str = "",
    problems: Sequence[str] = (),
) -> Ticket:
    """A new request from a customer: the ticket, its first message, and the events.

    The first message is also on the returned ticket as `ticket.first_message` (saves the caller a query).
    """
    ticket = Ticket.objects.create(
        subject=(subject or "(no subject)").strip()[:300],
        customer=customer,
        team=team,
        priority=priority,
        status=Status.NEW,
        created_at=now,
        last_activity_at=now,
        waiting_since=now,
    )
    _event(ticket, Event.Kind.CREATED, actor=actor, now=now, channel=channel)
    if team.assignment != Team.Assignment.MANUAL:
        from answerable.tickets.assignment import auto_assign  # late: it imports this module

        auto_assign(ticket, now=now)
    ticket.first_message = _inbound(
        ticket,
        customer,
        text=text,
        html=html,
        raw=raw,
        message_id=message_id,
        files=files,
        now=now,
        actor=actor,
        new_text=new_text,
        problems=problems,
    )
    promise_hooks().on_ticket_opened(ticket, now=now)
    return ticket


@transaction.atomic
def receive_message(
    ticket: Ticket,
    *,
    sender: Customer,
    text: str,
    now: datetime,
    html: str = "",
    raw: bytes | None = None,
    message_id: str | None = None,
    files: Sequence[IncomingFile] = (),
    new_text: str = "",
    problems: Sequence[str] = (),
) -> Message:
    """The customer wrote again on an existing ticket: they are waiting on us, and a solved ticket reopens.

    A closed ticket is final: callers open a follow-up ticket instead (see mail.ingest).
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Status.CLOSED:
        raise ValueError(f"{ticket.reference} is closed; open a follow-up ticket instead.")
    message = _inbound(
        ticket,
        sender,
        text=text,
        html=html,
        raw=raw,
        message_id=message_id,
        files=files,
        now=now,
        actor=None,
        new_text=new_text,
        problems=problems,
    )
    fields = ["last_activity_at", "waiting_since"]
    ticket.last_activity_at = now
    ticket.waiting_since = ticket.waiting_since or now
    if ticket.status in (Status.PENDING, Status.SOLVED):
        _set_status_fields(ticket, Status.OPEN, actor=None, now=now)
        ticket.waiting_since = ticket.waiting_since or now
        fields += ["status", "solved_at"]
    ticket.save(update_fields=fields)
    promise_hooks().on_customer_message(ticket, now=now)
    return message


class StaleDraft(Exception):
    """The customer wrote after the agent last looked: the reply may no longer fit."""

    def __init__(self, newer: list[Message]) -> None:
        super().__init__(f"{len(newer)} newer message(s)")
        self.newer = newer


@transaction.atomic
def reply(
    ticket: Ticket,
    *,
    agent: Agent,
    text: str,
    now: datetime,
    idempotency_key: str | None = None,
    status_after: str | None = None,
    seen_message_id: int | None = None,
    files: Sequence[IncomingFile] = (),
    queue: bool = True,
    promises: "Sequence[PromiseDraft] | None" = None,
    resets: int | None = None,
) -> Message:
    """Answer the customer. The reply is queued for sending once this transaction commits.

    A repeated idempotency key returns the first reply instead of sending twice. With `seen_message_id`,
    a customer message newer than it raises StaleDraft and nothing is written. `queue=False` records a
    reply that was already delivered elsewhere (demo data, imports from another desk).

    The reply keeps the ticket's open "answer them" promises, and records the promises it makes: those the
    agent confirmed in the composer (`promises`), else those found in its text. `resets` names a broken or
    at-risk promise this reply replaces with its new expectation.
    """
    if existing := _already_made(ticket, idempotency_key):
        return existing
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if seen_message_id is not None:
        newer = list(
            ticket.messages.filter(kind=Message.Kind.INBOUND, pk__gt=seen_message_id).order_by(
                "created_at", "id"
            )
        )
        if newer:
            raise StaleDraft(newer)
    message, created = _create_once(
        ticket,
        idempotency_key,
        kind=Message.Kind.OUTBOUND,
        author=agent,
        text=text,
        created_at=now,
        delivery=Message.Delivery.QUEUED if queue else Message.Delivery.SENT,
        message_id=new_message_id(ticket),
        next_attempt_at=now if queue else None,
        sent_at=None if queue else now,
    )
    if not created:
        return message
    _store_files(message, files)
    fields = ["last_activity_at", "waiting_since"]
    ticket.last_activity_at = now
    ticket.waiting_since = None
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        fields.append("first_response_at")
    _event(ticket, Event.Kind.REPLIED, actor=agent, now=now, message=message.pk)
    new_status = status_after or (Status.OPEN if ticket.status == Status.NEW else None)
    if new_status and new_status != ticket.status:
        _set_status_fields(ticket, new_status, actor=agent, now=now)
        fields += ["status", "solved_at"]  # waiting_since is already in fields
    ticket.save(update_fields=fields)
    hooks = promise_hooks()
    found = promises if promises is not None else hooks.find_in(text, ticket, sent_at=now)
    made = hooks.on_reply(ticket, message, agent=agent, now=now, found=found)
    if resets is not None:
        hooks.replace(resets, ticket=ticket, made=made, actor=agent, now=now)
    from answerable.tickets import escalation, recovery  # late: both import this module

    escalation.on_reply(ticket, message, agent=agent, now=now)
    recovery.on_reply(ticket, made, agent=agent, now=now)
    if queue:
        _send_soon()
    return message


def _send_soon() -> None:
    from answerable.mail.tasks import drain_outbox

    jobs.enqueue_on_commit(drain_outbox)


def new_message_id(ticket: Ticket) -> str:
    """Our Message-ID, fixed when the message is created so a retried send keeps it."""
    address = directory.first_address(ticket.team_id) or "desk@answerable.invalid"
    return make_msgid(idstring=f"t{ticket.pk}", domain=address.rsplit("@", 1)[-1])


@transaction.atomic
def acknowledge(ticket: Ticket, *, now: datetime, opened_here: bool = False) -> Message:
    """The instant acknowledgement of a new request: reference, owner, an honest expected time.

    The expected time is stored on the ticket for the promise ledger to track. `opened_here`: the caller
    opened `ticket` in the current transaction (open_ticket, with its team and customer at hand), so no other
    transaction can see it yet and it is neither locked nor read again.
    """
    from answerable.tickets.expected import expected_first_response

    if not opened_here:
        ticket = (
            # of=self: PostgreSQL cannot lock the nullable side of the outer join to the assignee.
            Ticket.objects.select_for_update(of=("self",))
            .select_related("team", "customer", "assignee")
            .get(pk=ticket.pk)
        )
    due = expected_first_response(ticket.team, now)
    ticket.expected_response_at = due
    ticket.save(update_fields=["expected_response_at"])
    message = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.OUTBOUND,
        automatic=True,
        text=acknowledgement_text(ticket, due),
        created_at=now,
        delivery=Message.Delivery.QUEUED,
        message_id=new_message_id(ticket),
        next_attempt_at=now,
    )
    _event(ticket, Event.Kind.ACKNOWLEDGED, actor=None, now=now, message=message.pk, expected=due.isoformat())
    promise_hooks().on_acknowledged(ticket, due_at=due, message=message, now=now)
    _send_soon()
    return message


def acknowledgement_text(ticket: Ticket, due: datetime) -> str:
    local = due.astimezone(ZoneInfo(ticket.team.time_zone))
    owner = ticket.assignee.display_name if ticket.assignee else f"Our {ticket.team.name} team"
    greeting = f"Hello {ticket.customer.first_name}," if ticket.customer.first_name else "Hello,"
    return (
        f"{greeting}\n\n"
        f'Thank you for writing to us. We have your request "{ticket.subject}" as {ticket.reference}.\n\n'
        f"{owner} will answer you by {local:%A %-d %B, %H:%M} ({ticket.team.time_zone} time). "
        "That is when we have recently answered most requests; we will often be quicker.\n\n"
        f"To add anything, reply to this email and keep {ticket.reference} in the subject.\n\n"
        f"{ticket.team.name}"
    )


@transaction.atomic
def add_note(
    ticket: Ticket,
    *,
    agent: Agent,
    text: str,
    now: datetime,
    idempotency_key: str | None = None,
    promises: "Sequence[PromiseDraft] | None" = None,
) -> Message:
    """An internal note: seen by agents only, never sent. Commitments in it ("I'll ask my manager and let
    them know by Friday") are tracked like a reply's."""
    if existing := _already_made(ticket, idempotency_key):
        return existing
    message, created = _create_once(
        ticket, idempotency_key, kind=Message.Kind.NOTE, author=agent, text=text, created_at=now
    )
    if created:
        _event(ticket, Event.Kind.NOTE_ADDED, actor=agent, now=now, message=message.pk)
        Ticket.objects.filter(pk=ticket.pk, last_activity_at__lt=now).update(last_activity_at=now)
        hooks = promise_hooks()
        found = promises if promises is not None else hooks.find_in(text, ticket, sent_at=now)
        hooks.on_note(ticket, message, agent=agent, now=now, found=found)
    return message


def _already_made(ticket: Ticket, key: str | None) -> Message | None:
    """The message an earlier submit with this key made on this ticket, if any."""
    if not key:
        return None
    return Message.objects.filter(idempotency_key=key, ticket=ticket).first()


def _create_once(ticket: Ticket, key: str | None, **fields: object) -> tuple[Message, bool]:
    """Create the message unless a concurrent submit with the same key got there first."""
    try:
        with transaction.atomic():
            return Message.objects.create(ticket=ticket, idempotency_key=key or None, **fields), True
    except IntegrityError:
        existing = _already_made(ticket, key)
        if existing is None:  # the key belongs to another ticket: refuse rather than cross tickets
            raise ValueError("This form was already used for another ticket; reload the page.") from None
        return existing, False


@transaction.atomic
def assign(
    ticket: Ticket, assignee: Agent | None, *, actor: Agent | None, now: datetime, rule: str = ""
) -> Ticket:
    """Give the ticket to `assignee` (None: nobody). `rule` names the automatic rule that chose them; the
    ASSIGNED events are the ticket's assignment history."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    previous = ticket.assignee_id
    if previous == (assignee.pk if assignee else None):
        return ticket
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee"])
    extra = {"rule": rule} if rule else {}
    _event(ticket, Event.Kind.ASSIGNED, actor=actor, now=now, old=previous,
           new=assignee.pk if assignee else None, **extra)  # fmt: skip
    return ticket


def _set_status_fields(ticket: Ticket, status: str, *, actor: Agent | None, now: datetime) -> None:
    _event(ticket, Event.Kind.STATUS_CHANGED, actor=actor, now=now, old=ticket.status, new=status)
    promise_hooks().on_status(ticket, old=ticket.status, new=status, actor=actor, now=now)
    ticket.status = status
    if status in (Status.SOLVED, Status.CLOSED):
        ticket.solved_at = ticket.solved_at or now
        ticket.waiting_since = None  # nobody waits on a solved ticket; a new message starts a new wait
    else:
        ticket.solved_at = None
    if status == Status.SOLVED:  # the satisfaction survey, sent once this commits
        from answerable.satisfaction.services import on_solved

        on_solved(ticket, now=now)


@transaction.atomic
def set_status(ticket: Ticket, status: str, *, actor: Agent, now: datetime) -> Ticket:
    if status not in Status.values:
        raise ValueError(f"Unknown status {status!r}")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == status:
        return ticket
    _set_status_fields(ticket, status, actor=actor, now=now)
    ticket.last_activity_at = now
    ticket.save(update_fields=["status", "solved_at", "waiting_since", "last_activity_at"])
    return ticket


@transaction.atomic
def set_priority(ticket: Ticket, priority: int, *, actor: Agent, now: datetime) -> Ticket:
    if priority not in Priority.values:
        raise ValueError(f"Unknown priority {priority!r}")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.priority == priority:
        return ticket
    _event(ticket, Event.Kind.PRIORITY_CHANGED, actor=actor, now=now, old=ticket.priority, new=priority)
    ticket.priority = priority
    ticket.save(update_fields=["priority"])
    return ticket


def normalise_tags(names: Iterable[str]) -> list[str]:
    """ "Refund, urgent  VIP" -> ["refund", "urgent", "vip"]: lower-case slugs, unique, in order."""
    seen: dict[str, None] = {}
    for name in names:
        for part in re.split(r"[,\s]+", name):
            slug = slugify(part, allow_unicode=True)[:50]
            if slug:
                seen.setdefault(slug, None)
    return list(seen)


@transaction.atomic
def set_tags(ticket: Ticket, names: Iterable[str], *, actor: Agent, now: datetime) -> Ticket:
    wanted = normalise_tags(names)
    current = sorted(ticket.tags.values_list("name", flat=True))
    if sorted(wanted) == current:
        return ticket
    tags = []
    for name in wanted:
        tag, _ = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    ticket.tags.set(tags)
    _event(ticket, Event.Kind.TAGS_CHANGED, actor=actor, now=now, old=current, new=sorted(wanted))
    return ticket


@transaction.atomic
def record_delivery(message: Message, *, sent: bool, now: datetime, error: str = "") -> None:
    """The final outcome of sending a message (or of its bounce): sent, or failed with the reason."""
    message.delivery = Message.Delivery.SENT if sent else Message.Delivery.FAILED
    message.delivery_error = error
    message.lease_until = None
    message.next_attempt_at = None
    fields = ["delivery", "delivery_error", "lease_until", "next_attempt_at"]
    if sent:
        message.sent_at = now
        fields.append("sent_at")
    message.save(update_fields=fields)
    _event(message.ticket, Event.Kind.DELIVERY, actor=None, now=now, message=message.pk,
           delivery=message.delivery, error=error)  # fmt: skip


def retry_later(message: Message, *, error: str, at: datetime) -> None:
    """A temporary failure: keep the message queued, say why, try again at `at`. Only the final outcome is
    an Event."""
    Message.objects.filter(pk=message.pk).update(delivery_error=error, next_attempt_at=at, lease_until=None)


_PLACEHOLDER = re.compile(r"\{\{\s*(customer|agent|ticket|team)\.(\w+)\s*\}\}")


def render_macro(macro: Macro, *, ticket: Ticket, agent: Agent) -> str:
    """Fill a macro's placeholders. Unknown placeholders stay visible so the agent sees the blank."""
    values = {
        ("customer", "first_name"): ticket.customer.first_name,
        ("customer", "name"): ticket.customer.name,
        ("agent", "name"): agent.display_name,
        ("agent", "first_name"): agent.first_name or agent.display_name,
        ("ticket", "reference"): ticket.reference,
        ("ticket", "subject"): ticket.subject,
        ("team", "name"): ticket.team.name,
    }
    return _PLACEHOLDER.sub(lambda m: values.get((m.group(1), m.group(2)), m.group(0)), macro.body)


PRESENCE_TTL = timedelta(seconds=30)


def touch_presence(ticket: Ticket, agent: Agent, *, drafting: bool, now: datetime) -> None:
    """Heartbeat from an open ticket page; ephemeral, so no Event."""
    presence, created = Presence.objects.get_or_create(
        ticket=ticket, agent=agent, defaults={"seen_at": now, "drafting_since": now if drafting else None}
    )
    if not created:
        presence.seen_at = now
        if drafting and presence.drafting_since is None:
            presence.drafting_since = now
        elif not drafting:
            presence.drafting_since = None
        presence.save(update_fields=["seen_at", "drafting_since"])


def leave(ticket: Ticket, agent: Agent) -> None:
    Presence.objects.filter(ticket=ticket, agent=agent).delete()
