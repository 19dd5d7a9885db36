"""The promise ledger: made, warned, kept, broken, paused and reset, with time passed in explicitly."""

from datetime import timedelta

import pytest

from answerable.promises import services
from answerable.promises.models import Notification, Promise, SlaPolicy
from answerable.promises.services import PromiseDraft
from answerable.staff.models import Agent
from answerable.tickets.models import Event, Status
from conftest import T0  # Tuesday 10 March 2026, 09:00 UTC; teams default to UTC, Mon-Fri 09-17


@pytest.fixture
def policy(world):
    return SlaPolicy.objects.create(
        name="Standard",
        team=world.billing,
        first_response=timedelta(hours=4),
        next_response=timedelta(hours=8),
        resolution=timedelta(hours=16),
    )


def promise(ticket, **kw):
    defaults = {
        "text": "I'll get back to you by 13:00",
        "source": Promise.Source.REPLY,
        "kind": Promise.Kind.GET_BACK,
        "due_at": T0 + timedelta(hours=4),
        "now": T0,
    }
    return services.record(ticket, **(defaults | kw))


def test_sla_targets_become_promises_due_in_business_hours(world, policy):
    services.on_ticket_opened(world.billing_ticket, now=T0 + timedelta(hours=6))  # Tue 15:00: 2 h left today
    first, resolution = Promise.objects.filter(ticket=world.billing_ticket).order_by("kind")
    assert first.kind == "first_response" and first.due_at == T0 + timedelta(days=1, hours=2)  # Wed 11:00
    assert resolution.kind == "resolution" and resolution.due_at == T0 + timedelta(
        days=2, hours=6
    )  # Thu 15:00


def test_the_most_specific_policy_applies(world, policy):
    urgent = SlaPolicy.objects.create(
        name="Urgent", team=world.billing, priority=4, first_response=timedelta(hours=1)
    )
    world.billing_ticket.priority = 4
    assert services.policy_for(world.billing_ticket) == urgent
    world.billing_ticket.priority = 2
    assert services.policy_for(world.billing_ticket) == policy


def test_a_reply_keeps_the_get_back_promises_and_records_its_own(world):
    ticket = world.billing_ticket
    old = promise(ticket)
    message = ticket.messages.first()
    [new] = services.on_reply(
        ticket,
        message,
        agent=world.alice,
        now=T0 + timedelta(hours=1),
        found=[
            PromiseDraft(
                "The refund will arrive within 3 business days", T0 + timedelta(days=3), Promise.Kind.DELIVERY
            )
        ],
    )
    old.refresh_from_db()
    assert old.status == Promise.Status.KEPT and old.closed_at == T0 + timedelta(hours=1)
    assert new.status == Promise.Status.OPEN and new.owner == world.alice and new.kind == "delivery"


def test_solving_keeps_resolution_and_delivery_promises(world):
    ticket = world.billing_ticket
    delivery = promise(ticket, kind=Promise.Kind.DELIVERY)
    get_back = promise(ticket)
    services.on_status(
        ticket, old=Status.OPEN, new=Status.SOLVED, actor=world.alice, now=T0 + timedelta(hours=1)
    )
    delivery.refresh_from_db()
    get_back.refresh_from_db()
    assert delivery.status == Promise.Status.KEPT
    assert get_back.status == Promise.Status.OPEN


def test_the_owner_is_warned_at_75_percent_and_supervisors_too_at_breach(world):
    ticket = world.billing_ticket
    p = promise(ticket, owner=world.alice)  # window 4 h: warn at 3 h
    assert services.sweep_once(T0 + timedelta(hours=2, minutes=59)) == services.SweepResult(0, 0)
    assert services.sweep_once(T0 + timedelta(hours=3)) == services.SweepResult(1, 0)
    assert services.sweep_once(T0 + timedelta(hours=3, minutes=1)) == services.SweepResult(0, 0)  # once only
    assert list(Notification.objects.values_list("agent__username", "kind")) == [("alice", "at_risk")]
    assert services.sweep_once(T0 + timedelta(hours=4)) == services.SweepResult(0, 1)
    p.refresh_from_db()
    assert p.status == Promise.Status.BROKEN
    broken = set(Notification.objects.filter(kind="broken").values_list("agent__username", flat=True))
    assert broken == {"alice", "sue"}  # the owner and the team's supervisor
    assert Event.objects.filter(ticket=ticket, kind=Event.Kind.PROMISE_BROKEN).count() == 1


def test_a_promise_kept_in_time_is_never_warned_or_broken(world):
    ticket = world.billing_ticket
    promise(ticket)
    services.on_reply(
        ticket, ticket.messages.first(), agent=world.alice, now=T0 + timedelta(hours=1), found=[]
    )
    assert services.sweep_once(T0 + timedelta(days=7)) == services.SweepResult(0, 0)


