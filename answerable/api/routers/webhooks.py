"""Webhook subscriptions and their delivery log, for admins (scope webhooks:manage)."""

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from pydantic import Field, StringConstraints, WithJsonSchema

from answerable.api.errors import ApiError
from answerable.api.routers.common import Cursor, Limit, page, responses
from answerable.api.schemas import MAX_ID, Id, Line
from answerable.api.security import agent_for
from answerable.lib import clock
from answerable.lib.keyset import keyset_page
from answerable.staff.models import Agent, Team
from answerable.webhooks import services
from answerable.webhooks.models import Delivery, Subscription

router = Router(tags=["webhooks"])
EventName = Literal[
    "ticket.created", "message.received", "promise.at_risk", "promise.broken", "rating.received"
]
SubscriptionId = Annotated[int, Path(ge=1, le=MAX_ID)]


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    team_id: int | None
    active: bool
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str
    created_at: datetime


class NewSubscriptionOut(SubscriptionOut):
    secret: str = Field(description="The signing secret: shown this once, keep it.")


class SubscriptionIn(Schema):
    name: Line = ""
    url: Annotated[
        Line,
        StringConstraints(min_length=1, max_length=500),
        WithJsonSchema({"type": "string", "format": "uri"}),
    ] = Field(description="http:// or https:// with a host.")
    events: list[EventName] = Field(min_length=1, max_length=5)
    team_id: Id | None = None


class SubscriptionChange(Schema):
    active: bool


class AttemptOut(Schema):
    at: datetime
    status_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(Schema):
    id: int
    event: str
    event_id: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]

    @staticmethod
    def resolve_event_id(obj: Delivery) -> str:
        return str(obj.event_id)

    @staticmethod
    def resolve_attempt_log(obj: Delivery) -> list:
        return list(obj.attempt_log.all())


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


def _admin(request: HttpRequest) -> Agent:
    agent = agent_for(request, "webhooks:manage")
    if not agent.is_admin:
        raise ApiError(403, "forbidden", "Only admins manage webhooks.")
    return agent


def _subscription(pk: int) -> Subscription:
    found = Subscription.objects.filter(pk=pk).first()
    if found is None:
        raise ApiError(404, "not_found", "No such subscription.")
    return found


@router.get("/webhooks", response=responses(list[SubscriptionOut]), summary="List subscriptions")
def list_subscriptions(request: HttpRequest) -> list:
    _admin(request)
    return list(Subscription.objects.order_by("id"))


@router.post("/webhooks", response=responses(NewSubscriptionOut, 201), summary="Subscribe")
def subscribe(request: HttpRequest, payload: SubscriptionIn) -> Status:
    """The response carries the signing secret, this once."""
    agent = _admin(request)
    team = None
    if payload.team_id is not None:
        team = Team.objects.filter(pk=payload.team_id).first()
        if team is None:
            raise ApiError(400, "invalid", "No such team.", {"team_id": ["no such team"]})
    new = services.subscribe(
        name=payload.name,
        url=payload.url,
        events=payload.events,
        team=team,
        created_by=agent,
        now=clock.now(),
    )
    return Status(201, {**SubscriptionOut.from_orm(new.subscription).model_dump(), "secret": new.secret})


@router.patch("/webhooks/{subscription_id}", response=responses(SubscriptionOut), summary="Enable or disable")
def change_subscription(
    request: HttpRequest, subscription_id: SubscriptionId, payload: SubscriptionChange
) -> object:
    _admin(request)
    sub = _subscription(subscription_id)
    reason = "" if payload.active else f"Disabled through the API by {request.user}."
    services.set_active(sub, payload.active, now=clock.now(), reason=reason)
    return _subscription(subscription_id)


@router.delete("/webhooks/{subscription_id}", response=responses(None, 204), summary="Unsubscribe")
def delete_subscription(request: HttpRequest, subscription_id: SubscriptionId) -> Status:
    _admin(request)
    services.unsubscribe(_subscription(subscription_id))
    return Status(204, None)


@router.get(
    "/webhooks/{subscription_id}/deliveries", response=responses(DeliveryPage), summary="Delivery log"
)
def deliveries(
    request: HttpRequest,
    subscription_id: SubscriptionId,
    status: Literal["pending", "delivered", "failed"] | None = None,
    cursor: Cursor | None = None,
    limit: Limit = 25,
) -> dict:
    """Newest first, each with its attempts (time, status code or error, duration)."""
    _admin(request)
    qs = _subscription(subscription_id).deliveries.prefetch_related("attempt_log")
    if status:
        qs = qs.filter(status=status)
    return page(lambda: keyset_page(qs, [("created_at", True), ("id", True)], cursor, limit))
