"""Every write to a rating happens here, with its Event on the ticket."""

from datetime import datetime

from django.db import transaction

from answerable.satisfaction.models import Rating
from answerable.tickets.models import Event, Ticket
from answerable.webhooks import services as webhooks


class NotRateable(Exception):
    """The ticket has not been solved, so there is nothing to rate yet."""


def rate(ticket: Ticket, score: str, *, comment: str = "", now: datetime) -> Rating:
    """Record (or change) the customer's rating of the ticket's latest solve."""
    if score not in Rating.Score.values:
        raise ValueError(f"unknown score {score!r}")
    if ticket.solved_at is None:
        raise NotRateable(f"ticket #{ticket.pk} has not been solved")
    with transaction.atomic():
        rating, created = Rating.objects.update_or_create(
            ticket=ticket,
            solved_at=ticket.solved_at,
            defaults={
                "customer_id": ticket.customer_id,
                "organisation_id": ticket.customer.organisation_id,
                "agent_id": ticket.assignee_id,
                "score": score,
                "comment": comment.strip(),
                "updated_at": now,
            },
            create_defaults={
                "customer_id": ticket.customer_id,
                "organisation_id": ticket.customer.organisation_id,
                "agent_id": ticket.assignee_id,
                "score": score,
                "comment": comment.strip(),
                "created_at": now,
                "updated_at": now,
            },
        )
        event = Event.objects.create(
            ticket=ticket,
            kind=Event.Kind.RATED,
            actor=None,
            at=now,
            data={"score": score, "comment": rating.comment, "changed": not created},
        )
        webhooks.on_event(event)
    return rating
