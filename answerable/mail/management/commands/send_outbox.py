"""Send queued mail and retry failed sends, in a loop. Several may run; each message is sent by one."""

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from answerable.lib import clock
from answerable.mail import outbox


class Command(BaseCommand):
    help = "Send the outbox: queued replies and acknowledgements, with retries and backoff."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="seconds to wait when nothing is due")
        parser.add_argument("--once", action="store_true", help="send what is due now, then exit")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True  # finish the message in hand, then leave

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            close_old_connections()
            if not outbox.send_due_once(clock.now()):
                if once:
                    return
                time.sleep(interval)
