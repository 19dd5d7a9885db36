"""The customer portal's own rows: which teams take requests on the web, and the sign-in links we send."""

from django.core.exceptions import ValidationError
from django.db import models

from answerable.customers.models import Customer
from answerable.staff.models import Team

RESERVED_SLUGS = {"sign-in", "sign-out", "enter", "requests", "rate"}


def validate_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(f"/help/{value}/ is a page of the portal; choose another address.")


class PortalSettings(models.Model):
    """A team's public request form at /help/<slug>/. A team without one has no web form."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="portal")
    slug = models.SlugField(
        max_length=60, unique=True, validators=[validate_slug], help_text="The form's address: /help/<slug>/"
    )
    intro = models.TextField(blank=True, help_text="Shown above the form, as plain text.")
    asks_for_budget = models.BooleanField(default=False)
    asks_for_order_number = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "portal settings"

    def __str__(self) -> str:
        return f"/help/{self.slug}/ ({self.team})"


class LoginLink(models.Model):
    """One sign-in link mailed to a customer. The link carries only this row's id, signed; the row makes it
    expire, work once, and be traceable (who asked, when, whether it was used)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(help_text="The address the link was sent to.")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link {self.pk} for {self.email}"
