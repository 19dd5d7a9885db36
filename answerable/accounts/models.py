"""Accounts: agent handling time measured from the console, relationship notes, and avoidance alerts."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from answerable.customers.models import Customer, Organisation
from answerable.tickets.models import Ticket


class HandlingTime(models.Model):
    """Seconds an agent spent with a ticket's page visible and in use, one row per agent, ticket and day
    (UTC). Summed from console heartbeats; gaps longer than the cap (a hidden or idle tab) count nothing."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    seconds = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    last_beat_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "ticket", "day"], name="handling_once_per_day"),
        ]
        indexes = [
            # accounts.queries: handling time of an account's tickets over a period.
            models.Index(fields=["ticket", "day"], name="handling_ticket_day"),
            # accounts.services.heartbeat: the agent's latest beat on the ticket.
            models.Index(fields=["agent", "ticket", "-last_beat_at"], name="handling_last_beat"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} on #{self.ticket_id} {self.day}: {self.seconds}s"


class RelationshipNote(models.Model):
    """An internal note about a customer or an organisation, shown to agents on their tickets. Never sent."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="relationship_notes"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="relationship_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False, customer__isnull=True)
                | Q(organisation__isnull=True, customer__isnull=False),
                name="relationship_note_one_subject",
            )
        ]
        indexes = [
            # ticket panel and account pages: the newest notes of an organisation / a customer.
            models.Index(fields=["organisation", "-created_at"], name="note_org_recent"),
            models.Index(fields=["customer", "-created_at"], name="note_customer_recent"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class AvoidanceAlert(models.Model):
    """An agent is markedly slower with one account than with their others (accounts.avoidance): the
    evidence as measured, for supervisors only."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        REASSIGNED = "reassigned", "Reassigned"
        DISMISSED = "dismissed", "Dismissed"

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The account: an organisation, or a customer who belongs to none.
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    # Evidence (seconds are business time).
    n_account = models.PositiveIntegerField()
    n_other = models.PositiveIntegerField()
    median_account_seconds = models.FloatField()
    median_other_seconds = models.FloatField()
    ratio = models.FloatField()
    difficulty = models.FloatField(default=1.0)
    p_value = models.FloatField()
    threshold = models.FloatField()
    postponements_account = models.PositiveIntegerField(default=0)
    tickets_account = models.PositiveIntegerField(default=0)
    postponements_other = models.PositiveIntegerField(default=0)
    tickets_other = models.PositiveIntegerField(default=0)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False, customer__isnull=True)
                | Q(organisation__isnull=True, customer__isnull=False),
                name="avoidance_alert_one_account",
            ),
            # One open alert per agent and account: a later run updates its evidence. Two constraints, as
            # NULLs never collide in a unique index.
            models.UniqueConstraint(
                fields=["agent", "organisation"],
                condition=Q(status="open", organisation__isnull=False),
                name="avoidance_alert_one_open_org",
            ),
            models.UniqueConstraint(
                fields=["agent", "customer"],
                condition=Q(status="open", customer__isnull=False),
                name="avoidance_alert_one_open_customer",
            ),
        ]
        indexes = [
            # alerts list: the open alerts, newest first.
            models.Index(fields=["status", "-updated_at"], name="avoidance_alert_status"),
        ]

    def __str__(self) -> str:
        return f"agent {self.agent_id} slow with {self.account}"

    @property
    def account(self) -> Organisation | Customer:
        return self.organisation or self.customer

    @property
    def account_key(self) -> str:
        return f"o{self.organisation_id}" if self.organisation_id else f"c{self.customer_id}"
