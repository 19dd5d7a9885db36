"""Search: one interface for the console and the customer portal, whatever the database.

    page = search(agent, 'refund "double charge" status:open', sort="best")
    page = search_for_customer(customer, "invoice")     # their own requests, never internal notes

Who may see what is decided once, by the ticket queryset the search starts from
(`tickets.access.visible_tickets` for agents, the customer's own tickets in the portal), and by the kinds of
message whose text may match (no notes for customers). Both apply inside the SQL that finds and counts the
hits, and snippets come only from the shown tickets' messages of those kinds, so a hit the searcher may not
see changes nothing they are shown.

Results are tickets: best match first (recent activity first among equals) or newest activity first, in
keyset pages. The filters become conditions on the ticket table only (subqueries, no joins), compiled by the
ORM and placed inside the full-text query. A search matching more than WINDOW messages the searcher may see
ranks and pages the tickets of the newest WINDOW of them (`Page.windowed`; the count still covers all).
"""

import base64
import binascii
import html
import json
import re
import unicodedata
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
WINDOW = 2000  # matching messages, newest first, that are ranked and paged (see _run)
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
    # More than WINDOW matching messages: the pages hold the tickets of the newest WINDOW of them.
    windowed: bool = False

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
        cond, cond_params = backend.exclude(term, kinds_sql, kinds)
        where_sql += f" AND {cond}"
        params += cond_params

    keyset, keyset_params = "", []
    if after is not None:
        last = connection.ops.adapt_datetimefield_value(after["at"])
        later = (
            "(tickets_ticket.last_activity_at < %s "
            "OR (tickets_ticket.last_activity_at = %s AND tickets_ticket.id < %s))"
        )
        keyset, keyset_params = later, [last, last, after["id"]]

    with connection.cursor() as cur:
        bound = 0
        if query.positive:
            doc_sql = f"d.kind IN ({kinds_sql})"
            doc_params: list = list(kinds)
            for term in cjk[0 if words else 1 :]:
                cond, cond_params = backend.cjk_condition(term)
                doc_sql += f" AND {cond}"
                doc_params += cond_params

            def source(docs: backends.Documents) -> tuple[str, list]:
                return (
                    f"""{docs.from_sql} JOIN tickets_ticket ON tickets_ticket.id = d.ticket_id
                    WHERE {docs.where_sql} AND {doc_sql} AND {where_sql}""",
                    [*docs.from_params, *docs.where_params, *doc_params, *params],
                )

            def documents(since: int, rank: bool) -> backends.Documents:
                return backend.documents(words, cjk[0] if cjk else None, since, rank)

            # The window: the newest WINDOW matching messages the searcher may see. Ranking and grouping
            # read only those, so a word in half the desk costs what a word in WINDOW messages costs.
            newest = documents(0, False)
            if after is not None:
                bound = after["bound"]
            else:
                window_sql, window_params = source(newest)
                cur.execute(f"SELECT {newest.mid} {window_sql} ORDER BY {newest.mid} DESC LIMIT 1 OFFSET %s",
                            [*window_params, WINDOW - 1])  # fmt: skip
                row = cur.fetchone()
                bound = row[0] if row else 0
            count_sql, count_params = source(newest)
            docs = documents(bound, ranked)
            main_sql, main_params = source(docs)
            score = backend.score(docs.score) if ranked else "0.0"
            group = " GROUP BY tickets_ticket.id, tickets_ticket.last_activity_at"
        else:
            main_sql, main_params = f"FROM tickets_ticket WHERE {where_sql}", params
            count_sql, count_params = main_sql, main_params
            score, group = "0.0", ""

        select = f"SELECT tickets_ticket.id, {score} AS score, tickets_ticket.last_activity_at {main_sql}"
        if ranked:
            having = f" HAVING ({score} > %s OR ({score} = %s AND {keyset}))" if keyset else ""
            best = "ORDER BY score, tickets_ticket.last_activity_at DESC, tickets_ticket.id DESC LIMIT %s"
            sql = f"{select}{group}{having} {best}"
            extra = [after["score"], after["score"], *keyset_params] if keyset else []
        else:
            newest = "ORDER BY tickets_ticket.last_activity_at DESC, tickets_ticket.id DESC LIMIT %s"
            sql = f"{select}{' AND ' + keyset if keyset else ''}{group} {newest}"
            extra = keyset_params
        cur.execute(sql, [*main_params, *extra, limit + 1])
        rows = cur.fetchall()
        cur.execute(
            f"SELECT COUNT(*) FROM (SELECT DISTINCT tickets_ticket.id {count_sql} LIMIT %s) c",  # noqa: S608
            [*count_params, COUNT_CAP + 1],
        )
        count = cur.fetchone()[0]

    more = len(rows) > limit
    rows = rows[:limit]
    ids = [r[0] for r in rows]
    tickets = Ticket.objects.select_related("customer__organisation", "team", "assignee").in_bulk(ids)
    snippets = _snippets(ids, list(query.positive), kinds)
    hits = [Hit(tickets[i], *snippets.get(i, (mark_safe(""), None, ""))) for i in ids if i in tickets]
    next_cursor = None
    if more and hits:
        last_ticket = tickets[ids[-1]]
        next_cursor = _encode(ranked, rows[-1][1], last_ticket.last_activity_at, last_ticket.pk, bound)
    return Page(hits, next_cursor, count, query, windowed=bound > 0)


