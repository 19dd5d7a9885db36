"""Escalation that always comes back: an agent hands a ticket up to a supervisor or a second-tier team, the
customer is promised an answer by a time (and may be told so at once), and the escalation is closed only
when the customer has had a reply. A get-back promise on the ledger warns and breaks like any other.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from answerable.promises import services as ledger
from answerable.promises.models import Promise
from answerable.staff.models import Agent, Team
from answerable.tickets import services
from answerable.tickets.models import ACTIVE_STATUSES, Escalation, Event, Message, Ticket

NOTE_LIMIT = 5000
ALREADY = "This ticket is already escalated and waiting for an answer."


class EscalationError(ValueError):
    """The escalation cannot be made or handed back as asked; the message says why, for the agent."""


def targets(ticket: Ticket) -> QuerySet[Agent]:
    """Whom an agent may escalate to: the supervisors of the ticket's team, and admins."""
    return (
        Agent.objects.filter(is_active=True)
        .filter(Q(role=Agent.Role.ADMIN) | Q(role=Agent.Role.SUPERVISOR, teams=ticket.team_id))
        .distinct()
        .order_by("first_name", "username")
    )


def target_teams(ticket: Ticket) -> QuerySet[Team]:
    """Second-tier teams: any team but the ticket's own."""
    return Team.objects.exclude(pk=ticket.team_id).order_by("name")


def holding_text(ticket: Ticket, *, agent: Agent, to_agent: Agent | None, due: datetime) -> str:
    """The short holding reply: who was asked, and the time the customer will hear back by, in the team's
    zone (the desk knows no customer zone; the zone is named so nobody misreads it)."""
    zone = ZoneInfo(ticket.team.time_zone)
    who = "my manager" if to_agent is not None else "a specialist team"
    name = ticket.customer.first_name
    return (
        f"{'Hi ' + name if name else 'Hello'},\n\n"
        f"I've asked {who} to look at this with me. You'll hear from us by "
        f"{due.astimezone(zone):%A %-d %B, %H:%M} ({ticket.team.time_zone} time) at the latest.\n\n"
        f"{agent.display_name}"
    )


@transaction.atomic
def escalate(
    ticket: Ticket,
    *,
    agent: Agent,
    note: str,
    now: datetime,
    to_agent: Agent | None = None,
    to_team: Team | None = None,
    due_at: datetime | None = None,
    send_holding_reply: bool = False,
    holding_reply: str = "",
) -> Escalation:
    """Escalate with a note. The customer is owed an answer by `due_at` (else the SLA policy's next-response
    target on the business calendar): a get-back promise, owned by the supervisor asked (or the agent, for a
    team). With `send_holding_reply` the customer is told at once (`holding_reply`, or the standard text).
    The people it waits on are notified in the console."""
    note = (note or "").strip()
    if not note:
        raise EscalationError("Say what you need: an escalation needs a note.")
    if len(note) > NOTE_LIMIT:
        raise EscalationError(f"The note is too long (at most {NOTE_LIMIT} characters).")
    if (to_agent is None) == (to_team is None):
        raise EscalationError("Escalate to one supervisor or to one team.")
    ticket = (
        # of=self: PostgreSQL cannot lock the nullable side of the outer join to the assignee.
        Ticket.objects.select_for_update(of=("self",))
        .select_related("team", "customer", "assignee")
        .get(pk=ticket.pk)
    )
    if ticket.status not in ACTIVE_STATUSES:
        raise EscalationError("This ticket is solved or closed; reopen it before escalating.")
    if ticket.escalations.filter(status=Escalation.Status.WAITING).exists():
        raise EscalationError(ALREADY)
    if to_agent is not None and (
        to_agent.pk == agent.pk or not targets(ticket).filter(pk=to_agent.pk).exists()
    ):
        raise EscalationError("Escalate to a supervisor of this team or an admin (not yourself).")
    if to_team is not None and to_team.pk == ticket.team_id:
        raise EscalationError("Escalate to another team: this one already has the ticket.")
    if due_at is not None and due_at <= now:
        raise EscalationError("The time to get back to the customer must be in the future.")
    due = due_at or ledger.get_back_due(ticket, now=now)
    holding = None
    if send_holding_reply:
        text = holding_reply.strip() or holding_text(ticket, agent=agent, to_agent=to_agent, due=due)
        # Sent before the get-back promise exists, so it does not count as the answer; its own words are not
        # read for promises: the escalation's promise is the one to track.
        holding = services.reply(ticket, agent=agent, text=text, now=now, promises=[])
    promise = ledger.record(
        ticket,
        text=f"Get back after escalating to {to_agent.display_name if to_agent else to_team.name}",
        source=Promise.Source.ESCALATION,
        kind=Promise.Kind.GET_BACK,
        due_at=due,
        now=now,
        owner=to_agent or agent,
        message=holding,
        actor=agent,
    )
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                ticket=ticket, escalated_by=agent, to_agent=to_agent, to_team=to_team, note=note,
                promise=promise, holding_message=holding, created_at=now,
            )  # fmt: skip
    except IntegrityError:
        raise EscalationError(ALREADY) from None
    Event.objects.create(ticket=ticket, kind=Event.Kind.ESCALATED, actor=agent, at=now,
                         data={"escalation": escalation.pk, "to_agent": to_agent.pk if to_agent else None,
                               "to_team": to_team.pk if to_team else None, "due": due.isoformat(),
                               "new": to_agent.display_name if to_agent else to_team.name})  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk, last_activity_at__lt=now).update(last_activity_at=now)
    who = [to_agent] if to_agent else list(supervisors_of(to_team))
    ledger.notify_escalation(
        promise, who, text=f"Escalated to you: #{ticket.pk} {ticket.subject[:60]}", now=now
    )
    return escalation


