"""Promises, satisfaction ratings and the coach: read-only views of tickets you can see."""

from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Path, Router
from pydantic import Field

from answerable.api import queries
from answerable.api.routers.common import Cursor, Limit, QueryId, QueryTime, page, responses
from answerable.api.schemas import MAX_ID, CoachIn, CoachOut, PromiseOut, PromisePage, RatingPage
from answerable.api.security import agent_for
from answerable.coach import services as coach
from answerable.lib import clock
from answerable.tickets import access

router = Router()
OwnerFilter = Annotated[str, Field(pattern=r"^(me|[1-9][0-9]{0,15})$")]


@router.get("/promises", response=responses(PromisePage), summary="List promises", tags=["promises"])
def list_promises(
    request: HttpRequest,
    ticket: QueryId | None = None,
    status: Literal["open", "kept", "broken", "reset", "dropped"] | None = None,
    owner: OwnerFilter | None = None,
    due_before: QueryTime | None = None,
    cursor: Cursor | None = None,
    limit: Limit = 25,
) -> dict:
    agent = agent_for(request, "promises:read")
    return page(
        lambda: queries.promise_page(
            agent,
            ticket=ticket,
            status=status,
            owner=owner,
            due_before=due_before,
            cursor=cursor,
            limit=limit,
        )
    )


@router.get(
    "/tickets/{ticket_id}/promises",
    response=responses(list[PromiseOut]),
    summary="A ticket's promises",
    tags=["promises"],
)
def ticket_promises(request: HttpRequest, ticket_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> list:
    agent = agent_for(request, "promises:read")
    ticket = access.ticket_for(agent, ticket_id)
    return list(ticket.promises.select_related("owner").order_by("created_at", "id"))


@router.get(
    "/ratings", response=responses(RatingPage), summary="List satisfaction ratings", tags=["satisfaction"]
)
def list_ratings(
    request: HttpRequest,
    score: Literal["good", "bad"] | None = None,
    ticket: QueryId | None = None,
    agent: QueryId | None = None,
    since: QueryTime | None = None,
    cursor: Cursor | None = None,
    limit: Limit = 25,
) -> dict:
    """Ratings of tickets you can see; `since` filters on the last change (a customer may change theirs)."""
    user = agent_for(request, "satisfaction:read")
    return page(
        lambda: queries.rating_page(
            user, score=score, ticket=ticket, agent=agent, since=since, cursor=cursor, limit=limit
        )
    )


@router.post("/coach/check", response=responses(CoachOut), summary="Check a draft reply", tags=["coach"])
def coach_check(request: HttpRequest, payload: CoachIn) -> dict:
    """The coach's findings on a draft for a ticket, as the composer shows them. Nothing is stored."""
    agent = agent_for(request, "coach:check")
    ticket = access.ticket_for(agent, payload.ticket_id)
    findings = coach.review(ticket, payload.draft, now=clock.now())
    blocking = {id(f) for f in coach.blocking(findings)}
    return {
        "findings": [{**f.__dict__, "blocking": id(f) in blocking} for f in findings],
        "blocking": bool(blocking),
    }