# --- snippets --------------------------------------------------------------------------------------------


def _snippets(
    ids: list[int], terms: list[Term], kinds: tuple[str, ...]
) -> dict[int, tuple[SafeString, int, str]]:
    """For each ticket of the page: the message that best shows why it matched (most terms in its own
    text; a message to or from the customer before a note; then the newest), a window of it around the
    first match, the terms marked.

    Done here rather than by FTS5's snippet() or ts_headline(): those re-run the full-text query per
    message, which for a common word costs more than the search itself. The database decided what matches;
    this only marks words, folding case and accents and ignoring word endings as the index does."""
    if not ids:
        return {}
    patterns = [_pattern(t) for t in terms]
    best: dict[int, tuple[tuple, Message]] = {}
    messages = (
        Message.objects.filter(ticket_id__in=ids, kind__in=kinds)
        .annotate(short=Left("text", 4000)).only("id", "ticket_id", "kind")
    )  # fmt: skip
    for m in messages:
        folded = _fold(m.short)
        hits = sum(1 for p in patterns if p.search(folded))
        key = (-hits, m.kind == Message.Kind.NOTE, -m.pk)
        if m.ticket_id not in best or key < best[m.ticket_id][0]:
            best[m.ticket_id] = (key, m)
    return {tid: (_marked(_window(m.short, patterns)), m.pk, m.kind) for tid, (_, m) in best.items()}


_ENDINGS = re.compile(r"(?:ing|ed|es|s|e|ly)$")


def _fold(text: str) -> str:
    """Lower case without accents, one character for one (so positions match the original text)."""
    if text.isascii():
        return text.lower()
    return "".join(unicodedata.normalize("NFKD", c.lower())[:1] or c for c in text)


def _pattern(term: Term) -> re.Pattern:
    """Where a term shows in folded text: CJK as a substring; words at a word start, any ending (the
    index stems English: "charging" finds "charged"); a phrase as its words in a row."""
    if term.cjk:
        return re.compile(re.escape(term.text.lower()))
    words = [_ENDINGS.sub("", w) or w for w in re.findall(r"\w+", _fold(term.text))]
    return re.compile(r"\b" + r"\w*\W+".join(re.escape(w) for w in words) + r"\w*")


def _window(text: str, patterns: list[re.Pattern]) -> str:
    """About SNIPPET_CHARS of text around the first match, with every match between marks."""
    text = " ".join(text.split())
    folded = _fold(text)
    found = [m for p in patterns for m in p.finditer(folded)]
    at = min((m.start() for m in found), default=-1)
    # A little context before the match: the list shows the snippet's start, and cuts its end.
    start = max(0, at - SNIPPET_CHARS // 6) if at >= 0 else 0
    if start and (space := text.find(" ", start, at)) >= 0:
        start = space + 1  # begin at a word
    end = start + SNIPPET_CHARS
    spans = sorted(
        (max(m.start(), start), min(m.end(), end)) for m in found if m.end() > start and m.start() < end
    )
    out, i = [], start
    for a, b in spans:
        if a < i:  # overlapping matches: already marked
            continue
        out += [text[i:a], backends.MARK_START, text[a:b], backends.MARK_END]
        i = b
    out.append(text[i:end])
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


def _marked(text: str) -> SafeString:
    """Escape everything, then turn the private marks into <mark>: no markup from the data survives."""
    escaped = html.escape(" ".join(text.split()))
    return mark_safe(escaped.replace(backends.MARK_START, "<mark>").replace(backends.MARK_END, "</mark>"))  # noqa: S308


# --- cursors ---------------------------------------------------------------------------------------------


def _encode(ranked: bool, score: float, at: datetime, pk: int, bound: int) -> str:
    values = [float(score), at.isoformat(), pk, bound] if ranked else [at.isoformat(), pk, bound]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str | None, ranked: bool) -> dict | None:
    """The cursor of the last row shown (see lib/keyset.py: the same idea with a computed score)."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if ranked:
            score, at, pk, bound = values
            score = float(score)
        else:
            at, pk, bound = values
            score = 0.0
        at = datetime.fromisoformat(at)
        if not isinstance(pk, int) or not isinstance(bound, int) or at.tzinfo is None:
            raise ValueError(pk)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor("The page cursor is not valid; start again from the first page.") from exc
    return {"score": score, "at": at, "id": pk, "bound": bound}


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
