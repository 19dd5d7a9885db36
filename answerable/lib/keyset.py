"""Keyset pagination: "the rows after this one" instead of OFFSET, so page 500 costs what page 1 costs.

The cursor is the sort values of the last row shown, base64-encoded JSON. It carries no secret: a forged
cursor can only start the page somewhere else among rows the caller may already see.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Page(Generic[M]):
    rows: list[M]
    next_cursor: str | None


def _encode(values: list) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, fields: list[tuple[str, bool]], model: type[Model]) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("The page cursor is not valid; start again from the first page.") from exc
    if not isinstance(values, list) or len(values) != len(fields):
        raise BadCursor("The page cursor does not match this sort order.")
    out = []
    for (name, _), value in zip(fields, values, strict=True):
        field = model._meta.get_field(name.split("__")[0])
        try:
            out.append(field.to_python(value))
        except Exception as exc:
            raise BadCursor("The page cursor is not valid; start again from the first page.") from exc
    return out


def keyset_page(qs: QuerySet[M], order: list[tuple[str, bool]], cursor: str | None, size: int) -> Page[M]:
    """`order` is [(field, descending)], ending with a unique field (the id) so the order is total."""
    qs = qs.order_by(*[f"-{name}" if desc else name for name, desc in order])
    if cursor:
        values = _decode(cursor, order, qs.model)
        # (a, b, c) after (x, y, z): a beyond x, or a = x and b beyond y, or ...
        condition = Q()
        for i, (name, desc) in enumerate(order):
            step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
            for j in range(i):
                step &= Q(**{order[j][0]: values[j]})
            condition |= step
        qs = qs.filter(condition)
    rows = list(qs[: size + 1])
    if len(rows) > size:
        last = rows[size - 1]
        return Page(rows[:size], _encode([getattr(last, name) for name, _ in order]))
    return Page(rows, None)
