"""Shared fixtures: a small world of two teams, agents of each role, customers, and tickets opened
through the real services."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from answerable.customers import services as customer_services
from answerable.customers.models import Customer
from answerable.staff.models import Agent, Team
from answerable.tickets import services
from answerable.tickets.models import Ticket

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_caches():
    # Per-process caches of teams and expected times: a test's rolled-back rows must not leak into the next.
    from answerable.staff import directory
    from answerable.tickets import expected

    directory.clear()
    expected.clear_cache()


@pytest.fixture(autouse=True)
def _run_jobs_inline(settings):
    # Jobs queued on commit run at once: with django_capture_on_commit_callbacks a test sees their effect.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # A deliberately fast hasher: the suite creates many agents and is not testing password strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_team(db) -> Callable[..., Team]:
    def make(name: str, address: str | None = None, **kw) -> Team:
        team = Team.objects.create(name=name, **kw)
        team.addresses.create(email=address or f"{name.lower()}@desk.example")
        return team

    return make


@pytest.fixture
def make_agent(db) -> Callable[..., Agent]:
    def make(username: str, role: str = Agent.Role.AGENT, teams: tuple[Team, ...] = (), **kw) -> Agent:
        agent = Agent.objects.create_user(
            username=username, password=PASSWORD, role=role, first_name=username.capitalize(),
            email=f"{username}@staff.example", is_staff=role == Agent.Role.ADMIN,
            is_superuser=role == Agent.Role.ADMIN, **kw,
        )  # fmt: skip
        agent.teams.set(teams)
        return agent

    return make


@pytest.fixture
def make_customer(db) -> Callable[..., Customer]:
    counter = iter(range(1, 10**6))

    def make(name: str = "Ana Ruiz", email: str | None = None, organisation=None) -> Customer:
        address = email or f"{name.split()[0].lower()}.{next(counter)}@customer.example"
        return customer_services.create_customer(name=name, emails=[address], organisation=organisation)

    return make


@pytest.fixture
def make_ticket(db, make_customer) -> Callable[..., Ticket]:
    def make(
        team: Team,
        customer: Customer | None = None,
        subject: str = "Order 1042 not shipped",
        text: str = "I was told it would ship Friday and it still hasn't.",
        now: datetime = T0,
        **kw,
    ) -> Ticket:
        customer = customer or make_customer()
        return services.open_ticket(customer=customer, team=team, subject=subject, text=text, now=now, **kw)

    return make


@dataclass
class World:
    billing: Team
    shipping: Team
    alice: Agent  # agent, billing
    carl: Agent  # agent, billing
    bob: Agent  # agent, shipping
    sue: Agent  # supervisor, billing
    ada: Agent  # admin, no team
    billing_ticket: Ticket
    shipping_ticket: Ticket


@pytest.fixture
def world(make_team, make_agent, make_customer, make_ticket) -> World:
    billing, shipping = make_team("Billing"), make_team("Shipping")
    ana = make_customer("Ana Ruiz", "ana@acme.example")
    dev = make_customer("Dev Shah", "dev@nwind.example")
    return World(
        billing=billing,
        shipping=shipping,
        alice=make_agent("alice", teams=(billing,)),
        carl=make_agent("carl", teams=(billing,)),
        bob=make_agent("bob", teams=(shipping,)),
        sue=make_agent("sue", role=Agent.Role.SUPERVISOR, teams=(billing,)),
        ada=make_agent("ada", role=Agent.Role.ADMIN),
        billing_ticket=make_ticket(billing, ana, subject="Refund for a double charge"),
        shipping_ticket=make_ticket(shipping, dev, subject="Parcel arrived damaged"),
    )


@pytest.fixture
def login(client) -> Callable[[Agent], object]:
    def do(agent: Agent):
        client.force_login(agent)
        return client

    return do
