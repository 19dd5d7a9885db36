"""`manage.py demo`: load Northwind Bakery's help desk into an empty database, to try Answerable.

Teams, agents, organisations, customers and macros are created directly (they have no services); every
ticket is built through answerable.tickets.services with explicit times over the last month, so its events,
first response and waiting times are consistent. The same seed gives the same desk, relative to now.
"""

import math
import random
import time
import unicodedata
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import connection, transaction
from django.utils import timezone

from answerable.customers import services as customer_services
from answerable.customers.models import Customer, Organisation
from answerable.demo import data
from answerable.demo.data import CUSTOMER, NOTE, PRIORITY, REPLY, STATUS, Scenario, Step, TeamSpec
from answerable.staff.models import WEEKDAYS, Agent, Team, TeamAddress
from answerable.tickets import services
from answerable.tickets.models import Macro, Priority, Status, Ticket

DEFAULT_SEED = 2026
# How the loaded tickets end up, by share. "closed" tickets were solved at least four days before now.
FATES = {
    "new": 10,  # unanswered, mostly from the last day
    "waiting": 12,  # open, the customer wrote last
    "answered": 6,  # open, we wrote last
    "pending": 12,  # waiting on the customer
    "on_hold": 5,  # waiting on a third party
    "solved": 25,
    "closed": 30,
}
# When the last step of a ticket with this fate happened, in hours before now.
FATE_END_HOURS = {
    "new": (0.3, 30),
    "waiting": (0.5, 72),
    "answered": (1, 96),
    "pending": (2, 168),
    "on_hold": (12, 240),
    "solved": (1, 92),
    "closed": (4.5 * 24, 26 * 24),
}
CLOSE_AFTER = timedelta(days=4)
# Default minutes between a step and the one before it, by the step's kind.
GAPS = {CUSTOMER: (60, 36 * 60), REPLY: (8, 6 * 60), NOTE: (3, 120), STATUS: (2, 240), PRIORITY: (1, 20)}


# --- Entry point ----------------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Load a demo help desk (Northwind Bakery) into an empty database; print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=200, help="How many tickets to create (200).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing, successfully, if the database has data."
        )
        parser.add_argument(
            "--print-logins", action="store_true", help="Only print the URL and the demo logins."
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed; the same seed gives the same desk."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Agent._meta.db_table not in connection.introspection.table_names():
            raise CommandError("The database has no tables yet: run `manage.py migrate` first.")
        if options["print_logins"]:
            write_logins(self.stdout)
            return
        tickets = options["tickets"]
        if tickets < 0:
            raise CommandError("--tickets must be 0 or more.")
        present = existing_data()
        if present:
            if options["if_empty"]:
                self.stdout.write(f"demo data already present ({present}); nothing loaded.\n")
                write_logins(self.stdout)
                return
            raise CommandError(
                f"The database already has data ({present}). The demo loads only into an empty database: "
                "use --if-empty to skip quietly, or point ANSWERABLE_DATA_DIR (or DATABASE_URL) at a new one."
            )
        started = time.monotonic()
        with transaction.atomic():
            statuses = load(tickets=tickets, seed=options["seed"], now=timezone.now())
        mix = ", ".join(f"{count} {name}" for name, count in statuses.most_common())
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the {data.COMPANY} demo: {len(data.TEAMS)} teams, {len(data.AGENTS)} agents, "
                f"{len(data.CUSTOMERS)} customers, {sum(statuses.values())} tickets "
                f"({mix or 'none'}) in {time.monotonic() - started:.1f}s."
            )
        )
        self.stdout.write("")
        write_logins(self.stdout)


def existing_data() -> str:
    """What is already in the database that the demo would collide with; "" if nothing."""
    usernames = [spec.username for spec in data.AGENTS]
    found = [
        (Team.objects.count(), "teams"),
        (Ticket.objects.count(), "tickets"),
        (Customer.objects.count(), "customers"),
        (Agent.objects.filter(username__in=usernames).count(), "agents with a demo username"),
    ]
    return ", ".join(f"{count} {what}" for count, what in found if count)


