"""Service recovery: when we failed a customer (a promise broke, or they complained), the ticket offers a
playbook: own the failure, apologise, fix, set a new expectation, and check back after it is due.

Entry points for other apps:
- `complaint(ticket, text, now=...)`: the customer complained (portal "Not happy?", a survey comment ...).
- `start_recovery(ticket, reason, now=...)`: start one by hand (the sweep calls `on_promises_broken`).
- `summary(since=..., until=...)`: recoveries and their outcome, with satisfaction afterwards, for reports.

The ledger drives the outcome: the recovery's new expectation kept closes it as kept; broken or moved
again closes it as broken (promises.services calls `on_promises_settled` and `on_promises_broken`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery

from answerable.promises import services as ledger
from answerable.promises.models import Promise
from answerable.staff.models import Agent
from answerable.tickets import services
from answerable.tickets.models import ACTIVE_STATUSES, Event, Recovery, Status, Ticket

# Check back with the customer this long (business time) after the new expectation is due.
FOLLOW_UP_AFTER = timedelta(hours=4)
# Answer a complaint within this business time when the SLA policy names no next-response target.
COMPLAINT_ANSWER = timedelta(hours=4)


def _event(ticket: Ticket, kind: str, *, actor: Agent | None, now: datetime, **data: object) -> None:
    Event.objects.create(ticket=ticket, kind=kind, actor=actor, at=now, data=data)


def open_recovery(ticket: Ticket) -> Recovery | None:
    return Recovery.objects.filter(ticket=ticket, closed_at=None).first()


@transaction.atomic
def start_recovery(
    ticket: Ticket,
    reason: str,
    *,
    now: datetime,
    detail: str = "",
    broken_promise: Promise | None = None,
    actor: Agent | None = None,
) -> Recovery:
    """Open the ticket's recovery, or return the one already open (a second failure joins it)."""
    if reason not in Recovery.Reason.values:
        raise ValueError(f"Unknown recovery reason {reason!r}")
    if existing := open_recovery(ticket):
        return existing
    try:
        with transaction.atomic():
            recovery = Recovery.objects.create(
                ticket=ticket, reason=reason, detail=detail[:5000], started_at=now, started_by=actor,
                broken_promise=broken_promise,
            )  # fmt: skip
    except IntegrityError:  # a concurrent failure opened it first
        return Recovery.objects.get(ticket=ticket, closed_at=None)
    _event(ticket, Event.Kind.RECOVERY_STARTED, actor=actor, now=now, recovery=recovery.pk, reason=reason,
           promise=broken_promise.pk if broken_promise else None)  # fmt: skip
    return recovery


@transaction.atomic
def complaint(ticket: Ticket, text: str, *, now: datetime, actor: Agent | None = None) -> Recovery:
    """The customer complained: recorded on the ticket (COMPLAINED), a recovery starts (or the open one
    carries on), and answering the complaint becomes a tracked promise so it cannot go quiet.

    `actor` is the agent who recorded a complaint made by phone; None when the customer made it themselves.
    The customer is waiting on us from now (a solved ticket reopens); a closed ticket is final, as for
    messages: raise, and the caller opens a follow-up ticket.
    """
    text = (text or "").strip()
    if not text:
        raise ValueError("A complaint needs the customer's words.")
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("team", "customer").get(pk=ticket.pk)
    )
    if ticket.status == Status.CLOSED:
        raise ValueError(f"{ticket.reference} is closed; open a follow-up ticket for the complaint.")
    _event(ticket, Event.Kind.COMPLAINED, actor=actor, now=now, text=text[:2000])
    if ticket.status == Status.SOLVED:
        ticket = services.set_status(ticket, Status.OPEN, actor=actor, now=now)
    if ticket.waiting_since is None:
        Ticket.objects.filter(pk=ticket.pk).update(waiting_since=now, last_activity_at=now)
    recovery = start_recovery(ticket, Recovery.Reason.COMPLAINT, now=now, detail=text, actor=actor)
    if not ticket.promises.filter(status=Promise.Status.OPEN, source=Promise.Source.RECOVERY,
                                  kind=Promise.Kind.GET_BACK).exists():  # fmt: skip
        policy = ledger.policy_for(ticket)
        window = (policy.next_response if policy else None) or COMPLAINT_ANSWER
        ledger.record(
            ticket, text="Answer the complaint", source=Promise.Source.RECOVERY, kind=Promise.Kind.GET_BACK,
            due_at=ledger.calendar_for(ticket.team).add(now, window), now=now, owner=ticket.assignee,
            actor=actor,
        )  # fmt: skip
    return recovery


