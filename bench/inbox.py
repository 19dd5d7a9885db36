"""Inbox and ticket page benchmark: bulk-fill N tickets with messages, then measure server time.

    .venv/bin/python bench/inbox.py --tickets 100000
    .venv/bin/python bench/inbox.py --tickets 1000000 --database-url postgres://postgres@127.0.0.1:5432/postgres

SQLite (the default) fills a fresh file in a temporary directory. With a postgres:// URL the URL names the
server and a maintenance database: a throwaway database answerable_bench_<random> is created beside it and
dropped at the end (unless --keep; re-measure a kept one with --no-fill --database-url <its url>).

The fill writes rows directly (COPY on PostgreSQL, executemany on SQLite), not through the services: it is a
benchmark fill, not a test of the services. The distribution: ~85% solved/closed, active tickets concentrated
in the last months, 5 teams of unequal size, 20 staff, one customer per ten tickets (some with many tickets),
2-4 messages (~300 characters) and 3-7 events per ticket.

Server time is the app;dur of the Server-Timing header (answerable.lib.timing.ServerTimingMiddleware): the
whole Django request, template rendering included, on a warm persistent connection, one request at a time.
"""

import argparse
import bisect
import html
import json
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DAY = 86400.0
YEARS = 2
TEAMS = [("Support", 0.35), ("Billing", 0.20), ("Shipping", 0.20), ("Technical", 0.15), ("Sales", 0.10)]
BENCH_AGENT = "bench.agent"  # role agent, member of Billing and Technical (35% of the tickets)
BENCH_ADMIN = "bench.admin"  # role admin, member of Support: sees every ticket
ACTIVE = ("new", "open", "pending", "on_hold")
TARGET_P95_MS = 50.0
TARGET_GROWTH = 2.0

FIRST = [
    "Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Iris", "Jonas", "Kai", "Lena",
    "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Victor", "Wen", "Xavier",
    "Yara", "Zoe", "Ali", "Bea", "Carlos", "Dana", "Elif", "Finn", "Gita", "Hana", "Ivan", "Jade", "Karl",
    "Lucia", "Milan", "Nina",
]  # fmt: skip
LAST = [
    "Ruiz", "Shah", "Martin", "Okafor", "Novak", "Berg", "Costa", "Dubois", "Evans", "Fischer", "Garcia",
    "Haddad", "Ito", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Olsen", "Petrov", "Quint",
    "Rossi", "Silva", "Tanaka", "Umar", "Varga", "Weber", "Xu", "Yilmaz", "Zimmer",
]  # fmt: skip
ORG_WORDS = [
    "Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
    "Tyrell", "Cyberdyne",
]  # fmt: skip
ORG_SUFFIX = ["Ltd", "GmbH", "Inc", "SA", "BV", "Oy", "AB"]
SUBJECTS = (
    "Order {n} not shipped",
    "Refund for order {n}",
    "Double charge on invoice {n}",
    "Cannot log in since the update",
    "Parcel {n} arrived damaged",
    "Change the delivery address for order {n}",
    "Question about invoice {n}",
    "The export to CSV fails",
    "Cancel my subscription",
    "Wrong item in order {n}",
    "API returns 500 on /orders/{n}",
    "Upgrade to the annual plan",
    "Password reset mail never arrives",
    "VAT number missing on invoice {n}",
    "Tracking number for order {n} does not work",
    "Discount code not applied",
)
SENTENCES = (
    "I ordered this two weeks ago and it still has not arrived.",
    "Could you please check what is going on with my account?",
    "The tracking page has said 'label created' since Monday.",
    "I was charged twice for the same invoice, see the attached statement.",
    "Thanks for the quick answer, that solved it.",
    "We have tried clearing the cache and logging in again, without success.",
    "Our finance team needs the VAT number on the invoice before they can pay.",
    "I have attached a screenshot of the error message.",
    "Please cancel the order if it cannot ship this week.",
    "Thank you for your patience while we look into this.",
    "I have asked the warehouse to check the parcel and will get back to you tomorrow.",
    "The refund has been issued and should show within five working days.",
    "Could you confirm the delivery address once more?",
    "Escalated to the second line; they will reproduce it on staging.",
    "Customer is on the annual plan, renewal due next month.",
    "Happy to help, let us know if anything else comes up.",
)


