"""Run avoidance detection once (cron, or the periodic loop through accounts.services.run_periodic)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from answerable.accounts import services
from answerable.lib import clock


class Command(BaseCommand):
    help = "Test every agent and account for markedly slower answers and open alerts for supervisors."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=30, help="the period looked at (default 30 days)")

    def handle(self, *args: Any, days: int, **options: Any) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1")
        run = services.detect_avoidance(now=clock.now(), days=days)
        self.stdout.write(
            f"{run.tested} agent/account pairs tested over {days} days: {run.alerts} alert(s), "
            f"{run.created} new, {run.updated} updated."
        )
