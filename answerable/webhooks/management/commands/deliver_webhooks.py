"""`manage.py deliver_webhooks [--loop]`: send the webhook deliveries that are due.

The worker normally does this (a retry is queued to run at its time); this catches up after an outage, e.g.
a delivery whose worker died mid-send (its lease expires after two minutes).
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from answerable.webhooks.tasks import deliver_now


class Command(BaseCommand):
    help = "Send due webhook deliveries once, or every --interval seconds with --loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args: Any, loop: bool, interval: float, **options: Any) -> None:
        while True:
            sent = deliver_now()
            if not loop:
                self.stdout.write(f"{sent} deliveries attempted.")
                return
            time.sleep(interval)
