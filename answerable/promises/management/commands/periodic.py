"""The periodic jobs of the embedded worker, each a loop around one testable step:
the outbox (every 2 s), the promise sweep (every 15 s), mailbox polling (every 60 s) and avoidance
detection (hourly)."""

import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from answerable.lib import clock

log = logging.getLogger(__name__)


def _outbox() -> None:
    from answerable.mail import outbox

    while outbox.send_due_once(clock.now()):
        pass


def _sweep() -> None:
    from answerable.promises.services import sweep_once

    while sum(vars(sweep_once(clock.now())).values()):
        pass


def _mailboxes() -> None:
    from answerable.mail.imap import poll_all

    poll_all()


def _avoidance() -> None:
    from answerable.accounts.services import run_periodic

    run_periodic()


JOBS: list[tuple[str, float, Callable[[], None]]] = [
    ("outbox", 2.0, _outbox),
    ("promise sweep", 15.0, _sweep),
    ("mailboxes", 60.0, _mailboxes),
    ("avoidance", 3600.0, _avoidance),
]


class Command(BaseCommand):
    help = "Run the periodic jobs: send the outbox, sweep promises, poll mailboxes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once, then exit")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        next_run = {name: 0.0 for name, _, _ in JOBS}
        while not stopping:
            for name, interval, job in JOBS:
                if stopping or time.monotonic() < next_run[name]:
                    continue
                close_old_connections()
                try:
                    job()
                except Exception:  # one failing job must not stop the others; it runs again next period
                    log.exception("periodic job %s failed", name)
                next_run[name] = time.monotonic() + interval
            if once:
                return
            time.sleep(0.5)
