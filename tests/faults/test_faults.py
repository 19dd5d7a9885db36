"""Parts fail while mail flows, and nothing is lost or doubled: a worker killed mid-send, the SMTP server
away for a while, the database dropping every connection, the broker restarting.

Each test runs real processes (Celery or db_worker, the periodic runner, the mail receiver) on the test's
PostgreSQL database, so it runs in the PostgreSQL run; each is bounded (timeouts well under 60 s) and
waits by polling, never by sleeping. Afterwards the invariant is checked against a real SMTP server:
every outbound message is sent exactly once (or failed with a reason), every inbound one stored once.

Timing knobs are shortened for the child processes (FAST): a 3 s outbox lease, 1 s first retry.
"""

import threading
from collections import Counter
from email.message import EmailMessage

import pytest
from django.db import connection

from answerable.lib import clock
from answerable.tickets import services
from answerable.tickets.models import Message
from answerable.worker.tests.procs import (
    Broker,
    celery_worker,
    free_port,
    manage,
    private_redis,
    process_env,
    use_broker,
    wait_for,
)
from tests.faults.conftest import MailServer, deliver

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

FAST = {"OUTBOX_LEASE_SECONDS": "3", "OUTBOX_RETRY_SECONDS": "1", "EMAIL_TIMEOUT": "2"}
OUTBOUND = Message.objects.filter(kind=Message.Kind.OUTBOUND)


def replies(world, n: int, label: str) -> list[Message]:
    return [
        services.reply(world.billing_ticket, agent=world.alice, text=f"{label} {i}.", now=clock.now())
        for i in range(n)
    ]


def settled() -> bool:
    return not OUTBOUND.filter(delivery=Message.Delivery.QUEUED).exists()


def assert_each_outbound_sent_exactly_once(server: MailServer) -> None:
    failed = OUTBOUND.filter(delivery=Message.Delivery.FAILED)
    assert all(failed.values_list("delivery_error", flat=True)), "a failed message must say why"
    sent = OUTBOUND.filter(delivery=Message.Delivery.SENT).values_list("message_id", flat=True)
    assert server.received == Counter(set(sent)), "sent twice, or sent but not recorded"
    assert len(sent) + failed.count() == OUTBOUND.count()


@pytest.mark.parametrize("worker_kind", ["celery", "db_worker"])
def test_a_worker_killed_mid_send_leaves_the_message_to_another_sender_who_sends_it_once(
    worker_kind, request, settings, world, mail_server
):
    env = process_env(EMAIL_URL=mail_server.url, **FAST)
    if worker_kind == "celery":
        broker = request.getfixturevalue("redis_broker")
        use_broker(settings, broker)
        env.update(broker.env())
        worker = celery_worker(env)
    else:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
        worker = manage("db_worker", "db_worker", "--queue-name", "default", "--interval", "0.1",
                        env=env, ready="Starting worker")  # fmt: skip
    mail_server.stall_next()  # the first DATA hangs: the worker is mid-send when it dies
    with worker as w:
        sent = replies(world, 4, "Refund")
        wait_for(mail_server.stalled.is_set, timeout=30, what=f"a send to begin\n{w.output()[-2000:]}")
        w.kill()
    mail_server.release()
    interrupted = OUTBOUND.get(delivery=Message.Delivery.QUEUED, lease_until__isnull=False, attempts=1)

    with manage("periodic", "periodic", env=env):  # another machine's runner drains the outbox
        wait_for(settled, timeout=40, what="the outbox to drain")
    assert_each_outbound_sent_exactly_once(mail_server)
    assert set(OUTBOUND.values_list("delivery", flat=True)) == {Message.Delivery.SENT}
    interrupted.refresh_from_db()
    assert interrupted.attempts == 2 and interrupted.pk in {m.pk for m in sent}


