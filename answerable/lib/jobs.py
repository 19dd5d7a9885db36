"""The one seam between services and background work.

Services queue jobs here, after their transaction commits, so a rolled-back change never sends mail.
Embedded mode runs them on django-tasks' database worker; scale-out will route the same calls to Celery.
"""

from typing import Any

from django.db import transaction
from django_tasks.base import Task


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
