"""The periodic jobs, each a loop around one testable step: the outbox (every 2 s), the promise sweep (every
15 s), mailbox polling (every 60 s) and avoidance detection (hourly).

Run it on as many machines as you like: each job takes a lease (`worker.leases`) before it runs, so of all
the runners exactly one runs each job per period, and if that runner dies another takes over once the
lease's hold runs out.
"""

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from answerable.lib import clock
from answerable.worker import leases

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


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds between starts
    hold: float  # seconds a runner that died keeps the others from the job
    run: Callable[[], None]


# Holds are short where two runners at once are harmless (each outbox message has its own lease; ingest
# stores a message once), so a runner that died, or could not release, delays the job little.
JOBS: list[Job] = [
    Job("outbox", 2.0, 30.0, _outbox),
    Job("promise sweep", 15.0, 120.0, _sweep),
    Job("mailboxes", 60.0, 600.0, _mailboxes),
    Job("avoidance", 3600.0, 1800.0, _avoidance),
]


class Runner:
    """Runs each job when it is due and this runner wins its lease; `tick()` is one pass."""

    def __init__(self, jobs: list[Job] | None = None, holder: str | None = None) -> None:
        self.jobs = JOBS if jobs is None else jobs
        self.holder = holder or leases.runner_id()
        self._next = {job.name: 0.0 for job in self.jobs}

    def tick(self, stopping: Callable[[], bool] = lambda: False) -> list[str]:
        ran = []
        for job in self.jobs:
            if stopping() or time.monotonic() < self._next[job.name]:
                continue
            close_old_connections()  # a connection the database dropped is replaced, not reused
            if self._take(job):
                ran.append(job.name)
                self._run(job)
        return ran

    def _take(self, job: Job) -> bool:
        now = clock.now()
        try:
            if leases.take(
                job.name, now=now, every=timedelta(seconds=job.every), hold=timedelta(seconds=job.hold),
                holder=self.holder,
            ):  # fmt: skip
                return True
            due = leases.due_at(job.name)
        except Exception:  # the database is away: try again shortly
            log.exception("periodic job %s: could not take its lease", job.name)
            self._next[job.name] = time.monotonic() + 1.0
            return False
        # Another runner has this period: look again when the next one is due.
        wait = (due - now).total_seconds() if due is not None else job.every
        self._next[job.name] = time.monotonic() + min(max(wait, 0.1), job.every)
        return False

    def _run(self, job: Job) -> None:
        try:
            job.run()
        except Exception:  # one failing job must not stop the others; it runs again next period
            log.exception("periodic job %s failed", job.name)
        finally:
            self._next[job.name] = time.monotonic() + job.every
            self._release(job)

    def _release(self, job: Job) -> None:
        for attempt in (1, 2):
            try:
                leases.release(job.name, now=clock.now(), holder=self.holder)
                return
            except Exception:  # a dropped connection: once more on a new one, else the hold runs out
                if attempt == 2:
                    log.exception("periodic job %s: could not release its lease", job.name)
                connection.close()


class Command(BaseCommand):
    help = "Run the periodic jobs (any number of runners: each job runs once per period among them)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="one pass over the jobs due, then exit")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        runner = Runner()
        while not stopping:
            runner.tick(lambda: stopping)
            if once:
                return
            time.sleep(0.1)
