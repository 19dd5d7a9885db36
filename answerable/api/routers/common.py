"""What every endpoint shares: the declared error responses, query parameter types, page handling."""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import Field

from answerable.api.errors import ERROR_CODES, ApiError, ErrorOut
from answerable.api.schemas import MAX_ID, Time
from answerable.lib.keyset import BadCursor, Page

T = TypeVar("T")

Limit = Annotated[int, Field(ge=1, le=100)]
Cursor = Annotated[str, Field(max_length=500)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
QueryTime = Time


def responses(ok: Any, status: int = 200) -> dict:
    """Every operation declares the error body for every error it can give, so clients (and schemathesis)
    can rely on the schema."""
    return {status: ok, frozenset(ERROR_CODES): ErrorOut}


def page(fetch: Callable[[], Page[T]]) -> dict:
    try:
        result = fetch()
    except BadCursor as exc:
        raise ApiError(400, "bad_cursor", str(exc), {"cursor": [str(exc)]}) from None
    return {"items": result.rows, "next_cursor": result.next_cursor}
