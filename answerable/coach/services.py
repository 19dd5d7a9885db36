"""The coach in the desk: run the checks on a draft for a ticket, and record what happened at send."""

from collections.abc import Sequence
from datetime import datetime

from answerable.coach.checks import Finding, check_draft
from answerable.coach.models import CoachFinding
from answerable.staff.models import Agent
from answerable.tickets.models import Macro, Message, Ticket

BLOCKING = ("tone",)  # findings that ask for confirmation before a reply is sent


def thread_for(ticket: Ticket) -> list[dict]:
    """The conversation as the customer saw it: their messages and our replies, oldest first; no notes."""
    rows = (
        ticket.messages.exclude(kind=Message.Kind.NOTE)
        .order_by("created_at", "id")
        .values_list("kind", "text", "new_text")
    )
    return [
        {"from": "customer" if k == Message.Kind.INBOUND else "agent", "text": new or text}
        for k, text, new in rows
    ]


def review(ticket: Ticket, draft: str, *, now: datetime) -> list[Finding]:
    macros = list(
        Macro.objects.filter(active=True, team__in=[ticket.team_id, None]).values_list("body", flat=True)
    )
    return check_draft(draft, thread_for(ticket), macros=macros, sent_at=now)


def blocking(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.check in BLOCKING]


def record(
    ticket: Ticket,
    findings: Sequence[Finding],
    *,
    agent: Agent,
    message: Message | None,
    outcome: str,
    now: datetime,
) -> None:
    CoachFinding.objects.bulk_create(
        CoachFinding(
            ticket=ticket,
            message=message,
            agent=agent,
            check_name=f.check,
            quote=f.quote[:2000],
            why=f.why,
            outcome=outcome,
            created_at=now,
        )
        for f in findings
    )
