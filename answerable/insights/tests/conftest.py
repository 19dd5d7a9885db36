"""A small desk, built through the real services at explicit times, whose report figures are worked out by
hand in test_metrics.py.

Billing works Monday to Friday 09:00-17:00 UTC (the default schedule, UTC zone). The report week is
Monday 9 March 2026 00:00 to Monday 16 March 00:00 UTC. Times below are UTC.

  A  Tue 10 09:00 opened, assigned to Alice, acknowledged at 09:01:00 (60 s: counts as "within a minute");
     Alice replies 09:30 promising to get back by 15:00; the sweep breaks that at 15:01; the customer
     writes 16:00 and 16:30; Alice replies Wed 10:00 and again 10:02 (no new wait); solved Wed 10:05;
     rated good Wed 12:00.
  B  Tue 10 16:00 opened, acknowledged 16:00:30, then assigned to Carl; Carl replies Wed 09:15 and solves
     in the same step; rated bad Wed 10:00, changed to good Thu 09:00.
  C  Fri 13 16:30 opened, assigned to Alice, acknowledged 16:32 (2 min); Alice replies Mon 16 09:10
     (after the week).
  D  Wed 11 09:00 opened, assigned to Alice, not acknowledged; Alice replies 11:00 and solves; rated bad
     12:00; the customer writes 14:00 (reopens); Alice replies Thu 12 09:30 and solves; rated good 10:00.
  E  Sun 1 Feb 10:00 opened, never answered.
  F  Thu 12 10:00 opened, assigned to Alice, acknowledged at once; Alice adds a note 10:05 promising the
     bank by Fri 12:00, resets that promise Fri 10:00 to Mon 16 12:00; the sweep on Sun 15 12:00 breaks
     the acknowledgement's promise (due Thu 14:00: four business hours, the default with no history).
  G  Sun 15 00:00 opened (exactly one day before the week ends), H  Sun 15 20:00 opened.
  Coach: Alice on A Tue 09:30 tone + coverage, on D Thu 09:30 tone, on C Mon 16 09:10 tone (after the
     week), on E Sun 8 Mar (before the week) tone; Carl on B Wed 09:15 empathy.
  Shipping (another team): S opened Tue 10 09:00, Bob replies 09:01 and solves, rated bad.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from answerable.coach import services as coach
from answerable.coach.checks import Finding
from answerable.insights.metrics import Period, Scope
from answerable.promises import services as ledger
from answerable.promises.models import Promise
from answerable.promises.services import PromiseDraft
from answerable.satisfaction.services import rate
from answerable.staff.models import Agent, Team
from answerable.tickets import services
from answerable.tickets.models import Status, Ticket


def at(day: int, hh: int, mm: int = 0, ss: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hh, mm, ss, tzinfo=UTC)


WEEK = Period(at(9, 0), at(16, 0))


@dataclass
class Desk:
    billing: Team
    shipping: Team
    alice: Agent
    carl: Agent
    bob: Agent
    sue: Agent
    ada: Agent
    tickets: dict[str, Ticket]

    @property
    def billing_scope(self) -> Scope:
        return Scope(team_ids=(self.billing.pk,))

    def agent_scope(self, agent: Agent) -> Scope:
        return Scope(team_ids=(self.billing.pk,), agent_id=agent.pk)


def _finding(check: str) -> Finding:
    return Finding(check=check, start=0, end=4, quote="text", why="why", fix="")


def _rate(ticket: Ticket, score: str, now: datetime) -> None:
    rate(Ticket.objects.select_related("customer").get(pk=ticket.pk), score, now=now)


@pytest.fixture
def desk(make_team, make_agent, make_customer, make_ticket) -> Desk:
    billing, shipping = make_team("Billing"), make_team("Shipping")
    alice = make_agent("alice", teams=(billing,))
    carl = make_agent("carl", teams=(billing,))
    bob = make_agent("bob", teams=(shipping,))
    sue = make_agent("sue", role=Agent.Role.SUPERVISOR, teams=(billing,))
    ada = make_agent("ada", role=Agent.Role.ADMIN)
    none: list = []

    def reply(ticket: Ticket, agent: Agent, now: datetime, **kw) -> object:
        kw.setdefault("promises", none)
        return services.reply(ticket, agent=agent, text="Thanks, done.", now=now, queue=False, **kw)

    # A
    a = make_ticket(billing, subject="A", now=at(10, 9))
    services.assign(a, alice, actor=sue, now=at(10, 9))
    services.acknowledge(a, now=at(10, 9, 1))
    first = reply(
        a, alice, at(10, 9, 30), promises=[PromiseDraft("I'll get back to you by 15:00", at(10, 15))]
    )
    coach.record(a, [_finding("tone"), _finding("coverage")], agent=alice, message=first,
                 outcome="sent_anyway", now=at(10, 9, 30))  # fmt: skip
    ledger.sweep_once(at(10, 15, 1))
    services.receive_message(a, sender=a.customer, text="Any news?", now=at(10, 16))
    services.receive_message(a, sender=a.customer, text="Hello?", now=at(10, 16, 30))
    reply(a, alice, at(11, 10))
    reply(a, alice, at(11, 10, 2))
    services.set_status(a, Status.SOLVED, actor=alice, now=at(11, 10, 5))
    _rate(a, "good", at(11, 12))
    # B
    b = make_ticket(billing, subject="B", now=at(10, 16))
    services.acknowledge(b, now=at(10, 16, 0, 30))
    services.assign(b, carl, actor=sue, now=at(10, 16, 1))
    second = reply(b, carl, at(11, 9, 15), status_after=Status.SOLVED)
    coach.record(
        b, [_finding("empathy")], agent=carl, message=second, outcome="sent_anyway", now=at(11, 9, 15)
    )
    _rate(b, "bad", at(11, 10))
    _rate(b, "good", at(12, 9))
    # C
    c = make_ticket(billing, subject="C", now=at(13, 16, 30))
    services.assign(c, alice, actor=sue, now=at(13, 16, 30))
    services.acknowledge(c, now=at(13, 16, 32))
    late = reply(c, alice, at(16, 9, 10))
    coach.record(c, [_finding("tone")], agent=alice, message=late, outcome="sent_anyway", now=at(16, 9, 10))
    # D
    d = make_ticket(billing, subject="D", now=at(11, 9))
    services.assign(d, alice, actor=sue, now=at(11, 9))
    reply(d, alice, at(11, 11), status_after=Status.SOLVED)
    _rate(d, "bad", at(11, 12))
    services.receive_message(d, sender=d.customer, text="It is not fixed.", now=at(11, 14))
    again = reply(d, alice, at(12, 9, 30), status_after=Status.SOLVED)
    coach.record(d, [_finding("tone")], agent=alice, message=again, outcome="overridden", now=at(12, 9, 30))
    _rate(d, "good", at(12, 10))
    # E
    e = make_ticket(billing, subject="E", now=at(1, 10, month=2))
    coach.record(e, [_finding("tone")], agent=alice, message=None, outcome="blocked", now=at(8, 12))
    # F
    f = make_ticket(billing, subject="F", now=at(12, 10))
    services.assign(f, alice, actor=sue, now=at(12, 10))
    services.acknowledge(f, now=at(12, 10))
    services.add_note(
        f, agent=alice, text="Asked the bank.", now=at(12, 10, 5),
        promises=[PromiseDraft("We'll check with the bank by Friday 12:00", at(13, 12))],
    )  # fmt: skip
    bank = Promise.objects.get(ticket=f, source=Promise.Source.NOTE)
    ledger.reset(bank, due_at=at(16, 12), text="by Monday noon", actor=alice, now=at(13, 10))
    ledger.sweep_once(at(15, 12))
    # G, H
    g = make_ticket(billing, subject="G", now=at(15, 0))
    h = make_ticket(billing, subject="H", now=at(15, 20))
    # Shipping
    s = make_ticket(shipping, subject="S", now=at(10, 9))
    services.assign(s, bob, actor=ada, now=at(10, 9))
    reply(s, bob, at(10, 9, 1), status_after=Status.SOLVED)
    _rate(s, "bad", at(10, 10))
    return Desk(
        billing, shipping, alice, carl, bob, sue, ada, dict(A=a, B=b, C=c, D=d, E=e, F=f, G=g, H=h, S=s)
    )
