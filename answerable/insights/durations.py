"""Keeping the Duration cache complete: every human reply and every solve is measured once, in order.

New rows are found by id, not by time: replies (Message) and solves (Event status_changed to solved or
closed) past the last id already read, so the work per report is what happened since the last one, and a
message stored with a past time (an import, the demo) is measured all the same. The last RESCAN ids are read
again each time: a row that committed after a later id had been read is not skipped.

Assumptions, stated in docs/metrics.md: a ticket does not change team; a reply's next-response time does not
change once written (no message is later inserted before it).
"""

import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from answerable.insights.models import Duration, Progress
from answerable.insights.spans import FastCalendar
from answerable.promises.services import calendar_for
from answerable.staff.models import Team
from answerable.tickets.models import Event, Message, Status

RESCAN = 500  # ids read again each time, for rows that committed late
INSERT_ROWS = 500  # rows per INSERT statement (4,500 parameters: under SQLite's limit)
CHUNK = 20_000  # rows measured per step of a long catch-up (memory, and the watermark moves as it goes)
SOLVED = [Status.SOLVED.value, Status.CLOSED.value]


class Calendars(dict):
    """Each team's calendar, read once per team that appears."""

    def __missing__(self, team_id: int) -> FastCalendar:
        calendar = FastCalendar(calendar_for(Team.objects.get(pk=team_id)))
        self[team_id] = calendar
        return calendar


def human_replies() -> QuerySet[Message]:
    """Replies written by a person: no acknowledgements, no notes."""
    return Message.objects.filter(kind=Message.Kind.OUTBOUND, automatic=False)


def refresh(
    calendars: Calendars | None = None, *, steps: int | None = None, chunk: int | None = None
) -> bool:
    """Measure what is new. `steps` and `chunk`: at most so many chunks of so many rows of each kind (a web
    request must stay short when a large history was never measured); returns whether all is measured."""
    calendars = Calendars() if calendars is None else calendars
    size = chunk or CHUNK
    done = _measure_replies(calendars, steps, size)
    done &= _measure_solves(calendars, steps, size)
    return _measure_acknowledgements(steps, size) and done


def _steps(limit: int | None) -> Iterator[int]:
    return itertools.count() if limit is None else iter(range(limit))


def _last(name: str) -> int:
    progress, _ = Progress.objects.get_or_create(name=name)
    return progress.last_id


def _advance(name: str, last_id: int) -> None:
    Progress.objects.filter(name=name, last_id__lt=last_id).update(last_id=last_id)


