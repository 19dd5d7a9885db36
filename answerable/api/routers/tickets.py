"""Tickets: list, read, open, change, reply, note. Reads through access, writes through tickets.services."""

from typing import Annotated

from django.db import transaction
from django.http import HttpRequest
from ninja import Header, Path, Query, Router, Status
from pydantic import Field

from answerable.api import queries
from answerable.api.errors import ApiError
from answerable.api.routers.common import Cursor, Limit, QueryId, QueryTime, page, responses
from answerable.api.schemas import (
    MAX_ID,
    EventOut,
    MessageOut,
    NoteIn,
    ReplyIn,
    StatusName,
    TicketCreate,
    TicketOut,
    TicketPage,
    TicketUpdate,
)
from answerable.api.security import agent_for
from answerable.coach import services as coach
from answerable.customers import services as customer_services
from answerable.lib import clock
from answerable.lib.attachments import AttachmentRejected
from answerable.staff.models import Agent, Team
from answerable.tickets import access, services
from answerable.tickets.models import Ticket

router = Router(tags=["tickets"])
TicketId = Annotated[int, Path(ge=1, le=MAX_ID)]
AssigneeFilter = Annotated[str, Field(pattern=r"^(me|none|[1-9][0-9]{0,15})$")]


def _ticket(request: HttpRequest, pk: int, scope: str) -> tuple[Agent, Ticket]:
    agent = agent_for(request, scope)
    return agent, access.ticket_for(agent, pk)


def _fresh(agent: Agent, pk: int) -> Ticket:
    return queries.tickets(agent).get(pk=pk)


@router.get("/tickets", response=responses(TicketPage), summary="List tickets")
def list_tickets(
    request: HttpRequest,
    status: Annotated[
        list[StatusName] | None, Query(description="One or more (repeat the parameter).")
    ] = None,
    team: QueryId | None = None,
    assignee: AssigneeFilter | None = None,
    customer: QueryId | None = None,
    updated_after: QueryTime | None = None,
    order: str = "-updated",
    cursor: Cursor | None = None,
    limit: Limit = 25,
) -> dict:
    """Newest activity first (`order=-updated`), or oldest first (`order=updated`, for syncing with
    `updated_after`). Cursor pagination: pass `next_cursor` back as `cursor`."""
    agent = agent_for(request, "tickets:read")
    if order not in ("-updated", "updated"):
        raise ApiError(
            400, "invalid", "order is -updated or updated.", {"order": ["must be -updated or updated"]}
        )
    return page(
        lambda: queries.ticket_page(
            agent,
            status=list(status or []),
            team=team,
            assignee=assignee,
            customer=customer,
            updated_after=updated_after,
            ascending=order == "updated",
            cursor=cursor,
            limit=limit,
        )
    )


@router.get("/tickets/{ticket_id}", response=responses(TicketOut), summary="Read a ticket")
def get_ticket(request: HttpRequest, ticket_id: TicketId) -> Ticket:
    agent = agent_for(request, "tickets:read")
    access.ticket_for(agent, ticket_id)  # the one check (404 for tickets of other teams)
    return _fresh(agent, ticket_id)


@router.get(
    "/tickets/{ticket_id}/messages", response=responses(list[MessageOut]), summary="A ticket's thread"
)
def get_messages(request: HttpRequest, ticket_id: TicketId) -> list:
    """Customer messages, replies and internal notes, oldest first."""
    _, ticket = _ticket(request, ticket_id, "tickets:read")
    return queries.messages(ticket)


@router.get("/tickets/{ticket_id}/events", response=responses(list[EventOut]), summary="A ticket's history")
def get_events(request: HttpRequest, ticket_id: TicketId) -> list:
    _, ticket = _ticket(request, ticket_id, "tickets:read")
    return list(ticket.events.order_by("at", "id"))


@router.post("/tickets", response=responses(TicketOut, 201), summary="Open a ticket")
def create_ticket(request: HttpRequest, payload: TicketCreate) -> Status:
    """On behalf of a customer: an existing one you can see (`customer_id`) or one found or created by
    address (`customer_email`). The team must be one of yours."""
    agent = agent_for(request, "tickets:write")
    team = Team.objects.filter(pk=payload.team_id).first()
    if team is None or not (agent.is_admin or agent.teams.filter(pk=team.pk).exists()):
        raise ApiError(400, "invalid", "No such team of yours.", {"team_id": ["not one of your teams"]})
    now = clock.now()
    with transaction.atomic():
        if payload.customer_id is not None:
            customer = queries.customers(agent).filter(pk=payload.customer_id).first()
            if customer is None:
                raise ApiError(400, "invalid", "No such customer.", {"customer_id": ["no such customer"]})
        elif payload.customer_email:
            customer = _customer_by_email(payload.customer_email, payload.customer_name)
        else:
            raise ApiError(
                400, "invalid", "Say who the customer is.", {"customer_email": ["give customer_id or this"]}
            )
        ticket = services.open_ticket(
            customer=customer,
            team=team,
            subject=payload.subject,
            text=payload.text,
            now=now,
            priority=payload.priority,
            actor=agent,
            channel="api",
        )
        if payload.tags:
            services.set_tags(ticket, payload.tags, actor=agent, now=now)
        if payload.acknowledge:
            services.acknowledge(ticket, now=now, opened_here=True)
    return Status(201, _fresh(agent, ticket.pk))


