import contextlib
import uuid
from collections.abc import Iterator

import pytest

from answerable.mail.tests.smtp_capture import smtp_capture  # noqa: F401 (a fixture for this folder)
from answerable.worker.tests.procs import (
    AMQP_URL,
    REDIS_URL,
    Broker,
    amqp_reachable,
    redis_reachable,
    unavailable,
)


def make_broker(kind: str) -> Broker:
    """The shared Redis (a db number of its own) or RabbitMQ, with queue names no other run uses."""
    prefix = f"answerable-test-{uuid.uuid4().hex[:8]}."
    url = f"{REDIS_URL}/13" if kind == "redis" else AMQP_URL
    problem = redis_reachable(url) if kind == "redis" else amqp_reachable(url)
    if problem:
        unavailable(problem)
    return Broker(url, prefix)


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request) -> Iterator[Broker]:
    broker = make_broker(request.param)
    yield broker
    _purge(broker)


@pytest.fixture
def redis_broker() -> Iterator[Broker]:
    broker = make_broker("redis")
    yield broker
    _purge(broker)


def _purge(broker: Broker) -> None:
    """Delete this test's queues so nothing is left on the shared broker."""
    from kombu import Connection

    # Never declared, or the broker went away: nothing to clean.
    with contextlib.suppress(Exception), Connection(broker.url, connect_timeout=3) as conn:
        conn.default_channel.queue_delete(broker.prefix + "default")