def test_promises_without_a_time_are_tracked_but_never_break(world):
    p = promise(world.billing_ticket, text="I'll look into it", due_at=None)
    assert services.sweep_once(T0 + timedelta(days=30)) == services.SweepResult(0, 0)
    p.refresh_from_db()
    assert p.status == Promise.Status.OPEN


def test_pending_pauses_sla_clocks_and_resuming_keeps_the_business_time_left(world, policy):
    ticket = world.billing_ticket
    services.on_ticket_opened(ticket, now=T0)  # first response due Tue 13:00
    services.on_status(
        ticket, old=Status.OPEN, new=Status.PENDING, actor=world.alice, now=T0 + timedelta(hours=1)
    )
    assert services.sweep_once(T0 + timedelta(days=2)) == services.SweepResult(
        0, 0
    )  # paused: nothing happens
    resume = T0 + timedelta(days=2)  # Thu 09:00, 3 business hours were left
    services.on_status(ticket, old=Status.PENDING, new=Status.OPEN, actor=world.alice, now=resume)
    first = Promise.objects.get(ticket=ticket, kind="first_response")
    assert first.paused_at is None and first.due_at == resume + timedelta(hours=3)
    assert Event.objects.filter(ticket=ticket, kind=Event.Kind.PROMISE_PAUSED).count() == 2


def test_reset_replaces_the_promise_and_keeps_its_history(world):
    old = promise(world.billing_ticket)
    services.sweep_once(T0 + timedelta(hours=5))
    new = services.reset(
        old,
        due_at=T0 + timedelta(days=1),
        text="You'll have it by Wednesday 17:00",
        actor=world.alice,
        now=T0 + timedelta(hours=5),
    )
    old.refresh_from_db()
    assert old.status == Promise.Status.BROKEN and old.replaced_by == new
    assert new.status == Promise.Status.OPEN and new.due_at == T0 + timedelta(days=1)


def test_a_dropped_promise_is_not_tracked(world):
    p = promise(world.billing_ticket)
    assert services.drop(p, actor=world.alice, now=T0, reason="misread")
    assert services.sweep_once(T0 + timedelta(days=1)) == services.SweepResult(0, 0)


def test_warnings_are_emailed_only_to_agents_who_asked(world, django_capture_on_commit_callbacks, mailoutbox):
    Agent.objects.filter(pk=world.alice.pk).update(notify_by_email=True)
    promise(world.billing_ticket, owner=world.alice)
    promise(world.billing_ticket, owner=world.carl)
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep_once(T0 + timedelta(hours=3))
    assert [m.to for m in mailoutbox] == [["alice@staff.example"]]
    assert "At risk" in mailoutbox[0].body


def test_the_sweep_reads_only_promises_already_due(world, django_assert_max_num_queries):
    for i in range(30):
        promise(world.billing_ticket, due_at=T0 + timedelta(days=10 + i))
    with django_assert_max_num_queries(2):  # one indexed read per step, nothing due
        services.sweep_once(T0 + timedelta(hours=1))


def _auto_resets(world, on: bool = True) -> None:
    world.billing.auto_send_resets = on
    world.billing.save()


def test_a_team_that_opted_in_sends_the_reset_at_breach(world, django_capture_on_commit_callbacks):
    _auto_resets(world)
    old = promise(world.billing_ticket, owner=world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep_once(T0 + timedelta(hours=5))
    old.refresh_from_db()
    sent = world.billing_ticket.messages.get(idempotency_key=f"auto-reset-{old.pk}")
    assert "we did not keep that" in sent.text and "[say what" not in sent.text
    assert sent.author == world.alice
    assert old.replaced_by is not None and old.replaced_by.status == Promise.Status.OPEN
    # A second sweep or a repeated job sends nothing more.
    services.send_reset(old, now=T0 + timedelta(hours=6))
    assert world.billing_ticket.messages.filter(idempotency_key=f"auto-reset-{old.pk}").count() == 1


def test_resets_wait_for_an_agent_unless_the_team_opted_in(world, django_capture_on_commit_callbacks):
    old = promise(world.billing_ticket, owner=world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep_once(T0 + timedelta(hours=5))
    assert not world.billing_ticket.messages.filter(idempotency_key=f"auto-reset-{old.pk}").exists()


def test_promises_the_customer_never_heard_are_not_reset_automatically(
    world, django_capture_on_commit_callbacks
):
    _auto_resets(world)
    note = promise(world.billing_ticket, owner=world.alice, source=Promise.Source.NOTE)
    nobody = promise(world.billing_ticket)  # no owner, no assignee: nobody to sign it
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep_once(T0 + timedelta(hours=5))
    keys = [f"auto-reset-{note.pk}", f"auto-reset-{nobody.pk}"]
    assert not world.billing_ticket.messages.filter(idempotency_key__in=keys).exists()
