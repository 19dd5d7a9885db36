"""Leases for periodic jobs: run once per period whatever the number of runners.

`take` is a single conditional UPDATE (the row is the lock, as in the outbox): on PostgreSQL two runners
updating the same row are serialised and the second sees the first's new `due_at`, so it updates 0 rows.
Times come from the caller (`clock.now()`), so machines should keep their clocks in sync (NTP); a skew
shorter than a period still gives at most one run per period.
"""

import os
import socket
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from answerable.worker.models import Lease


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def take(name: str, *, now: datetime, every: timedelta, hold: timedelta, holder: str) -> bool:
    """Take this period of job `name`: True for exactly one caller per period, who then runs the job and
    calls `release`. `hold` bounds how long a runner that died keeps the others waiting."""
    if not Lease.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Lease.objects.create(name=name, due_at=now)
        except IntegrityError:
            pass  # another runner created it first: the UPDATE below decides as usual
    free = Q(held_until=None) | Q(held_until__lt=now)
    return bool(
        Lease.objects.filter(free, name=name, due_at__lte=now).update(
            due_at=now + every, held_until=now + hold, holder=holder, last_started_at=now
        )
    )


def release(name: str, *, now: datetime, holder: str) -> None:
    """The job finished (or failed): others may take the next period as soon as it is due."""
    Lease.objects.filter(name=name, holder=holder).update(held_until=None, last_finished_at=now)


def due_at(name: str) -> datetime | None:
    return Lease.objects.filter(name=name).values_list("due_at", flat=True).first()
