"""A periodic runner for the tests: `python -m answerable.worker.tests.periodic_probe LOG EVERY SECONDS`
runs one job, which appends "start end pid" to LOG, with the real `Runner` and its leases. `start` is the
time the runner took the lease (its `last_started_at`), `end` when the job finished, before the release."""

import os
import sys
import time


def main(log: str, every: float, seconds: float) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "answerable.settings")
    django.setup()
    from answerable.promises.management.commands.periodic import Job, Runner
    from answerable.worker.models import Lease

    def record() -> None:
        start = Lease.objects.get(name="probe").last_started_at.timestamp()
        time.sleep(0.05)  # the job takes a moment, as real ones do: others must not start it meanwhile
        with open(log, "a") as fh:
            fh.write(f"{start} {time.time()} {os.getpid()}\n")

    runner = Runner([Job("probe", every, 30.0, record)])
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        runner.tick()
        time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