# --- set-up ----------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tickets", type=int, default=100_000, help="tickets to fill (default 100000)")
    p.add_argument(
        "--database-url",
        default="",
        help="postgres://user@host:port/maintenance_db (a throwaway database is created beside it), or "
        "sqlite:///path; default: SQLite in a fresh temporary directory",
    )
    p.add_argument("--requests", type=int, default=200, help="measured requests per page (default 200)")
    p.add_argument("--warmup", type=int, default=20, help="unmeasured requests per page first (default 20)")
    p.add_argument("--keep", action="store_true", help="keep the database (and its directory) at the end")
    p.add_argument("--no-fill", action="store_true", help="measure the database at --database-url as it is")
    p.add_argument("--fill-only", action="store_true", help="fill and keep the database, do not measure")
    p.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="on a shared machine: before measuring, wait up to SECONDS for 5 s at over 90%% idle CPU",
    )
    p.add_argument("--explain", action="store_true", help="print the plan of the slowest inbox query")
    p.add_argument("--queries", action="store_true", help="list every query of every page with its time")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    args.keep = args.keep or args.fill_only
    if args.no_fill and not args.database_url:
        p.error("--no-fill needs --database-url")
    if args.tickets < 1000:
        p.error("--tickets: at least 1000")
    return args


def _pg_connect_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def prepare_database(args: argparse.Namespace) -> Callable[[], None]:
    """Point DATABASE_URL and ANSWERABLE_DATA_DIR at fresh places; return the cleanup for the end."""
    data_dir = tempfile.mkdtemp(prefix="answerable-bench-")
    os.environ["ANSWERABLE_DATA_DIR"] = data_dir
    url = args.database_url
    dropper: Callable[[], None] = lambda: None  # noqa: E731
    if args.no_fill:
        pass
    elif url.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = f"answerable_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_pg_connect_url(url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        maintenance = url
        url = _with_database(url, name)

        def dropper() -> None:
            with psycopg.connect(_pg_connect_url(maintenance), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    elif not url:
        url = f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["DATABASE_URL"] = url

    def cleanup() -> None:
        from django.db import connections

        connections.close_all()
        keep = args.keep or args.no_fill
        if keep:
            print(f"kept: DATABASE_URL={url}")
        else:
            dropper()
        # The data dir holds the generated secret key and the static root, and the SQLite file we made.
        if not (keep and data_dir in url):
            shutil.rmtree(data_dir, ignore_errors=True)

    return cleanup


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "answerable.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- fill ------------------------------------------------------------------------------------------------


class Writer:
    """Bulk rows into a table: COPY on PostgreSQL, executemany on SQLite. Rows carry explicit ids."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        connection.ensure_connection()
        self.raw = connection.connection

    def ts(self, dt: datetime | None) -> object:
        if dt is None or self.vendor == "postgresql":
            return dt
        return dt.strftime("%Y-%m-%d %H:%M:%S.%f")  # what Django stores on SQLite: naive UTC

    def write(self, model: type, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Rows give `columns`; every other column gets the field's default, so a field added to the model
        later (with a default, or nullable) does not break the fill."""
        if not rows:
            return
        extra_cols, extras = [], []
        for f in model._meta.concrete_fields:
            if f.column in columns or getattr(f, "generated", False):
                continue
            value = f.get_db_prep_save(f.get_default(), connection=self.connection)
            if value is None and not f.null:
                raise SystemExit(f"bench fill: {model.__name__}.{f.name} needs a value; add it to the fill")
            extra_cols.append(f.column)
            extras.append(value)
        columns, extras = (*columns, *extra_cols), tuple(extras)
        table = model._meta.db_table
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.vendor == "postgresql":
            with self.raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row + extras)
        else:
            marks = ", ".join("?" * len(columns))
            sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'  # noqa: S608  (our own table names)
            self.raw.executemany(sql, [row + extras for row in rows] if extras else rows)


