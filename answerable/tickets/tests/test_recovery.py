"""Service recovery: a broken promise or a complaint starts one; the new expectation's fate is its outcome;
a follow-up check comes after; reports count them with satisfaction afterwards. Time passed explicitly."""

from datetime import timedelta

import pytest

from answerable.promises import services as ledger
from answerable.promises.models import Promise
from answerable.promises.services import PromiseDraft
from answerable.satisfaction import services as satisfaction
from answerable.tickets import recovery, services
from answerable.tickets.models import Event, Recovery, Status
from conftest import T0  # Tuesday 10 March 2026, 09:00 UTC; teams default to UTC, Mon-Fri 09-17


def promise(ticket, due, **kw):
    return ledger.record(ticket, text="I'll call you by 11:00", source=Promise.Source.REPLY,
                         kind=Promise.Kind.GET_BACK, due_at=due, now=T0, **kw)  # fmt: skip


def test_a_broken_promise_starts_a_recovery_once_per_ticket(world):
    ticket = world.billing_ticket
    first = promise(ticket, T0 + timedelta(hours=2))
    promise(ticket, T0 + timedelta(hours=3))
    ledger.sweep_once(T0 + timedelta(hours=2))
    [rec] = Recovery.objects.filter(ticket=ticket)
    assert rec.reason == Recovery.Reason.BROKEN_PROMISE and rec.broken_promise == first
    assert rec.started_at == T0 + timedelta(hours=2) and rec.closed_at is None
    ledger.sweep_once(T0 + timedelta(hours=3))  # a second failure joins the open recovery
    assert Recovery.objects.filter(ticket=ticket).count() == 1
    assert Event.objects.filter(ticket=ticket, kind=Event.Kind.RECOVERY_STARTED).count() == 1


def test_no_recovery_for_a_promise_broken_on_a_solved_ticket(world):
    ticket = world.billing_ticket
    promise(ticket, T0 + timedelta(hours=2))
    services.set_status(ticket, Status.SOLVED, actor=world.alice, now=T0 + timedelta(hours=1))
    ledger.sweep_once(T0 + timedelta(hours=2))
    assert not Recovery.objects.exists()


def test_the_reset_reply_sets_the_new_expectation_and_a_follow_up_and_keeping_it_ends_kept(world):
    ticket = world.billing_ticket
    broken = promise(ticket, T0 + timedelta(hours=2))
    ledger.sweep_once(T0 + timedelta(hours=2))
    rec = Recovery.objects.get(ticket=ticket)
    text, new_due = recovery.draft(rec, agent=world.alice, now=T0 + timedelta(hours=3))
    assert "I'm sorry" in text and "What we are doing now" in text
    new = PromiseDraft("You will hear from me by ...", new_due)
    services.reply(ticket, agent=world.alice, text=text, now=T0 + timedelta(hours=3), promises=[new],
                   resets=broken.pk)  # fmt: skip
    rec.refresh_from_db()
    assert rec.promise.due_at == new_due and rec.promise.status == Promise.Status.OPEN
    follow = rec.follow_up
    assert follow.kind == Promise.Kind.FOLLOW_UP and follow.source == Promise.Source.RECOVERY
    assert follow.due_at > new_due
    # The fix goes out before the new time: kept.
    services.reply(ticket, agent=world.alice, text="Done: refunded.", now=T0 + timedelta(hours=4))
    rec.refresh_from_db()
    assert rec.outcome == Recovery.Outcome.KEPT and rec.closed_at == T0 + timedelta(hours=4)
    assert Event.objects.filter(ticket=ticket, kind=Event.Kind.RECOVERY_ENDED, data__outcome="kept").exists()
    # The follow-up check is not kept by a reply: it waits for "Checked".
    follow.refresh_from_db()
    assert follow.status == Promise.Status.OPEN
    assert ledger.mark_checked(follow, actor=world.alice, now=T0 + timedelta(days=2))
    follow.refresh_from_db()
    assert follow.status == Promise.Status.KEPT


def test_when_the_new_expectation_breaks_too_the_recovery_ends_broken_and_a_new_one_starts(world):
    ticket = world.billing_ticket
    promise(ticket, T0 + timedelta(hours=1))
    ledger.sweep_once(T0 + timedelta(hours=1))
    first = Recovery.objects.get(ticket=ticket)
    services.reply(ticket, agent=world.alice, text="Sorry.", now=T0 + timedelta(hours=1),
                   promises=[PromiseDraft("by 14:00", T0 + timedelta(hours=5))])  # fmt: skip
    ledger.sweep_once(T0 + timedelta(hours=5))
    first.refresh_from_db()
    assert first.outcome == Recovery.Outcome.BROKEN
    second = Recovery.objects.get(ticket=ticket, closed_at=None)
    assert second.pk != first.pk and second.broken_promise == first.promise


