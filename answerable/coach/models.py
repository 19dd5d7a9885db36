"""What the coach said about each sent draft, and what the agent did about it, for coaching reports."""

from django.conf import settings
from django.db import models

from answerable.tickets.models import Message, Ticket


class CoachFinding(models.Model):
    class Outcome(models.TextChoices):
        SENT_ANYWAY = "sent_anyway", "Sent with the finding"
        OVERRIDDEN = "overridden", "Sent after confirming"
        BLOCKED = "blocked", "Send refused"
        FIXED = "fixed", "Fixed with one click"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="coach_findings")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coach_findings"
    )
    check_name = models.CharField(max_length=16)
    quote = models.TextField()
    why = models.TextField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["agent", "created_at"], name="coach_finding_agent")
        ]  # coaching reports

    def __str__(self) -> str:
        return f"{self.check_name}: {self.quote[:40]}"
