"""Every write the customer portal makes: requests from the web form, sign-in links, the customer's replies,
and complaints that must reach a person.

Tickets, messages and promises are written by their own apps' services; this module decides what the web
customer's action means and calls them, in one transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction

from answerable.customers.models import Customer, CustomerEmail
from answerable.customers.services import find_or_create_customer, normalise_address
from answerable.lib import jobs
from answerable.mail.ingest import should_acknowledge
from answerable.mail.parse import ParsedMail
from answerable.portal.models import LoginLink
from answerable.promises import services as ledger
from answerable.promises.models import Promise
from answerable.staff.models import Agent, Team
from answerable.tickets import recovery
from answerable.tickets import services as tickets
from answerable.tickets.models import Message, Status, Ticket
from answerable.tickets.services import IncomingFile

LINK_TTL = timedelta(minutes=30)
SESSION_TTL = timedelta(hours=12)
_LINK_SALT = "answerable.portal.login-link"


# --- the public request form -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebRequest:
    name: str
    email: str
    needed: str
    by_when: date | None = None
    budget: str = ""
    order_number: str = ""


def subject_from(needed: str) -> str:
    """The first line of what the customer needs, cut at a word near 80 characters."""
    first = next((line.strip() for line in needed.splitlines() if line.strip()), "")
    if len(first) <= 80:
        return first
    return first[:80].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def request_text(request: WebRequest) -> str:
    """The ticket's first message: the customer's words, then the form's facts, labelled, so an agent reads
    the deadline and the order number without opening anything else."""
    facts = []
    if request.by_when:
        facts.append(f"Needed by: {request.by_when:%A %-d %B %Y}")
    if request.budget.strip():
        facts.append(f"Budget: {request.budget.strip()}")
    if request.order_number.strip():
        facts.append(f"Order number: {request.order_number.strip()}")
    text = request.needed.strip()
    return f"{text}\n\n" + "\n".join(facts) if facts else text


def looks_like_a_person(address: str, team: Team, customer: Customer, *, now: datetime, first: bool) -> bool:
    """Whether the desk may send automatic mail (an acknowledgement, a survey) to this address: the same
    rules as for email (mail.ingest.should_acknowledge), for a sender with no mail headers."""
    return should_acknowledge(ParsedMail(from_address=address), team, customer, now=now, first_contact=first)


@transaction.atomic
def submit_request(
    team: Team, request: WebRequest, *, now: datetime, files: Sequence[IncomingFile] = ()
) -> Ticket:
    """A request from the web form: found or new customer, the ticket, and the same acknowledgement as a
    request by email (reference, owner, honest expected time, stored for the promise ledger)."""
    customer, first_contact = find_or_create_customer(request.email, name=request.name.strip())
    ticket = tickets.open_ticket(
        customer=customer,
        team=team,
        subject=subject_from(request.needed),
        text=request_text(request),
        now=now,
        files=files,
        channel="web",
    )
    if looks_like_a_person(request.email, team, customer, now=now, first=first_contact):
        tickets.acknowledge(ticket, now=now, opened_here=True)
    return ticket


# --- sign-in links -----------------------------------------------------------------------------------------


class LinkInvalid(Exception):
    """The sign-in link cannot be used; `reason` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@transaction.atomic
def request_link(email: str, *, now: datetime) -> LoginLink | None:
    """Mail a sign-in link to a known customer address (None for an unknown one: the page says the same in
    both cases, so nobody learns which addresses we know). The mail is queued on commit."""
    address = normalise_address(email)
    found = CustomerEmail.objects.filter(address__iexact=address).select_related("customer").first()
    if found is None:
        return None
    link = LoginLink.objects.create(
        customer=found.customer, email=found.address, created_at=now, expires_at=now + LINK_TTL
    )
    from answerable.portal.tasks import send_login_link

    jobs.enqueue_on_commit(send_login_link, link.pk)
    return link


def link_token(link: LoginLink) -> str:
    """The link's secret part: its id and customer, signed with SECRET_KEY and timestamped."""
    return signing.dumps({"l": link.pk, "c": link.customer_id}, salt=_LINK_SALT)


