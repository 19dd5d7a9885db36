"""Organisations and the customers who write to us."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    yearly_value = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="What the account pays a year."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TermsFlag(models.Model):
    """A commercial term agents must honour on every ticket of the organisation."""

    class Kind(models.TextChoices):
        PREPAYMENT_REQUIRED = "prepayment_required", "Prepayment required"
        DECLINE_NEW_WORK = "decline_new_work", "Decline new work"
        CREDIT_HOLD = "credit_hold", "Credit hold"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="terms_flags")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    reason = models.TextField()
    # Pre-approved by the supervisor or admin who set the flag: sent to new requests of the organisation
    # (accounts.services.send_terms_reply). Empty: no automatic reply, agents answer themselves.
    auto_reply = models.TextField(blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            # One active flag of a kind; history stays as cleared rows.
            models.UniqueConstraint(
                fields=["organisation", "kind"], condition=Q(cleared_at=None), name="terms_flag_one_active"
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class Customer(models.Model):
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


class CustomerEmail(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField()
    primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-primary", "id"]
        constraints = [
            # An address belongs to one customer: mail from it finds them (mail.threading).
            models.UniqueConstraint(Lower("address"), name="customer_email_unique_address"),
        ]

    def __str__(self) -> str:
        return self.address
