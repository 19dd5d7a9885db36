"""The per-process caches on the ingest path: the expected time per team, and the team address table."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from answerable.mail.ingest import team_for
from answerable.staff import directory
from answerable.staff.models import Holiday, TeamAddress
from answerable.tickets import expected, services
from answerable.tickets.expected import CACHE_SECONDS, DEFAULT_TARGET, expected_first_response
from conftest import T0  # Tuesday 10 March 2026, 09:00 UTC


def answer_quickly(world, make_ticket, count=8):
    """Eight tickets answered within the hour on the Monday before T0."""
    for i in range(count):
        created = T0 - timedelta(days=1) + timedelta(hours=1, minutes=10 * i)
        ticket = make_ticket(world.billing, subject=f"Old {i}", now=created)
        services.reply(ticket, agent=world.alice, text="Hi", now=created + timedelta(minutes=30), queue=False)


def test_expected_time_is_cached_until_it_expires_then_follows_the_new_history(world, make_ticket):
    assert expected_first_response(world.billing, T0) == T0 + DEFAULT_TARGET  # no history yet
    answer_quickly(world, make_ticket)
    # Within CACHE_SECONDS the cached typical time stands (no query at all) ...
    soon = T0 + timedelta(seconds=CACHE_SECONDS - 1)
    with CaptureQueriesContext(connection) as queries:
        # 09:00:59 plus the default four hours, rounded up to the quarter hour
        assert expected_first_response(world.billing, soon) == T0 + DEFAULT_TARGET + timedelta(minutes=15)
    assert len(queries) == 0
    # ... and once it has expired, the quick answers bring the promise forward.
    later = T0 + timedelta(seconds=CACHE_SECONDS)
    assert expected_first_response(world.billing, later) <= later + timedelta(minutes=45)


def test_an_earlier_now_is_not_served_from_a_later_entry(world, make_ticket):
    expected_first_response(world.billing, T0)
    answer_quickly(world, make_ticket)
    assert expected_first_response(world.billing, T0 - timedelta(seconds=1)) < T0 + timedelta(hours=1)


def test_changing_the_team_or_its_holidays_clears_the_cache_at_once(world):
    tuesday = expected_first_response(world.billing, T0)
    assert tuesday.date() == T0.date()
    Holiday.objects.create(team=world.billing, date=T0.date(), name="Closed today")
    assert expected_first_response(world.billing, T0).date() > T0.date()
    world.billing.week_schedule = {"mon": [["09:00", "10:00"]]}
    world.billing.save()
    assert expected_first_response(world.billing, T0).weekday() == 0  # next Monday


def test_team_addresses_are_read_once_and_a_new_address_is_found_at_once(world, make_team):
    team_for(["billing@desk.example"])
    with CaptureQueriesContext(connection) as queries:
        assert team_for(["Billing+t12-abc@desk.example"]) == world.billing
        assert directory.is_team_address("shipping@desk.example")
    assert len(queries) == 0
    # An address added elsewhere (no signal in this process) is still found by the database lookup.
    TeamAddress.objects.bulk_create([TeamAddress(team=world.shipping, email="parcels@desk.example")])
    assert team_for(["parcels@desk.example"]) == world.shipping
    # One saved here clears the table: the new team is known as a team address at once.
    sales = make_team("Sales")
    assert directory.is_team_address("sales@desk.example") and team_for(["sales@desk.example"]) == sales


def test_the_cache_expires(world, monkeypatch):
    team_for(["billing@desk.example"])
    TeamAddress.objects.filter(email="billing@desk.example").update(email="money@desk.example")
    assert directory.is_team_address("billing@desk.example")  # cached
    monkeypatch.setattr(directory, "CACHE_SECONDS", -1.0)
    assert not directory.is_team_address("billing@desk.example")
    assert directory.first_address(world.billing.pk) == "money@desk.example"
    expected.clear_cache()