def check_link(token: str, *, now: datetime) -> LoginLink:
    """The link a token names, if it may still be used; else LinkInvalid."""
    try:
        data = signing.loads(token, salt=_LINK_SALT, max_age=LINK_TTL)
    except signing.SignatureExpired:
        raise LinkInvalid("expired") from None
    except signing.BadSignature:
        raise LinkInvalid("invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("l"), int) or not isinstance(data.get("c"), int):
        raise LinkInvalid("invalid")
    link = LoginLink.objects.filter(pk=data["l"], customer_id=data["c"]).select_related("customer").first()
    if link is None:
        raise LinkInvalid("invalid")
    if link.used_at is not None:
        raise LinkInvalid("used")
    if link.expires_at <= now:
        raise LinkInvalid("expired")
    # An address moved to another customer since (a merge, a correction) voids the links sent to it.
    if not CustomerEmail.objects.filter(customer_id=link.customer_id, address__iexact=link.email).exists():
        raise LinkInvalid("invalid")
    return link


@transaction.atomic
def use_link(token: str, *, now: datetime) -> Customer:
    """Spend a sign-in link: it works once. Returns the customer the portal session is bound to."""
    link = check_link(token, now=now)
    if not LoginLink.objects.filter(pk=link.pk, used_at=None).update(used_at=now):
        raise LinkInvalid("used")  # a second tab or a double click got there first
    return link.customer


# --- the customer's replies ----------------------------------------------------------------------------


class RequestClosed(Exception):
    """A closed request takes no more replies: the customer starts a new one."""


def reply(
    ticket: Ticket,
    customer: Customer,
    *,
    text: str,
    now: datetime,
    files: Sequence[IncomingFile] = (),
    key: str = "",
) -> Message:
    """The customer answers on their request, as if by email. `key` (from the form) makes a double submit
    store one message: it becomes the message's unique Message-ID."""
    if ticket.customer_id != customer.pk:
        raise PermissionError("not this customer's request")  # the views 404 long before this
    if ticket.status == Status.CLOSED:
        raise RequestClosed(ticket.reference)
    message_id = f"<portal-{key}@answerable.invalid>" if key else None
    try:
        with transaction.atomic():
            return tickets.receive_message(
                ticket, sender=customer, text=text, files=files, message_id=message_id, now=now
            )
    except IntegrityError:
        existing = Message.objects.filter(message_id=message_id, ticket=ticket, sender=customer).first()
        if message_id is None or existing is None:
            raise
        return existing


# --- complaints and follow-ups that must reach a person ------------------------------------------------


def people_for(ticket: Ticket) -> list[Agent]:
    """Who hears of a complaint: the team's supervisors; without any, the ticket's owner; without one, the
    desk's admins; as a last resort everyone in the team. Never nobody while the desk has an active agent."""
    active = Agent.objects.filter(is_active=True).order_by("pk")
    for group in (
        lambda: list(active.filter(role=Agent.Role.SUPERVISOR, teams=ticket.team_id)),
        lambda: [ticket.assignee] if ticket.assignee_id and ticket.assignee.is_active else [],
        lambda: list(active.filter(role=Agent.Role.ADMIN)),
        lambda: list(active.filter(teams=ticket.team_id)),
        lambda: list(active[:1]),
    ):
        people = group()
        if people:
            return people
    return []


def notify(ticket: Ticket, promise: Promise, *, why: str, now: datetime) -> list[Agent]:
    """Tell `people_for(ticket)` about the promise, in the console (and by email if they wish)."""
    people = people_for(ticket)
    when = f" Get back by {promise.due_at:%a %H:%M %Z}." if promise.due_at else ""
    ledger.notify_escalation(
        promise, people, text=f"{why}: #{ticket.pk} {ticket.customer.name}.{when}", now=now
    )
    return people


def follow_up(
    ticket: Ticket, *, text: str, why: str, now: datetime, message: Message | None = None
) -> Promise:
    """A tracked promise that a person gets back to the customer, owned by the first of `people_for` (the
    team's supervisor), due on the ledger's get-back time, with a notification to each of them. The sweep
    warns and breaks it like any other promise; any reply to the customer keeps it."""
    people = people_for(ticket)
    promise = ledger.record(
        ticket,
        text=text,
        source=Promise.Source.ESCALATION,
        kind=Promise.Kind.GET_BACK,
        due_at=ledger.get_back_due(ticket, now=now),
        now=now,
        owner=people[0] if people else None,
        message=message,
    )
    notify(ticket, promise, why=why, now=now)
    return promise


@transaction.atomic
def complain(ticket: Ticket, text: str, *, now: datetime) -> Promise:
    """The customer asks for a manager. Their words are stored as their message on the request (on a
    follow-up request if it is closed); `tickets.recovery.complaint` records the complaint, starts the
    service recovery and tracks answering it as a promise; the team's supervisors (see `people_for`) are
    notified of that promise. Returns it, for its due time."""
    text = text.strip()
    if not text:
        raise ValueError("Say what went wrong, so the person who reads it can act.")
    ticket = Ticket.objects.select_related("team", "customer", "assignee").get(pk=ticket.pk)
    if ticket.status == Status.CLOSED:
        ticket = tickets.open_ticket(
            customer=ticket.customer,
            team=ticket.team,
            subject=f"Complaint about {ticket.reference} {ticket.subject}"[:300],
            text=text,
            now=now,
            channel="web",
        )
    else:
        tickets.receive_message(ticket, sender=ticket.customer, text=text, now=now)
    recovery.complaint(ticket, text, now=now)
    promise = (
        Promise.objects.filter(
            ticket=ticket,
            status=Promise.Status.OPEN,
            source=Promise.Source.RECOVERY,
            kind=Promise.Kind.GET_BACK,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if promise is None:  # the recovery keeps no get-back promise (a change there): still reach a person
        return follow_up(ticket, text=f"Complaint: {text[:200]}", why="Complaint", now=now)
    notify(ticket, promise, why="Complaint", now=now)
    return promise
