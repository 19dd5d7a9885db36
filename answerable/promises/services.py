"""The promise ledger: every expectation set with a customer, from SLAs, acknowledgements, replies and notes,
kept when the matching event happens, warned about before it breaks, broken when its time passes first.

Ticket services call the `on_*` hooks inside their own transaction, so a promise and the change that made or
kept it commit together.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType

from django.db import transaction
from django.db.models import F, Q

from answerable.lib import jobs
from answerable.lib.business_hours import WEEKDAYS, BusinessCalendar, NoBusinessHours
from answerable.promises.models import Notification, Promise, SlaPolicy
from answerable.staff.models import Agent, Team
from answerable.tickets.models import Event, Message, Status, Ticket
from answerable.webhooks import services as webhooks

DEFAULT_WARN_SHARE = 0.75
REPLY_KEEPS = (Promise.Kind.FIRST_RESPONSE, Promise.Kind.NEXT_RESPONSE, Promise.Kind.GET_BACK)
SOLVE_KEEPS = (Promise.Kind.RESOLUTION, Promise.Kind.DELIVERY)


@dataclass(frozen=True)
class PromiseDraft:
    """A commitment found in (or confirmed for) a message before it is sent."""

    text: str
    due_at: datetime | None
    kind: str = Promise.Kind.GET_BACK


def calendar_for(team: Team) -> BusinessCalendar:
    try:
        return BusinessCalendar.for_team(team)
    except NoBusinessHours:  # a team with no hours set is treated as always open
        return BusinessCalendar(time_zone=team.time_zone, week={d: [["00:00", "24:00"]] for d in WEEKDAYS})


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    org = ticket.customer.organisation_id
    candidates = SlaPolicy.objects.filter(team_id=ticket.team_id, active=True).filter(
        Q(priority=None) | Q(priority=ticket.priority), Q(organisation=None) | Q(organisation_id=org)
    )

    def specificity(p: SlaPolicy) -> tuple[int, int, int]:
        return (p.organisation_id is not None, p.priority is not None, -p.pk)

    return max(candidates, key=specificity, default=None)


def _event(
    ticket: Ticket, kind: str, promise: Promise, *, actor: Agent | None, now: datetime, **data: object
) -> None:
    Event.objects.create(ticket=ticket, kind=kind, actor=actor, at=now, data={"promise": promise.pk, **data})


def record(
    ticket: Ticket,
    *,
    text: str,
    source: str,
    kind: str,
    due_at: datetime | None,
    now: datetime,
    owner: Agent | None = None,
    message: Message | None = None,
    warn_share: float = DEFAULT_WARN_SHARE,
    actor: Agent | None = None,
) -> Promise:
    warn_at = now + (due_at - now) * warn_share if due_at and due_at > now else None
    promise = Promise.objects.create(
        ticket=ticket,
        owner=owner,
        text=text[:2000],
        source=source,
        kind=kind,
        due_at=due_at,
        warn_at=warn_at,
        message=message,
        created_at=now,
    )
    _event(
        ticket,
        Event.Kind.PROMISE_MADE,
        promise,
        actor=actor,
        now=now,
        due=due_at.isoformat() if due_at else None,
    )
    return promise


def on_ticket_opened(ticket: Ticket, *, now: datetime) -> None:
    policy = policy_for(ticket)
    if policy is None:
        return
    calendar = calendar_for(ticket.team)
    record(
        ticket,
        text=f"First response within {_hours(policy.first_response)} business hours ({policy.name})",
        source=Promise.Source.SLA,
        kind=Promise.Kind.FIRST_RESPONSE,
        due_at=calendar.add(now, policy.first_response),
        now=now,
        warn_share=policy.warn_at,
    )
    if policy.resolution:
        record(
            ticket,
            text=f"Solved within {_hours(policy.resolution)} business hours ({policy.name})",
            source=Promise.Source.SLA,
            kind=Promise.Kind.RESOLUTION,
            due_at=calendar.add(now, policy.resolution),
            now=now,
            warn_share=policy.warn_at,
        )


def on_acknowledged(ticket: Ticket, *, due_at: datetime, message: Message, now: datetime) -> Promise:
    owner = ticket.assignee.display_name if ticket.assignee_id else f"the {ticket.team.name} team"
    return record(
        ticket,
        text=f"{owner} will answer by {due_at:%Y-%m-%d %H:%M %Z}",
        source=Promise.Source.ACKNOWLEDGEMENT,
        kind=Promise.Kind.FIRST_RESPONSE,
        due_at=due_at,
        now=now,
        owner=ticket.assignee,
        message=message,
    )


def on_customer_message(ticket: Ticket, *, now: datetime) -> None:
    """The customer wrote again after our first answer: the next-response clock starts, once."""
    if ticket.first_response_at is None:
        return
    policy = policy_for(ticket)
    if policy is None or policy.next_response is None:
        return
    if ticket.promises.filter(status=Promise.Status.OPEN, kind=Promise.Kind.NEXT_RESPONSE).exists():
        return
    record(
        ticket,
        text=f"Next response within {_hours(policy.next_response)} business hours ({policy.name})",
        source=Promise.Source.SLA,
        kind=Promise.Kind.NEXT_RESPONSE,
        due_at=calendar_for(ticket.team).add(now, policy.next_response),
        now=now,
        owner=ticket.assignee,
        warn_share=policy.warn_at,
    )


def on_reply(
    ticket: Ticket, message: Message, *, agent: Agent, now: datetime, found: Iterable[PromiseDraft]
) -> list[Promise]:
    """A reply reached the customer: it keeps every open "answer them" promise, then records what it
    promised itself."""
    _close(
        ticket.promises.filter(status=Promise.Status.OPEN, kind__in=REPLY_KEEPS),
        Promise.Status.KEPT,
        Event.Kind.PROMISE_KEPT,
        now=now,
        actor=agent,
        by_message=message.pk,
    )
    return _record_found(ticket, message, Promise.Source.REPLY, agent=agent, now=now, found=found)


def on_note(
    ticket: Ticket, message: Message, *, agent: Agent, now: datetime, found: Iterable[PromiseDraft]
) -> list[Promise]:
    return _record_found(ticket, message, Promise.Source.NOTE, agent=agent, now=now, found=found)


def _record_found(
    ticket: Ticket,
    message: Message,
    source: str,
    *,
    agent: Agent,
    now: datetime,
    found: Iterable[PromiseDraft],
) -> list[Promise]:
    """The promises a message made, owned by its author. A promise worded as in one of the team's macros
    ("ships in 3-5 business days") is the macro's or product's lead time, and says so as its source."""
    found = list(found)
    canned = _macro_texts(ticket) if found and source == Promise.Source.REPLY else []
    return [
        record(
            ticket,
            text=d.text,
            source=Promise.Source.MACRO if any(_squash(d.text) in m for m in canned) else source,
            kind=d.kind,
            due_at=d.due_at,
            now=now,
            owner=agent,
            message=message,
            actor=agent,
        )
        for d in found
    ]


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


def _macro_texts(ticket: Ticket) -> list[str]:
    from answerable.tickets.models import Macro

    bodies = Macro.objects.filter(active=True, team__in=[ticket.team_id, None]).values_list("body", flat=True)
    return [_squash(b) for b in bodies]


def on_status(ticket: Ticket, *, old: str, new: str, actor: Agent | None, now: datetime) -> None:
    if new in (Status.SOLVED, Status.CLOSED):
        _close(
            ticket.promises.filter(status=Promise.Status.OPEN, kind__in=SOLVE_KEEPS),
            Promise.Status.KEPT,
            Event.Kind.PROMISE_KEPT,
            now=now,
            actor=actor,
            by_status=new,
        )
    policy = policy_for(ticket)
    if policy is None or not policy.pause_while_pending:
        return
    sla = ticket.promises.filter(status=Promise.Status.OPEN, source=Promise.Source.SLA)
    if new == Status.PENDING and old != Status.PENDING:
        for promise in sla.filter(paused_at=None):
            Promise.objects.filter(pk=promise.pk).update(paused_at=now)
            _event(ticket, Event.Kind.PROMISE_PAUSED, promise, actor=actor, now=now)
    elif old == Status.PENDING and new != Status.PENDING:
        calendar = calendar_for(ticket.team)
        for promise in sla.exclude(paused_at=None):
            _resume(promise, calendar, actor=actor, now=now)


def _resume(promise: Promise, calendar: BusinessCalendar, *, actor: Agent | None, now: datetime) -> None:
    """The clock restarts with the business time that was left when it paused."""
    left = calendar.between(promise.paused_at, promise.due_at) if promise.due_at else None
    due = calendar.add(now, left) if left is not None else None
    window = (promise.due_at - promise.created_at) if promise.due_at else None
    warn_at = due - window * (1 - DEFAULT_WARN_SHARE) if due and window else None
    if promise.warned_at is not None or (warn_at and warn_at < now):
        warn_at = None
    Promise.objects.filter(pk=promise.pk).update(paused_at=None, due_at=due, warn_at=warn_at)
    _event(
        promise.ticket,
        Event.Kind.PROMISE_RESUMED,
        promise,
        actor=actor,
        now=now,
        due=due.isoformat() if due else None,
    )


def _close(
    promises: Iterable[Promise],
    status: str,
    event: str,
    *,
    now: datetime,
    actor: Agent | None,
    **data: object,
) -> list[Promise]:
    closed = []
    for promise in promises:
        if Promise.objects.filter(pk=promise.pk, status=Promise.Status.OPEN).update(
            status=status, closed_at=now
        ):
            _event(promise.ticket, event, promise, actor=actor, now=now, **data)
            closed.append(promise)
    if closed and status == Promise.Status.KEPT:
        _recovery().on_promises_settled([p.pk for p in closed], kept=True, now=now)
    return closed


def _recovery() -> "ModuleType":
    """Service recovery follows the ledger's outcomes. Imported late: it imports this module."""
    from answerable.tickets import recovery

    return recovery


