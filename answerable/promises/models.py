"""SLA policies, and the ledger of every expectation set with a customer."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from answerable.customers.models import Organisation
from answerable.staff.models import Team
from answerable.tickets.models import Message, Priority, Ticket


class SlaPolicy(models.Model):
    """Targets in business time for a team, optionally narrowed to a priority and an organisation.
    The most specific active policy applies (organisation and priority, then organisation, then priority,
    then the team's default; among equals the oldest)."""

    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="sla_policies")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    first_response = models.DurationField(help_text="Business time to the first reply.")
    next_response = models.DurationField(
        null=True, blank=True, help_text="Business time to answer each new message."
    )
    resolution = models.DurationField(null=True, blank=True, help_text="Business time to solve.")
    # The pausing rule, explicit and shown on the ticket: while we wait on the customer, the clocks stop.
    pause_while_pending = models.BooleanField(default=True)
    warn_at = models.FloatField(default=0.75, help_text="Warn when this share of the window has passed.")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_at__gt=0) & Q(warn_at__lt=1), name="sla_warn_between_0_and_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Promise(models.Model):
    class Source(models.TextChoices):
        SLA = "sla", "SLA"
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
        REPLY = "reply", "Reply"
        NOTE = "note", "Note"
        MACRO = "macro", "Macro or lead time"
        ESCALATION = "escalation", "Escalation get-back"
        RECOVERY = "recovery", "Service recovery"

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        NEXT_RESPONSE = "next_response", "Next response"
        GET_BACK = "get_back", "Get back to the customer"
        DELIVERY = "delivery", "Deliver something"
        RESOLUTION = "resolution", "Resolution"
        # Internal: check with the customer that a recovery's fix held. Closed by "Checked", not by a reply.
        FOLLOW_UP = "follow_up", "Follow-up check"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        KEPT = "kept", "Kept"
        BROKEN = "broken", "Broken"
        RESET = "reset", "Reset"
        DROPPED = "dropped", "Dropped"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="promises")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises"
    )
    text = models.TextField(help_text="The promised words, as written, or the target they stand for.")
    source = models.CharField(max_length=16, choices=Source.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises"
    )
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True, help_text="Empty: no time was given.")
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            # promises.sweep: open promises whose due time has come. Partial, so its size is the number open
            # with a time; the sweep reads only the rows already due.
            models.Index(
                fields=["due_at"],
                condition=Q(status="open", paused_at=None, due_at__isnull=False),
                name="promise_open_due",
            ),
            # promises.sweep: open promises to warn about.
            models.Index(
                fields=["warn_at"],
                condition=Q(status="open", paused_at=None, warned_at=None, warn_at__isnull=False),
                name="promise_to_warn",
            ),
            # ticket page and keeping rules: a ticket's open promises.
            models.Index(fields=["ticket", "status"], name="promise_ticket_status"),
            # Promises view: an owner's open promises by due time.
            models.Index(fields=["owner", "due_at"], condition=Q(status="open"), name="promise_owner_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}: {self.text[:40]}"


class Notification(models.Model):
    """A warning for an agent in the console (and by email if they wish)."""

    class Kind(models.TextChoices):
        AT_RISK = "at_risk", "At risk"
        BROKEN = "broken", "Broken"
        ESCALATED = "escalate", "Escalated to you"

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["agent", "-created_at"], condition=Q(read_at=None), name="notification_unread"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["agent", "promise", "kind"], name="notification_once_per_kind"),
        ]

    def __str__(self) -> str:
        return self.text[:60]
