"""Jobs run only if the transaction that queued them commits, whichever backend runs them."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from answerable.lib import jobs
from answerable.mail.tasks import drain_outbox

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_with_the_database_backend_the_job_row_commits_with_the_data(settings):
    settings.TASKS = DATABASE
    with transaction.atomic():
        jobs.enqueue_on_commit(drain_outbox)
        assert DBTaskResult.objects.count() == 1  # written in the transaction: one commit for both
    assert DBTaskResult.objects.count() == 1
    with pytest.raises(Rollback), transaction.atomic():
        jobs.enqueue_on_commit(drain_outbox)
        raise Rollback
    assert DBTaskResult.objects.count() == 1  # rolled back with the data: never runs


@pytest.mark.django_db(transaction=True)
def test_other_backends_are_called_after_the_commit(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    with transaction.atomic():
        jobs.enqueue_on_commit(drain_outbox)
        assert default_task_backend.results == []
    assert len(default_task_backend.results) == 1
    with pytest.raises(Rollback), transaction.atomic():
        jobs.enqueue_on_commit(drain_outbox)
        raise Rollback
    assert len(default_task_backend.results) == 1
