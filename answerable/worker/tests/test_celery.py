"""With BROKER_URL set, the jobs services queue through `lib.jobs` run on real Celery workers over the real
Redis and RabbitMQ; without it, on the database worker. One interface either way."""

import json
import subprocess
import sys

import pytest
from django.db import transaction

from answerable.lib import clock, jobs
from answerable.mail.tasks import drain_outbox
from answerable.tickets import services
from answerable.tickets.models import Message
from answerable.worker import celery_app
from answerable.worker.tests.procs import ROOT, Broker, celery_worker, process_env, use_broker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _tasks_backend(env: dict[str, str]) -> str:
    code = "from django.conf import settings; import json; print(json.dumps(settings.TASKS))"
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])["default"]["BACKEND"]


def test_the_broker_url_alone_chooses_celery_or_the_database_worker(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "BROKER_URL"}
    env.update(ANSWERABLE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="answerable.settings")
    assert _tasks_backend(env) == "django_tasks_db.DatabaseBackend"
    assert _tasks_backend({**env, "BROKER_URL": "redis://127.0.0.1:6379/13"}) == (
        "answerable.worker.backend.CeleryBackend"
    )


def test_a_broker_message_can_run_only_a_task():
    with pytest.raises(TypeError, match="not a django-tasks task"):
        celery_app.run_task.run("os.getcwd", [], {})


def _queued(broker: Broker) -> int:
    from kombu import Connection

    with Connection(broker.url, connect_timeout=3) as conn:
        channel = conn.default_channel
        try:
            return channel.queue_declare(broker.prefix + "default", passive=True).message_count
        except Exception:  # never declared: nothing was ever published to it
            return 0


class Rollback(Exception):
    pass


def test_a_job_reaches_the_broker_only_when_the_transaction_commits(settings, broker, db):
    use_broker(settings, broker)
    with pytest.raises(Rollback), transaction.atomic():
        jobs.enqueue_on_commit(drain_outbox)
        raise Rollback
    assert _queued(broker) == 0
    with transaction.atomic():
        jobs.enqueue_on_commit(drain_outbox)
        assert _queued(broker) == 0  # not before the commit
    wait_for(lambda: _queued(broker) == 1, timeout=10, what="the job on the broker")


def test_a_reply_is_sent_by_a_celery_worker(settings, broker, world, smtp_capture):
    env = process_env(EMAIL_URL=f"smtp://127.0.0.1:{smtp_capture.port}", **broker.env())
    use_broker(settings, broker)
    with celery_worker(env, concurrency=2) as worker:
        reply = services.reply(
            world.billing_ticket, agent=world.alice, text="Refunded today.", now=clock.now()
        )
        reply.refresh_from_db()
        wait_for(
            lambda: Message.objects.filter(pk=reply.pk, delivery=Message.Delivery.SENT).exists(),
            timeout=30, what=f"the worker to send the reply\n{worker.output()[-3000:]}",
        )  # fmt: skip
    assert [m["Message-ID"] for m in smtp_capture.messages] == [reply.message_id]
    assert "answerable.run_task" in worker.output()


def test_several_workers_and_runners_send_each_message_exactly_once(
    settings, redis_broker, world, smtp_capture
):
    """Two Celery workers of two processes each, the periodic runner and a send_outbox loop all drain the
    same outbox at once: each message is claimed by one of them only."""
    from collections import Counter

    from answerable.worker.tests.procs import manage

    env = process_env(EMAIL_URL=f"smtp://127.0.0.1:{smtp_capture.port}", **redis_broker.env())
    use_broker(settings, redis_broker)
    with (
        celery_worker(env, concurrency=2, name="w1"),
        celery_worker(env, concurrency=2, name="w2"),
        manage("periodic", "periodic", env=env),
        manage("send_outbox", "send_outbox", "--interval", "0.1", env=env),
    ):
        sent = [
            services.reply(world.billing_ticket, agent=world.alice, text=f"Update {i}.", now=clock.now())
            for i in range(60)
        ]
        outbound = Message.objects.filter(pk__in=[m.pk for m in sent])
        wait_for(
            lambda: outbound.filter(delivery=Message.Delivery.SENT).count() == 60, timeout=50, what="60 sent"
        )
    assert Counter(m["Message-ID"] for m in smtp_capture.messages) == Counter(m.message_id for m in sent)
    assert set(outbound.values_list("attempts", flat=True)) == {1}


def test_with_the_broker_away_a_committed_change_still_succeeds_and_the_loss_is_logged(settings, caplog, db):
    import time

    use_broker(settings, Broker("redis://127.0.0.1:1/0", "answerable-away."))  # nothing listens on port 1
    started = time.monotonic()
    with transaction.atomic():
        jobs.enqueue_on_commit(drain_outbox)
    assert time.monotonic() - started < 15  # gives up instead of hanging the request
    assert "could not hand answerable.mail.tasks.drain_outbox to the broker" in caplog.text
