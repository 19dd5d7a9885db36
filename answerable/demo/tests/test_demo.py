from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from answerable.customers.models import Customer, Organisation, TermsFlag
from answerable.demo import data
from answerable.demo.management.commands.demo import FATES, cuts
from answerable.staff.models import Agent, Team
from answerable.tickets.models import Event, Macro, Message, Status, Ticket

pytestmark = pytest.mark.django_db


def demo(**options) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Team, Agent, Organisation, TermsFlag, Customer, Macro, Ticket, Message, Event)
    return {model.__name__: model.objects.count() for model in models}


def test_the_demo_loads_a_working_desk():
    before = timezone.now()
    output = demo(tickets=40)

    assert Team.objects.count() == 3
    assert all(team.addresses.exists() for team in Team.objects.all())
    assert {a.role for a in Agent.objects.all()} == set(Agent.Role.values)
    for role in Agent.Role.values:
        agent = Agent.objects.filter(role=role).first()
        assert authenticate(username=agent.username, password="demo") == agent
    admin = Agent.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert not Agent.objects.filter(role=Agent.Role.AGENT, is_staff=True).exists()

    assert TermsFlag.objects.filter(cleared_at=None).count() >= 2
    assert Customer.objects.filter(organisation=None).exists()
    assert Customer.objects.exclude(organisation=None).exists()
    assert Macro.objects.filter(body__contains="{{ customer.first_name }}").exists()

    tickets = Ticket.objects.all()
    assert tickets.count() == 40
    assert not tickets.filter(messages=None).exists()
    assert tickets.filter(events__kind=Event.Kind.CREATED).distinct().count() == 40
    statuses = set(tickets.values_list("status", flat=True))
    assert {Status.NEW, Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED} <= statuses
    assert tickets.filter(assignee=None).exists() and tickets.exclude(assignee=None).exists()
    # Replies set the first response; new tickets have none and wait on us.
    assert not tickets.filter(status=Status.NEW).exclude(first_response_at=None).exists()
    assert not tickets.filter(status=Status.NEW, waiting_since=None).exists()
    assert not tickets.filter(status=Status.PENDING, first_response_at=None).exists()
    # Everything happened over the last month or so, nothing in the future.
    assert not Event.objects.filter(at__gt=timezone.now()).exists()
    assert not Event.objects.filter(at__lt=before - timedelta(days=40)).exists()

    assert "DEMO ONLY" in output
    assert "admin" in output and "sam" in output and "http://" in output


def test_if_empty_on_a_loaded_database_changes_nothing():
    demo(tickets=8)
    before = counts()
    assert "demo data already present" in demo(if_empty=True)
    assert counts() == before


def test_if_empty_on_an_empty_database_loads():
    demo(tickets=3, if_empty=True)
    assert Ticket.objects.count() == 3


def test_loading_twice_is_refused():
    demo(tickets=3)
    before = counts()
    with pytest.raises(CommandError, match="already has data"):
        demo(tickets=3)
    assert counts() == before


def test_an_existing_demo_username_counts_as_data():
    Agent.objects.create_user(username="admin", password="secret")
    with pytest.raises(CommandError, match="already has data"):
        demo(tickets=3)


def test_print_logins_only_prints(settings):
    settings.SITE_URL = "http://desk.localhost:8000"
    demo(tickets=0)
    before = counts()
    output = demo(print_logins=True)
    assert counts() == before
    assert "http://desk.localhost:8000" in output
    for spec in data.AGENTS:
        assert spec.username in output
    assert 'password "demo"' in output


def test_print_logins_on_an_empty_database_says_so():
    assert "not loaded" in demo(print_logins=True)
    assert counts()["Agent"] == 0


def test_the_scenarios_are_well_formed():
    team_names = {team.name for team in data.TEAMS}
    macro_names = {macro.name for macro in data.MACROS}
    placeholders = dict.fromkeys(data.PLACEHOLDERS, "x")
    for scenario in data.SCENARIOS:
        assert scenario.team in team_names, scenario.key
        assert scenario.steps[0].kind == data.CUSTOMER, scenario.key
        scenario.subject.format_map(placeholders)
        for step in scenario.steps:
            step.text.format_map(placeholders)  # a KeyError names an unknown placeholder
            assert step.macro is None or step.macro in macro_names, scenario.key
            assert step.by in ("assignee", "supervisor", "colleague"), scenario.key
        assert "new" in cuts(scenario), scenario.key
    assert len({scenario.key for scenario in data.SCENARIOS}) == len(data.SCENARIOS)
    assert len(data.SCENARIOS) >= 30
    for fate in FATES:  # the loader finds a scenario for every kind of ending
        assert any(cuts(scenario).get(fate) for scenario in data.SCENARIOS), fate
