"""Search: the console's search box over the API, with the same syntax and the same permissions."""

from typing import Annotated, Literal

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.html import strip_tags
from ninja import Query, Router, Schema
from pydantic import Field

from answerable.api.errors import ApiError
from answerable.api.routers.common import Cursor, Limit, responses
from answerable.api.schemas import TicketOut
from answerable.api.security import agent_for
from answerable.lib.keyset import BadCursor
from answerable.search import services as search
from answerable.search.syntax import QuerySyntaxError

router = Router(tags=["search"])


class SearchHit(Schema):
    ticket: TicketOut
    snippet: str = Field(description="The matching message's text around the match, matches in <mark>.")
    snippet_text: str = Field(description="The same snippet as plain text.")
    message_id: int | None
    message_kind: str


class SearchPage(Schema):
    items: list[SearchHit]
    next_cursor: str | None
    count: int = Field(description="Matching tickets you may see, counted up to 1,000.")
    count_label: str = Field(description='"999+" when there are more.')
    windowed: bool = Field(description="True when only the newest matching messages were ranked.")


@router.get("/search", response=responses(SearchPage), summary="Search tickets and messages")
def search_tickets(
    request: HttpRequest,
    q: Annotated[str, Query(max_length=500, description='Words, "phrases", -exclusions and filters.')],
    sort: Literal["best", "newest"] = "best",
    cursor: Cursor | None = None,
    limit: Limit = 25,
) -> dict:
    """The syntax of the console's search box (docs/api.md); an unknown filter or a
    bad value is a 400 with the reason in `fields.q`."""
    agent = agent_for(request, "tickets:read")
    try:
        result = search.search(agent, q, sort=sort, cursor=cursor, limit=limit)
    except QuerySyntaxError as exc:
        raise ApiError(400, "bad_query", str(exc), {"q": [str(exc)]}) from None
    except BadCursor as exc:
        raise ApiError(400, "bad_cursor", str(exc), {"cursor": [str(exc)]}) from None
    prefetch_related_objects([hit.ticket for hit in result.hits], "tags")
    return {
        "items": [
            {
                "ticket": hit.ticket,
                "snippet": str(hit.snippet),
                "snippet_text": strip_tags(str(hit.snippet)),
                "message_id": hit.message_id,
                "message_kind": hit.message_kind,
            }
            for hit in result.hits
        ],
        "next_cursor": result.next_cursor,
        "count": result.count,
        "count_label": result.count_label,
        "windowed": result.windowed,
    }