@transaction.atomic
def mark_delivered(promise: Promise, *, actor: Agent, now: datetime) -> bool:
    return bool(
        _close([promise], Promise.Status.KEPT, Event.Kind.PROMISE_KEPT, now=now, actor=actor, delivered=True)
    )


@transaction.atomic
def mark_checked(promise: Promise, *, actor: Agent, now: datetime) -> bool:
    """A follow-up check was done: the agent checked with the customer that the fix held."""
    return bool(
        _close([promise], Promise.Status.KEPT, Event.Kind.PROMISE_KEPT, now=now, actor=actor, checked=True)
    )


def set_owner(promise: Promise, owner: Agent | None) -> None:
    """Who is warned about the promise (an escalation handed back returns it to the escalating agent)."""
    Promise.objects.filter(pk=promise.pk).update(owner=owner)


DEFAULT_GET_BACK = timedelta(hours=8)


def get_back_due(ticket: Ticket, *, now: datetime) -> datetime:
    """When to get back to the customer by, if the agent names no time: the policy's next-response target
    (else its first-response target), else one business day of 8 hours, on the team's calendar."""
    policy = policy_for(ticket)
    window = (policy.next_response or policy.first_response) if policy else None
    return calendar_for(ticket.team).add(now, window or DEFAULT_GET_BACK)


