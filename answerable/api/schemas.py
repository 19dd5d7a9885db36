"""What the API reads and writes. Output schemas are also the webhook payloads (one shape per object)."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Schema
from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from answerable.customers.services import normalise_address
from answerable.tickets.models import Message, Status, Ticket

MAX_ID = 2**53  # beyond any id we store; larger numbers are refused (400), not passed to the database

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it up front rather than fail on save.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _aware(value: datetime) -> datetime:
    """Naive times are UTC; times that cannot be expressed in UTC are refused."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of range") from None


def _email(value: str) -> str:
    try:
        return normalise_address(value)
    except DjangoValidationError:
        raise ValueError("is not an email address") from None


Text = Annotated[str, AfterValidator(_no_nul)]
Line = Annotated[str, StringConstraints(max_length=300), AfterValidator(_no_nul)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=100_000), AfterValidator(_no_nul)]
Time = Annotated[datetime, AfterValidator(_aware)]
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(_no_nul),
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]
StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
PriorityValue = Literal[1, 2, 3, 4]
assert set(StatusName.__args__) == set(Status.values)  # noqa: S101  (kept in step with the model)


# --- references --------------------------------------------------------------------------------------


class AgentRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: object) -> str:
        return obj.display_name  # type: ignore[attr-defined]


class TeamRef(Schema):
    id: int
    name: str


class CustomerRef(Schema):
    id: int
    name: str
    email: str | None

    @staticmethod
    def resolve_email(obj: object) -> str | None:
        emails = list(obj.emails.all())  # type: ignore[attr-defined]  (prefetched by the queries)
        return emails[0].address if emails else None


# --- objects -----------------------------------------------------------------------------------------


class TicketOut(Schema):
    id: int
    reference: str
    subject: str
    status: StatusName
    priority: PriorityValue
    team: TeamRef
    customer: CustomerRef
    assignee: AgentRef | None
    tags: list[str]
    created_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    last_activity_at: datetime
    waiting_since: datetime | None = Field(
        description="Since when the customer waits on us; null: not waiting."
    )
    expected_response_at: datetime | None

    @staticmethod
    def resolve_tags(obj: Ticket) -> list[str]:
        return [t.name for t in obj.tags.all()]


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    ticket_id: int
    kind: Literal["inbound", "outbound", "note"]
    author: AgentRef | None
    sender_id: int | None
    text: str
    new_text: str = Field(description="An inbound reply's new text without quotes; empty when the same.")
    html: str
    automatic: bool
    delivery: Literal["", "queued", "sent", "failed"]
    delivery_error: str
    created_at: datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Message) -> list:
        return list(obj.attachments.all())


class EventOut(Schema):
    id: int
    ticket_id: int
    kind: str
    actor_id: int | None
    at: datetime
    data: dict


class OrganisationOut(Schema):
    id: int
    name: str
    yearly_value: str
    notes: str
    created_at: datetime

    @staticmethod
    def resolve_yearly_value(obj: object) -> str:
        return str(obj.yearly_value)  # type: ignore[attr-defined]  (a decimal: exact, as a string)


class CustomerOut(Schema):
    id: int
    name: str
    emails: list[str]
    organisation_id: int | None
    notes: str
    created_at: datetime

    @staticmethod
    def resolve_emails(obj: object) -> list[str]:
        return [e.address for e in obj.emails.all()]  # type: ignore[attr-defined]


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next_cursor: str | None


class PromiseOut(Schema):
    id: int
    ticket_id: int
    owner: AgentRef | None
    text: str
    source: str
    kind: str
    status: Literal["open", "kept", "broken", "reset", "dropped"]
    due_at: datetime | None
    warn_at: datetime | None
    warned_at: datetime | None
    paused_at: datetime | None
    created_at: datetime
    closed_at: datetime | None
    replaced_by_id: int | None


class PromisePage(Schema):
    items: list[PromiseOut]
    next_cursor: str | None


class RatingOut(Schema):
    id: int
    ticket_id: int
    solved_at: datetime
    customer_id: int
    organisation_id: int | None
    agent_id: int | None
    score: Literal["good", "bad"]
    comment: str
    created_at: datetime
    updated_at: datetime


class RatingPage(Schema):
    items: list[RatingOut]
    next_cursor: str | None


class FindingOut(Schema):
    check: str
    start: int
    end: int
    quote: str
    why: str
    fix: str
    blocking: bool


class CoachOut(Schema):
    findings: list[FindingOut]
    blocking: bool = Field(description="True if a finding asks for confirmation before the reply is sent.")


# --- input -------------------------------------------------------------------------------------------


class TicketCreate(Schema):
    team_id: Id
    subject: Annotated[Line, StringConstraints(min_length=1)]
    text: Body
    customer_id: Id | None = Field(
        None, description="An existing customer you can see; or give customer_email."
    )
    customer_email: Email | None = None
    customer_name: Line = ""
    priority: PriorityValue = 2
    tags: list[Annotated[Line, StringConstraints(max_length=50)]] = Field(default=[], max_length=20)
    acknowledge: bool = Field(
        False, description="Send the customer the acknowledgement with the expected time."
    )


class TicketUpdate(Schema):
    """Only the fields sent are changed; `assignee_id: null` un-assigns."""

    status: StatusName | None = None
    priority: PriorityValue | None = None
    assignee_id: Id | None = None
    tags: list[Annotated[Line, StringConstraints(max_length=50)]] | None = Field(None, max_length=20)


class ReplyIn(Schema):
    text: Body
    status_after: StatusName | None = Field(None, description="Also set this status, e.g. pending or solved.")
    seen_message_id: Id | None = Field(
        None, description="The newest customer message you saw: a newer one makes this a 409 (stale draft)."
    )
    confirm_tone: bool = Field(False, description="Send despite the coach's tone findings.")
    idempotency_key: Annotated[Text, StringConstraints(min_length=1, max_length=64)] | None = None


class NoteIn(Schema):
    text: Body
    idempotency_key: Annotated[Text, StringConstraints(min_length=1, max_length=64)] | None = None


class CustomerCreate(Schema):
    name: Line = ""
    emails: list[Email] = Field(min_length=1, max_length=10)
    organisation_id: Id | None = None
    notes: Annotated[Text, StringConstraints(max_length=10_000)] = ""


class CoachIn(Schema):
    ticket_id: Id
    draft: Body