def _measure_replies(calendars: Calendars, steps: int | None, size: int) -> bool:
    """Each new reply: its next-response time (NULL if it ended no wait) and, for a ticket's first reply,
    the first response time."""
    earlier_reply = (
        human_replies()
        .filter(ticket=OuterRef("ticket"))
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id"))
        )
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    wait_start = (
        Message.objects.filter(
            ticket=OuterRef("ticket"),
            kind=Message.Kind.INBOUND,
            created_at__gt=OuterRef("previous"),
            created_at__lte=OuterRef("created_at"),
        )
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    measured = Duration.objects.filter(kind=Duration.Kind.NEXT_RESPONSE, message=OuterRef("pk"))
    last = _last("replies")
    after = max(0, last - RESCAN)
    for _ in _steps(steps):
        rows = list(
            human_replies()
            .filter(pk__gt=after)
            .filter(~Exists(measured))
            .annotate(previous=Subquery(earlier_reply))
            .annotate(waited_from=Subquery(wait_start))
            .order_by("pk")
            .values_list(
                "pk", "ticket_id", "ticket__team_id", "author_id", "ticket__created_at", "previous",
                "waited_from", "created_at",
            )[:size]
        )  # fmt: skip
        if not rows:
            return True
        batch = []
        for pk, ticket_id, team_id, author_id, opened, previous, waited_from, at in rows:
            spans = calendars[team_id]
            common = {"ticket_id": ticket_id, "message_id": pk, "team_id": team_id, "agent_id": author_id}
            if previous is None:  # the ticket's first reply
                batch.append(_row(Duration.Kind.FIRST_RESPONSE, common, at, spans.between(opened, at)))
            waited = spans.between(waited_from, at) if previous is not None and waited_from else None
            batch.append(_row(Duration.Kind.NEXT_RESPONSE, common, at, waited))
        _save(batch)
        after = rows[-1][0]
        if after > last:
            _advance("replies", after)
            last = after
        if len(rows) < size:
            return True
    return False


def _measure_solves(calendars: Calendars, steps: int | None, size: int) -> bool:
    """Each ticket solved (or closed) since the last look whose current solve is not measured yet."""
    current = Duration.objects.filter(
        kind=Duration.Kind.RESOLUTION, ticket=OuterRef("ticket"), ended_at=OuterRef("ticket__solved_at")
    )
    replies = (
        human_replies()
        .filter(ticket=OuterRef("ticket"), created_at__lte=OuterRef("ticket__solved_at"))
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    reopened = Event.objects.filter(
        ticket=OuterRef("ticket"),
        kind=Event.Kind.STATUS_CHANGED,
        data__old=Status.SOLVED.value,
        at__lte=OuterRef("ticket__solved_at"),
    )
    last = _last("solves")
    after = max(0, last - RESCAN)
    for _ in _steps(steps):
        events = list(
            Event.objects.filter(pk__gt=after, kind=Event.Kind.STATUS_CHANGED, data__new__in=SOLVED)
            .filter(ticket__solved_at__isnull=False)
            .filter(~Exists(current))
            .annotate(replies=Coalesce(Subquery(replies), 0), reopened=Exists(reopened))
            .order_by("pk")
            .values_list(
                "pk", "ticket_id", "ticket__team_id", "ticket__created_at", "ticket__solved_at", "replies",
                "reopened",
            )[:size]
        )  # fmt: skip
        if not events:
            return True
        tickets = {e[1]: e[2:] for e in events}
        with transaction.atomic():
            # a reopened and re-solved ticket: its earlier resolution no longer counts anywhere
            Duration.objects.filter(kind=Duration.Kind.RESOLUTION, ticket_id__in=list(tickets)).delete()
            _save(
                _row(
                    Duration.Kind.RESOLUTION,
                    {"ticket_id": pk, "team_id": team_id, "replies": n_replies, "reopened": was_reopened},
                    solved_at,
                    calendars[team_id].between(opened, solved_at),
                )
                for pk, (team_id, opened, solved_at, n_replies, was_reopened) in tickets.items()
            )
        after = events[-1][0]
        if after > last:
            _advance("solves", after)
            last = after
        if len(events) < size:
            return True
    return False


def _measure_acknowledgements(steps: int | None, size: int) -> bool:
    """Each new acknowledgement: how long after the ticket's creation it was written (calendar time)."""
    measured = Duration.objects.filter(kind=Duration.Kind.ACKNOWLEDGEMENT, ticket=OuterRef("ticket"))
    last = _last("acknowledgements")
    after = max(0, last - RESCAN)
    for _ in _steps(steps):
        events = list(
            Event.objects.filter(pk__gt=after, kind=Event.Kind.ACKNOWLEDGED)
            .filter(~Exists(measured))
            .order_by("pk")
            .values_list("pk", "ticket_id", "ticket__team_id", "ticket__created_at", "at")[:size]
        )
        if not events:
            return True
        first: dict[int, tuple] = {}
        for _, ticket_id, team_id, opened, at in events:  # a ticket acknowledged twice: the first counts
            first.setdefault(ticket_id, (team_id, opened, at))
        _save(
            _row(Duration.Kind.ACKNOWLEDGEMENT, {"ticket_id": t, "team_id": team}, opened, at - opened)
            for t, (team, opened, at) in first.items()
        )
        after = events[-1][0]
        if after > last:
            _advance("acknowledgements", after)
            last = after
        if len(events) < size:
            return True
    return False


_COLUMNS = (
    "kind",
    "ticket_id",
    "team_id",
    "message_id",
    "agent_id",
    "ended_at",
    "seconds",
    "replies",
    "reopened",
)


def _row(kind: str, common: dict, ended_at: datetime, spent: timedelta | None) -> tuple:
    values = {"kind": kind, "ended_at": ended_at, "seconds": None if spent is None else spent.total_seconds()}
    values |= common
    return tuple(values.get(c) for c in _COLUMNS)


def _save(rows: Iterable[tuple]) -> None:
    """Insert rows (in _COLUMNS order), skipping any a concurrent report stored first. Plain multi-row
    INSERTs: a catch-up over a large history inserts millions, where model instances would cost most."""
    adapt = connection.ops.adapt_datetimefield_value
    at = _COLUMNS.index("ended_at")
    params = [(*r[:at], adapt(r[at]), *r[at + 1 :]) for r in rows]
    # our own table and column names; the values go as parameters
    table, columns = connection.ops.quote_name(Duration._meta.db_table), ", ".join(_COLUMNS)
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        for i in range(0, len(params), INSERT_ROWS):
            chunk = params[i : i + INSERT_ROWS]
            values = ", ".join([one] * len(chunk))
            sql = f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT DO NOTHING"  # noqa: S608
            cursor.execute(sql, [v for row in chunk for v in row])
