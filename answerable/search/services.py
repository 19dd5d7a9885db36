"""Search: one interface for the console and the customer portal, whatever the database.

    page = search(agent, 'refund "double charge" status:open', sort="best")
    page = search_for_customer(customer, "invoice")     # their own requests, never internal notes

Who may see what is decided once, by the ticket queryset the search starts from
(`tickets.access.visible_tickets` for agents, the customer's own tickets in the portal), and by the kinds of
message whose text may match (no notes for customers). Both apply inside the SQL that finds, counts and
snippets the hits, so a hit the searcher may not see changes nothing they are shown.

Results are tickets: best match first (recent activity first among equals) or newest activity first, in
keyset pages. The filters become conditions on the ticket table only (subqueries, no joins), compiled by the
ORM and placed inside the full-text query.
"""

import base64
import binascii
import html
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Left
from django.utils.safestring import SafeString, mark_safe

from answerable.customers.models import Customer, CustomerEmail, Organisation
from answerable.lib import clock
from answerable.lib.keyset import BadCursor
from answerable.promises.models import Promise
from answerable.search import backends, schema
from answerable.search.models import ReindexState
from answerable.search.syntax import Filter, Query, QuerySyntaxError, Term, parse, parse_date
from answerable.staff.models import Agent, Team, TeamAddress
from answerable.tickets import access
from answerable.tickets.models import ACTIVE_STATUSES, Attachment, Message, Tag, Ticket

COUNT_CAP = 999
SORTS = {"best": "Best match", "newest": "Newest activity"}
ALL_KINDS = tuple(Message.Kind.values)
PUBLIC_KINDS = (Message.Kind.INBOUND.value, Message.Kind.OUTBOUND.value)
CUSTOMER_FILTERS = ("status", "before", "after", "has")
# Filters naming one value of a field: two of them mean either (status:open status:pending).
ONE_VALUE = ("from", "to", "status", "assignee", "team", "org")
SNIPPET_CHARS = 200

__all__ = [
    "Hit", "Page", "QuerySyntaxError", "reindex_batch", "reindex_state", "search", "search_for_customer",
]  # fmt: skip


@dataclass(frozen=True)
class Hit:
    ticket: Ticket  # with customer, organisation, team and assignee loaded
    snippet: SafeString  # escaped text with the matches in <mark>
    message_id: int | None
    message_kind: str


@dataclass(frozen=True)
class Page:
    hits: list[Hit]
    next_cursor: str | None
    count: int  # matching tickets the searcher may see, counted up to COUNT_CAP + 1
    query: Query

    @property
    def count_label(self) -> str:
        return f"{COUNT_CAP}+" if self.count > COUNT_CAP else str(self.count)


def search(
    user: Agent,
    query_string: str,
    *,
    sort: str = "best",
    cursor: str | None = None,
    limit: int = 25,
    now: datetime | None = None,
) -> Page:
    """The tickets `user` may see that match; raises QuerySyntaxError (for the search box) or BadCursor."""
    query = parse(query_string)
    now = now or clock.now()
    zone = ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    base = access.visible_tickets(user)
    base = base.filter(_filters(query, user=user, now=now, zone=zone, kinds=ALL_KINDS))
    return _run(base, query, kinds=ALL_KINDS, sort=sort, cursor=cursor, limit=limit)


def search_for_customer(
    customer: Customer,
    query_string: str,
    *,
    sort: str = "best",
    cursor: str | None = None,
    limit: int = 25,
    now: datetime | None = None,
) -> Page:
    """The customer's own requests that match, searching only what was written to or by them: never notes,
    never another customer's requests."""
    query = parse(query_string)
    for f in query.filters:
        if f.name not in CUSTOMER_FILTERS:
            allowed = ", ".join(f"{n}:" for n in CUSTOMER_FILTERS)
            raise QuerySyntaxError(f"{f.name}: cannot be used here. You can use {allowed}")
    base = Ticket.objects.filter(customer_id=customer.pk)
    base = base.filter(
        _filters(query, user=None, now=now or clock.now(), zone=ZoneInfo("UTC"), kinds=PUBLIC_KINDS)
    )
    return _run(base, query, kinds=PUBLIC_KINDS, sort=sort, cursor=cursor, limit=limit)


