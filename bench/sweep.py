"""Promise sweep benchmark: N open promises (default 1,000,000), then the time of one sweep.

    .venv/bin/python bench/sweep.py
    .venv/bin/python bench/sweep.py --database-url postgres://postgres@127.0.0.1:5432/postgres

The fill writes rows directly (a benchmark fill). Due times spread over the next 90 days, so at any moment
only the few promises due now are the sweep's work; the target is one sweep in at most 1 second.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.inbox import prepare_database, setup_django  # noqa: E402 (path set up above)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def fill(n: int, tickets: int, due_now: int, seed: int) -> None:
    from django.db import connection, transaction

    from answerable.customers.models import Customer
    from answerable.staff.models import Agent, Team
    from answerable.tickets.models import Ticket

    rng = random.Random(seed)
    team = Team.objects.create(name="Support")
    agent = Agent.objects.create(username="owner", role="agent")
    agent.teams.add(team)
    customer = Customer.objects.create(name="Bench customer")
    Ticket.objects.bulk_create(
        Ticket(subject=f"T{i}", customer=customer, team=team, created_at=NOW, last_activity_at=NOW)
        for i in range(tickets)
    )
    first = Ticket.objects.order_by("id").values_list("id", flat=True).first()
    started = time.perf_counter()
    columns = (
        "ticket_id, owner_id, text, source, kind, status, created_at, due_at, warn_at, warned_at, paused_at"
    )
    sql = f"INSERT INTO promises_promise ({columns}) VALUES ({', '.join(['%s'] * 11)})"  # noqa: S608 (constants only)
    batch = []
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(n):
            if i < due_now:  # already due: this sweep breaks them
                due = NOW - timedelta(minutes=rng.randint(1, 30))
            elif i < 2 * due_now:  # in their last quarter, not warned yet: this sweep warns them
                due = NOW + timedelta(minutes=rng.randint(1, 30))
            else:
                due = NOW + timedelta(minutes=rng.randint(31, 90 * 24 * 60))
            created = due - timedelta(hours=rng.choice((4, 8, 24, 72)))
            warn = created + (due - created) * 0.75
            warned = warn if warn <= NOW and i >= 2 * due_now else None
            batch.append((first + i % tickets, agent.pk, "I'll get back to you", "reply", "get_back", "open",
                          created, due, warn, warned, None))  # fmt: skip
            if len(batch) == 10000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"filled {n:,} open promises on {tickets:,} tickets in {time.perf_counter() - started:.1f}s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--promises", type=int, default=1_000_000)
    p.add_argument("--tickets", type=int, default=20_000)
    p.add_argument("--due-now", type=int, default=200, help="promises already due at the sweep")
    p.add_argument("--database-url", default="")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    args.no_fill = False
    cleanup = prepare_database(args)
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        from answerable.promises.models import Promise
        from answerable.promises.services import sweep_once

        call_command("migrate", verbosity=0)
        fill(args.promises, args.tickets, args.due_now, args.seed)
        timings = []
        result = sweep_once(NOW)
        for _ in range(5):  # a sweep with nothing left to do: the steady state between due times
            started = time.perf_counter()
            sweep_once(NOW)
            timings.append((time.perf_counter() - started) * 1000)
        # The sweep that does the work, on a fresh copy of the due rows.
        Promise.objects.filter(status="broken").update(status="open", closed_at=None)
        Promise.objects.filter(warned_at=NOW).update(warned_at=None)
        started = time.perf_counter()
        first = sweep_once(NOW)
        busy_ms = (time.perf_counter() - started) * 1000
        print(f"database: {connection.vendor}; open promises: {args.promises:,}; due now: {args.due_now}")
        print(f"sweep with {first.broken} to break and {first.warned} to warn: {busy_ms:.0f} ms")
        print(
            f"sweep with nothing due: median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms"
        )
        print(f"target: one sweep in at most 1000 ms: {'met' if busy_ms <= 1000 else 'NOT met'}")
        if result.broken != first.broken:
            raise SystemExit("the repeated sweep did different work: the measurement is not comparable")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
