"""Formatting for the account pages."""

from django import template

register = template.Library()


@register.filter
def duration(seconds: float | int | None) -> str:
    """Seconds as "2 h 05 min", "12 min" or "40 s"."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


@register.filter
def pvalue(value: float) -> str:
    return f"{value:.1e}" if value < 0.001 else f"{value:.3f}"


@register.filter
def get_item(mapping: dict, key: object) -> object:
    return mapping.get(key)