def write_logins(out: OutputWrapper) -> None:
    """The desk's URL and the demo logins, as they are in the database."""
    url = getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000"
    usernames = [spec.username for spec in data.AGENTS]
    agents = {a.username: a for a in Agent.objects.filter(username__in=usernames).prefetch_related("teams")}
    if not agents:
        out.write("No demo logins: the demo data is not loaded. Run `manage.py demo` to load it.")
        return
    rows = [("username", "role", "name", "teams", "password")]
    for username in usernames:
        if agent := agents.get(username):
            teams = ", ".join(t.name for t in agent.teams.all()) or "-"
            rows.append((username, agent.get_role_display(), agent.display_name, teams, data.DEMO_PASSWORD))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out.write(f"Answerable demo desk: {url}")
    out.write("")
    for row in rows:
        out.write(
            "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    out.write("")
    out.write(
        f'DEMO ONLY: every demo login uses the password "{data.DEMO_PASSWORD}". Use this data on your own '
        "machine only; never on a desk that other people can reach."
    )


# --- Loading --------------------------------------------------------------------------------------------


@dataclass
class World:
    teams: dict[str, Team]
    team_specs: dict[str, TeamSpec]
    agents: dict[str, Agent]
    members: dict[str, list[Agent]]  # by team name
    customers: list[tuple[Customer, data.CustomerSpec]]
    macros: dict[str, Macro]
    cuts: list[tuple[Scenario, dict[str, list[int]]]]


def load(*, tickets: int, seed: int, now: datetime) -> Counter[str]:
    """Create the whole demo desk; returns the number of tickets by status. Call inside a transaction."""
    rng = random.Random(seed)
    world = _create_world(now)
    plans = [_plan_ticket(fate, world, rng, now) for fate in _fates(tickets, rng)]
    plans.sort(key=lambda plan: plan.times[0])  # ticket numbers rise with their creation time
    statuses: Counter[str] = Counter()
    for plan in plans:
        statuses[_run(plan, world, rng)] += 1
    _showcase(world, rng, now)
    return statuses


def _showcase(world: World, rng: random.Random, now: datetime) -> None:
    """What the later parts of the desk look like with data in them: a web form per team, ratings on solved
    tickets (a few bad, with comments), and two escalations waiting on a supervisor."""
    from django.utils.text import slugify

    from answerable.portal.models import PortalSettings
    from answerable.satisfaction.services import rate
    from answerable.tickets.escalation import escalate

    for name, team in world.teams.items():
        PortalSettings.objects.create(
            team=team, slug=slugify(name), intro=f"Ask {data.COMPANY} {name}: we answer every request.",
            asks_for_order_number=True,
        )  # fmt: skip
    solved = list(Ticket.objects.filter(solved_at__isnull=False).order_by("pk"))
    for ticket in rng.sample(solved, k=min(len(solved), len(solved) * 2 // 3)):
        bad = rng.random() < 0.12
        comment = rng.choice(data.BAD_RATING_COMMENTS) if bad else rng.choice(["", "", "Thank you!"])
        rate(
            ticket,
            "bad" if bad else "good",
            comment=comment,
            now=min(now, ticket.solved_at + timedelta(hours=3)),
        )
    supervisors = [a for a in world.agents.values() if a.role == Agent.Role.SUPERVISOR]
    waiting = Ticket.objects.filter(
        status=Status.OPEN, assignee__isnull=False, assignee__role=Agent.Role.AGENT
    )
    escalated = 0
    for ticket in waiting.order_by("-pk"):
        supervisor = next((s for s in supervisors if s.teams.filter(pk=ticket.team_id).exists()), None)
        if supervisor is None:
            continue
        escalate(
            ticket, agent=ticket.assignee, to_agent=supervisor, now=now - timedelta(hours=2),
            note="The customer asks for a refund beyond our 30 days; can we make an exception?",
        )  # fmt: skip
        escalated += 1
        if escalated == 2:
            break


def _create_world(now: datetime) -> World:
    teams: dict[str, Team] = {}
    for spec in data.TEAMS:
        teams[spec.name] = Team.objects.create(
            name=spec.name,
            time_zone=spec.time_zone,
            week_schedule=spec.week_schedule,
            holiday_country=spec.holiday_country,
        )
        TeamAddress.objects.create(team=teams[spec.name], email=spec.address)
    agents: dict[str, Agent] = {}
    for spec in data.AGENTS:
        is_admin = spec.role == Agent.Role.ADMIN
        agent = Agent(
            username=spec.username, first_name=spec.first_name, last_name=spec.last_name,
            email=f"{spec.username}@northwind.localhost", role=spec.role, time_zone=spec.time_zone,
            is_staff=is_admin, is_superuser=is_admin,
        )  # fmt: skip
        agent.set_password(data.DEMO_PASSWORD)
        agent.save()
        agent.teams.set([teams[name] for name in spec.teams])
        agents[spec.username] = agent
    admin = next(agents[s.username] for s in data.AGENTS if s.role == Agent.Role.ADMIN)
    organisations: dict[str, Organisation] = {}
    for i, spec in enumerate(data.ORGANISATIONS):
        org = Organisation.objects.create(name=spec.name, yearly_value=spec.yearly_value, notes=spec.notes)
        organisations[spec.name] = org
        if spec.flag:
            kind, reason = spec.flag
            customer_services.set_terms_flag(
                org, kind, reason=reason, actor=admin, now=now - timedelta(days=40 - 5 * i)
            )
    customers = []
    org_domains = {spec.name: spec.domain for spec in data.ORGANISATIONS}
    for i, spec in enumerate(data.CUSTOMERS):
        first, _, last = spec.name.partition(" ")
        if spec.organisation:
            address = f"{_ascii(first)}.{_ascii(last)}@{org_domains[spec.organisation]}"
        else:
            domain = data.PRIVATE_MAIL_DOMAINS[i % len(data.PRIVATE_MAIL_DOMAINS)]
            address = f"{_ascii(first)}.{_ascii(last)}@{domain}"
        emails = [address, *([spec.extra_email] if spec.extra_email else [])]
        customer = customer_services.create_customer(
            name=spec.name,
            emails=emails,
            organisation=organisations[spec.organisation] if spec.organisation else None,
        )
        customers.append((customer, spec))
    macros = {
        spec.name: Macro.objects.create(
            name=spec.name, body=spec.body, team=teams[spec.team] if spec.team else None
        )
        for spec in data.MACROS
    }
    members = {name: [agents[s.username] for s in data.AGENTS if name in s.teams] for name in teams}
    return World(
        teams=teams, team_specs={s.name: s for s in data.TEAMS}, agents=agents, members=members,
        customers=customers, macros=macros, cuts=[(s, cuts(s)) for s in data.SCENARIOS],
    )  # fmt: skip


def _ascii(name: str) -> str:
    """A name part for an email address: "Zoë" -> "zoe", "O'Connor" -> "oconnor"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c in "-.") or "customer"


def _fates(count: int, rng: random.Random) -> list[str]:
    """`count` fates in the FATES proportions (largest remainder, so small counts still get a mix)."""
    total = sum(FATES.values())
    exact = {fate: count * weight / total for fate, weight in FATES.items()}
    counts = {fate: math.floor(x) for fate, x in exact.items()}
    by_remainder = sorted(FATES, key=lambda fate: exact[fate] - counts[fate], reverse=True)
    for fate in by_remainder[: count - sum(counts.values())]:
        counts[fate] += 1
    fates = [fate for fate, n in counts.items() for _ in range(n)]
    rng.shuffle(fates)
    return fates


# --- Planning: which scenario, how far it got, and when each step happened -------------------------------


@dataclass
class Plan:
    scenario: Scenario
    fate: str
    steps: list[Step]
    times: list[datetime]
    customer: Customer
    handler: Agent  # who works the ticket (its assignee, unless it stays unassigned)
    assigned: bool
    context: dict[str, str]
    close_at: datetime | None = None
    triage_at: datetime | None = None  # a supervisor triages a ticket nobody answered yet
    channel: str = "email"
    authors: dict[str, Agent] = field(default_factory=dict)


def _outcome(state: str | None, last: str) -> str:
    if state == Status.OPEN:
        return "waiting" if last == CUSTOMER else "answered"
    return {Status.NEW: "new", Status.PENDING: "pending", Status.ON_HOLD: "on_hold"}.get(state, "solved")


def cuts(scenario: Scenario) -> dict[str, list[int]]:
    """For each fate, how many of the scenario's steps a ticket with that fate has gone through.

    Follows the services' rules: a reply opens a new ticket, the customer writing reopens a pending or
    solved one.
    """
    found: dict[str, list[int]] = {}
    state: str | None = None
    for n, step in enumerate(scenario.steps, start=1):
        if step.kind == CUSTOMER:
            if state is None:
                state = Status.NEW
            elif state in (Status.PENDING, Status.SOLVED):
                state = Status.OPEN
        elif step.kind == REPLY:
            state = step.status or (Status.OPEN if state == Status.NEW else state)
        elif step.kind == STATUS:
            state = step.status
        if step.kind == PRIORITY:
            continue  # a ticket does not stop right after a priority change
        outcome = _outcome(state, step.kind)
        found.setdefault(outcome, []).append(n)
        if outcome == "solved":
            found.setdefault("closed", []).append(n)
    return found


def _plan_ticket(fate: str, world: World, rng: random.Random, now: datetime) -> Plan:
    candidates = [(s, c[fate]) for s, c in world.cuts if c.get(fate)]
    scenario, lengths = rng.choices(candidates, weights=[s.weight for s, _ in candidates])[0]
    # Solved tickets mostly went through the whole story; others stop anywhere that fits.
    length = max(lengths) if fate in ("solved", "closed") and rng.random() < 0.8 else rng.choice(lengths)
    steps = list(scenario.steps[:length])

    team = world.team_specs[scenario.team]
    members = world.members[scenario.team]
    weights = [{"agent": 4, "supervisor": 1, "admin": 0.3}[a.role] for a in members]
    handler = rng.choices(members, weights=weights)[0]
    supervisor = next((a for a in members if a.role == Agent.Role.SUPERVISOR), handler)
    colleagues = [a for a in members if a != handler and a.role == Agent.Role.AGENT] or [supervisor]
    customer, customer_spec = rng.choice(_customers_for(scenario, world))

    # Raw gaps first, then fit the timeline so the last step lands at the fate's target time.
    gaps = [timedelta(minutes=_log_uniform(rng, *(step.gap or GAPS[step.kind]))) for step in steps[1:]]
    offsets = [rng.uniform(2, 45) for _ in steps]
    lo, hi = FATE_END_HOURS[fate]
    if fate == "new" and rng.random() < 0.15:
        lo, hi = 30, 120  # a few requests have been overlooked for days
    target = now - timedelta(hours=_log_uniform(rng, lo, hi))
    start = target - sum(gaps, timedelta())
    for _ in range(5):
        times = _timeline(start, steps, gaps, offsets, team, now)
        overshoot = times[-1] - target
        if overshoot <= timedelta(0):
            break
        start -= overshoot
    while times[-1] > now:  # could not fit: the ticket got less far
        times.pop()
        steps.pop()

    context = _context(scenario, customer, customer_spec, handler, rng, times[0], now)
    plan = Plan(
        scenario=scenario, fate=fate, steps=steps, times=times, customer=customer, handler=handler,
        assigned=rng.random() < 0.9, context=context, channel=rng.choice(["email", "email", "email", "web"]),
        authors={"assignee": handler, "supervisor": supervisor, "colleague": rng.choice(colleagues)},
    )  # fmt: skip
    if fate == "closed" and steps:
        closing = times[-1] + CLOSE_AFTER + timedelta(hours=rng.uniform(0, 10))
        close_at = _next_open(closing, team, rng.uniform(5, 50))
        plan.close_at = close_at if close_at <= now else None
    if all(step.kind == CUSTOMER for step in steps):
        plan.assigned = rng.random() < 0.3
        triage_at = _next_open(times[-1] + timedelta(minutes=rng.uniform(10, 180)), team, offsets[0])
        if plan.assigned and triage_at <= now:
            plan.triage_at = triage_at
        else:
            plan.assigned = False
    return plan


def _customers_for(scenario: Scenario, world: World) -> list[tuple[Customer, data.CustomerSpec]]:
    flagged = {spec.name: spec.flag[0] for spec in data.ORGANISATIONS if spec.flag}
    wanted = scenario.customers
    if wanted == "private":
        return [(c, s) for c, s in world.customers if not s.organisation]
    if wanted == "business":
        return [(c, s) for c, s in world.customers if s.organisation and s.organisation not in flagged]
    if wanted == "any":
        return [(c, s) for c, s in world.customers if s.organisation not in flagged]
    return [(c, s) for c, s in world.customers if s.organisation and flagged.get(s.organisation) == wanted]


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    """Short waits are common, long ones rare: uniform on a log scale."""
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _timeline(
    start: datetime,
    steps: list[Step],
    gaps: list[timedelta],
    offsets: list[float],
    team: TeamSpec,
    now: datetime,
) -> list[datetime]:
    """When each step happened: customers write in the daytime, agents work in the team's hours."""
    first = _daytime(start, team, offsets[0])
    times = [first if first <= now else start]
    for step, gap, offset in zip(steps[1:], gaps, offsets[1:], strict=True):
        at = times[-1] + gap
        times.append(_daytime(at, team, offset) if step.kind == CUSTOMER else _next_open(at, team, offset))
    return times


def _daytime(at: datetime, team: TeamSpec, offset: float) -> datetime:
    """Customers rarely write between midnight and seven: move such a time to the morning."""
    local = at.astimezone(zoneinfo.ZoneInfo(team.time_zone))
    if local.hour >= 7:
        return at
    return local.replace(hour=7, minute=0) + timedelta(minutes=offset)


def _next_open(at: datetime, team: TeamSpec, offset: float) -> datetime:
    """`at` if the team is working then, else a little after its next opening."""
    tz = zoneinfo.ZoneInfo(team.time_zone)
    local = at.astimezone(tz)
    for days in range(8):
        day = local.date() + timedelta(days=days)
        for start, end in team.week_schedule.get(WEEKDAYS[day.weekday()], []):
            opens = _local_time(day, start, tz)
            closes = _local_time(day, end, tz)
            if local < opens:
                return opens + timedelta(minutes=offset)
            if local < closes:
                return at
    return at


def _local_time(day: date, hhmm: str, tz: zoneinfo.ZoneInfo) -> datetime:
    if hhmm == "24:00":
        return datetime.combine(day + timedelta(days=1), clock_time(), tzinfo=tz)
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, clock_time(hour, minute), tzinfo=tz)


def _context(
    scenario: Scenario,
    customer: Customer,
    spec: data.CustomerSpec,
    handler: Agent,
    rng: random.Random,
    created: datetime,
    now: datetime,
) -> dict[str, str]:
    amount = rng.uniform(*scenario.amount)
    event = now + timedelta(days=rng.randint(14, 70))
    before = created - timedelta(days=rng.randint(1, 4))
    return {
        "first": customer.first_name,
        "name": customer.name,
        "org": spec.organisation or "",
        "agent": handler.first_name,
        "team": scenario.team,
        "order": f"NW-{rng.randint(41000, 58999)}",
        "order2": f"NW-{rng.randint(41000, 58999)}",
        "invoice": f"INV-{created.year}-{rng.randint(1, 9999):05d}",
        "amount": f"€{amount:,.2f}",
        "amount2": f"€{amount * 0.75:,.2f}",
        "product": rng.choice(data.PRODUCTS),
        "cake": rng.choice(data.CAKES),
        "date": f"{event:%A} {event.day} {event:%B}",
        "day": f"{before:%A}",
        "courier": rng.choice(data.COURIERS),
        "tracking": str(rng.randint(10**11, 10**12 - 1)),
        "last4": f"{rng.randint(0, 9999):04d}",
        "guests": str(rng.randrange(30, 140, 5)),
        "ticket": "",
        "street": rng.choice(data.STREETS),
        "voucher": "NWG-" + "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=6)),
        "qty": str(rng.choice([30, 35, 40, 45])),
    }


# --- Running a plan through the services ----------------------------------------------------------------


def _run(plan: Plan, world: World, rng: random.Random) -> str:
    scenario, context = plan.scenario, plan.context
    team = world.teams[scenario.team]
    ticket = services.open_ticket(
        customer=plan.customer, team=team, subject=scenario.subject.format_map(context),
        text=plan.steps[0].text.format_map(context), now=plan.times[0], channel=plan.channel,
    )  # fmt: skip
    context["ticket"] = ticket.reference
    triaged = False
    for step, at in zip(plan.steps[1:], plan.times[1:], strict=True):
        if step.kind == CUSTOMER:
            services.receive_message(ticket, sender=plan.customer, text=step.text.format_map(context), now=at)
            continue
        actor = plan.authors[step.by] if step.kind == NOTE else plan.handler
        if not triaged:
            _triage(ticket, plan, actor, at)
            triaged = True
        if step.kind == REPLY:
            services.reply(ticket, agent=actor, text=_reply_text(step, ticket, actor, plan, world, rng),
                           now=at, status_after=step.status, queue=False)  # fmt: skip
        elif step.kind == NOTE:
            services.add_note(ticket, agent=actor, text=step.text.format_map(context), now=at)
        elif step.kind == STATUS:
            services.set_status(ticket, step.status or Status.OPEN, actor=actor, now=at)
        elif step.kind == PRIORITY:
            services.set_priority(ticket, step.priority or Priority.NORMAL, actor=actor, now=at)
    if plan.triage_at and not triaged:
        _triage(ticket, plan, plan.authors["supervisor"], plan.triage_at)
    if plan.close_at:
        ticket.refresh_from_db(fields=["status"])
        if ticket.status == Status.SOLVED:
            services.set_status(ticket, Status.CLOSED, actor=plan.handler, now=plan.close_at)
    ticket.refresh_from_db(fields=["status"])
    return ticket.status


def _triage(ticket: Ticket, plan: Plan, actor: Agent, at: datetime) -> None:
    """The first agent to touch the ticket assigns it, tags it, and sets its priority."""
    if plan.assigned:
        services.assign(ticket, plan.handler, actor=actor, now=at)
    if plan.scenario.tags:
        services.set_tags(ticket, plan.scenario.tags, actor=actor, now=at)
    if plan.scenario.priority != Priority.NORMAL:
        services.set_priority(ticket, plan.scenario.priority, actor=actor, now=at)


def _reply_text(
    step: Step, ticket: Ticket, agent: Agent, plan: Plan, world: World, rng: random.Random
) -> str:
    if step.macro:
        return services.render_macro(world.macros[step.macro], ticket=ticket, agent=agent)
    signoff = rng.choice(data.SIGNOFFS)
    team = plan.scenario.team
    return f"{step.text.format_map(plan.context)}\n\n{signoff},\n{agent.first_name}\n{data.COMPANY} {team}"
