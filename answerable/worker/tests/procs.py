"""Real processes for the scale-out and fault tests: Celery workers, db_workers, periodic runners, and
brokers (the shared Redis and RabbitMQ at 127.0.0.1, or a private redis-server).

Other processes must see the test's rows, so these tests need a database another process can open: they
run in the PostgreSQL run (`scripts/run_tests.py postgres`) and are skipped on SQLite's in-memory test
database. A service that does not answer skips the test on a developer machine and fails it in CI
(CI=true), as scripts/run_tests.py does for PostgreSQL. Nothing here sleeps for correctness: `wait_for`
polls a condition with a deadline.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def unavailable(reason: str) -> None:
    """Skip on a developer machine, fail in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)  # polling interval only: correctness never depends on it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database as a URL for another process; skips where other processes cannot open it."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs a database other processes can open: runs in the PostgreSQL run")
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a desk process that shares this test's database and secret."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"BROKER_URL", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DATABASE_URL=database_url(),
        SECRET_KEY=settings.SECRET_KEY,
        ANSWERABLE_DATA_DIR=tempfile.mkdtemp(prefix="answerable-proc-"),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DB_CONN_MAX_AGE="0",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (a Celery worker and its pool children)."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout=20)


@contextmanager
def started(name: str, argv: list[str], env: dict[str, str], *, ready: str | None = None) -> Iterator[Proc]:
    """Start `argv` in its own process group; wait for `ready` in its output; stop it afterwards."""
    log = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log")[1])
    with log.open("wb") as out:
        popen = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    proc = Proc(name, popen, log)
    try:
        if ready is not None:
            wait_for(
                lambda: ready in proc.output() or popen.poll() is not None,
                timeout=45,
                what=f"{name} to start",
            )
            assert popen.poll() is None, f"{name} exited at start:\n{proc.output()[-3000:]}"
        yield proc
    finally:
        if popen.poll() is None:
            os.killpg(popen.pid, signal.SIGTERM)
            try:
                popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, signal.SIGKILL)
                popen.wait(timeout=10)


def celery_worker(env: dict[str, str], *, concurrency: int = 1, name: str = "celery") -> Any:
    node = f"{name}-{uuid.uuid4().hex[:6]}@%h"
    argv = [
        sys.executable, "-m", "celery", "-A", "answerable.worker.celery_app", "worker", "-n", node,
        "-P", "prefork", "-c", str(concurrency), "--without-gossip", "--without-mingle",
        "--without-heartbeat", "-l", "INFO",
    ]  # fmt: skip
    return started(name, argv, env, ready=" ready.")


def manage(name: str, *args: str, env: dict[str, str], ready: str | None = None) -> Any:
    return started(name, [sys.executable, "manage.py", *args], env, ready=ready)


def redis_reachable(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:  # any failure to connect means "not reachable"
        return f"Redis is not reachable at {url}: {exc}"
    return None


def amqp_reachable(url: str) -> str | None:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # any failure to connect means "not reachable"
        return f"RabbitMQ is not reachable at {url}: {exc}"
    return None


@dataclass
class Broker:
    url: str
    prefix: str  # the queue names of this test: nothing shared with other runs on the same broker

    def env(self) -> dict[str, str]:
        return {"BROKER_URL": self.url, "BROKER_QUEUE_PREFIX": self.prefix}


def use_broker(settings_fixture: Any, broker: Broker) -> None:
    """Point this process's job seam at `broker`, as BROKER_URL does at start-up."""
    from answerable.worker import celery_app

    settings_fixture.BROKER_URL = broker.url
    settings_fixture.BROKER_QUEUE_PREFIX = broker.prefix
    settings_fixture.TASKS = {
        "default": {"BACKEND": "answerable.worker.backend.CeleryBackend", "QUEUES": ["default"]}
    }
    celery_app.configure()


@contextmanager
def private_redis() -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A redis-server of our own on a free port: (url, stop, start). Stopping it does not disturb the
    shared one other tests and helpers use."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (apt-get install -y redis-server)")
    port = free_port()
    state: dict[str, subprocess.Popen] = {}

    def start() -> None:
        state["p"] = subprocess.Popen(  # noqa: S603
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for(lambda: redis_reachable(f"redis://127.0.0.1:{port}/0") is None, timeout=10, what="redis")

    def stop() -> None:
        p = state.pop("p", None)
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(timeout=10)

    start()
    try:
        yield f"redis://127.0.0.1:{port}/0", stop, start
    finally:
        stop()
