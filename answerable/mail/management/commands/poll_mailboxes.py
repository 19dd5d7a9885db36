"""Poll the teams' IMAP mailboxes: once (`--once`), or every `--interval` seconds until stopped.

SIGTERM or Ctrl-C stops it gracefully: the message being stored is finished (and flagged), the rest wait for
the next run. Killed outright, nothing is lost either: unflagged mail is read again and stored once.
"""

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from answerable.mail.imap import PollResult, poll_all


class Command(BaseCommand):
    help = "Poll the teams' IMAP mailboxes and store their unseen mail as ticket messages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Poll every active mailbox once and exit.")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between polls (default 30)."
        )

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        stopping = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        while not stopping.is_set():
            close_old_connections()
            try:
                results = poll_all(stop=stopping.is_set)
            finally:
                close_old_connections()
            self._report(results)
            if once:
                break
            stopping.wait(max(interval, 0.0))

    def _report(self, results: dict[int, PollResult]) -> None:
        for pk, result in results.items():
            if result.error:
                self.stderr.write(f"mailbox {pk}: {result.error}")
            if result.fetched:
                counts = (
                    f"{result.fetched} fetched, {result.stored} stored, {result.duplicates} duplicates, "
                    f"{result.quarantined} quarantined, {result.failed} failed"
                )
                self.stdout.write(f"mailbox {pk}: {counts}")
