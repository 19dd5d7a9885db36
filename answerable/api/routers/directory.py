"""Customers and organisations: those of tickets you can see (admins: all); creation through the service."""

from typing import Annotated

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest
from ninja import Path, Router, Status
from pydantic import Field

from answerable.api import queries
from answerable.api.errors import ApiError
from answerable.api.routers.common import Cursor, Limit, QueryId, page, responses
from answerable.api.schemas import (
    MAX_ID,
    CustomerCreate,
    CustomerOut,
    CustomerPage,
    OrganisationOut,
    OrganisationPage,
)
from answerable.api.security import agent_for
from answerable.customers import services
from answerable.customers.models import Customer, Organisation
from answerable.lib.keyset import keyset_page

router = Router(tags=["customers"])
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/customers", response=responses(CustomerPage), summary="List customers")
def list_customers(
    request: HttpRequest,
    email: Annotated[str, Field(max_length=254)] | None = None,
    organisation: QueryId | None = None,
    cursor: Cursor | None = None,
    limit: Limit = 25,
) -> dict:
    agent = agent_for(request, "customers:read")
    if email is not None and "\x00" in email:
        raise ApiError(400, "invalid", "Bad email filter.", {"email": ["bad characters"]})
    return page(
        lambda: queries.customer_page(
            agent, email=email, organisation=organisation, cursor=cursor, limit=limit
        )
    )


@router.get("/customers/{customer_id}", response=responses(CustomerOut), summary="Read a customer")
def get_customer(request: HttpRequest, customer_id: ObjectId) -> Customer:
    agent = agent_for(request, "customers:read")
    found = queries.customers(agent).filter(pk=customer_id).first()
    if found is None:
        raise ApiError(404, "not_found", "No such customer.")
    return found


@router.post("/customers", response=responses(CustomerOut, 201), summary="Create a customer")
def create_customer(request: HttpRequest, payload: CustomerCreate) -> Status:
    agent = agent_for(request, "customers:write")
    organisation = None
    if payload.organisation_id is not None:
        organisation = queries.organisations(agent).filter(pk=payload.organisation_id).first()
        if organisation is None:
            raise ApiError(
                400, "invalid", "No such organisation.", {"organisation_id": ["no such organisation"]}
            )
    lowered = [e.lower() for e in payload.emails]
    if len(set(lowered)) != len(lowered):
        # customers.services.create_customer checks addresses against stored ones, not against each other.
        raise ApiError(400, "invalid", "An address is listed twice.", {"emails": ["listed twice"]})
    try:
        customer = services.create_customer(
            name=payload.name, emails=payload.emails, organisation=organisation, notes=payload.notes
        )
    except ValidationError as exc:
        message = " ".join(exc.messages)
        code = 409 if "already belongs" in message else 400
        raise ApiError(
            code, "conflict" if code == 409 else "invalid", message, {"emails": exc.messages}
        ) from None
    except IntegrityError:  # another request took the address between the check and the insert
        raise ApiError(409, "conflict", "An address already belongs to another customer.") from None
    return Status(201, Customer.objects.prefetch_related("emails").get(pk=customer.pk))


@router.get("/organisations", response=responses(OrganisationPage), summary="List organisations")
def list_organisations(request: HttpRequest, cursor: Cursor | None = None, limit: Limit = 25) -> dict:
    agent = agent_for(request, "customers:read")
    return page(lambda: keyset_page(queries.organisations(agent), [("id", False)], cursor, limit))


@router.get(
    "/organisations/{organisation_id}", response=responses(OrganisationOut), summary="Read an organisation"
)
def get_organisation(request: HttpRequest, organisation_id: ObjectId) -> Organisation:
    agent = agent_for(request, "customers:read")
    found = queries.organisations(agent).filter(pk=organisation_id).first()
    if found is None:
        raise ApiError(404, "not_found", "No such organisation.")
    return found