def notify_escalation(promise: Promise, agents: Iterable[Agent], *, text: str, now: datetime) -> None:
    """Tell the people an escalation waits on, in the console (and by email if they wish)."""
    _notify(
        [
            Notification(
                agent=a, promise=promise, kind=Notification.Kind.ESCALATED, created_at=now, text=text
            )
            for a in agents
            if a.is_active
        ]
    )


@transaction.atomic
def drop(promise: Promise, *, actor: Agent, now: datetime, reason: str = "") -> bool:
    """An agent removes a promise that was never made (a misread sentence)."""
    return bool(
        _close(
            [promise], Promise.Status.DROPPED, Event.Kind.PROMISE_DROPPED, now=now, actor=actor, reason=reason
        )
    )


@transaction.atomic
def reset(
    promise: Promise,
    *,
    due_at: datetime,
    text: str,
    actor: Agent,
    now: datetime,
    message: Message | None = None,
) -> Promise:
    """A new expectation replaces the old one; the old one keeps its history (broken or reset)."""
    promise = Promise.objects.select_for_update().get(pk=promise.pk)
    new = record(
        promise.ticket,
        text=text,
        source=promise.source,
        kind=promise.kind,
        due_at=due_at,
        now=now,
        owner=promise.owner or actor,
        message=message,
        actor=actor,
    )
    if promise.status == Promise.Status.OPEN:
        promise.status = Promise.Status.RESET
        promise.closed_at = now
        _recovery().on_promises_settled([promise.pk], kept=False, now=now)
    promise.replaced_by = new
    promise.save(update_fields=["status", "closed_at", "replaced_by"])
    _event(
        promise.ticket,
        Event.Kind.PROMISE_RESET,
        promise,
        actor=actor,
        now=now,
        new=new.pk,
        due=due_at.isoformat(),
    )
    return new


# --- the sweep -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    warned: int
    broken: int


def sweep_once(now: datetime, *, batch: int = 500) -> SweepResult:
    """Warn about promises near their time and break those whose time passed. Each step reads only rows
    already due, through a partial index, so its cost grows with the number due, not the number open."""
    return SweepResult(warned=_warn_due(now, batch), broken=_break_due(now, batch))


