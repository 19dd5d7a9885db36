"""Writes of the accounts app: handling time, relationship notes, terms replies, avoidance alerts."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from answerable.accounts import avoidance
from answerable.accounts.models import AvoidanceAlert, HandlingTime, RelationshipNote
from answerable.customers.models import Customer, Organisation, TermsFlag
from answerable.lib import clock
from answerable.lib.business_hours import BusinessCalendar
from answerable.staff.models import Agent, Team
from answerable.tickets import access
from answerable.tickets import services as ticket_services
from answerable.tickets.models import ACTIVE_STATUSES, Event, Message, Status, Ticket

log = logging.getLogger(__name__)

# The console beats every 30 s while the ticket is visible and in use; a longer gap means the tab was hidden,
# idle or closed, and that gap counts nothing. Three beats' worth tolerates one lost request.
HEARTBEAT = timedelta(seconds=30)
GAP_CAP = timedelta(seconds=90)
NOTE_MAX = 10_000


# --- handling time ---------------------------------------------------------------------------------------


def heartbeat(ticket: Ticket, agent: Agent, *, now: datetime) -> int:
    """Credit the agent with the time since their last beat on this ticket (when under the cap) and return
    the seconds credited. Ephemeral measurement: no Event."""
    last = (
        HandlingTime.objects.filter(agent=agent, ticket=ticket, last_beat_at__gte=now - GAP_CAP)
        .order_by("-last_beat_at")
        .values_list("last_beat_at", flat=True)
        .first()
    )
    credit = int((now - last).total_seconds()) if last is not None and last < now else 0
    row, created = HandlingTime.objects.get_or_create(
        agent=agent, ticket=ticket, day=now.astimezone(UTC).date(),
        defaults={"seconds": credit, "started_at": now, "last_beat_at": now},
    )  # fmt: skip
    if created:
        return credit
    # Conditional on the beat we read: of two concurrent beats (two tabs), only one is credited.
    updated = HandlingTime.objects.filter(
        pk=row.pk, last_beat_at=row.last_beat_at, last_beat_at__lt=now
    ).update(seconds=F("seconds") + credit, last_beat_at=now)
    return credit if updated else 0


# --- relationship notes ----------------------------------------------------------------------------------


@transaction.atomic
def add_relationship_note(
    *,
    author: Agent,
    text: str,
    now: datetime,
    organisation: Organisation | None = None,
    customer: Customer | None = None,
) -> RelationshipNote:
    if (organisation is None) == (customer is None):
        raise ValidationError("A relationship note is about one organisation or one customer.")
    text = text.strip()
    if not text:
        raise ValidationError("Write the note first.")
    if len(text) > NOTE_MAX:
        raise ValidationError(f"A note has at most {NOTE_MAX:,} characters; this one has {len(text):,}.")
    return RelationshipNote.objects.create(
        organisation=organisation, customer=customer, author=author, text=text, created_at=now
    )


# --- terms flags: the pre-approved reply to new requests -------------------------------------------------

# When several flags carry a reply, the strongest term answers.
_REPLY_ORDER = [
    TermsFlag.Kind.DECLINE_NEW_WORK,
    TermsFlag.Kind.PREPAYMENT_REQUIRED,
    TermsFlag.Kind.CREDIT_HOLD,
]


def terms_reply_flag(ticket: Ticket) -> TermsFlag | None:
    org = ticket.customer.organisation_id
    if org is None:
        return None
    flags = TermsFlag.objects.filter(organisation_id=org, cleared_at=None).exclude(auto_reply="")
    found = {f.kind: f for f in flags.select_related("set_by")}
    return next((found[k] for k in _REPLY_ORDER if k in found), None)


@transaction.atomic
def send_terms_reply(ticket: Ticket, *, now: datetime) -> Message | None:
    """A new request from an organisation under a flag with a pre-approved reply gets that reply, once.

    Called by mail.ingest only where an acknowledgement is due (never to robots, lists or loops). The reply
    goes through tickets.services.reply in the name of the supervisor who approved the text, without
    promise extraction, and is marked automatic: it carries Auto-Submitted, counts towards the per-sender
    limit of automatic mail, and is not an agent's response for avoidance statistics.
    """
    flag = terms_reply_flag(ticket)
    if flag is None:
        return None
    key = f"terms-{ticket.pk}"
    if Message.objects.filter(idempotency_key=key).exists():
        return None
    message = ticket_services.reply(
        ticket, agent=flag.set_by, text=flag.auto_reply, now=now, idempotency_key=key, promises=[]
    )
    Message.objects.filter(pk=message.pk).update(automatic=True)
    Event.objects.create(
        ticket=ticket, kind=Event.Kind.TERMS_REPLY, actor=None, at=now,
        data={"message": message.pk, "flag": flag.pk, "kind": flag.kind},
    )  # fmt: skip
    return message


# --- avoidance -------------------------------------------------------------------------------------------

POSTPONING_STATUSES = {Status.PENDING, Status.ON_HOLD}


def account_key(organisation_id: int | None, customer_id: int) -> str:
    """An account is the organisation, or the customer who belongs to none."""
    return f"o{organisation_id}" if organisation_id else f"c{customer_id}"


@dataclass
class Traffic:
    """What the detection reads from the database for one period."""

    samples: list[avoidance.Sample] = field(default_factory=list)
    tickets: dict[tuple[int, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    postponements: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))


def collect_traffic(start: datetime, end: datetime) -> Traffic:
    """Every wait that began in [start, end): a customer message (the first of a run) until the next reply
    by an agent, in the team's business time, attributed to that agent. A wait still open at `end` on an
    active ticket counts until `end` for the assignee (a lower bound). Automatic messages (acknowledgements,
    terms replies) answer nobody. Plus postponements: an agent setting the ticket pending or on hold, or
    resetting a promise to a later time."""
    traffic = Traffic()
    calendars: dict[int, BusinessCalendar] = {}
    rows = (
        Message.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(kind=Message.Kind.NOTE)
        .order_by("ticket_id", "created_at", "id")
        .values_list(
            "ticket_id", "kind", "author_id", "automatic", "created_at", "ticket__team_id",
            "ticket__customer_id", "ticket__customer__organisation_id", "ticket__assignee_id",
            "ticket__status", "ticket__waiting_since",
        )
    )  # fmt: skip

    def business(team_id: int, a: datetime, b: datetime) -> float:
        if team_id not in calendars:
            from answerable.promises.services import calendar_for

            calendars[team_id] = calendar_for(Team.objects.prefetch_related("holidays").get(pk=team_id))
        return calendars[team_id].between(a, b).total_seconds()

    def close(agent: int | None, team: int, account: str, ticket: int, since: datetime, at: datetime) -> None:
        if agent is None:
            return
        traffic.samples.append(avoidance.Sample(agent, account, business(team, since, at)))
        traffic.tickets[(agent, account)].add(ticket)

    def still_waiting(row: tuple, since: datetime | None) -> None:
        """The ticket's last wait, unanswered at `end`: it counts until `end` for the assignee."""
        ticket, _, _, _, _, team, customer, org, assignee, status, waiting_since = row
        if since is not None and status in ACTIVE_STATUSES and waiting_since is not None:
            close(assignee, team, account_key(org, customer), ticket, since, end)

    current, waiting_from, last = None, None, None
    for row in rows.iterator(chunk_size=2000):
        ticket, kind, author, automatic, at, team, customer, org = row[:8]
        if ticket != current:
            if last is not None:
                still_waiting(last, waiting_from)
            current, waiting_from = ticket, None
        last = row
        if kind == Message.Kind.INBOUND:
            waiting_from = waiting_from or at
        elif kind == Message.Kind.OUTBOUND and not automatic and author is not None and waiting_from:
            close(author, team, account_key(org, customer), ticket, waiting_from, at)
            waiting_from = None
    if last is not None:
        still_waiting(last, waiting_from)

    events = Event.objects.filter(
        at__gte=start, at__lt=end, actor__isnull=False,
        kind__in=[Event.Kind.STATUS_CHANGED, Event.Kind.PROMISE_RESET],
    ).values_list(
        "actor_id", "kind", "data", "ticket_id", "ticket__customer_id", "ticket__customer__organisation_id"
    )  # fmt: skip
    for actor, kind, data, ticket, customer, org in events.iterator(chunk_size=2000):
        if kind == Event.Kind.STATUS_CHANGED and (data or {}).get("new") not in POSTPONING_STATUSES:
            continue
        key = (actor, account_key(org, customer))
        traffic.postponements[key] += 1
        traffic.tickets[key].add(ticket)
    return traffic


