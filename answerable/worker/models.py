from django.db import models


class Lease(models.Model):
    """One periodic job's turn, shared by every periodic runner on every machine.

    A runner may start the job only when it is due (`due_at` passed) and nobody holds it (`held_until` empty
    or passed); taking it is one conditional UPDATE, so of several runners exactly one wins each period. A
    runner that dies while holding it blocks the job only until `held_until`.
    """

    name = models.CharField(max_length=100, primary_key=True)
    due_at = models.DateTimeField()
    held_until = models.DateTimeField(null=True, blank=True)
    holder = models.CharField(max_length=200, blank=True)  # host:pid of the runner, for the logs and admins
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
