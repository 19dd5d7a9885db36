"""Reads for the account pages: what an organisation or customer brought in and cost to serve.

Every figure is computed over the tickets the viewer may see (access.visible_tickets): an agent or a
supervisor sees their teams' share of an account, an admin the whole of it.

Cost to serve (docs/accounts.md): handling hours x ACCOUNTS_HOURLY_COST + messages x
ACCOUNTS_COST_PER_MESSAGE, both settings (defaults 40 and 0, in the currency of the yearly values). Value
for a period is the yearly value pro rata (days / 365).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from answerable.accounts.models import HandlingTime, RelationshipNote
from answerable.customers.models import Customer, Organisation, TermsFlag
from answerable.promises.models import Promise
from answerable.satisfaction.models import Rating
from answerable.staff.models import Agent
from answerable.tickets import access
from answerable.tickets.models import Message, Ticket

TICKETS_SHOWN = 100
RANKED_LIMIT = 500
PERIODS = {"30": 30, "90": 90, "365": 365}


def hourly_cost() -> Decimal:
    return Decimal(str(getattr(settings, "ACCOUNTS_HOURLY_COST", 40)))


def cost_per_message() -> Decimal:
    return Decimal(str(getattr(settings, "ACCOUNTS_COST_PER_MESSAGE", 0)))


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    key: str  # "30", "90", "365" or "custom"

    @property
    def days(self) -> float:
        return max((self.end - self.start).total_seconds() / 86400, 0)

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()


def period_from(params: dict, *, now: datetime) -> Period:
    """?period=30|90|365 (default 90), or ?start=YYYY-MM-DD&end=YYYY-MM-DD (end inclusive). ValueError with a
    message to show on bad input."""
    start, end = params.get("start", "").strip(), params.get("end", "").strip()
    if start or end:
        try:
            first = date.fromisoformat(start)
            last = date.fromisoformat(end) if end else now.date()
        except ValueError:
            raise ValueError("Dates are written YYYY-MM-DD, e.g. 2026-01-31.") from None
        if last < first:
            raise ValueError("The period ends before it starts.")
        if (last - first).days > 3 * 366:
            raise ValueError("Choose a period of at most three years.")
        tz = now.tzinfo
        begin = datetime.combine(first, datetime.min.time(), tzinfo=tz)
        return Period(
            begin, datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz), "custom"
        )
    key = params.get("period", "90")
    if key not in PERIODS:
        raise ValueError("Choose a period of 30, 90 or 365 days, or dates.")
    return Period(now - timedelta(days=PERIODS[key]), now, key)


@dataclass(frozen=True)
class Figures:
    conversations: int
    messages: int
    handling_seconds: int
    value: Decimal  # for the period
    kept: int = 0
    broken: int = 0
    reset: int = 0
    good: int = 0
    bad: int = 0

    @property
    def handling_hours(self) -> float:
        return self.handling_seconds / 3600

    @property
    def cost(self) -> Decimal:
        hours = Decimal(self.handling_seconds) / Decimal(3600)
        return (hours * hourly_cost() + self.messages * cost_per_message()).quantize(Decimal("0.01"))

    @property
    def cost_ratio(self) -> float | None:
        """Cost to serve per unit of value; None when the account pays nothing."""
        return float(self.cost / self.value) if self.value > 0 else None

    @property
    def satisfaction(self) -> int | None:
        rated = self.good + self.bad
        return round(100 * self.good / rated) if rated else None


def _value(yearly: Decimal, period: Period) -> Decimal:
    return (yearly * Decimal(period.days) / Decimal(365)).quantize(Decimal("0.01"))


def _figures(
    tickets: QuerySet[Ticket], yearly: Decimal, period: Period, ratings: QuerySet[Rating]
) -> Figures:
    conversations = tickets.filter(created_at__gte=period.start, created_at__lt=period.end).count()
    messages = (
        Message.objects.filter(ticket__in=tickets, created_at__gte=period.start, created_at__lt=period.end)
        .exclude(kind=Message.Kind.NOTE)
        .count()
    )
    handling = HandlingTime.objects.filter(
        ticket__in=tickets, day__gte=period.first_day, day__lte=period.last_day
    ).aggregate(s=Sum("seconds"))["s"]
    promises = Promise.objects.filter(
        ticket__in=tickets, closed_at__gte=period.start, closed_at__lt=period.end
    ).aggregate(
        kept=Count("pk", filter=Q(status=Promise.Status.KEPT)),
        broken=Count("pk", filter=Q(status=Promise.Status.BROKEN)),
        reset=Count("pk", filter=Q(status=Promise.Status.RESET)),
    )
    scores = ratings.filter(
        ticket__in=tickets, created_at__gte=period.start, created_at__lt=period.end
    ).aggregate(
        good=Count("pk", filter=Q(score=Rating.Score.GOOD)), bad=Count("pk", filter=Q(score=Rating.Score.BAD))
    )
    return Figures(
        conversations=conversations, messages=messages, handling_seconds=handling or 0,
        value=_value(yearly, period), **promises, **scores,
    )  # fmt: skip


def may_see_organisation(user: Agent, organisation: Organisation) -> bool:
    return user.is_admin or access.visible_tickets(user).filter(customer__organisation=organisation).exists()


def may_see_customer(user: Agent, customer: Customer) -> bool:
    return user.is_admin or access.visible_tickets(user).filter(customer=customer).exists()


def organisation_for(user: Agent, pk: int) -> Organisation:
    """An organisation the user has a ticket of (admins: any), else 404: names and values leak nothing."""
    org = Organisation.objects.filter(pk=pk).first()
    if org is None or not may_see_organisation(user, org):
        raise Http404("No such organisation")
    return org


def customer_for(user: Agent, pk: int) -> Customer:
    customer = Customer.objects.select_related("organisation").filter(pk=pk).first()
    if customer is None or not may_see_customer(user, customer):
        raise Http404("No such customer")
    return customer


@dataclass(frozen=True)
class AccountPage:
    figures: Figures
    tickets: list[Ticket]
    ticket_count: int
    flags: list[TermsFlag]
    past_flags: list[TermsFlag]
    notes: list[RelationshipNote]
    customers: list[Customer]


def organisation_page(user: Agent, org: Organisation, period: Period) -> AccountPage:
    tickets = access.visible_tickets(user).filter(customer__organisation=org)
    flags = list(org.terms_flags.select_related("set_by", "cleared_by").order_by("-set_at")[:50])
    return AccountPage(
        figures=_figures(tickets, org.yearly_value, period, Rating.objects.all()),
        tickets=_ticket_list(tickets),
        ticket_count=tickets.count(),
        flags=[f for f in flags if f.cleared_at is None],
        past_flags=[f for f in flags if f.cleared_at is not None],
        notes=list(org.relationship_notes.select_related("author")[:100]),
        customers=list(
            Customer.objects.filter(organisation=org, tickets__in=tickets)
            .annotate(n=Count("tickets", distinct=True))
            .order_by("-n", "name")[:50]
        ),
    )


def customer_page(user: Agent, customer: Customer, period: Period) -> AccountPage:
    tickets = access.visible_tickets(user).filter(customer=customer)
    flags = []
    if customer.organisation_id:
        flags = list(
            TermsFlag.objects.filter(
                organisation_id=customer.organisation_id, cleared_at=None
            ).select_related("set_by")
        )
    return AccountPage(
        # A customer's value is their organisation's; alone they have none on record.
        figures=_figures(tickets, Decimal(0), period, Rating.objects.all()),
        tickets=_ticket_list(tickets),
        ticket_count=tickets.count(),
        flags=flags,
        past_flags=[],
        notes=list(customer.relationship_notes.select_related("author")[:100]),
        customers=[],
    )


def _ticket_list(tickets: QuerySet[Ticket]) -> list[Ticket]:
    return list(
        tickets.select_related("customer", "assignee", "team").order_by("-created_at", "-id")[:TICKETS_SHOWN]
    )


@dataclass(frozen=True)
class RankedAccount:
    organisation: Organisation
    figures: Figures
    flags: list[str]


def ranked_accounts(user: Agent, period: Period) -> list[RankedAccount]:
    """Organisations with activity in the period on the user's visible tickets, those costing most per unit
    of value first (an account paying nothing that costs anything comes first of all)."""
    tickets = access.visible_tickets(user).filter(customer__organisation__isnull=False)
    in_period = {"created_at__gte": period.start, "created_at__lt": period.end}
    conversations = dict(
        tickets.filter(**in_period).values_list("customer__organisation").annotate(n=Count("pk")).order_by()
    )
    messages = dict(
        Message.objects.filter(ticket__in=tickets, **in_period)
        .exclude(kind=Message.Kind.NOTE)
        .values_list("ticket__customer__organisation")
        .annotate(n=Count("pk"))
        .order_by()
    )
    handling = dict(
        HandlingTime.objects.filter(ticket__in=tickets, day__gte=period.first_day, day__lte=period.last_day)
        .values_list("ticket__customer__organisation")
        .annotate(s=Sum("seconds"))
        .order_by()
    )
    ids = set(conversations) | set(messages) | set(handling)
    flags: dict[int, list[str]] = {}
    for org_id, label in TermsFlag.objects.filter(organisation_id__in=ids, cleared_at=None).values_list(
        "organisation_id", "kind"
    ):
        flags.setdefault(org_id, []).append(TermsFlag.Kind(label).label)
    rows = [
        RankedAccount(
            organisation=org,
            figures=Figures(
                conversations=conversations.get(org.pk, 0),
                messages=messages.get(org.pk, 0),
                handling_seconds=handling.get(org.pk, 0) or 0,
                value=_value(org.yearly_value, period),
            ),
            flags=flags.get(org.pk, []),
        )
        for org in Organisation.objects.filter(pk__in=ids)
    ]
    rows.sort(key=lambda r: (_rank(r.figures), r.figures.cost), reverse=True)
    return rows[:RANKED_LIMIT]


def _rank(f: Figures) -> float:
    if f.cost_ratio is not None:
        return f.cost_ratio
    return float("inf") if f.cost > 0 else 0.0


def ticket_panel(ticket: Ticket) -> list[RelationshipNote]:
    """The relationship notes shown on a ticket: the customer's and their organisation's, newest first."""
    q = Q(customer_id=ticket.customer_id)
    if ticket.customer.organisation_id:
        q |= Q(organisation_id=ticket.customer.organisation_id)
    return list(RelationshipNote.objects.filter(q).select_related("author", "organisation", "customer")[:20])