def _texts(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(s) + 1 for s in parts) < 280:
            parts.append(rng.choice(SENTENCES))
        out.append(" ".join(parts))
    return out


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _world() -> tuple[dict[int, list[int]], list[int]]:
    """Teams, staff and macros through the ORM: the small tables. Returns the staff ids per team id and the
    team ids in TEAMS order."""
    from django.contrib.auth.hashers import make_password

    from answerable.staff.models import Agent, Team, TeamAddress
    from answerable.tickets.models import Macro

    teams = Team.objects.bulk_create([Team(name=name) for name, _ in TEAMS])
    by_name = {t.name: t for t in teams}
    TeamAddress.objects.bulk_create(
        [TeamAddress(team=t, email=f"{t.name.lower()}@desk.example") for t in teams]
    )
    staff: list[tuple[str, str, list[str]]] = [
        (BENCH_ADMIN, Agent.Role.ADMIN, ["Support"]),
        ("admin.two", Agent.Role.ADMIN, []),
        ("sup.support", Agent.Role.SUPERVISOR, ["Support", "Sales"]),
        ("sup.money", Agent.Role.SUPERVISOR, ["Billing", "Shipping"]),
        ("sup.tech", Agent.Role.SUPERVISOR, ["Technical"]),
        (BENCH_AGENT, Agent.Role.AGENT, ["Billing", "Technical"]),
    ]
    for i in range(14):
        home, other = TEAMS[i % len(TEAMS)][0], TEAMS[(i + 2) % len(TEAMS)][0]
        staff.append((f"agent{i + 1:02d}", Agent.Role.AGENT, [home, other] if i % 3 == 0 else [home]))
    unusable = make_password(None)
    agents = Agent.objects.bulk_create([
        Agent(
            username=username, role=role, password=unusable, first_name=FIRST[i % len(FIRST)],
            last_name=LAST[i % len(LAST)], email=f"{username}@staff.example",
            is_staff=role == Agent.Role.ADMIN, is_superuser=role == Agent.Role.ADMIN,
            time_zone="Europe/Berlin" if i % 2 else "UTC",
        )
        for i, (username, role, _) in enumerate(staff)
    ])  # fmt: skip
    members: dict[int, list[int]] = defaultdict(list)
    for agent, (_, _, team_names) in zip(agents, staff, strict=True):
        for name in team_names:
            members[by_name[name].pk].append(agent.pk)
    through = Agent.teams.through
    through.objects.bulk_create(
        [through(agent_id=a, team_id=t) for t, staff_ids in members.items() for a in staff_ids]
    )
    Macro.objects.bulk_create(
        [Macro(name=f"Macro {i}", body="Hi {{ customer.first_name }}, ...") for i in range(3)]
        + [Macro(name=f"{t.name} {i}", body="Thanks, {{ agent.first_name }}", team=t)
           for t in teams for i in range(2)]
    )  # fmt: skip
    return members, [by_name[name].pk for name, _ in TEAMS]


