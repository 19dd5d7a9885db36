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


@register.simple_tag
def due_badge(ticket: object, now: datetime) -> str:
    """One badge for what we told the customer: neutral, ▲ at risk once 75% of the window is used,
    ● overdue after. The word first, the colour second."""
    due, since = getattr(ticket, "expected_response_at", None), getattr(ticket, "waiting_since", None)
    if due is None or since is None:
        return ""
    if now >= due:
        return format_html(
            '<span class="badge breach">● overdue {}</span>', _span(now - due).removesuffix(" ago")
        )
    window = (due - since).total_seconds()
    state = "risk" if window > 0 and (now - since).total_seconds() >= 0.75 * window else "due"
    mark = "▲ " if state == "risk" else ""
    local = timezone.localtime(due)
    text = _span(now - due) if due - now < timedelta(hours=24) else local.strftime("%a %H:%M")
    return format_html(
        '<span class="badge {}" title="{}">{}{}</span>', state, local.strftime("%a %-d %b %H:%M"), mark, text
    )


@register.simple_tag
def promise_badge(promise: object, now: datetime) -> str:
    """A promise's state in words first: "● overdue 2 h", "▲ in 40 min", "Thu 17:00", "no time given"."""
    due = promise.due_at
    if promise.status == "broken" or (due is not None and now >= due and promise.status == "open"):
        if due is None:
            return format_html('<span class="badge breach">● broken</span>')
        return format_html(
            '<span class="badge breach">● overdue {}</span>', _span(now - due).removesuffix(" ago")
        )
    if promise.status == "kept":
        return format_html('<span class="badge ok">✓ kept</span>')
    if due is None:
        return format_html('<span class="badge due">no time given</span>')
    if promise.paused_at is not None:
        return format_html('<span class="badge due">paused</span>')
    risk = promise.warn_at is not None and now >= promise.warn_at
    local = timezone.localtime(due)
    text = _span(now - due) if due - now < timedelta(hours=24) else local.strftime("%a %-d %b %H:%M")
    return format_html(
        '<span class="badge {}" title="{}">{}{}</span>', "risk" if risk else "due",
        local.strftime("%a %-d %b %Y %H:%M %Z"), "▲ " if risk else "", text,
    )  # fmt: skip


COACH_LABELS = {
    "tone": "Tone", "coverage": "Not answered", "empathy": "Empathy", "form_letter": "Form letter",
    "dont_know": "\u201cI don\u2019t know\u201d", "vague_promise": "No time given", "faceless": "No name",
}  # fmt: skip


@register.filter
def coach_label(check: str) -> str:
    return COACH_LABELS.get(check, check.replace("_", " ").capitalize())


@register.filter
def away_at(agent: object, now: datetime) -> bool:
    """Whether the agent is away at `now` (automatic assignment skips them; the console says so)."""
    return agent.is_away_at(now)