def _customer_by_email(address: str, name: str):  # noqa: ANN202  (a Customer)
    from django.core.exceptions import ValidationError

    try:
        return customer_services.customer_for_address(address, name=name)
    except ValidationError:
        raise ApiError(
            400, "invalid", "Not an email address.", {"customer_email": ["not an email address"]}
        ) from None


@router.patch("/tickets/{ticket_id}", response=responses(TicketOut), summary="Change a ticket")
def update_ticket(request: HttpRequest, ticket_id: TicketId, payload: TicketUpdate) -> Ticket:
    """Status, priority, assignee and tags, each through its service; all or nothing."""
    agent, ticket = _ticket(request, ticket_id, "tickets:write")
    sent = payload.model_fields_set
    now = clock.now()
    with transaction.atomic():
        if "assignee_id" in sent:
            assignee = None
            if payload.assignee_id is not None:
                assignee = Agent.objects.filter(pk=payload.assignee_id).first()
                if assignee is None:
                    raise ApiError(400, "invalid", "No such agent.", {"assignee_id": ["no such agent"]})
            if not access.may_assign(agent, ticket, assignee):
                raise ApiError(403, "forbidden", "You may not assign this ticket to that person.")
            services.assign(ticket, assignee, actor=agent, now=now)
        if "status" in sent and payload.status is not None:
            services.set_status(ticket, payload.status, actor=agent, now=now)
        if "priority" in sent and payload.priority is not None:
            services.set_priority(ticket, payload.priority, actor=agent, now=now)
        if "tags" in sent and payload.tags is not None:
            services.set_tags(ticket, payload.tags, actor=agent, now=now)
    return _fresh(agent, ticket_id)


@router.post("/tickets/{ticket_id}/replies", response=responses(MessageOut, 201), summary="Reply")
def reply(
    request: HttpRequest,
    ticket_id: TicketId,
    payload: ReplyIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)] = None,
) -> Status:
    """Queued for sending once stored. The coach reviews it as in the console: tone findings need
    `confirm_tone` (409 `coach_findings`), or are refused where the team says so (409 `coach_blocked`).
    A customer message newer than `seen_message_id` is a 409 `stale_draft`. Same idempotency key, same
    reply."""
    agent, ticket = _ticket(request, ticket_id, "tickets:write")
    now = clock.now()
    findings = coach.review(ticket, payload.text, now=now)
    held = coach.blocking(findings)
    if held and ticket.team.coach_gate:
        coach.record(ticket, held, agent=agent, message=None, outcome="blocked", now=now)
        raise ApiError(
            409,
            "coach_blocked",
            "This team does not send replies with tone findings: rephrase.",
            {"text": [f.why for f in held]},
        )
    if held and not payload.confirm_tone:
        raise ApiError(
            409,
            "coach_findings",
            "The coach has tone findings; send with confirm_tone to go ahead.",
            {"text": [f.why for f in held]},
        )
    try:
        message = services.reply(
            ticket,
            agent=agent,
            text=payload.text,
            now=now,
            idempotency_key=_key(payload.idempotency_key, idempotency_key),
            status_after=payload.status_after,
            seen_message_id=payload.seen_message_id,
        )
    except services.StaleDraft as stale:
        ids = ", ".join(str(m.pk) for m in stale.newer)
        raise ApiError(
            409,
            "stale_draft",
            f"The customer wrote since (message {ids}); read it first.",
            {"seen_message_id": [f"newer: {ids}"]},
        ) from None
    except (AttachmentRejected, ValueError) as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    coach.record(
        ticket,
        findings,
        agent=agent,
        message=message,
        now=now,
        outcome="overridden" if held else "sent_anyway",
    )
    return Status(201, _message(message.pk))


@router.post(
    "/tickets/{ticket_id}/notes", response=responses(MessageOut, 201), summary="Add an internal note"
)
def note(
    request: HttpRequest,
    ticket_id: TicketId,
    payload: NoteIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)] = None,
) -> Status:
    agent, ticket = _ticket(request, ticket_id, "tickets:write")
    try:
        message = services.add_note(
            ticket,
            agent=agent,
            text=payload.text,
            now=clock.now(),
            idempotency_key=_key(payload.idempotency_key, idempotency_key),
        )
    except ValueError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return Status(201, _message(message.pk))


def _key(body: str | None, header: str | None) -> str | None:
    if header is not None and "\x00" in header:
        raise ApiError(400, "invalid", "Bad Idempotency-Key.", {"Idempotency-Key": ["bad characters"]})
    return body or header or None


def _message(pk: int) -> object:
    from answerable.tickets.models import Message

    return Message.objects.select_related("author").prefetch_related("attachments").get(pk=pk)
