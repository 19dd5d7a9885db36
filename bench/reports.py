"""Reports benchmark: fill N tickets (bench/inbox.py's fill), then time the report page and each metric.

    .venv/bin/python bench/reports.py --tickets 100000
    .venv/bin/python bench/reports.py --tickets 1000000 --database-url postgres://postgres@127.0.0.1:5432/postgres

The database handling (throwaway PostgreSQL database or SQLite file, --keep, --no-fill) and the fill are
bench/inbox.py's. Measured: the whole /reports/ request for an admin (every team, the per-agent table) for
the last 7, 30 and 90 days, server time from the Server-Timing header, and each metric function alone for
the 90 days, the median of --repeats runs after one warm-up run.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import inbox  # noqa: E402

TARGET_S = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--database-url", default="", help="as bench/inbox.py")
    p.add_argument("--repeats", type=int, default=3, help="measured runs of each (default 3)")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--no-fill", action="store_true")
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    args.fill_only = False
    if args.no_fill and not args.database_url:
        p.error("--no-fill needs --database-url")
    return args


def _median_s(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: connection, caches
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(repeats: int) -> list[tuple[str, float]]:
    from datetime import UTC, timedelta

    from django.test import Client
    from django.utils import timezone

    from answerable.insights import metrics
    from answerable.staff.models import Agent, Team

    admin = Agent.objects.get(username=inbox.BENCH_ADMIN)
    client = Client()
    client.force_login(admin)
    from answerable.insights import durations

    started = time.perf_counter()
    durations.refresh()  # what `manage.py insights_refresh` does: measure the whole history once
    rows = [("catch-up: measure the whole history (insights_refresh)", time.perf_counter() - started)]
    for days in (7, 30, 90):

        def page(days: int = days) -> None:
            response = client.get("/reports/", {"preset": str(days)})
            if response.status_code != 200:
                raise RuntimeError(f"/reports/ answered {response.status_code}")

        rows.append((f"/reports/ last {days} days (whole request)", _median_s(page, repeats)))
    now = timezone.now()
    period = metrics.Period(now - timedelta(days=90), now)
    scope = metrics.Scope(team_ids=tuple(Team.objects.values_list("pk", flat=True)))
    for name, fn in [
        ("first_response_time", lambda: metrics.first_response_time(period, scope, by_agent=True)),
        ("next_response_time", lambda: metrics.next_response_time(period, scope, by_agent=True)),
        ("resolution_time", lambda: metrics.resolution_time(period, scope, by_agent=True)),
        ("first_contact_resolution", lambda: metrics.first_contact_resolution(period, scope, by_agent=True)),
        ("acknowledged_within_minute", lambda: metrics.acknowledged_within_minute(period, scope)),
        ("backlog_by_age", lambda: metrics.backlog_by_age(period, scope, now=now)),
        ("promise_outcomes", lambda: metrics.promise_outcomes(period, scope, by_agent=True)),
        ("satisfaction", lambda: metrics.satisfaction(period, scope, by_agent=True)),
        ("coach_findings_trend", lambda: metrics.coach_findings_trend(period, scope, tz=UTC)),
    ]:
        rows.append((f"  {name} (90 days)", _median_s(fn, repeats)))
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cleanup = inbox.prepare_database(args)
    inbox.setup_django()
    from django.core.management import call_command

    from answerable.tickets.models import Ticket

    try:
        call_command("migrate", verbosity=0, interactive=False)
        vendor = inbox.database_version()
        if not args.no_fill:
            print(f"filling {args.tickets:,} tickets into {vendor}")
            started = time.perf_counter()
            inbox.fill(args.tickets, args.seed)
            inbox.analyze()
            print(f"  fill and analyze {time.perf_counter() - started:,.1f} s")
        else:
            inbox.analyze()
        total = Ticket.objects.count()
        rows = measure(args.repeats)
        print(f"\n{vendor}: {total:,} tickets; median of {args.repeats} runs after one warm-up", end="")
        print(f"; code {inbox.code_version()}")
        for label, seconds in rows:
            print(f"  {label:<48} {seconds * 1000:9.1f} ms")
        worst = max(s for label, s in rows if label.startswith("/reports/"))  # warm: not the first
        verdict = "met" if worst < TARGET_S else "MISSED"
        print(f"\ntarget: every report under {TARGET_S:.0f} s: {verdict} (slowest {worst:.2f} s)")
    finally:
        cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
