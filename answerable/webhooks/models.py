"""Webhook subscriptions, and the log of every delivery and attempt."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from answerable.staff.models import Team

EVENTS = {
    "ticket.created": "A ticket was opened (by mail, the API or the console).",
    "message.received": "A customer wrote: every inbound message, a new ticket's first one included.",
    "promise.at_risk": "A promise is near its due time (the owner was warned).",
    "promise.broken": "A promise's due time passed.",
    "rating.received": "A customer rated a solved ticket (or changed their rating).",
}


class Subscription(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500, help_text="Where events are POSTed (https in production).")
    # Kept as is, not hashed: every delivery is signed with it (HMAC-SHA256), and receivers hold it too.
    secret = models.CharField(max_length=100, editable=False)
    events = models.JSONField(default=list, help_text=f"Any of: {', '.join(EVENTS)}")
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Only this team's tickets; empty: every team.",
    )
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One event for one subscription, tried until it is delivered or its attempts run out."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32)
    # The same for every subscription's copy of one event: receivers de-duplicate on it.
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            # deliver.claim_due: pending deliveries by due time.
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"
            ),
            # the delivery log of a subscription, newest first.
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription_id} ({self.status})"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["delivery", "at"], name="webhook_attempt_delivery")]  # the log

    def __str__(self) -> str:
        return f"{self.status_code or self.error[:30]} at {self.at}"
