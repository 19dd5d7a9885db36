"""The one seam between services and background work.

Services queue jobs here so that a job runs only if their transaction commits: a rolled-back change never
sends mail. Embedded mode runs them on django-tasks' database worker; with BROKER_URL set the same calls go
to Celery (answerable/worker/backend.py), so service code has one way to queue work.
"""

from typing import Any

from django.db import connection, router, transaction
from django_tasks.base import Task


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Queue `task` to run after the current transaction commits.

    With the database backend on the same database, the job's row is written inside the transaction: it
    commits or rolls back with the data, and the worker cannot see it before. That is one commit instead of
    two (on PostgreSQL, one flush to disk instead of two). Any other backend (Celery, the inline backend the
    tests use) is called once the transaction has committed.

    With a broker, publishing can fail (the broker is restarting) after the data committed: the Celery
    backend logs that instead of raising, so the user's request succeeds (see worker/backend.py).
    """
    if connection.in_atomic_block and _writes_with_the_data(task):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def _writes_with_the_data(task: Task) -> bool:
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # the database backend is not installed
        return False
    backend = task.get_backend()
    return isinstance(backend, DatabaseBackend) and router.db_for_write(DBTaskResult) == connection.alias
