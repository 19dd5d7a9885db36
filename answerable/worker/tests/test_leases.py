"""Periodic jobs run once per period, whatever the number of runners."""

import itertools
import sys
from datetime import UTC, datetime, timedelta

import pytest

from answerable.worker import leases
from answerable.worker.tests.procs import process_env, started

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
EVERY, HOLD = timedelta(seconds=15), timedelta(minutes=5)


def take(holder: str, now: datetime) -> bool:
    return leases.take("sweep", now=now, every=EVERY, hold=HOLD, holder=holder)


@pytest.mark.django_db
def test_one_runner_per_period_takes_the_job():
    assert take("a", T0)
    assert not take("b", T0)
    leases.release("sweep", now=T0, holder="a")
    assert not take("b", T0 + timedelta(seconds=14))  # released, but the next period has not begun
    assert take("b", T0 + EVERY)
    assert not take("a", T0 + EVERY)


@pytest.mark.django_db
def test_a_job_still_running_is_not_started_again_until_its_hold_runs_out():
    assert take("a", T0)
    assert not take("b", T0 + EVERY)  # due again, but "a" still holds it
    assert take("b", T0 + HOLD + timedelta(seconds=1))  # "a" died: "b" takes over


@pytest.mark.django_db
def test_a_runner_whose_hold_ran_out_cannot_release_the_new_holders_lease():
    assert take("a", T0)
    assert take("b", T0 + HOLD + timedelta(seconds=1))
    leases.release("sweep", now=T0 + HOLD, holder="a")  # the late one finishes
    assert not take("c", T0 + HOLD + EVERY + timedelta(seconds=2))  # still held by "b"


@pytest.mark.django_db(transaction=True)
def test_three_runner_processes_run_a_job_once_per_period(tmp_path):
    log = tmp_path / "runs.log"
    every, seconds = 0.5, 4.0
    env = process_env()
    argv = [
        sys.executable,
        "-m",
        "answerable.worker.tests.periodic_probe",
        str(log),
        str(every),
        str(seconds),
    ]
    with started("r1", argv, env) as r1, started("r2", argv, env) as r2, started("r3", argv, env) as r3:
        for proc in (r1, r2, r3):
            assert proc.popen.wait(timeout=40) == 0, proc.output()
    runs = sorted(tuple(map(float, line.split()[:2])) for line in log.read_text().splitlines())
    assert len(runs) >= 3  # the runners start within a second or two of each other
    for (start, end), (next_start, _) in itertools.pairwise(runs):
        assert next_start >= end, "two runners ran the job at the same time"
        assert next_start - start >= every - 1e-6, "the job ran twice in one period"  # float seconds


@pytest.mark.django_db(transaction=True)  # the runner manages connections as it does in production
def test_a_failing_job_releases_its_lease_and_the_other_jobs_still_run():
    from answerable.promises.management.commands.periodic import Job, Runner
    from answerable.worker.models import Lease

    ran = []

    def broken() -> None:
        raise RuntimeError("the mail server exploded")

    runner = Runner([Job("broken", 60.0, 600.0, broken), Job("fine", 60.0, 600.0, lambda: ran.append(1))])
    assert runner.tick() == ["broken", "fine"]
    assert ran == [1]
    assert set(Lease.objects.values_list("name", "held_until")) == {("broken", None), ("fine", None)}
    assert Runner([Job("broken", 60.0, 600.0, broken)]).tick() == []  # another runner: not due again yet