# --- filters -> conditions on the ticket table ------------------------------------------------------------


def _filters(query: Query, *, user: Agent | None, now: datetime, zone: ZoneInfo, kinds: tuple[str, ...]) -> Q:
    out = Q()
    either: dict[str, Q] = {}
    for f in query.filters:
        condition = _filter(f, user=user, now=now, zone=zone, kinds=kinds)
        if f.negated:
            out &= ~condition
        elif f.name in ONE_VALUE:
            either[f.name] = either[f.name] | condition if f.name in either else condition
        else:
            out &= condition
    for condition in either.values():
        out &= condition
    return out


def _filter(f: Filter, *, user: Agent | None, now: datetime, zone: ZoneInfo, kinds: tuple[str, ...]) -> Q:
    """One filter as a condition on Ticket with no join (subqueries only), so it compiles into the search's
    own SQL. Values that name nothing (a team, an agent, a tag) are errors for the search box."""
    name = f.name
    if name == "status":
        return Q(status__in=f.values)
    if name in ("before", "after"):
        start = datetime.combine(parse_date(name, f.values[0]), time.min, tzinfo=zone)
        return Q(created_at__lt=start) if name == "before" else Q(created_at__gte=start)
    if name == "has":  # attachment: on a message the searcher may see
        return Q(
            Exists(Attachment.objects.filter(message__ticket_id=OuterRef("pk"), message__kind__in=kinds))
        )
    if name == "is":  # waiting: the customer spoke last and has no answer yet
        return Q(waiting_since__isnull=False, status__in=[s.value for s in ACTIVE_STATUSES])
    if name == "promise":
        out = Q()
        for value in f.values:
            if value == "broken":  # broken and not yet replaced by a new expectation
                promises = Promise.objects.filter(status=Promise.Status.BROKEN, replaced_by=None)
            else:  # due: open, and due within the next 24 hours (or already due)
                promises = Promise.objects.filter(
                    status=Promise.Status.OPEN, due_at__lte=now + timedelta(hours=24)
                )
            out &= Q(Exists(promises.filter(ticket_id=OuterRef("pk"))))
        return out
    if name == "tag":
        out = Q()
        for value in f.values:
            tag = Tag.objects.filter(name__iexact=value).values_list("pk", flat=True).first()
            if tag is None:
                raise QuerySyntaxError(f"There is no tag “{value}”.")
            out &= Q(pk__in=Ticket.tags.through.objects.filter(tag_id=tag).values("ticket_id"))
        return out
    out = Q()
    for value in f.values:
        out |= _one_value(name, value, user=user)
    return out


def _one_value(name: str, value: str, *, user: Agent | None) -> Q:
    if name == "assignee":
        if value.lower() == "me" and user is not None:
            return Q(assignee_id=user.pk)
        if value.lower() == "none":
            return Q(assignee_id=None)
        agent = Agent.objects.filter(username__iexact=value).values_list("pk", flat=True).first()
        if agent is None:
            raise QuerySyntaxError(f"There is no agent “{value}”: use a user name, me or none.")
        return Q(assignee_id=agent)
    if name == "team":
        team = Team.objects.filter(name__iexact=value).values_list("pk", flat=True).first()
        if team is None:
            raise QuerySyntaxError(f"There is no team “{value}”.")
        return Q(team_id=team)
    if name == "to":
        addresses = TeamAddress.objects.filter(Q(email__iexact=value) | Q(email__istartswith=f"{value}@"))
        if not addresses.exists():
            raise QuerySyntaxError(f"No team receives mail at “{value}”.")
        return Q(team_id__in=addresses.values("team_id"))
    if name == "org":
        orgs = Organisation.objects.filter(name__icontains=value)
        if not orgs.exists():
            raise QuerySyntaxError(f"There is no organisation “{value}”.")
        return Q(customer_id__in=Customer.objects.filter(organisation__in=orgs).values("pk"))
    # from: an address exactly, or a name or the start of an address.
    if "@" in value:
        return Q(customer_id__in=CustomerEmail.objects.filter(address__iexact=value).values("customer_id"))
    people = Customer.objects.filter(
        Q(name__icontains=value)
        | Q(pk__in=CustomerEmail.objects.filter(address__istartswith=value).values("customer_id"))
    )
    return Q(customer_id__in=people.values("pk"))