def supervisors_of(team: Team) -> QuerySet[Agent]:
    return Agent.objects.filter(is_active=True, role=Agent.Role.SUPERVISOR, teams=team)


def may_handle(user: Agent, escalation: Escalation) -> bool:
    """Who answers or hands back: the supervisor asked, a supervisor of the team asked, a supervisor of the
    ticket's team, or an admin."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin or escalation.to_agent_id == user.pk:
        return True
    if not user.is_supervisor:
        return False
    teams = set(user.teams.values_list("pk", flat=True))
    return escalation.to_team_id in teams or escalation.ticket.team_id in teams


@transaction.atomic
def hand_back(escalation: Escalation, *, supervisor: Agent, guidance: str, now: datetime) -> Escalation:
    """The supervisor hands the ticket back with guidance: an internal note, the ticket assigned to the
    escalating agent again, and the get-back promise theirs. It stays open until the customer has a reply."""
    guidance = (guidance or "").strip()
    if not guidance:
        raise EscalationError("Write the guidance for the agent.")
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("ticket", "escalated_by")
        .get(pk=escalation.pk)
    )
    if escalation.status != Escalation.Status.WAITING:
        raise EscalationError("This escalation is no longer waiting (handed back or answered already).")
    ticket = escalation.ticket
    note = services.add_note(ticket, agent=supervisor, text=f"Guidance: {guidance}", now=now, promises=[])
    agent = escalation.escalated_by
    if agent is not None and agent.is_active:
        services.assign(ticket, agent, actor=supervisor, now=now)
        if escalation.promise_id:
            ledger.set_owner(escalation.promise, agent)
    Escalation.objects.filter(pk=escalation.pk).update(
        status=Escalation.Status.HANDED_BACK, handed_back_at=now, guidance=note
    )
    Event.objects.create(ticket=ticket, kind=Event.Kind.HANDED_BACK, actor=supervisor, at=now,
                         data={"escalation": escalation.pk, "message": note.pk,
                               "new": agent.display_name if agent else None})  # fmt: skip
    escalation.refresh_from_db()
    return escalation


def on_reply(ticket: Ticket, message: Message, *, agent: Agent, now: datetime) -> None:
    """The customer has had a reply: every escalation of the ticket not yet answered is closed by it."""
    for escalation in Escalation.objects.filter(ticket=ticket, closed_at=None):
        Escalation.objects.filter(pk=escalation.pk).update(
            status=Escalation.Status.ANSWERED, closed_at=now, answered_by=message
        )
        Event.objects.create(ticket=ticket, kind=Event.Kind.ESCALATION_ANSWERED, actor=agent, at=now,
                             data={"escalation": escalation.pk, "message": message.pk})  # fmt: skip