def _organisations(rng: random.Random, count: int, now: datetime) -> list[int]:
    from answerable.customers.models import Organisation, TermsFlag
    from answerable.staff.models import Agent

    orgs = Organisation.objects.bulk_create([
        Organisation(name=f"{ORG_WORDS[i % len(ORG_WORDS)]} {ORG_SUFFIX[i % len(ORG_SUFFIX)]} {i + 1}",
                     yearly_value=rng.randrange(1000, 200_000))
        for i in range(count)
    ])  # fmt: skip
    admin = Agent.objects.get(username=BENCH_ADMIN)
    TermsFlag.objects.bulk_create([
        TermsFlag(organisation=o, kind=TermsFlag.Kind.PREPAYMENT_REQUIRED, reason="Unpaid invoices",
                  set_by=admin, set_at=now - timedelta(days=30))
        for o in orgs[:: max(1, count // 20)]
    ])  # fmt: skip
    return [o.pk for o in orgs]


def _customers(w: "Writer", rng: random.Random, count: int, org_ids: list[int], start: datetime) -> None:
    """Customers (40% in an organisation), each with an address, one in ten with a second one."""
    from django.db import transaction

    from answerable.customers.models import Customer, CustomerEmail

    customers, emails = [], []
    yes, no = (True, False) if w.vendor == "postgresql" else (1, 0)
    for cid in range(1, count + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        org = rng.choice(org_ids) if rng.random() < 0.4 else None
        customers.append((cid, f"{first} {last}", "", w.ts(start - timedelta(days=rng.random() * 90)), org))
        emails.append((len(emails) + 1, f"{first}.{last}.{cid}@customer.example".lower(), yes, cid))
        if rng.random() < 0.1:
            emails.append((len(emails) + 1, f"c{cid}@alt.example", no, cid))
    with transaction.atomic():
        w.write(Customer, ("id", "name", "notes", "created_at", "organisation_id"), customers)
        w.write(CustomerEmail, ("id", "address", "primary", "customer_id"), emails)


TICKET_COLUMNS = (
    "id", "subject", "status", "priority", "created_at", "first_response_at", "solved_at", "last_activity_at",
    "waiting_since", "assignee_id", "customer_id", "team_id",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "id", "kind", "text", "html", "raw", "message_id", "idempotency_key", "delivery", "delivery_error",
    "created_at", "author_id", "sender_id", "ticket_id",
)  # fmt: skip
EVENT_COLUMNS = ("id", "kind", "at", "data", "actor_id", "ticket_id")


class TicketMaker:
    """One ticket's rows at a time: the ticket, its 2-4 messages and its events, consistent with each other
    (waiting_since, first_response_at, solved_at follow the messages as the services would set them)."""

    TAU = 97 * DAY  # P(active) = 0.9 exp(-age / TAU) + 0.03: about 15% active overall, mostly recent

    def __init__(self, w: "Writer", rng: random.Random, n_tickets: int, n_customers: int, now: datetime,
                 members: dict[int, list[int]], team_ids: list[int],
                 texts: list[str] | None = None) -> None:  # fmt: skip
        self.ts, self.rng, self.n, self.n_customers, self.now = w.ts, rng, n_tickets, n_customers, now
        self.start = now - timedelta(days=365 * YEARS)
        self.span = (now - self.start).total_seconds()
        self.members, self.team_ids = members, team_ids
        self.team_cum = _cumulative([weight for _, weight in TEAMS])
        self.active_cum = _cumulative([0.25, 0.40, 0.25, 0.10])  # new, open, pending, on hold
        self.prio_cum = _cumulative([0.2, 0.6, 0.15, 0.05])
        self.texts = texts or _texts(rng, 500)
        self.mid = self.eid = 0
        self.active = 0
        self.tickets: list[tuple] = []
        self.messages: list[tuple] = []
        self.events: list[tuple] = []

    def _event(self, kind: str, at: datetime, data: str, actor: int | None, tid: int) -> None:
        self.eid += 1
        self.events.append((self.eid, kind, self.ts(at), data, actor, tid))

    def make(self, tid: int) -> None:
        rng, ts = self.rng, self.ts
        # Ids follow creation time, as in a real table; the active tickets are mostly the recent ones.
        created = min(self.start + timedelta(seconds=self.span * (tid - 1) / self.n + rng.random() * 600),
                      self.now - timedelta(seconds=60))  # fmt: skip
        age = (self.now - created).total_seconds()
        team = self.team_ids[bisect.bisect(self.team_cum, rng.random() * self.team_cum[-1])]
        active = rng.random() < 0.9 * math.exp(-age / self.TAU) + 0.03
        if active:
            status = ACTIVE[bisect.bisect(self.active_cum, rng.random() * self.active_cum[-1])]
            last = self.now - timedelta(seconds=age * rng.random() ** 2)
            assigned = rng.random() < (0.5 if status == "new" else 0.85)
        else:
            status = "solved" if rng.random() < 0.55 else "closed"
            last = min(created + timedelta(seconds=rng.expovariate(1 / (3 * DAY))), self.now)
            assigned = rng.random() < 0.95
        assignee = rng.choice(self.members[team]) if assigned else None
        customer = 1 + int(self.n_customers * rng.random() ** 2)  # a few customers write a lot
        n_msg = rng.randint(2, 4)
        kinds = ["inbound"]
        for _ in range(n_msg - 1):
            if status == "new":
                kinds.append("inbound")
            elif rng.random() < 0.15:
                kinds.append("note")
            else:
                kinds.append("outbound" if kinds[-1] == "inbound" else "inbound")
        if status in ("pending", "solved", "closed"):
            kinds[-1] = "outbound"

        self._event("created", created, '{"channel": "email"}', None, tid)
        gap = (last - created) / (n_msg - 1)
        first_response = waiting = None
        for i, kind in enumerate(kinds):
            at = last if i == n_msg - 1 else created + gap * i
            self.mid += 1
            author = sender = msg_id = None
            delivery = ""
            if kind == "inbound":
                sender, msg_id, event = customer, f"<m{self.mid}@customer.example>", "message_received"
                waiting = waiting or at
            elif kind == "outbound":
                author, msg_id, delivery, event = (
                    assignee,
                    f"<m{self.mid}@answerable.example>",
                    "sent",
                    "replied",
                )
                first_response, waiting = first_response or at, None
            else:
                author, event = assignee, "note_added"
            if kind != "inbound" and author is None:
                author = rng.choice(self.members[team])
            self.messages.append((
                self.mid, kind, self.texts[(tid * 7 + i) % len(self.texts)], "", None, msg_id, None,
                delivery, "", ts(at), author, sender, tid,
            ))  # fmt: skip
            self._event(event, at, f'{{"message": {self.mid}}}', author, tid)
        if assignee:
            self._event("assigned", created + timedelta(minutes=5), f'{{"old": null, "new": {assignee}}}',
                        assignee, tid)  # fmt: skip
        if status not in ("new", "open"):
            self._event("status_changed", last, f'{{"old": "open", "new": "{status}"}}', assignee, tid)
        priority = 1 + bisect.bisect(self.prio_cum, rng.random() * self.prio_cum[-1])
        solved_at = last if status in ("solved", "closed") else None
        self.tickets.append((
            tid, rng.choice(SUBJECTS).format(n=10_000 + tid), status, priority, ts(created),
            ts(first_response), ts(solved_at), ts(last), ts(waiting if active else None), assignee,
            customer, team,
        ))  # fmt: skip
        self.active += active


def fill(n_tickets: int, seed: int, texts: list[str] | None = None) -> dict[str, int]:
    """`texts`: the message texts to draw from (bench/search.py brings its own, in several languages)."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from answerable.customers.models import Customer, CustomerEmail
    from answerable.tickets.models import Event, Message, Ticket

    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    w = Writer()
    members, team_ids = _world()
    n_customers = max(100, n_tickets // 10)
    org_ids = _organisations(rng, max(10, n_customers // 50), now)
    started = time.perf_counter()
    maker = TicketMaker(w, rng, n_tickets, n_customers, now, members, team_ids, texts)
    _customers(w, rng, n_customers, org_ids, maker.start)
    counts = {"tickets": 0, "messages": 0, "events": 0}
    batch = 20_000
    for lo in range(1, n_tickets + 1, batch):
        for tid in range(lo, min(lo + batch, n_tickets + 1)):
            maker.make(tid)
        with transaction.atomic():
            w.write(Ticket, TICKET_COLUMNS, maker.tickets)
            w.write(Message, MESSAGE_COLUMNS, maker.messages)
            w.write(Event, EVENT_COLUMNS, maker.events)
        counts["tickets"] += len(maker.tickets)
        counts["messages"] += len(maker.messages)
        counts["events"] += len(maker.events)
        maker.tickets, maker.messages, maker.events = [], [], []
        rate = counts["tickets"] / (time.perf_counter() - started)
        print(f"\r  filled {counts['tickets']:,}/{n_tickets:,} tickets ({rate:,.0f}/s)", end="", flush=True)
    print()
    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [Customer, CustomerEmail, Ticket, Message, Event]
        ):
            cur.execute(sql)
    counts["active"] = maker.active
    return counts


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # VACUUM too: sets the visibility map and hint bits, as on a database that has run a while.
            cur.execute("VACUUM (ANALYZE)")
        else:
            cur.execute("ANALYZE")
            cur.execute("PRAGMA optimize")


def wait_idle(limit: float) -> bool | None:
    """Wait until the CPUs were over 90% idle for 5 s (Linux /proc/stat); False after `limit` seconds."""

    def snapshot() -> tuple[int, int]:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return ticks[3] + ticks[4], sum(ticks)  # idle + iowait, total

    try:
        snapshot()
    except (OSError, ValueError, IndexError):
        return None
    deadline = time.monotonic() + limit
    while True:
        idle0, total0 = snapshot()
        time.sleep(5)
        idle1, total1 = snapshot()
        if (idle1 - idle0) / max(1, total1 - total0) > 0.9:
            return True
        if time.monotonic() > deadline:
            return False


def database_size() -> str:
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            return cur.fetchone()[0]
    path = Path(settings.DATABASES["default"]["NAME"])
    return f"{path.stat().st_size / 2**20:,.0f} MB"


def code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    import subprocess

    def git(*args: str) -> str:
        # Our own fixed git commands on this checkout.
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True)  # noqa: S603, S607
        return done.stdout.strip()

    try:
        head, dirty = (
            git("rev-parse", "--short", "HEAD"),
            git("status", "--porcelain", "--untracked-files=no"),
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' + uncommitted changes' if dirty else ''}"


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            return f"PostgreSQL {cur.fetchone()[0].split()[0]}"
        cur.execute("SELECT sqlite_version()")
        return f"SQLite {cur.fetchone()[0]}"


# --- measure ---------------------------------------------------------------------------------------------


class QueryLog:
    """Every SQL statement of a request, with its own precise time (execute_wrapper, not DEBUG)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, object, float]] = []

    def __call__(self, execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.entries.append((sql, params, (time.perf_counter() - start) * 1000))


def _server_ms(response: object) -> float:
    match = re.search(r"app;dur=([\d.]+)", response.get("Server-Timing", ""))
    if not match:
        raise SystemExit(
            "no Server-Timing header: is answerable.lib.timing.ServerTimingMiddleware installed?"
        )
    return float(match.group(1))


def _next_link(body: str) -> str:
    match = re.search(r'hx-get="\?([^"]*after=[^"]*)"', body)
    if not match:
        raise SystemExit("no 'Load more' link on the page: too few tickets for a second page")
    return "?" + html.unescape(match.group(1))


def _ticket_ids(user: object, count: int, seed: int) -> list[int]:
    from answerable.tickets import access
    from answerable.tickets.models import Ticket

    rng = random.Random(seed)
    top = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
    out: list[int] = []
    while len(out) < count:
        candidates = [rng.randint(1, top) for _ in range(2000)]
        visible = set(access.visible_tickets(user).filter(pk__in=candidates).values_list("pk", flat=True))
        out += [c for c in candidates if c in visible]
    return out[:count]


def _pages(client: object, user: object, total: int, seed: int) -> list[tuple[str, Iterator[str], dict]]:
    def fixed(path: str) -> Iterator[str]:
        while True:
            yield path

    first = client.get("/inbox/open/")
    if first.status_code != 200:
        raise SystemExit(f"/inbox/open/: HTTP {first.status_code}")
    second = "/inbox/open/" + _next_link(first.content.decode())
    htmx = {"HTTP_HX_REQUEST": "true"}
    ids = _ticket_ids(user, total, seed)
    return [
        ("inbox mine", fixed("/inbox/mine/"), {}),
        ("inbox teams", fixed("/inbox/teams/"), {}),
        ("inbox waiting", fixed("/inbox/waiting/"), {}),
        ("inbox open", fixed("/inbox/open/"), {}),
        ("inbox open ?status=solved", fixed("/inbox/open/?status=solved"), {}),
        ("inbox open, load more (page 2)", fixed(second), htmx),
        ("ticket page (random visible)", iter(f"/t/{i}/" for i in ids), {}),
    ]


def _backend_cpu(connection: object) -> tuple[int, float] | None:
    """(pid, CPU seconds so far) of the connection's PostgreSQL backend, if the server runs on this machine.
    Kernel ticks (10 ms), so only a sum over many requests means anything."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return None
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measure(requests: int, warmup: int, seed: int) -> tuple[list[dict], dict]:
    from django.db import connection
    from django.test import Client

    from answerable.staff.models import Agent

    results: list[dict] = []
    logs: dict[tuple[str, str], list[list[tuple[str, object, float]]]] = {}
    for who in (BENCH_AGENT, BENCH_ADMIN):
        user = Agent.objects.get(username=who)
        client = Client()
        client.force_login(user)
        # Each request of the sampling loop takes the next path; 8 more for the query log below.
        pages = _pages(client, user, warmup + requests + 8, seed)
        samples: dict[str, list[float]] = defaultdict(list)
        cpu: dict[str, list[float]] = defaultdict(list)
        for i in range(warmup + requests):  # round robin, so a hiccup does not land on one page only
            for label, paths, headers in pages:
                path = next(paths)
                cpu_before, backend_before = time.process_time(), _backend_cpu(connection)
                response = client.get(path, **headers)
                used = time.process_time() - cpu_before
                backend_after = _backend_cpu(connection)
                if response.status_code != 200:
                    raise SystemExit(f"{who} {label}: HTTP {response.status_code}")
                if i >= warmup:
                    samples[label].append(_server_ms(response))
                    if backend_before and backend_after and backend_before[0] == backend_after[0]:
                        used += backend_after[1] - backend_before[1]
                    cpu[label].append(used * 1000)
        for label, paths, headers in pages:
            runs = []
            for _ in range(8):
                log = QueryLog()
                with connection.execute_wrapper(log):
                    client.get(next(paths), **headers)
                runs.append(log.entries)
            logs[(who, label)] = runs
            q = statistics.quantiles(samples[label], n=100, method="inclusive")
            results.append({
                "user": who.split(".")[1], "page": label, "queries": len(runs[0]),
                "sql_ms": statistics.median(sum(e[2] for e in run) for run in runs),
                "p50": q[49], "p95": q[94], "max": max(samples[label]), "cpu_ms": statistics.mean(cpu[label]),
            })  # fmt: skip
    return results, logs


def slowest_queries(logs: dict, top: int = 5) -> list[tuple[float, str, str, str, object]]:
    """The inbox queries by median time: (ms, user, page, sql, params)."""
    out = []
    for (who, label), runs in logs.items():
        if not label.startswith("inbox"):
            continue
        for position in range(min(len(r) for r in runs)):
            sql, params, _ = runs[0][position]
            ms = statistics.median(r[position][2] for r in runs)
            out.append((ms, who, label, sql, params))
    out.sort(key=lambda e: e[0], reverse=True)
    return out[:top]


def _short(sql: str) -> str:
    """The statement without its select list: SELECT ... FROM <the top-level FROM onwards>."""
    if not sql.startswith("SELECT "):
        return sql
    depth = 0
    for i, ch in enumerate(sql):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and sql.startswith(" FROM ", i):
            return "SELECT ..." + sql[i:]
    return sql


def print_queries(logs: dict) -> None:
    for (who, label), runs in logs.items():
        print(f"\n{who.split('.')[1]}, {label}: median ms of {len(runs)} requests")
        for position in range(min(len(r) for r in runs)):
            ms = statistics.median(r[position][2] for r in runs)
            print(f"  {ms:6.2f}  {_short(runs[0][position][0])[:200]}")


def explain(sql: str, params: object) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        rows = cur.fetchall()
    return "\n".join(" | ".join(str(c) for c in row) for row in rows)


def print_table(results: list[dict], header: str) -> None:
    print()
    print(header)
    print(
        f"{'user':<6} {'page':<32} {'queries':>7} {'sql ms':>7} {'cpu ms':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
    )
    for r in results:
        print(
            f"{r['user']:<6} {r['page']:<32} {r['queries']:>7} {r['sql_ms']:>7.1f} {r['cpu_ms']:>7.1f} "
            f"{r['p50']:>7.1f} {r['p95']:>7.1f} {r['max']:>7.1f}"
        )
    print(
        "sql ms: median SQL time of a request; cpu ms: mean CPU time of a request (this process, plus the "
        "PostgreSQL backend when local): what it costs without waiting for a core"
    )
    worst = max(results, key=lambda r: r["p95"])
    verdict = "met" if worst["p95"] < TARGET_P95_MS else "MISSED"
    print(f"worst p95: {worst['p95']:.1f} ms ({worst['user']}, {worst['page']}); "
          f"target p95 < {TARGET_P95_MS:.0f} ms: {verdict}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cleanup = prepare_database(args)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from answerable.tickets.models import Message, Ticket

    try:
        call_command("migrate", verbosity=0, interactive=False)
        info: dict[str, object] = {"vendor": database_version(), "code": code_version()}
        if not args.no_fill:
            print(
                f"filling {args.tickets:,} tickets into {info['vendor']} ({connection.settings_dict['NAME']})"
            )
            started = time.perf_counter()
            counts = fill(args.tickets, args.seed)
            filled = time.perf_counter() - started
            analyze()
            info["fill_s"] = round(filled, 1)
            info["analyze_s"] = round(time.perf_counter() - started - filled, 1)
            print(f"  fill {filled:,.1f} s, analyze {info['analyze_s']:,.1f} s; {counts['active']:,} active")
        else:
            analyze()  # a migration since the fill may have rebuilt indexes, which drops their statistics
        if args.fill_only:
            return 0
        info["tickets"] = Ticket.objects.count()
        info["messages"] = Message.objects.count()
        info["size"] = database_size()
        if args.wait_idle:
            info["idle"] = wait_idle(args.wait_idle)
            print(f"waited for an idle machine: {'yes' if info['idle'] else 'gave up'}")
        info["load_before"] = round(os.getloadavg()[0], 2)
        results, logs = measure(args.requests, args.warmup, args.seed)
        info["load_after"] = round(os.getloadavg()[0], 2)
        print_table(
            results,
            f"{info['vendor']}: {info['tickets']:,} tickets, {info['messages']:,} messages, {info['size']}; "
            f"{args.requests} requests per page after {args.warmup} warm-up; server time (Server-Timing); "
            f"load average {info['load_before']} -> {info['load_after']} on {os.cpu_count()} cores; "
            f"code {info['code']}",
        )
        slow = slowest_queries(logs)
        print("\nslowest inbox queries (median ms of 8 requests):")
        for ms, who, label, sql, _ in slow:
            print(f"  {ms:6.2f} ms  {who.split('.')[1]:<5} {label:<32} {_short(sql)[:150]}")
        if args.queries:
            print_queries(logs)
        if args.explain and slow:
            ms, who, label, sql, params = slow[0]
            print(f"\nEXPLAIN of the slowest ({ms:.2f} ms, {who}, {label}):\n{sql}\nparams: {params}\n")
            print(explain(sql, params))
        if args.json:
            Path(args.json).write_text(
                json.dumps({"info": info, "args": vars(args), "results": results}, indent=2)
            )
    finally:
        cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
