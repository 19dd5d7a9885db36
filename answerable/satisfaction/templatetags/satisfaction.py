from django import template

from answerable.satisfaction import queries
from answerable.tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("satisfaction/ratings_card.html")
def ticket_ratings(ticket: Ticket) -> dict:
    """The customer's ratings of this ticket, shown to agents on the ticket page."""
    return {"ratings": queries.for_ticket(ticket)}
