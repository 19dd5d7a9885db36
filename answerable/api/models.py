"""API tokens, and the record of what was imported from other help desks."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 digest is stored: the token is shown once, at creation.

    A token acts as its agent, with the agent's permissions, narrowed by its scopes. An integration's token
    belongs to a service agent made for it (no password, so it cannot log in to the console).
    """

    class Kind(models.TextChoices):
        AGENT = "agent", "Agent"
        INTEGRATION = "integration", "Integration"

    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'CRM sync'.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.AGENT)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    # The token's first characters, shown in lists and used to find the row; never enough to use it.
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    rate_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests a minute; empty: API_RATE_LIMIT_PER_MINUTE."
    )
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ImportedRecord(models.Model):
    """One object brought in from another help desk, by its id there: a re-run finds it and skips it."""

    source = models.CharField(max_length=32)  # "zendesk"
    kind = models.CharField(max_length=32)  # "ticket", "comment", "user", "organization"
    external_id = models.CharField(max_length=64)
    # What it became here: "tickets.ticket", "tickets.message", "customers.customer", ... and its pk.
    model = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "external_id"], name="imported_record_once"),
        ]
        indexes = [
            # "what was imported as this object" (the ticket page may show "imported from Zendesk #123").
            models.Index(fields=["model", "object_id"], name="imported_record_object"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.external_id}"
