"""Start-up checks: the cost-to-serve settings must be amounts, or every account page would fail."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.checks import Error, register


@register()
def cost_settings(app_configs: object = None, **kwargs: object) -> list[Error]:
    errors = []
    for name in ("ACCOUNTS_HOURLY_COST", "ACCOUNTS_COST_PER_MESSAGE"):
        raw = getattr(settings, name, "0")
        try:
            ok = Decimal(str(raw)).is_finite() and Decimal(str(raw)) >= 0
        except InvalidOperation:
            ok = False
        if not ok:
            errors.append(Error(f"{name}={raw!r} is not an amount (e.g. 40 or 12.50).", id="accounts.E001"))
    return errors
