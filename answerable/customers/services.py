"""Writes to customers and organisations."""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from answerable.customers.models import Customer, CustomerEmail, Organisation, TermsFlag
from answerable.staff.models import Agent


def normalise_address(address: str) -> str:
    address = address.strip()
    validate_email(address)
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


@transaction.atomic
def create_customer(
    *, name: str, emails: Sequence[str], organisation: Organisation | None = None, notes: str = ""
) -> Customer:
    # The same address twice (in any case: addresses are unique without regard to case) is kept once.
    unique: dict[str, str] = {}
    for a in emails:
        unique.setdefault(normalise_address(a).lower(), normalise_address(a))
    addresses = list(unique.values())
    if not addresses:
        raise ValidationError("A customer needs at least one email address.")
    for address in addresses:
        if CustomerEmail.objects.filter(address__iexact=address).exists():
            raise ValidationError(f"{address} already belongs to another customer.")
    customer = Customer.objects.create(
        name=name.strip() or addresses[0], organisation=organisation, notes=notes
    )
    for i, address in enumerate(addresses):
        CustomerEmail.objects.create(customer=customer, address=address, primary=i == 0)
    return customer


def customer_for_address(address: str, *, name: str = "") -> Customer:
    """The customer who owns this address, created on first contact."""
    return find_or_create_customer(address, name=name)[0]


def find_or_create_customer(address: str, *, name: str = "") -> tuple[Customer, bool]:
    """The customer who owns this address, and whether they were created just now (first contact)."""
    address = normalise_address(address)
    # Addresses are unique (case-insensitively): no ORDER BY, which .first() would add.
    emails = CustomerEmail.objects.select_related("customer").filter(address__iexact=address)
    found = next(iter(emails[:1]), None)
    if found:
        return found.customer, False
    # The lookup above is the uniqueness check; the constraint guards against a concurrent first contact.
    with transaction.atomic(savepoint=False):
        customer = Customer.objects.create(name=(name or address.split("@")[0]).strip() or address)
        CustomerEmail.objects.create(customer=customer, address=address, primary=True)
    return customer, True


@transaction.atomic
def set_terms_flag(
    organisation: Organisation, kind: str, *, reason: str, actor: Agent, now: datetime, auto_reply: str = ""
) -> TermsFlag:
    """Set (or replace) a flag. `auto_reply`, when given, is the pre-approved answer new requests of the
    organisation get automatically; only supervisors and admins may set it (the views check)."""
    if kind not in TermsFlag.Kind.values:
        raise ValidationError(f"Unknown terms flag {kind!r}")
    if not reason.strip():
        raise ValidationError("Say why the flag is set: agents read the reason on every ticket.")
    TermsFlag.objects.filter(organisation=organisation, kind=kind, cleared_at=None).update(
        cleared_at=now, cleared_by=actor
    )
    return TermsFlag.objects.create(
        organisation=organisation, kind=kind, reason=reason.strip(), set_by=actor, set_at=now,
        auto_reply=auto_reply.strip(),
    )  # fmt: skip


@transaction.atomic
def clear_terms_flag(flag: TermsFlag, *, actor: Agent, now: datetime) -> None:
    TermsFlag.objects.filter(pk=flag.pk, cleared_at=None).update(cleared_at=now, cleared_by=actor)


@transaction.atomic
def find_or_create_organisation(name: str, *, notes: str = "") -> tuple[Organisation, bool]:
    """The organisation of this name (case-insensitively), created if new: imports from other desks."""
    name = name.strip()[:200]
    if not name:
        raise ValidationError("An organisation needs a name.")
    found = Organisation.objects.filter(name__iexact=name).first()
    if found is not None:
        return found, False
    return Organisation.objects.create(name=name, notes=notes), True
