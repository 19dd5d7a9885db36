"""Measure every reply and solve not yet in the reports' duration cache (run after a large import, or from
cron, so the first report after it is fast; reports also do this themselves)."""

import time

from django.core.management.base import BaseCommand

from answerable.insights import durations
from answerable.insights.models import Duration


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: object, **options: object) -> None:
        before = Duration.objects.count()
        started = time.perf_counter()
        durations.refresh()
        added = Duration.objects.count() - before
        self.stdout.write(f"measured {added:,} durations in {time.perf_counter() - started:,.1f} s")
