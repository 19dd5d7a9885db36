"""Satisfaction: the customer's good / bad rating of a solved ticket, with an optional comment."""

from django.conf import settings
from django.db import models

from answerable.customers.models import Customer, Organisation
from answerable.tickets.models import Ticket


class Rating(models.Model):
    """One rating per solve of a ticket: a customer who clicks again changes it, a reopened and
    solved-again ticket can be rated again. Agent and organisation are copied at rating time so
    reports per agent and account do not move when the ticket is reassigned later."""

    class Score(models.TextChoices):
        GOOD = "good", "Good"
        BAD = "bad", "Bad"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ratings")
    solved_at = models.DateTimeField(help_text="the solve being rated")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ratings")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    score = models.CharField(max_length=4, choices=Score.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "solved_at"], name="rating_once_per_solve")]
        indexes = [
            # reports: ratings per agent / per account over a period
            models.Index(fields=["agent", "created_at"], name="rating_agent_at"),
            models.Index(fields=["organisation", "created_at"], name="rating_org_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.score}"
