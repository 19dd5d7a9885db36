"""Webhooks: which events are wanted (cheaply), subscriptions, payloads, delivery with retries, disabling.

The ticket and promise services call `on_event` / `on_promises` inside their transactions. With no
subscription for the event that is a set lookup (the subscribed events are cached per process for
SUBSCRIBED_TTL); otherwise one job is queued on commit, which builds the payload once and writes one
Delivery per subscription. The worker delivers them: signed POSTs, retried with exponential backoff; a
subscription that keeps failing is disabled and the admins are told.
"""

import contextlib
import functools
import json
import logging
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q

from answerable.lib import jobs
from answerable.staff.models import Agent, Team
from answerable.webhooks.models import EVENTS, Attempt, Delivery, Subscription
from answerable.webhooks.signing import signature

if TYPE_CHECKING:
    import urllib.request

    from answerable.promises.models import Promise
    from answerable.tickets.models import Event, Ticket

logger = logging.getLogger(__name__)

SUBSCRIBED_TTL = 30.0  # seconds a process trusts its cached set of subscribed events
LEASE = timedelta(minutes=2)  # a delivery claimed by a worker that died is tried again after this
USER_AGENT = "Answerable-Webhooks/1"


def max_attempts() -> int:
    return getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 10)


def disable_after() -> int:
    return getattr(settings, "WEBHOOK_DISABLE_AFTER", 50)


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: 1 min, 2, 4, ... doubling, at most 6 hours (10 attempts span ~8.5 h)."""
    base = getattr(settings, "WEBHOOK_BACKOFF_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 6 * 3600))


# --- which events are wanted ---------------------------------------------------------------------------

_subscribed: tuple[float, frozenset[str]] | None = None
_muted = threading.local()


@contextlib.contextmanager
def muted() -> Iterator[None]:
    """No webhooks for what happens inside (imports of another desk's history are not news)."""
    before = getattr(_muted, "on", False)
    _muted.on = True
    try:
        yield
    finally:
        _muted.on = before


def subscribed_events() -> frozenset[str]:
    global _subscribed
    now = time.monotonic()
    if _subscribed is None or now >= _subscribed[0]:
        names: set[str] = set()
        for events in Subscription.objects.filter(active=True).values_list("events", flat=True):
            names.update(events)
        _subscribed = (now + SUBSCRIBED_TTL, frozenset(names))
    return _subscribed[1]


def forget_subscriptions() -> None:
    """Subscriptions changed: read them again on the next event (this process at once, others within
    SUBSCRIBED_TTL)."""
    global _subscribed
    _subscribed = None


@functools.cache
def _event_names() -> dict[str, str]:
    from answerable.tickets.models import Event

    return {
        Event.Kind.CREATED: "ticket.created",
        Event.Kind.MESSAGE_RECEIVED: "message.received",
        Event.Kind.RATED: "rating.received",
    }


def on_event(event: "Event") -> None:
    """A ticket Event was recorded: queue its webhook deliveries on commit, if anyone subscribed."""
    name = _event_names().get(event.kind)
    if name is None or getattr(_muted, "on", False) or name not in subscribed_events():
        return
    from answerable.webhooks.tasks import fan_out_event

    jobs.enqueue_on_commit(fan_out_event, name, event.pk)


def on_promises(promises: Sequence["Promise"], name: str) -> None:
    """Promises became at risk (promise.at_risk) or broke (promise.broken) in the sweep."""
    if not promises or getattr(_muted, "on", False) or name not in subscribed_events():
        return
    from answerable.webhooks.tasks import fan_out_promises

    jobs.enqueue_on_commit(fan_out_promises, name, [p.pk for p in promises])


# --- subscriptions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str


def _check(url: str, events: Iterable[str]) -> list[str]:
    try:
        URLValidator(schemes=["http", "https"])(url)
        host = urlsplit(url).hostname
    except (ValidationError, ValueError):
        host = None
    if not host:
        raise ValidationError("The URL must be http:// or https:// with a host.")
    wanted = sorted(set(events))
    unknown = [e for e in wanted if e not in EVENTS]
    if unknown or not wanted:
        raise ValidationError(f"Events are any of {', '.join(EVENTS)}; got {', '.join(unknown) or 'none'}.")
    return wanted


@transaction.atomic
def subscribe(
    *,
    name: str,
    url: str,
    events: Iterable[str],
    now: datetime,
    team: Team | None = None,
    created_by: Agent | None = None,
) -> NewSubscription:
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    sub = Subscription.objects.create(
        name=name.strip()[:100] or url[:100],
        url=url,
        secret=secret,
        events=_check(url, events),
        team=team,
        created_by=created_by,
        created_at=now,
    )
    transaction.on_commit(forget_subscriptions)
    return NewSubscription(sub, secret)


@transaction.atomic
def set_active(sub: Subscription, active: bool, *, now: datetime, reason: str = "") -> None:
    """Enable (the failure count starts again) or disable a subscription."""
    if active:
        Subscription.objects.filter(pk=sub.pk).update(
            active=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
        )
    else:
        Subscription.objects.filter(pk=sub.pk).update(active=False, disabled_at=now, disabled_reason=reason)
    transaction.on_commit(forget_subscriptions)


# --- payloads --------------------------------------------------------------------------------------------


def _dump(schema: type, obj: object) -> dict:
    return schema.from_orm(obj).model_dump(mode="json")


def _ticket(ticket_id: int) -> "Ticket":
    from answerable.api import queries
    from answerable.tickets.models import Ticket

    # Not narrowed to a user: subscriptions are set up by admins, per team or for all.
    return queries.with_card(Ticket.objects.all()).get(pk=ticket_id)


def create_deliveries(name: str, ticket_id: int, data: dict, *, now: datetime) -> list[Delivery]:
    """One delivery per active subscription to `name` that covers the ticket's team; the same event id and
    payload for each."""
    from answerable.api.schemas import TicketOut

    ticket = _ticket(ticket_id)
    # Few subscriptions, and JSON containment is not on every database: filter the list here.
    subs = [
        s
        for s in Subscription.objects.filter(Q(team=None) | Q(team_id=ticket.team_id), active=True).order_by(
            "id"
        )
        if name in s.events
    ]
    if not subs:
        return []
    deliveries = []
    first = Delivery(subscription=subs[0], event=name, payload={}, created_at=now)
    payload = {
        "id": str(first.event_id),
        "type": name,
        "created_at": now.isoformat(),
        "data": {"ticket": _dump(TicketOut, ticket), **data},
    }
    for sub in subs:
        deliveries.append(
            Delivery(
                subscription=sub,
                event=name,
                event_id=first.event_id,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
        )
    return Delivery.objects.bulk_create(deliveries)


def event_data(name: str, event: "Event") -> dict:
    from answerable.api.schemas import MessageOut, RatingOut
    from answerable.satisfaction.models import Rating
    from answerable.tickets.models import Message

    messages = Message.objects.select_related("author").prefetch_related("attachments")
    if name == "message.received":
        return {"message": _dump(MessageOut, messages.get(pk=event.data["message"]))}
    if name == "ticket.created":
        first = messages.filter(ticket_id=event.ticket_id, kind=Message.Kind.INBOUND).order_by(
            "created_at", "id"
        )
        return {"message": _dump(MessageOut, first[0])} if first else {}
    if name == "rating.received":
        rating = Rating.objects.filter(ticket_id=event.ticket_id).order_by("-updated_at", "-id").first()
        return {"rating": _dump(RatingOut, rating)} if rating else {}
    return {}


def promise_data(promise: "Promise") -> dict:
    from answerable.api.schemas import PromiseOut

    return {"promise": _dump(PromiseOut, promise)}


# --- delivery --------------------------------------------------------------------------------------------


@functools.cache
def _opener() -> "urllib.request.OpenerDirector":
    import urllib.request  # here, not at start-up: only the worker sends

    class NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return (
                None  # a redirect is an answer we report, not one we follow (the body is signed for this URL)
            )

    return urllib.request.build_opener(NoRedirects)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(sub: Subscription, delivery: Delivery, *, now: datetime) -> Outcome:
    import urllib.error
    import urllib.request

    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310  (the scheme is checked when subscribing)
        sub.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Answerable-Event": delivery.event,
            "X-Answerable-Delivery": str(delivery.event_id),
            "X-Answerable-Signature": signature(sub.secret, int(now.timestamp()), body),
        },
    )
    started = time.monotonic()
    try:
        with _opener().open(request, timeout=getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10)) as response:
            code, error = response.status, ""
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        code, error = None, f"{exc.__class__.__name__}: {getattr(exc, 'reason', exc)}"
    return Outcome(code, error[:1000], int((time.monotonic() - started) * 1000))


