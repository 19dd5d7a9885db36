"""Seed a load-test database: one team, N agents (password PASSWORD), some open tickets to browse.
Run by run.py as `python -m bench.load.seed N` with DATABASE_URL set; everything goes through the services."""

import sys

PASSWORD = "load test password 1"  # noqa: S105 (throwaway bench agents)
TEAM_ADDRESS = "support@load.example"


def main(agents: int, tickets: int = 300) -> None:
    import django

    django.setup()
    from answerable.customers import services as customers
    from answerable.lib import clock
    from answerable.staff.models import Agent, Team
    from answerable.tickets import services

    team = Team.objects.create(name="Support")
    team.addresses.create(email=TEAM_ADDRESS)
    for i in range(1, agents + 1):
        agent = Agent.objects.create_user(
            username=f"load{i}", password=PASSWORD, first_name=f"Agent{i}", email=f"load{i}@staff.example"
        )
        agent.teams.set([team])
    now = clock.now()
    for i in range(tickets):
        customer = customers.create_customer(name=f"Seed Customer {i}", emails=[f"seed{i}@customer.example"])
        services.open_ticket(
            customer=customer, team=team, subject=f"Seed question {i}", text="Where is my order?", now=now
        )


if __name__ == "__main__":
    main(int(sys.argv[1]))