@dataclass(frozen=True)
class DetectionRun:
    start: datetime
    end: datetime
    tested: int
    alerts: int
    created: int
    updated: int


def detect_avoidance(*, now: datetime, days: int = 30) -> DetectionRun:
    """Test every agent and account over the last `days` and open (or refresh) an alert per finding.

    A pair a supervisor already decided on (reassigned or dismissed) within the period is not raised again
    from the same evidence."""
    start, end = now - timedelta(days=days), now
    traffic = collect_traffic(start, end)
    result = avoidance.find_avoidance(traffic.samples)
    created = updated = 0
    for finding in result.alerts:
        created_now = _record_alert(finding, traffic, start=start, end=end, now=now)
        if created_now is True:
            created += 1
        elif created_now is False:
            updated += 1
    log.info("avoidance: %d pairs tested, %d alerts (%d new)", result.tested, len(result.alerts), created)
    return DetectionRun(start, end, result.tested, len(result.alerts), created, updated)


def run_periodic() -> DetectionRun:
    """For the periodic loop (e.g. hourly): detection over the last 30 days at the current time."""
    return detect_avoidance(now=clock.now())


def _postponement_totals(traffic: Traffic, agent: int, account: str) -> tuple[int, int, int, int]:
    inside_p = traffic.postponements.get((agent, account), 0)
    inside_t = len(traffic.tickets.get((agent, account), ()))
    other_p = sum(n for (a, acc), n in traffic.postponements.items() if a == agent and acc != account)
    other_t = sum(len(t) for (a, acc), t in traffic.tickets.items() if a == agent and acc != account)
    return inside_p, inside_t, other_p, other_t


