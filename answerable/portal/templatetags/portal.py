from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def at(value: datetime | None, zone: str) -> str:
    """An absolute time in the customer's zone, "Thu 12 Mar, 17:00", with the zone on hover."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        local.strftime("%A %-d %B %Y, %H:%M ") + zone.replace("_", " "),
        local.strftime("%a %-d %b, %H:%M"),
    )
