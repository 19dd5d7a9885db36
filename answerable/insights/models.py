"""A cache of business-hour durations, so reports over many tickets do not redo calendar arithmetic.

Each row is one measured duration (docs/metrics.md): a ticket's first response, a reply's next-response
time, or a ticket's resolution, in business time of the ticket's team. Rows are derived data, kept complete
by insights.durations.refresh (run by every report, and by `manage.py insights_refresh`): deleting them
all (and the Progress rows) loses nothing but time.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from answerable.staff.models import Team
from answerable.tickets.models import Message, Ticket


class Duration(models.Model):
    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        NEXT_RESPONSE = "next_response", "Next response"
        RESOLUTION = "resolution", "Resolution"
        # Calendar seconds from creation to the acknowledgement; ended_at is the ticket's creation, the
        # instant the figure is reported by.
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # No index of their own on the foreign keys: the indexes below cover every lookup, and a catch-up over
    # a large history inserts millions of rows.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_index=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", db_index=False)
    # The reply measured (first and next response); none for a resolution.
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # The reply's author (first and next response). A resolution belongs to the ticket's assignee now.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    ended_at = models.DateTimeField()
    # Business time in seconds; NULL for a reply that ended no wait (kept so it is not measured again).
    seconds = models.FloatField(null=True, blank=True)
    # Resolution only, for first-contact resolution: human replies up to the solve, and whether the ticket
    # had been reopened before it.
    replies = models.PositiveIntegerField(null=True, blank=True)
    reopened = models.BooleanField(null=True, blank=True)

    class Meta:
        indexes = [
            # insights.metrics: the durations of one kind that ended in a period.
            models.Index(fields=["kind", "ended_at"], name="duration_kind_ended"),
            # insights.durations: a re-solved ticket's earlier resolution, to replace it.
            models.Index(fields=["ticket", "kind"], name="duration_ticket_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "kind"], condition=Q(message__isnull=False), name="duration_once_per_reply"
            ),
            models.UniqueConstraint(
                fields=["kind", "ticket", "ended_at"],
                condition=Q(message=None),
                name="duration_once_per_solve",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.ticket_id}: {self.seconds}"


class Progress(models.Model):
    """How far insights.durations has read: the last reply (message id) or solve (event id) measured."""

    name = models.CharField(max_length=16, unique=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"
