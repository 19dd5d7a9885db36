"""Every read for portal pages. Pages get these plain records, never models: what a template cannot reach
(notes, coach findings, account value, flags, agents' data) cannot leak into a customer's page."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.http import Http404

from answerable.customers.models import Customer
from answerable.promises.models import Promise
from answerable.satisfaction.models import Rating
from answerable.tickets.models import Attachment, Message, Status, Ticket

# What the customer was told we would do, by when: the acknowledgement, our replies' own commitments, a
# manager's get-back. SLA targets are internal and never shown.
CUSTOMER_FACING = (Promise.Source.ACKNOWLEDGEMENT, Promise.Source.REPLY, Promise.Source.ESCALATION)
LIST_LIMIT = 100


def state_of(status: str) -> str:
    """The status as a sentence in the customer's words."""
    if status == Status.PENDING:
        return "Waiting for your reply"
    if status == Status.SOLVED:
        return "Solved — reply if it isn't"
    if status == Status.CLOSED:
        return "Closed"
    return "We're working on it"


@dataclass(frozen=True)
class Entry:
    pk: int
    subject: str
    state: str
    created_at: datetime
    last_activity_at: datetime


def requests_of(customer: Customer) -> tuple[list[Entry], bool]:
    """The customer's requests, latest activity first, and whether there are more than LIST_LIMIT."""
    rows = list(
        Ticket.objects.filter(customer=customer)
        .only("id", "subject", "status", "created_at", "last_activity_at")
        .order_by("-last_activity_at", "-id")[: LIST_LIMIT + 1]
    )
    entries = [Entry(t.pk, t.subject, state_of(t.status), t.created_at, t.last_activity_at) for t in rows]
    return entries[:LIST_LIMIT], len(entries) > LIST_LIMIT


@dataclass(frozen=True)
class File:
    pk: int
    name: str
    size: int


@dataclass(frozen=True)
class Post:
    mine: bool
    author: str
    at: datetime
    text: str
    files: list[File] = field(default_factory=list)


@dataclass(frozen=True)
class Thread:
    pk: int
    subject: str
    state: str
    status: str
    owner: str  # "Maya" or "Our Billing team"
    team: str
    next_due: datetime | None  # the next time we said we would write
    missed: datetime | None  # the last time we said and did not (when nothing newer is open)
    posts: list[Post]
    rating: str  # "good", "bad" or ""
    rating_comment: str
    time_zone: str  # the team's zone, when the browser did not tell us the customer's

    @property
    def closed(self) -> bool:
        return self.status == Status.CLOSED

    @property
    def rateable(self) -> bool:
        return self.status in (Status.SOLVED, Status.CLOSED)


def _ticket_of(customer: Customer, pk: int) -> Ticket:
    """The customer's own request, else 404: the same answer whether it exists for someone else or not."""
    ticket = (
        Ticket.objects.filter(pk=pk, customer=customer)
        .select_related("team", "assignee")
        .only(
            "id",
            "customer_id",
            "subject",
            "status",
            "solved_at",
            "team__name",
            "team__time_zone",
            "assignee__first_name",
            "assignee__last_name",
            "assignee__username",
        )
        .first()
    )
    if ticket is None:
        raise Http404("No such request")
    return ticket


def thread_for(customer: Customer, pk: int) -> Thread:
    ticket = _ticket_of(customer, pk)
    messages = (
        Message.objects.filter(ticket=ticket)
        .exclude(kind=Message.Kind.NOTE)
        .select_related("author")
        .prefetch_related("attachments")
        .only(
            "id",
            "kind",
            "text",
            "new_text",
            "created_at",
            "author__first_name",
            "author__last_name",
            "author__username",
        )
        .order_by("created_at", "id")
    )
    posts = [
        Post(
            mine=m.kind == Message.Kind.INBOUND,
            author="You" if m.kind == Message.Kind.INBOUND else _first_name(m.author, ticket.team.name),
            at=m.created_at,
            text=m.new_text or m.text,
            files=[File(a.pk, a.filename, a.size) for a in m.attachments.all()],
        )
        for m in messages
    ]
    promises = Promise.objects.filter(ticket=ticket, source__in=CUSTOMER_FACING, due_at__isnull=False)
    next_due = (
        promises.filter(status=Promise.Status.OPEN)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    missed = None
    if next_due is None and ticket.status not in (Status.SOLVED, Status.CLOSED):
        missed = (
            promises.filter(status=Promise.Status.BROKEN)
            .order_by("-due_at")
            .values_list("due_at", flat=True)
            .first()
        )
    rating = (
        Rating.objects.filter(ticket=ticket, solved_at=ticket.solved_at).values("score", "comment").first()
        if ticket.solved_at
        else None
    ) or {}
    owner = ticket.assignee.first_name or ticket.assignee.username if ticket.assignee else ""
    return Thread(
        pk=ticket.pk,
        subject=ticket.subject,
        state=state_of(ticket.status),
        status=ticket.status,
        owner=owner or f"Our {ticket.team.name} team",
        team=ticket.team.name,
        next_due=next_due,
        missed=missed,
        posts=posts,
        rating=rating.get("score", ""),
        rating_comment=rating.get("comment", ""),
        time_zone=ticket.team.time_zone,
    )


def _first_name(author: object, team_name: str) -> str:
    if author is None:  # the desk itself: acknowledgements
        return team_name
    return author.first_name or author.username


def attachment_for(customer: Customer, ticket_pk: int, attachment_pk: int) -> Attachment:
    """A file on one of the customer's own messages or our replies; never on a note."""
    found = (
        Attachment.objects.filter(
            pk=attachment_pk, message__ticket_id=ticket_pk, message__ticket__customer=customer
        )
        .filter(Q(message__kind=Message.Kind.INBOUND) | Q(message__kind=Message.Kind.OUTBOUND))
        .first()
    )
    if found is None:
        raise Http404("No such file")
    return found


def ticket_of(customer: Customer, pk: int) -> Ticket:
    """For a write: the customer's own request, else 404."""
    return _ticket_of(customer, pk)