def on_promises_broken(promises: Iterable[Promise], *, now: datetime) -> None:
    """From the sweep, inside its transaction: a recovery whose new expectation broke ends as broken, and
    each active ticket with a freshly broken promise to the customer gets a recovery (one per ticket)."""
    promises = list(promises)
    on_promises_settled([p.pk for p in promises], kept=False, now=now)
    customer_facing = [p for p in promises if p.kind != Promise.Kind.FOLLOW_UP]
    tickets = {p.ticket_id: p for p in customer_facing if p.ticket.status in ACTIVE_STATUSES}
    if not tickets:
        return
    busy = set(
        Recovery.objects.filter(ticket_id__in=tickets, closed_at=None).values_list("ticket_id", flat=True)
    )
    for ticket_id, promise in tickets.items():
        if ticket_id not in busy:
            start_recovery(
                promise.ticket,
                Recovery.Reason.BROKEN_PROMISE,
                now=now,
                detail=promise.text,
                broken_promise=promise,
            )


def on_promises_settled(promise_ids: list[int], *, kept: bool, now: datetime) -> None:
    """A recovery's new expectation was kept, or broke / was moved again: that is its outcome."""
    outcome = Recovery.Outcome.KEPT if kept else Recovery.Outcome.BROKEN
    for recovery in Recovery.objects.filter(promise_id__in=promise_ids, closed_at=None).select_related(
        "ticket"
    ):
        Recovery.objects.filter(pk=recovery.pk).update(outcome=outcome, closed_at=now)
        _event(recovery.ticket, Event.Kind.RECOVERY_ENDED, actor=None, now=now, recovery=recovery.pk,
               outcome=outcome)  # fmt: skip


def on_reply(ticket: Ticket, made: list[Promise], *, agent: Agent, now: datetime) -> None:
    """A reply that set a new expectation (a promise with a time) while a recovery is open: that promise is
    the recovery's, and a follow-up check is scheduled after it is due."""
    new = next((p for p in made if p.due_at is not None and p.kind != Promise.Kind.FOLLOW_UP), None)
    if new is None:
        return
    recovery = Recovery.objects.filter(ticket=ticket, closed_at=None, promise=None).first()
    if recovery is None:
        return
    follow_up = ledger.record(
        ticket, text="Check with the customer that the fix held", source=Promise.Source.RECOVERY,
        kind=Promise.Kind.FOLLOW_UP, due_at=ledger.calendar_for(ticket.team).add(new.due_at, FOLLOW_UP_AFTER),
        now=now, owner=agent, actor=agent,
    )  # fmt: skip
    Recovery.objects.filter(pk=recovery.pk).update(promise=new, follow_up=follow_up)


def draft(recovery: Recovery, *, agent: Agent, now: datetime) -> tuple[str, datetime]:
    """The playbook's reply, for the composer (never sent by itself): owns the failure, apologises, leaves a
    blank for the fix, and sets a new expectation with a date the agent can keep."""
    if recovery.broken_promise is not None:
        return ledger.reset_draft(recovery.broken_promise, agent=agent, now=now)
    ticket = recovery.ticket
    new_due = ledger.get_back_due(ticket, now=now)
    zone = ZoneInfo(ticket.team.time_zone)
    name = ticket.customer.first_name
    text = (
        f"{'Hi ' + name if name else 'Hello'},\n\n"
        "Thank you for telling us, and I'm sorry: you are right to expect better from us, and this one is "
        "on us.\n\n"
        "What we are doing now: [say what is being done to fix it].\n\n"
        f"You will hear from me by {new_due.astimezone(zone):%A %-d %B, %H:%M} "
        f"({ticket.team.time_zone} time) at the latest, with the result or a clear update.\n\n"
        f"{agent.display_name}"
    )
    return text, new_due


@dataclass(frozen=True)
class RecoverySummary:
    started: int
    after_broken_promise: int
    after_complaint: int
    kept: int
    broken: int
    still_open: int
    rated_good_after: int
    rated_bad_after: int


def summary(*, since: datetime, until: datetime, team_ids: Iterable[int] | None = None) -> RecoverySummary:
    """Recoveries started in [since, until) and how they ended, with the customer's latest rating given after
    the recovery started (satisfaction afterwards). One query."""
    qs = Recovery.objects.filter(started_at__gte=since, started_at__lt=until)
    if team_ids is not None:
        qs = qs.filter(ticket__team_id__in=list(team_ids))
    from answerable.satisfaction.models import Rating

    after = Rating.objects.filter(ticket=OuterRef("ticket"), updated_at__gte=OuterRef("started_at")).order_by(
        "-updated_at"
    )
    counts = qs.annotate(rating_after=Subquery(after.values("score")[:1])).aggregate(
        started=Count("pk"),
        after_broken_promise=Count("pk", filter=Q(reason=Recovery.Reason.BROKEN_PROMISE)),
        after_complaint=Count("pk", filter=Q(reason=Recovery.Reason.COMPLAINT)),
        kept=Count("pk", filter=Q(outcome=Recovery.Outcome.KEPT)),
        broken=Count("pk", filter=Q(outcome=Recovery.Outcome.BROKEN)),
        still_open=Count("pk", filter=Q(closed_at=None)),
        rated_good_after=Count("pk", filter=Q(rating_after=Rating.Score.GOOD)),
        rated_bad_after=Count("pk", filter=Q(rating_after=Rating.Score.BAD)),
    )
    return RecoverySummary(**counts)