def _supervisors_by_team(promises: list[Promise]) -> dict[int, list[Agent]]:
    """Each team's active supervisors, in one query for the whole batch."""
    teams = {p.ticket.team_id for p in promises}
    out: dict[int, list[Agent]] = {t: [] for t in teams}
    for agent in Agent.objects.filter(is_active=True, role=Agent.Role.SUPERVISOR, teams__in=teams).annotate(
        team_id=F("teams")
    ):
        out[agent.team_id].append(agent)
    return out


def _recipients(
    promise: Promise, supervisors: dict[int, list[Agent]], *, with_supervisors: bool
) -> list[Agent]:
    """The owner and the assignee; the team's supervisors too at breach, or when nobody owns it."""
    ticket = promise.ticket
    people = {a.pk: a for a in (promise.owner, ticket.assignee) if a is not None and a.is_active}
    if with_supervisors or not people:
        for s in supervisors.get(ticket.team_id, []):
            people.setdefault(s.pk, s)
    return list(people.values())


def _pending(pending: Q, order: str, batch: int) -> list[Promise]:
    """The first `batch` promises matching `pending`: one read through a partial index."""
    return list(
        Promise.objects.filter(pending).select_related("ticket__assignee", "owner").order_by(order)[:batch]
    )


def _lock(pending: Q, due: list[Promise]) -> list[Promise]:
    """Those of `due` this sweep may act on: rows another sweep holds, or that stopped matching since the
    read (kept by a reply meanwhile), are left alone. Call inside a transaction."""
    taken = set(
        Promise.objects.filter(pending, pk__in=[p.pk for p in due])
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    return [p for p in due if p.pk in taken]


def _warn_due(now: datetime, batch: int) -> int:
    pending = Q(status=Promise.Status.OPEN, paused_at=None, warned_at=None, warn_at__lte=now)
    due = _pending(pending, "warn_at", batch)
    if not due:
        return 0
    with transaction.atomic():
        due = _lock(pending, due)
        Promise.objects.filter(pk__in=[p.pk for p in due]).update(warned_at=now)
        _notify_about(due, Notification.Kind.AT_RISK, now=now, with_supervisors=False)
        webhooks.on_promises(due, "promise.at_risk")
    return len(due)


def _break_due(now: datetime, batch: int) -> int:
    pending = Q(status=Promise.Status.OPEN, paused_at=None, due_at__lte=now)
    due = _pending(pending, "due_at", batch)
    if not due:
        return 0
    with transaction.atomic():
        due = _lock(pending, due)
        Promise.objects.filter(pk__in=[p.pk for p in due]).update(status=Promise.Status.BROKEN, closed_at=now)
        Event.objects.bulk_create(
            Event(ticket_id=p.ticket_id, kind=Event.Kind.PROMISE_BROKEN, at=now, data={"promise": p.pk})
            for p in due
        )
        _notify_about(due, Notification.Kind.BROKEN, now=now, with_supervisors=True)
        _recovery().on_promises_broken(due, now=now)
        auto = list(
            Promise.objects.filter(
                pk__in=[p.pk for p in due], source__in=TOLD_THE_CUSTOMER, ticket__team__auto_send_resets=True
            ).values_list("pk", flat=True)
        )
        if auto:
            from answerable.promises import tasks

            jobs.enqueue_on_commit(tasks.send_resets, auto)
        webhooks.on_promises(due, "promise.broken")
    return len(due)


# Promises the customer heard (and so should hear about when broken): not internal notes, SLA targets the
# customer was never told, or follow-up checks.
TOLD_THE_CUSTOMER = (
    Promise.Source.ACKNOWLEDGEMENT,
    Promise.Source.REPLY,
    Promise.Source.MACRO,
    Promise.Source.ESCALATION,
)


def send_reset(promise: Promise, *, now: datetime) -> Message | None:
    """For a team that opted in: send the reset message for a broken promise in its owner's name (else the
    assignee's). Nothing is sent when no active agent can sign it, when the ticket is closed, or when the
    promise is no longer broken (an agent reset it meanwhile); a second call sends nothing more."""
    from answerable.tickets import services as ticket_services

    ticket = promise.ticket
    agent = next((a for a in (promise.owner, ticket.assignee) if a is not None and a.is_active), None)
    if agent is None or promise.status != Promise.Status.BROKEN or ticket.status == Status.CLOSED:
        return None
    if not ticket.team.auto_send_resets:
        return None
    text, _ = reset_draft(promise, agent=agent, now=now, automatic=True)
    return ticket_services.reply(
        ticket, agent=agent, text=text, now=now, idempotency_key=f"auto-reset-{promise.pk}", resets=promise.pk
    )


def _notify_about(promises: list[Promise], kind: str, *, now: datetime, with_supervisors: bool) -> None:
    if not promises:
        return
    supervisors = _supervisors_by_team(promises)
    verb = "At risk" if kind == Notification.Kind.AT_RISK else "Broken"
    when = "is due" if kind == Notification.Kind.AT_RISK else "was due"
    _notify(
        [
            Notification(
                agent=agent,
                promise=p,
                kind=kind,
                created_at=now,
                text=f'{verb}: #{p.ticket_id} "{p.text[:80]}" {when} {p.due_at:%a %H:%M %Z}',
            )
            for p in promises
            for agent in _recipients(p, supervisors, with_supervisors=with_supervisors)
        ]
    )


def _notify(notes: list[Notification]) -> None:
    if not notes:
        return
    Notification.objects.bulk_create(notes, ignore_conflicts=True)
    if any(n.agent.notify_by_email for n in notes):
        from answerable.promises.tasks import email_notifications

        jobs.enqueue_on_commit(email_notifications, [n.agent_id for n in notes if n.agent.notify_by_email])


def _hours(duration: timedelta) -> str:
    hours = duration.total_seconds() / 3600
    return f"{hours:g}"


def suggested_new_due(promise: Promise, *, now: datetime) -> datetime:
    """A new expectation we can keep: the original window again from now, at least until the end of the
    next business day's first half, in business time."""
    calendar = calendar_for(promise.ticket.team)
    window = calendar.between(promise.created_at, promise.due_at) if promise.due_at else timedelta(hours=8)
    return calendar.add(now, max(window, timedelta(hours=4)))


def reset_draft(
    promise: Promise, *, agent: Agent, now: datetime, automatic: bool = False
) -> tuple[str, datetime]:
    """A message that owns the miss plainly, apologises, gives the new expectation with a date and says
    what is being done. It opens in the composer for the agent to edit, unless the team opted in to have
    it sent at once (`automatic`): then it says only what is true without an agent's edit, that the
    owner and the team's supervisor have been alerted."""
    from zoneinfo import ZoneInfo

    ticket = promise.ticket
    new_due = suggested_new_due(promise, now=now)
    zone = ZoneInfo(ticket.team.time_zone)
    was = f" by {promise.due_at.astimezone(zone):%A %-d %B, %H:%M}" if promise.due_at else ""
    name = ticket.customer.first_name
    text = (
        f"{'Hi ' + name if name else 'Hello'},\n\n"
        f"We told you{was} that {_as_clause(promise.text)}, and we did not keep that. "
        "I'm sorry: that's on us, and you should not have had to wait without hearing from us.\n\n"
        + (
            "What we are doing now: your request is at the top of my list, and my team lead has been "
            "told.\n\n"
            if automatic
            else "What we are doing now: [say what is being done].\n\n"
        )
        + f"You will hear from me by {new_due.astimezone(zone):%A %-d %B, %H:%M} "
        f"({ticket.team.time_zone} time) at the latest, with the result or a clear update.\n\n"
        f"{agent.display_name}"
    )
    return text, new_due


def _as_clause(text: str) -> str:
    """'I'll call you tomorrow' -> 'we would call you tomorrow'-ish: keep the agent's words, quoted."""
    return f"“{text.strip().rstrip('.')}”"


def find_in(text: str, ticket: Ticket, *, sent_at: datetime) -> list[PromiseDraft]:
    """The commitments a message makes, with due times on the team's business calendar."""
    from answerable.promises.extract import extract

    found = extract(text, sent_at=sent_at, calendar=calendar_for(ticket.team))
    return [
        PromiseDraft(f.span, f.due, f.kind if f.kind in Promise.Kind.values else Promise.Kind.GET_BACK)
        for f in found
    ]


def replace(old_id: int, *, ticket: Ticket, made: list[Promise], actor: Agent, now: datetime) -> None:
    """A reply sent from "Draft a reset": the old promise is marked reset, replaced by the reply's new
    expectation (the first promise it made with a time)."""
    old = ticket.promises.filter(pk=old_id).first()
    new = next((p for p in made if p.due_at is not None), None)
    if old is None or new is None or old.status not in (Promise.Status.OPEN, Promise.Status.BROKEN):
        return
    if old.status == Promise.Status.OPEN:
        old.status = Promise.Status.RESET
        old.closed_at = now
        _recovery().on_promises_settled([old.pk], kept=False, now=now)
    old.replaced_by = new
    old.save(update_fields=["status", "closed_at", "replaced_by"])
    _event(
        ticket, Event.Kind.PROMISE_RESET, old, actor=actor, now=now, new=new.pk, due=new.due_at.isoformat()
    )
