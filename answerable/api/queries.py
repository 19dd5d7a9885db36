"""Every read the API makes: always through tickets.access.visible_tickets, one keyset page at a time."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from answerable.customers.models import Customer, CustomerEmail, Organisation
from answerable.lib.keyset import Page, keyset_page
from answerable.promises.models import Promise
from answerable.satisfaction.models import Rating
from answerable.staff.models import Agent
from answerable.tickets.access import visible_tickets
from answerable.tickets.models import Message, Ticket

_EMAILS = Prefetch("emails", queryset=CustomerEmail.objects.order_by("-primary", "id"))


def with_card(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """What TicketOut shows, fetched with the page (no N+1)."""
    return qs.select_related("team", "customer", "assignee").prefetch_related(
        "tags", Prefetch("customer__emails", queryset=_EMAILS.queryset)
    )


def tickets(user: Agent) -> QuerySet[Ticket]:
    """The tickets `user` may see."""
    return with_card(visible_tickets(user))


def ticket_page(
    user: Agent,
    *,
    status: list[str],
    team: int | None,
    assignee: str | None,
    customer: int | None,
    updated_after: datetime | None,
    ascending: bool,
    cursor: str | None,
    limit: int,
) -> Page[Ticket]:
    qs = tickets(user)
    if status:
        qs = qs.filter(status__in=status)
    if team is not None:
        qs = qs.filter(team_id=team)
    if assignee == "me":
        qs = qs.filter(assignee=user)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee is not None:
        qs = qs.filter(assignee_id=int(assignee))
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    if updated_after is not None:
        qs = qs.filter(last_activity_at__gt=updated_after)
    return keyset_page(qs, [("last_activity_at", not ascending), ("id", not ascending)], cursor, limit)


def messages(ticket: Ticket) -> list[Message]:
    return list(
        ticket.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "id")
    )


def customers(user: Agent) -> QuerySet[Customer]:
    """Admins see every customer; others the customers of tickets they can see."""
    qs = Customer.objects.prefetch_related(_EMAILS)
    if user.is_admin:
        return qs
    return qs.filter(Exists(visible_tickets(user).filter(customer=OuterRef("pk"))))


def customer_page(
    user: Agent, *, email: str | None, organisation: int | None, cursor: str | None, limit: int
) -> Page[Customer]:
    qs = customers(user)
    if email:
        qs = qs.filter(emails__address__iexact=email.strip())
    if organisation is not None:
        qs = qs.filter(organisation_id=organisation)
    return keyset_page(qs, [("id", False)], cursor, limit)


def organisations(user: Agent) -> QuerySet[Organisation]:
    if user.is_admin:
        return Organisation.objects.all()
    return Organisation.objects.filter(Exists(customers(user).filter(organisation=OuterRef("pk"))))


def promise_page(
    user: Agent,
    *,
    ticket: int | None,
    status: str | None,
    owner: str | None,
    due_before: datetime | None,
    cursor: str | None,
    limit: int,
) -> Page[Promise]:
    qs = Promise.objects.filter(ticket__in=visible_tickets(user)).select_related("owner")
    if ticket is not None:
        qs = qs.filter(ticket_id=ticket)
    if status:
        qs = qs.filter(status=status)
    if owner == "me":
        qs = qs.filter(owner=user)
    elif owner is not None:
        qs = qs.filter(owner_id=int(owner))
    if due_before is not None:
        qs = qs.filter(due_at__lt=due_before)
    return keyset_page(qs, [("id", False)], cursor, limit)


def rating_page(
    user: Agent,
    *,
    score: str | None,
    ticket: int | None,
    agent: int | None,
    since: datetime | None,
    cursor: str | None,
    limit: int,
) -> Page[Rating]:
    qs = Rating.objects.filter(ticket__in=visible_tickets(user))
    if score:
        qs = qs.filter(score=score)
    if ticket is not None:
        qs = qs.filter(ticket_id=ticket)
    if agent is not None:
        qs = qs.filter(agent_id=agent)
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    return keyset_page(qs, [("id", False)], cursor, limit)