# --- the query -------------------------------------------------------------------------------------------


def _where(qs: QuerySet[Ticket]) -> tuple[str, list] | None:
    """The queryset's WHERE on tickets_ticket as SQL, or None when it can match nothing."""
    from django.core.exceptions import EmptyResultSet, FullResultSet

    query = qs.query
    joined = [a for a, refs in query.alias_refcount.items() if refs and a != query.get_initial_alias()]
    if joined:  # a join would need its FROM too: filters must be subqueries
        raise RuntimeError(f"search filters must not join: {joined}")
    try:
        sql, params = query.get_compiler(connection=connection).compile(query.where)
    except EmptyResultSet:
        return None
    except FullResultSet:  # no condition at all (an admin, no filters)
        return "1 = 1", []
    return (sql or "1 = 1"), list(params)


def _run(base: QuerySet[Ticket], query: Query, *, kinds: tuple[str, ...], sort: str, cursor: str | None,
         limit: int) -> Page:  # fmt: skip
    if sort not in SORTS:
        raise QuerySyntaxError(f"Unknown sort “{sort}”: best or newest.")
    if query.empty:
        return Page([], None, 0, query)
    where = _where(base)
    if where is None:
        return Page([], None, 0, query)
    backend = backends.for_vendor(connection.vendor)
    limit = max(1, min(limit, 100))
    words = [t for t in query.positive if not t.cjk]
    cjk = [t for t in query.positive if t.cjk]
    ranked = sort == "best" and bool(query.positive)
    after = _decode(cursor, ranked)

    where_sql, params = f"({where[0]})", list(where[1])
    kinds_sql = ", ".join(["%s"] * len(kinds))
    for term in query.negative:
        # Exclusions look only at what the searcher may see: a note must not hide a ticket from a customer.
        docs_sql, docs_params = backend.cjk_documents(term) if term.cjk else backend.word_documents(term)
        where_sql += f""" AND tickets_ticket.id NOT IN (SELECT dx.ticket_id FROM search_document dx
            WHERE dx.kind IN ({kinds_sql}) AND dx.id IN ({docs_sql}))"""  # noqa: S608 (placeholders only)
        params += [*kinds, *docs_params]

    if query.positive:
        hits_sql, hits_params = backend.hits(words) if words else backend.cjk_hits(cjk[0])
        doc_sql = f"d.kind IN ({kinds_sql})"
        doc_params: list = list(kinds)
        for term in cjk[0 if words else 1 :]:
            cond, cond_params = backend.cjk_condition(term)
            doc_sql += f" AND {cond}"
            doc_params += cond_params
        source = f"""FROM ({hits_sql}) h JOIN search_document d ON d.id = h.mid
            JOIN tickets_ticket ON tickets_ticket.id = d.ticket_id
            WHERE {doc_sql} AND {where_sql}"""
        source_params = [*hits_params, *doc_params, *params]
        score = backend.score("h.s")
        group = " GROUP BY tickets_ticket.id, tickets_ticket.last_activity_at"
    else:
        source, source_params = f"FROM tickets_ticket WHERE {where_sql}", params
        score, group = "0.0", ""

    # Keyset: the rows after the cursor's (score, last activity, id).
    keyset, keyset_params = "", []
    if after is not None:
        last = connection.ops.adapt_datetimefield_value(after["at"])
        later = (
            "(tickets_ticket.last_activity_at < %s "
            "OR (tickets_ticket.last_activity_at = %s AND tickets_ticket.id < %s))"
        )
        if ranked:
            keyset = f" HAVING ({score} > %s OR ({score} = %s AND {later}))"
            keyset_params = [after["score"], after["score"], last, last, after["id"]]
        else:
            keyset = f" AND {later}"
            keyset_params = [last, last, after["id"]]
    order = "score, tickets_ticket.last_activity_at DESC, tickets_ticket.id DESC" if ranked else (
        "tickets_ticket.last_activity_at DESC, tickets_ticket.id DESC"
    )  # fmt: skip
    select = f"SELECT tickets_ticket.id, {score} AS score, tickets_ticket.last_activity_at {source}"
    if ranked:
        sql = f"{select}{group}{keyset} ORDER BY {order} LIMIT %s"
    else:
        sql = f"{select}{keyset}{group} ORDER BY {order} LIMIT %s"
    with connection.cursor() as cur:
        cur.execute(sql, [*source_params, *keyset_params, limit + 1])
        rows = cur.fetchall()
        cur.execute(
            f"SELECT COUNT(*) FROM (SELECT DISTINCT tickets_ticket.id {source} LIMIT %s) c",  # noqa: S608
            [*source_params, COUNT_CAP + 1],
        )
        count = cur.fetchone()[0]

    more = len(rows) > limit
    rows = rows[:limit]
    ids = [r[0] for r in rows]
    tickets = Ticket.objects.select_related("customer__organisation", "team", "assignee").in_bulk(ids)
    snippets = _snippets(backend, ids, words, cjk, kinds)
    hits = [Hit(tickets[i], *snippets.get(i, (mark_safe(""), None, ""))) for i in ids if i in tickets]
    next_cursor = None
    if more and hits:
        last_ticket = tickets[ids[-1]]
        next_cursor = _encode(ranked, rows[-1][1], last_ticket.last_activity_at, last_ticket.pk)
    return Page(hits, next_cursor, count, query)


