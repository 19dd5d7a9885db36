"""Reads of ratings for pages."""

from answerable.satisfaction.models import Rating
from answerable.tickets.models import Ticket


def for_ticket(ticket: Ticket) -> list[Rating]:
    """The ticket's ratings, newest solve first (one per solve), for the console's ticket page."""
    return list(Rating.objects.filter(ticket=ticket).select_related("agent").order_by("-solved_at")[:5])
