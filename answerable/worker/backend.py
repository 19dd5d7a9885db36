"""A django-tasks backend that hands jobs to Celery (settings.TASKS when BROKER_URL is set)."""

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.exceptions import InvalidTaskError
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id, normalize_json
from kombu.exceptions import OperationalError as KombuOperationalError

log = logging.getLogger(__name__)


class CeleryBackend(BaseTaskBackend):
    """Publishes `answerable.run_task(path, args, kwargs)` on the queue named after the task's queue.

    Results are not kept (jobs report through the database), so `get_result` is not supported.
    """

    supports_defer = True

    def validate_task(self, task: Task) -> None:
        super().validate_task(task)
        if task.takes_context:
            raise InvalidTaskError("The Celery backend does not pass a task context.")

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        from answerable.worker.celery_app import run_task

        self.validate_task(task)
        result = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=normalize_json(args),
            kwargs=normalize_json(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        try:
            run_task.apply_async(
                args=[task.module_path, result.args, result.kwargs],
                task_id=result.id,
                queue=settings.BROKER_QUEUE_PREFIX + task.queue_name,
                eta=task.run_after,
            )
        except (KombuOperationalError, OSError):
            # The broker is away (restarting, unreachable) and the caller's data has committed: failing now
            # would turn a saved reply into an error page. Jobs only hasten work whose state is in the
            # database; the periodic runner picks it up (the outbox drain runs every 2 s).
            log.exception("could not hand %s to the broker; the periodic runner catches up", task.module_path)
            return result
        task_enqueued.send(type(self), task_result=result)
        return result
