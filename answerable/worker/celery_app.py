"""The Celery application: `celery -A answerable.worker.celery_app worker`.

Service code never calls Celery: it queues django-tasks `@task()` functions through
`lib.jobs.enqueue_on_commit`, and with BROKER_URL set the `CeleryBackend` (backend.py) hands each one to the
broker as a call of `answerable.run_task` with the task's import path. So there is one way to write and
queue a job, and the same job runs on `db_worker` in embedded mode.

Jobs hold no state of their own: they take ids and re-read the database, where the durable state lives
(the outbox's queued rows, the promises due). A message lost with a broker, or a job run twice after a
worker died, therefore loses and doubles nothing; the periodic runner's outbox drain catches up.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "answerable.settings")

app = Celery("answerable")


def configure() -> None:
    """Read the broker settings (at import; tests call it again after changing them)."""
    from django.conf import settings

    app.conf.update(
        broker_url=settings.BROKER_URL or "memory://",
        broker_connection_retry_on_startup=True,
        # A web request publishing while the broker is away gives up after about 2 s instead of hanging
        # (the job's work is picked up by the periodic runner); workers keep reconnecting.
        broker_connection_timeout=2,
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        task_default_queue=settings.BROKER_QUEUE_PREFIX + "default",
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # Acknowledge after the job ran, and give a job back to the broker when the process running it
        # died: a worker killed mid-job means the job runs again elsewhere (jobs are safe to repeat).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        # Redis hands an unacknowledged job to another worker after this (RabbitMQ at once when the
        # connection drops). The outbox's own lease and the periodic drain cover the gap.
        broker_transport_options={"visibility_timeout": settings.BROKER_VISIBILITY_TIMEOUT},
        timezone="UTC",
    )

    if app._pool is not None:  # tests switch brokers: forget the connections to the old one
        from kombu import pools

        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None


configure()


@app.task(name="answerable.run_task")
def run_task(path: str, args: list, kwargs: dict) -> None:
    """Run the django-tasks task at `path`. Only a `@task()` function may be named: a message on the
    broker cannot call any other function of the code base."""
    from django.utils.module_loading import import_string
    from django_tasks.base import Task

    task = import_string(path)
    if not isinstance(task, Task):
        raise TypeError(f"{path} is not a django-tasks task")
    task.call(*args, **kwargs)