def test_mail_waits_while_the_smtp_server_is_down_and_is_sent_once_when_it_returns(
    settings, world, mail_server, redis_broker
):
    env = process_env(EMAIL_URL=mail_server.url, **FAST, **redis_broker.env())
    use_broker(settings, redis_broker)
    mail_server.stop()
    with celery_worker(env), manage("periodic", "periodic", env=env):
        sent = replies(world, 5, "Shipping update")
        # Every message was tried against the missing server and tried again after its backoff.
        wait_for(lambda: OUTBOUND.filter(attempts__gte=2).count() == 5, timeout=30, what="retries")
        assert all("Connection" in e for e in OUTBOUND.values_list("delivery_error", flat=True))
        assert settled() is False and not mail_server.received
        mail_server.start()
        wait_for(settled, timeout=40, what="the outbox to drain once the server is back")
    assert_each_outbound_sent_exactly_once(mail_server)
    assert len(mail_server.received) == len(sent) == 5


def _drop_every_other_connection() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def inbound(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Customer {n} <customer{n}@outside.example>"
    msg["To"] = "billing@desk.example"
    msg["Subject"] = f"Where is order {1000 + n}?"
    msg["Message-ID"] = f"<fault-{n}@outside.example>"
    msg.set_content(f"Hello, order {1000 + n} has not arrived.\n")
    return msg.as_bytes()


def test_dropped_database_connections_lose_and_double_nothing(settings, world, mail_server, redis_broker):
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    env = process_env(EMAIL_URL=mail_server.url, **FAST, **redis_broker.env())
    use_broker(settings, redis_broker)
    port, count = free_port(), 30
    stored = Message.objects.filter(kind=Message.Kind.INBOUND, message_id__startswith="<fault-")
    receiver = manage("mail", "mail_receiver", "--port", str(port), env=env, ready="listening on")
    with receiver, celery_worker(env, concurrency=2), manage("periodic", "periodic", env=env):
        errors: list[BaseException] = []
        tries: list[int] = []

        def send_all() -> None:
            try:
                for n in range(count):
                    tries.append(deliver(port, inbound(n), "billing@desk.example"))
            except BaseException as exc:  # reported by the test below
                errors.append(exc)

        sender = threading.Thread(target=send_all)
        sender.start()
        dropped = 0
        for threshold in (5, 12, 20):
            wait_for(lambda t=threshold: stored.count() >= t, timeout=40, what=f"{threshold} messages stored")
            replies(world, 3, f"Answer at {threshold}")
            dropped += _drop_every_other_connection()
        sender.join(timeout=50)
        assert not sender.is_alive() and not errors, errors
        wait_for(settled, timeout=40, what="the outbox to drain")
    assert dropped >= 3  # the faults hit live connections
    assert Counter(stored.values_list("message_id", flat=True)) == Counter(
        f"<fault-{n}@outside.example>" for n in range(count)
    )
    assert_each_outbound_sent_exactly_once(mail_server)
    assert OUTBOUND.filter(automatic=False).count() == 9
    retried = OUTBOUND.filter(attempts__gt=1).count()
    print(f"connections dropped: {dropped}; inbound deliveries retried: {sum(tries) - count}; "
          f"outbound sent {len(mail_server.received)}, {retried} of them after a retry")  # fmt: skip


def test_a_broker_restart_loses_no_mail(settings, world, mail_server):
    with private_redis() as (url, stop_redis, start_redis):
        broker = Broker(url, "answerable-fault.")
        env = process_env(EMAIL_URL=mail_server.url, **FAST, **broker.env())
        use_broker(settings, broker)
        with celery_worker(env) as worker, manage("periodic", "periodic", env=env):
            replies(world, 3, "Before")
            wait_for(settled, timeout=30, what="the first replies to be sent")
            stop_redis()
            during = replies(world, 3, "While the broker is away")  # stored; their jobs are lost
            assert len(during) == 3
            start_redis()
            replies(world, 3, "After")
            wait_for(settled, timeout=40, what="every reply to be sent")
            # The worker reconnected to the new broker and ran the jobs queued after the restart.
            wait_for(lambda: worker.output().count("answerable.run_task") >= 6, timeout=20, what="jobs")
    assert_each_outbound_sent_exactly_once(mail_server)
    assert len(mail_server.received) == 9
