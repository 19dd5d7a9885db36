from datetime import UTC, datetime, timedelta

import pytest

from answerable.satisfaction.models import Rating
from answerable.satisfaction.services import NotRateable, rate
from answerable.tickets import services
from answerable.tickets.models import Event, Status

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def solved(world):
    ticket = world.billing_ticket
    services.assign(ticket, world.alice, actor=world.alice, now=NOW)
    services.set_status(ticket, Status.SOLVED, actor=world.alice, now=NOW + timedelta(hours=1))
    ticket.refresh_from_db()
    return ticket


def test_rating_a_solved_ticket_records_score_agent_and_an_event(solved, world) -> None:
    rating = rate(solved, "bad", comment="  Too slow ", now=NOW + timedelta(hours=2))
    assert (rating.score, rating.comment, rating.agent_id) == ("bad", "Too slow", world.alice.pk)
    assert Event.objects.filter(ticket=solved, kind=Event.Kind.RATED).count() == 1


def test_rating_again_changes_the_rating_of_the_same_solve(solved) -> None:
    rate(solved, "bad", now=NOW + timedelta(hours=2))
    rate(solved, "good", now=NOW + timedelta(hours=3))
    assert list(Rating.objects.values_list("score", flat=True)) == ["good"]


def test_an_unsolved_ticket_or_an_unknown_score_is_refused(solved, world) -> None:
    with pytest.raises(ValueError):
        rate(solved, "meh", now=NOW)
    services.set_status(solved, Status.OPEN, actor=world.alice, now=NOW + timedelta(hours=2))
    solved.refresh_from_db()
    with pytest.raises(NotRateable):
        rate(solved, "good", now=NOW + timedelta(hours=3))