def _due(now: datetime) -> Q:
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now, subscription__active=True) & (
        Q(lease_until=None) | Q(lease_until__lt=now)
    )


def claim_due(now: datetime) -> Delivery | None:
    """The next due delivery, leased to this worker by a conditional UPDATE (so two workers never both
    send it), or None."""
    for pk in (
        Delivery.objects.filter(_due(now)).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:5]
    ):
        if Delivery.objects.filter(_due(now), pk=pk).update(lease_until=now + LEASE):
            return Delivery.objects.select_related("subscription").get(pk=pk)
    return None


def deliver_due_once(now: datetime) -> bool:
    """Send one due delivery; False when none is due."""
    delivery = claim_due(now)
    if delivery is None:
        return False
    outcome = post(delivery.subscription, delivery, now=now)
    record(delivery, outcome, now=now)
    return True


@transaction.atomic
def record(delivery: Delivery, outcome: Outcome, *, now: datetime) -> None:
    sub = delivery.subscription
    Attempt.objects.create(
        delivery=delivery,
        at=now,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
    )
    delivery.attempts += 1
    delivery.lease_until = None
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            Delivery.Status.DELIVERED,
            now,
            None,
        )
        Subscription.objects.filter(pk=sub.pk).update(consecutive_failures=0)
    else:
        if delivery.attempts >= max_attempts():
            delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            retry_at(delivery.next_attempt_at)
        Subscription.objects.filter(pk=sub.pk).update(consecutive_failures=F("consecutive_failures") + 1)
        sub.refresh_from_db(fields=["consecutive_failures", "active"])
        if sub.active and sub.consecutive_failures >= disable_after():
            _disable_for_failures(sub, outcome, now=now)
    delivery.save(
        update_fields=[
            "attempts",
            "lease_until",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )


def retry_at(when: datetime) -> None:
    """Ask the worker to run again when the retry is due (the database backend keeps the job until then)."""
    from answerable.webhooks.tasks import deliver_webhooks

    if deliver_webhooks.get_backend().supports_defer:
        jobs.enqueue_on_commit(deliver_webhooks.using(run_after=when))


def _disable_for_failures(sub: Subscription, outcome: Outcome, *, now: datetime) -> None:
    reason = (
        f"Disabled after {sub.consecutive_failures} failed attempts in a row; "
        f"the last: {outcome.error or outcome.status_code}."
    )
    set_active(sub, False, now=now, reason=reason)
    admins = list(
        Agent.objects.filter(role=Agent.Role.ADMIN, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if admins:
        subject = f"Webhook {sub.name!r} disabled"
        text = (
            f"{reason}\n\nURL: {sub.url}\nEvents: {', '.join(sub.events)}\n\n"
            "Fix the receiver, then enable the subscription again in the admin or with "
            f"`manage.py webhook enable {sub.pk}`; pending deliveries resume then."
        )
        transaction.on_commit(lambda: send_mail(subject, text, None, admins, fail_silently=True))
    logger.warning("webhook %s disabled: %s", sub.pk, reason)


@transaction.atomic
def unsubscribe(sub: Subscription) -> None:
    """Remove a subscription and its delivery log."""
    Subscription.objects.filter(pk=sub.pk).delete()
    transaction.on_commit(forget_subscriptions)