def test_a_broken_follow_up_check_does_not_start_another_recovery(world):
    ticket = world.billing_ticket
    promise(ticket, T0 + timedelta(hours=1))
    ledger.sweep_once(T0 + timedelta(hours=1))
    services.reply(ticket, agent=world.alice, text="Sorry.", now=T0 + timedelta(hours=1),
                   promises=[PromiseDraft("by 14:00", T0 + timedelta(hours=5))])  # fmt: skip
    services.reply(ticket, agent=world.alice, text="Fixed.", now=T0 + timedelta(hours=2))
    assert Recovery.objects.get(ticket=ticket).outcome == "kept"
    ledger.sweep_once(T0 + timedelta(days=5))
    assert ticket.promises.get(kind=Promise.Kind.FOLLOW_UP).status == Promise.Status.BROKEN
    assert Recovery.objects.filter(ticket=ticket).count() == 1


def test_a_complaint_is_recorded_starts_a_recovery_and_must_be_answered_in_time(world):
    ticket = world.billing_ticket
    rec = recovery.complaint(ticket, "Third time I write. Nobody answers.", now=T0)
    assert rec.reason == Recovery.Reason.COMPLAINT and "Third time" in rec.detail
    assert Event.objects.get(ticket=ticket, kind=Event.Kind.COMPLAINED).data["text"].startswith("Third time")
    answer = ticket.promises.get(source=Promise.Source.RECOVERY, kind=Promise.Kind.GET_BACK)
    assert answer.due_at == T0 + timedelta(hours=4) and answer.status == Promise.Status.OPEN
    # A second complaint joins the same recovery and the same promise.
    assert recovery.complaint(ticket, "Still nothing!", now=T0 + timedelta(minutes=5)) == rec
    assert ticket.promises.filter(source=Promise.Source.RECOVERY).count() == 1
    text, _ = recovery.draft(rec, agent=world.alice, now=T0)
    assert "Thank you for telling us" in text and "You will hear from me by Tuesday 10 March" in text


def test_an_empty_complaint_is_refused(world):
    with pytest.raises(ValueError, match="customer's words"):
        recovery.complaint(world.billing_ticket, "  ", now=T0)
    assert not Recovery.objects.exists()


def test_summary_counts_recoveries_outcomes_and_satisfaction_afterwards(world, make_ticket):
    kept_ticket, broken_ticket, open_ticket = (
        world.billing_ticket,
        make_ticket(world.billing),
        world.shipping_ticket,
    )
    for t in (kept_ticket, broken_ticket):
        promise(t, T0 + timedelta(hours=1))
    ledger.sweep_once(T0 + timedelta(hours=1))
    for t in (kept_ticket, broken_ticket):
        services.reply(t, agent=world.alice, text="Sorry.", now=T0 + timedelta(hours=1),
                       promises=[PromiseDraft("by 14:00", T0 + timedelta(hours=5))])  # fmt: skip
    services.reply(kept_ticket, agent=world.alice, text="Fixed.", now=T0 + timedelta(hours=2))
    ledger.sweep_once(T0 + timedelta(hours=5))  # broken_ticket's new expectation breaks
    recovery.complaint(open_ticket, "Rude answer", now=T0 + timedelta(hours=6))
    services.set_status(kept_ticket, Status.SOLVED, actor=world.alice, now=T0 + timedelta(hours=7))
    kept_ticket.refresh_from_db()
    satisfaction.rate(kept_ticket, "good", now=T0 + timedelta(hours=8))
    s = recovery.summary(since=T0, until=T0 + timedelta(days=1))
    assert (s.started, s.after_broken_promise, s.after_complaint) == (4, 3, 1)  # broken_ticket failed twice
    assert (s.kept, s.broken, s.still_open) == (1, 1, 2)
    assert (s.rated_good_after, s.rated_bad_after) == (1, 0)
    billing_only = recovery.summary(since=T0, until=T0 + timedelta(days=1), team_ids=[world.billing.pk])
    assert billing_only.started == 3 and billing_only.after_complaint == 0


def test_a_complaint_on_a_solved_ticket_reopens_it_and_the_customer_waits_on_us(world):
    ticket = world.billing_ticket
    services.reply(ticket, agent=world.alice, text="Refunded.", now=T0, status_after=Status.SOLVED)
    recovery.complaint(ticket, "It is not refunded at all", now=T0 + timedelta(hours=1))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.waiting_since == T0 + timedelta(hours=1)


def test_a_complaint_on_a_closed_ticket_is_refused_so_a_follow_up_is_opened(world):
    ticket = world.billing_ticket
    services.set_status(ticket, Status.CLOSED, actor=world.alice, now=T0)
    with pytest.raises(ValueError, match="follow-up"):
        recovery.complaint(ticket, "Still broken", now=T0)
    assert not Recovery.objects.exists()
