"""Tickets, their messages and attachments, and the audit trail of who did what."""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q

from answerable.customers.models import Customer
from answerable.staff.models import Team


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    ON_HOLD = "on_hold", "On hold"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


# Statuses a ticket can be worked in; the inbox views show these.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
_ACTIVE = Q(status__in=[s.value for s in ACTIVE_STATUSES])


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    subject = models.CharField(max_length=300)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    created_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField()
    # Since when the customer has been waiting on us: set by their message, cleared by our reply.
    waiting_since = models.DateTimeField(null=True, blank=True)
    # The honest expected time of first response told to the customer in the acknowledgement.
    expected_response_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # console.queries.inbox_page: "all open", newest activity first (and its reverse).
            models.Index(fields=["last_activity_at", "id"], condition=_ACTIVE, name="ticket_active_activity"),
            # inbox: "my teams", "unassigned" and the team filter.
            models.Index(
                fields=["team", "last_activity_at", "id"], condition=_ACTIVE, name="ticket_active_team"
            ),
            # inbox: "mine" and the assignee filter.
            models.Index(
                fields=["assignee", "last_activity_at", "id"],
                condition=_ACTIVE,
                name="ticket_active_assignee",
            ),
            # inbox with an explicit status filter (solved, closed ...).
            models.Index(fields=["status", "last_activity_at", "id"], name="ticket_status_activity"),
            # inbox "Waiting on us": the longest wait first.
            models.Index(
                fields=["waiting_since", "id"],
                condition=_ACTIVE & Q(waiting_since__isnull=False),
                name="ticket_active_waiting",
            ),
            # customer card: the customer's other tickets.
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_history"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Message(models.Model):
    class Kind(models.TextChoices):
        INBOUND = "inbound", "From the customer"
        OUTBOUND = "outbound", "Reply"
        NOTE = "note", "Internal note"

    class Delivery(models.TextChoices):
        NOT_APPLICABLE = "", "-"
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(blank=True)
    # The new text of an inbound reply, without quotes and signature (mail.reply_text); "" when the same.
    new_text = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="Sanitised with nh3 when stored; safe to display.")
    raw = models.BinaryField(null=True, blank=True, editable=False, help_text="Inbound source as received.")
    # NULL, not "", for "none": the unique constraints below must ignore messages without one.
    message_id = models.CharField(max_length=998, null=True, blank=True)  # noqa: DJ001
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    delivery = models.CharField(max_length=8, choices=Delivery.choices, default="", blank=True)
    delivery_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # Outbox: a queued outbound message is sent by mail.outbox with retries; the lease stops two senders
    # from taking the same message, and expires so a crashed sender's message is tried again.
    automatic = models.BooleanField(default=False, help_text="Sent by the desk itself (acknowledgements).")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What could not be read cleanly in an inbound message (bad charset, broken MIME ...): shown as a flag.
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            # tickets.queries.thread: a ticket's messages in order.
            models.Index(fields=["ticket", "created_at", "id"], name="message_thread"),
            # mail.outbox.claim_due: queued messages by due time.
            models.Index(
                fields=["next_attempt_at"], condition=Q(delivery="queued"), name="message_outbox_due"
            ),
            # accounts.services.detect_avoidance and the insights reports: a period's messages.
            models.Index(fields=["created_at"], name="message_created"),
        ]
        constraints = [
            # The same mail delivered twice is stored once (mail ingestion, threading by Message-ID).
            models.UniqueConstraint(fields=["message_id"], condition=Q(message_id__isnull=False),
                                    name="message_unique_message_id"),
            # A double-clicked send makes one reply.
            models.UniqueConstraint(fields=["idempotency_key"], condition=Q(idempotency_key__isnull=False),
                                    name="message_unique_idempotency_key"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    """Stored under a random name: the customer's filename is data (kept in `filename`), never a path."""
    suffix = "".join(c for c in Path(filename).suffix[:10] if c.isalnum() or c == ".")
    return f"attachments/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{suffix.lower()}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return self.filename


class Event(models.Model):
    """The audit trail: every state change of a ticket, written by the service that made it."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        MESSAGE_RECEIVED = "message_received", "Message received"
        REPLIED = "replied", "Replied"
        NOTE_ADDED = "note_added", "Note added"
        ASSIGNED = "assigned", "Assigned"
        STATUS_CHANGED = "status_changed", "Status changed"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        TAGS_CHANGED = "tags_changed", "Tags changed"
        DELIVERY = "delivery", "Delivery"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        PROMISE_MADE = "promise_made", "Promise made"
        PROMISE_KEPT = "promise_kept", "Promise kept"
        PROMISE_BROKEN = "promise_broken", "Promise broken"
        PROMISE_RESET = "promise_reset", "Expectation reset"
        PROMISE_DROPPED = "promise_dropped", "Promise dropped"
        PROMISE_PAUSED = "promise_paused", "SLA paused"
        PROMISE_RESUMED = "promise_resumed", "SLA resumed"
        ESCALATED = "escalated", "Escalated"
        ESCALATION_ANSWERED = "escalation_answered", "Escalation answered"
        HANDED_BACK = "handed_back", "Handed back"
        TERMS_REPLY = "terms_reply", "Terms reply sent"
        RECOVERY_STARTED = "recovery_started", "Service recovery started"
        RECOVERY_ENDED = "recovery_ended", "Service recovery ended"
        COMPLAINED = "complained", "Complaint received"
        SURVEY_SENT = "survey_sent", "Survey sent"
        RATED = "rated", "Rated"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ticket", "at"], name="event_ticket_at")]  # ticket page: history

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"


class Macro(models.Model):
    """A canned reply. Placeholders: {{ customer.first_name }}, {{ customer.name }}, {{ agent.name }},
    {{ agent.first_name }}, {{ ticket.reference }}, {{ ticket.subject }}, {{ team.name }}."""

    name = models.CharField(max_length=100)
    body = models.TextField()
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="macros",
        help_text="Empty: available to every team.",
    )  # fmt: skip
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Presence(models.Model):
    """Who has a ticket open, and whether they are drafting: for the collision notice. Not audited."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    drafting_since = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "agent"], name="presence_once")]
        indexes = [models.Index(fields=["ticket", "seen_at"], name="presence_ticket_seen")]

    def __str__(self) -> str:
        return f"{self.agent_id} on #{self.ticket_id}"


class Escalation(models.Model):
    """A ticket handed up to a supervisor or a second-tier team, with a get-back promise to the customer.

    Waiting: the supervisor or team has it. Handed back: the escalating agent has guidance and the ticket.
    Answered: the customer has had a reply; only that closes an escalation (tickets.escalation.on_reply).
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        HANDED_BACK = "handed_back", "Handed back"
        ANSWERED = "answered", "Answered"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations")
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # PROTECT: the target is what the escalation is about (deactivate people, don't delete them).
    to_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.WAITING)
    promise = models.ForeignKey(
        "promises.Promise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    holding_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    guidance = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    handed_back_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            # ticket page and tickets.escalation.on_reply: a ticket's escalations not yet answered.
            models.Index(fields=["ticket"], condition=Q(closed_at=None), name="escalation_open_ticket"),
            # Escalations view: waiting on a supervisor, oldest first.
            models.Index(
                fields=["to_agent", "created_at"],
                condition=Q(status="waiting"),
                name="escalation_waiting_agent",
            ),
            # Escalations view: waiting on a team, oldest first.
            models.Index(
                fields=["to_team", "created_at"],
                condition=Q(status="waiting"),
                name="escalation_waiting_team",
            ),
        ]
        constraints = [
            # Somebody must have it.
            models.CheckConstraint(
                condition=Q(to_agent__isnull=False) | Q(to_team__isnull=False), name="escalation_has_target"
            ),
            # One escalation waiting at a time per ticket: a second would split the answer.
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(status="waiting"), name="escalation_one_waiting"
            ),
        ]

    def __str__(self) -> str:
        return f"Escalation of #{self.ticket_id} ({self.status})"


class Recovery(models.Model):
    """Service recovery after we failed a customer: a broken promise or a complaint.

    The playbook: own the failure, apologise, fix, set a new expectation (`promise`), and check back after
    it is due (`follow_up`, a promise of kind follow-up). The outcome is the new expectation's: kept or
    broken.
    """

    class Reason(models.TextChoices):
        BROKEN_PROMISE = "broken_promise", "A promise was broken"
        COMPLAINT = "complaint", "The customer complained"

    class Outcome(models.TextChoices):
        NONE = "", "Not yet known"
        KEPT = "kept", "Kept"
        BROKEN = "broken", "Broken"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="recoveries")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    detail = models.TextField(blank=True, help_text="The complaint's words, or the broken promise's text.")
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    broken_promise = models.ForeignKey(
        "promises.Promise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promise = models.ForeignKey(
        "promises.Promise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The new expectation set with the customer.",
    )  # fmt: skip
    follow_up = models.ForeignKey(
        "promises.Promise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default="", blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # ticket page, sweep and replies: a ticket's open recovery.
            models.Index(fields=["ticket"], condition=Q(closed_at=None), name="recovery_open_ticket"),
            # reports: recoveries started in a period.
            models.Index(fields=["started_at"], name="recovery_started"),
        ]
        constraints = [
            # One recovery at a time per ticket: a second failure joins the open one.
            models.UniqueConstraint(fields=["ticket"], condition=Q(closed_at=None), name="recovery_one_open"),
        ]

    def __str__(self) -> str:
        return f"Recovery on #{self.ticket_id} ({self.reason})"