# --- snippets --------------------------------------------------------------------------------------------


def _snippets(backend: object, ids: list[int], words: list[Term], cjk: list[Term],
              kinds: tuple[str, ...]) -> dict[int, tuple[SafeString, int, str]]:  # fmt: skip
    """For each ticket of the page: the best matching message it may show, highlighted."""
    if not ids:
        return {}
    doc_filter = (f"d.ticket_id IN ({', '.join(['%s'] * len(ids))}) "
                  f"AND d.kind IN ({', '.join(['%s'] * len(kinds))})")  # fmt: skip
    out: dict[int, tuple[SafeString, int, str]] = {}
    if words:
        sql, params = backend.snippets(words, doc_filter, [*ids, *kinds])
        best: dict[int, tuple] = {}
        with connection.cursor() as cur:
            cur.execute(sql, params)
            for ticket_id, mid, kind, text, score in cur.fetchall():
                # A match in the message's own text beats one in the ticket's description; a message to or
                # from the customer beats a note; then rank, then the newest.
                key = (backends.MARK_START not in (text or ""), kind == Message.Kind.NOTE, score, -mid)
                if ticket_id not in best or key < best[ticket_id][0]:
                    best[ticket_id] = (key, mid, kind, text or "")
        for ticket_id, (_, mid, kind, text) in best.items():
            out[ticket_id] = (_marked(text), mid, kind)
    missing = [i for i in ids if i not in out]
    if missing:
        # CJK terms, filters alone, or a match only in the description: the newest message it may show,
        # with the CJK terms marked.
        latest: dict[int, tuple[Message, bool]] = {}
        for m in (
            Message.objects.filter(ticket_id__in=missing, kind__in=kinds)
            .annotate(short=Left("text", 4000)).only("id", "ticket_id", "kind").order_by("-created_at", "-id")
        ):  # fmt: skip
            found = any(t.text.lower() in m.short.lower() for t in cjk)
            if m.ticket_id not in latest or (found and not latest[m.ticket_id][1]):
                latest[m.ticket_id] = (m, found)
        for ticket_id, (m, _) in latest.items():
            out[ticket_id] = (_marked(_window(m.short, [t.text for t in cjk])), m.pk, m.kind)
    return out


