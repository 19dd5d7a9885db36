"""Times as UI.md §1.4 wants them: relative when recent, a weekday or a date beyond, absolute on hover."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return "just now" if delta.total_seconds() >= 0 else "in under a minute"
    minutes = seconds // 60
    text = (
        f"{minutes} min"
        if minutes < 60
        else f"{minutes // 60} h"
        if minutes < 24 * 60
        else f"{minutes // 1440} d"
    )
    return f"{text} ago" if delta.total_seconds() >= 0 else f"in {text}"


@register.simple_tag
def when(value: datetime | None, now: datetime | None = None) -> str:
    """<time> with relative text under 24 h, "Fri 15:04" within a week, "12 Mar" beyond; absolute in title."""
    if value is None:
        return ""
    now = now or timezone.now()
    local = timezone.localtime(value)
    delta = now - value
    if abs(delta) < timedelta(hours=24):
        text = _span(delta)
    elif abs(delta) < timedelta(days=7):
        text = local.strftime("%a %H:%M")
    else:
        text = (
            local.strftime("%-d %b %Y")
            if local.year != timezone.localtime(now).year
            else local.strftime("%-d %b")
        )
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        local.strftime("%a %-d %b %Y, %H:%M %Z"),
        text,
    )


@register.simple_tag
def waited(value: datetime | None, now: datetime) -> str:
    """How long the customer has waited on us: "3 h", "2 d"; blank once we spoke last."""
    if value is None:
        return ""
    return _span(now - value).removesuffix(" ago").replace("just now", "<1 min")


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key)
