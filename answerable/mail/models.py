"""Mailboxes we poll, and mail we could not file as a ticket message."""

from django.db import models

from answerable.staff.models import Team


class Mailbox(models.Model):
    """An IMAP mailbox polled for a team. A message is flagged seen (or moved) only after it is stored."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="mailboxes")
    name = models.CharField(max_length=100)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    use_ssl = models.BooleanField(default=True)
    username = models.CharField(max_length=255)
    password = models.CharField(max_length=255)
    folder = models.CharField(max_length=255, default="INBOX")
    move_to = models.CharField(
        max_length=255, blank=True, help_text="Move stored mail here; empty: mark it seen."
    )
    active = models.BooleanField(default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.username}@{self.host})"


class QuarantinedMail(models.Model):
    """Mail that reached us but could not become a ticket message (no usable sender, no team). Kept raw,
    with the reason, so nothing is lost and an admin can see it."""

    raw = models.BinaryField()
    reason = models.TextField()
    source = models.CharField(max_length=255, help_text="smtp, a mailbox, or an import file.")
    received_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64, unique=True)  # the same bytes are quarantined once

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.reason[:60]}"