def _window(text: str, terms: list[str]) -> str:
    """About SNIPPET_CHARS of text around the first term found, with the terms between marks."""
    text = " ".join(text.split())
    lower = text.lower()
    at = min((lower.find(t.lower()) for t in terms if t.lower() in lower), default=-1)
    start = max(0, at - SNIPPET_CHARS // 3) if at >= 0 else 0
    piece = text[start : start + SNIPPET_CHARS]
    for term in terms:
        piece = _mark_all(piece, term)
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(text) else "")


def _mark_all(text: str, term: str) -> str:
    out, lower, needle, i = [], text.lower(), term.lower(), 0
    while needle and (j := lower.find(needle, i)) >= 0:
        out += [text[i:j], backends.MARK_START, text[j : j + len(needle)], backends.MARK_END]
        i = j + len(needle)
    return "".join(out) + text[i:]


def _marked(text: str) -> SafeString:
    """Escape everything, then turn the private marks into <mark>: no markup from the data survives."""
    escaped = html.escape(" ".join(text.split()))
    return mark_safe(escaped.replace(backends.MARK_START, "<mark>").replace(backends.MARK_END, "</mark>"))  # noqa: S308


# --- cursors ---------------------------------------------------------------------------------------------


def _encode(ranked: bool, score: float, at: datetime, pk: int) -> str:
    values = [float(score), at.isoformat(), pk] if ranked else [at.isoformat(), pk]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str | None, ranked: bool) -> dict | None:
    """The cursor of the last row shown (see lib/keyset.py: the same idea with a computed score)."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if ranked:
            score, at, pk = values
            score = float(score)
        else:
            at, pk = values
            score = 0.0
        at = datetime.fromisoformat(at)
        if not isinstance(pk, int) or at.tzinfo is None:
            raise ValueError(pk)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor("The page cursor is not valid; start again from the first page.") from exc
    return {"score": score, "at": at, "id": pk}


# --- rebuilding the index --------------------------------------------------------------------------------


def reindex_state(*, restart: bool, now: datetime) -> ReindexState:
    """The run to continue (the last one that did not finish), or a new one from the first message."""
    state = ReindexState.objects.filter(finished_at=None).order_by("-started_at").first()
    if state is None or restart:
        ReindexState.objects.filter(finished_at=None).update(finished_at=now)  # abandoned runs
        state = ReindexState.objects.create(last_id=0, started_at=now)
    return state


def reindex_batch(state: ReindexState, *, size: int, now: datetime) -> int:
    """Rebuild the documents of the next `size` messages after `state.last_id`, in one short transaction
    (the desk keeps writing between batches; the triggers index what it writes). Returns how many messages
    were done; 0 means the run is finished."""
    with transaction.atomic():
        ids = list(
            Message.objects.filter(pk__gt=state.last_id).order_by("pk").values_list("pk", flat=True)[:size]
        )
        with connection.cursor() as cur:
            if ids:
                low, high = state.last_id, ids[-1]
                # Every document in the range goes, orphans included, then comes back from the data.
                cur.execute("DELETE FROM search_document WHERE id > %s AND id <= %s", [low, high])
                cur.execute(schema.fill_sql(connection.vendor, "m.id > %s AND m.id <= %s"), [low, high])
                state.last_id = high
            else:
                cur.execute("DELETE FROM search_document WHERE id > %s", [state.last_id])
                state.finished_at = now
        state.save(update_fields=["last_id", "finished_at"])
    return len(ids)