@transaction.atomic
def _record_alert(
    finding: avoidance.Finding, traffic: Traffic, *, start: datetime, end: datetime, now: datetime
) -> bool | None:
    """True: a new alert; False: an open one refreshed; None: decided on already in this period."""
    subject = (
        {"organisation_id": int(finding.account[1:])}
        if finding.account.startswith("o")
        else {"customer_id": int(finding.account[1:])}
    )
    pairs = AvoidanceAlert.objects.filter(agent_id=finding.agent, **subject)
    if pairs.exclude(status=AvoidanceAlert.Status.OPEN).filter(closed_at__gte=start).exists():
        return None
    p_in, t_in, p_out, t_out = _postponement_totals(traffic, finding.agent, finding.account)
    evidence = {
        "updated_at": now, "period_start": start, "period_end": end,
        "n_account": finding.n_account, "n_other": finding.n_other,
        "median_account_seconds": finding.median_account, "median_other_seconds": finding.median_other,
        "ratio": finding.ratio, "difficulty": finding.difficulty, "p_value": finding.p_value,
        "threshold": finding.threshold, "postponements_account": p_in, "tickets_account": t_in,
        "postponements_other": p_out, "tickets_other": t_out,
    }  # fmt: skip
    existing = pairs.select_for_update().filter(status=AvoidanceAlert.Status.OPEN).first()
    if existing:
        for name, value in evidence.items():
            setattr(existing, name, value)
        existing.save(update_fields=list(evidence))
        return False
    AvoidanceAlert.objects.create(agent_id=finding.agent, created_at=now, **subject, **evidence)
    return True


def alerts_for(user: Agent):  # noqa: ANN201 - a QuerySet of AvoidanceAlert
    """Admins see every alert; supervisors those about agents of their teams; agents none."""
    alerts = AvoidanceAlert.objects.all()
    if user.is_admin:
        return alerts
    if user.is_supervisor:
        return alerts.filter(agent__teams__in=user.teams.values("pk")).distinct()
    return alerts.none()


@dataclass(frozen=True)
class Reassignment:
    moved: list[int]
    refused: list[int]


@transaction.atomic
def reassign_account(alert: AvoidanceAlert, to: Agent, *, actor: Agent, now: datetime) -> Reassignment:
    """Move the account's active tickets from the alert's agent to `to`, each through tickets.services.assign
    and only where access.may_assign allows it; the alert is closed as reassigned."""
    alert = AvoidanceAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != AvoidanceAlert.Status.OPEN:
        raise ValidationError("This alert was already dealt with.")
    if to.pk == alert.agent_id:
        raise ValidationError("Choose someone other than the agent the alert is about.")
    tickets = access.visible_tickets(actor).filter(
        assignee_id=alert.agent_id, status__in=[s.value for s in ACTIVE_STATUSES]
    )
    if alert.organisation_id:
        tickets = tickets.filter(customer__organisation_id=alert.organisation_id)
    else:
        tickets = tickets.filter(customer_id=alert.customer_id)
    moved, refused = [], []
    for ticket in tickets.select_related("team").order_by("pk"):
        if access.may_assign(actor, ticket, to):
            ticket_services.assign(ticket, to, actor=actor, now=now)
            moved.append(ticket.pk)
        else:
            refused.append(ticket.pk)
    alert.status = AvoidanceAlert.Status.REASSIGNED
    alert.closed_by, alert.closed_at = actor, now
    alert.outcome = f"{len(moved)} ticket(s) moved to {to.display_name}" + (
        f"; {len(refused)} not (not on their team)" if refused else ""
    )
    alert.save(update_fields=["status", "closed_by", "closed_at", "outcome"])
    return Reassignment(moved, refused)


@transaction.atomic
def dismiss_alert(alert: AvoidanceAlert, *, actor: Agent, now: datetime, reason: str = "") -> None:
    AvoidanceAlert.objects.filter(pk=alert.pk, status=AvoidanceAlert.Status.OPEN).update(
        status=AvoidanceAlert.Status.DISMISSED, closed_by=actor, closed_at=now,
        outcome=reason.strip()[:2000] or "Dismissed",
    )  # fmt: skip
