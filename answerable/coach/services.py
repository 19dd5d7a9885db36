"""The coach in the desk: run the checks on a draft for a ticket, and record what happened at send."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from answerable.coach.checks import CHECKS, Finding, check_draft
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


def review(ticket: Ticket, draft: str, *, now: datetime, agent: Agent | None = None) -> list[Finding]:
    """The findings for a draft on this ticket; one-click fixes that sign with a name get the agent's."""
    macros = list(
        Macro.objects.filter(active=True, team__in=[ticket.team_id, None]).values_list("body", flat=True)
    )
    findings = check_draft(draft, thread_for(ticket), macros=macros, sent_at=now)
    name = (agent.first_name or agent.display_name) if agent is not None else ""
    return [
        replace(f, replacement=f.replacement.replace("{agent_name}", name) if name else None)
        if f.replacement and "{agent_name}" in f.replacement
        else f
        for f in findings
    ]


def fixes_applied(values: Sequence[str]) -> list[Finding]:
    """The one-click fixes the agent applied while drafting, as the composer posts them back
    ("check:quote"), so that they are stored with the reply for coaching reports."""
    out = []
    for value in values[:50]:
        check, _, quote = value.partition(":")
        if check in CHECKS:
            out.append(Finding(check, 0, 0, quote[:2000], "Fixed with the coach's one-click fix.", ""))
    return out


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
