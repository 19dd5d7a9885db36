"""A cache of business-hour durations, so reports over many tickets do not redo calendar arithmetic.

Each row is one measured duration (docs/metrics.md): a ticket's first response, a reply that ended a wait,
or a ticket's resolution, with its business time in the ticket's team calendar. Rows are derived data: the
metrics fill in what is missing when a report is read, check each row against the ticket (a reopened and
re-solved ticket has a new solve time, so its old resolution row no longer matches and is replaced), and
deleting them all loses nothing but time.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from answerable.tickets.models import Message, Ticket


class Duration(models.Model):
    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        NEXT_RESPONSE = "next_response", "Next response"
        RESOLUTION = "resolution", "Resolution"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    # The reply that ended the wait (next response only).
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Who the duration belongs to when that cannot change: the first reply's or the reply's author.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField()
    # Business time in seconds; NULL for a reply that ended no wait (stored so it is not looked at again).
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [
            # insights.metrics: the durations that ended in a period, of one kind.
            models.Index(fields=["kind", "ended_at"], name="duration_kind_ended"),
            # insights.metrics: "is this ticket's duration cached?" (the anti-join before filling).
            models.Index(fields=["ticket", "kind"], name="duration_ticket_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "ticket", "ended_at"],
                condition=Q(message=None),
                name="duration_once_per_ticket",
            ),
            models.UniqueConstraint(
                fields=["message"], condition=Q(message__isnull=False), name="duration_once_per_reply"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.ticket_id}: {self.seconds}"
