"""Each metric against the desk in conftest.py, with the arithmetic written out. Business hours: Billing is
open Mon-Fri 09:00-17:00 UTC."""

from datetime import UTC, datetime, timedelta

import pytest

from answerable.insights import metrics
from answerable.insights.metrics import ALL, DurationStats, Period, Scope, Share, percentile

from .conftest import WEEK, at

M = timedelta(minutes=1)
LATER = at(20, 12)  # "now" when the report is read: after the week


def test_percentiles_interpolate_between_closest_ranks():
    values = [2 * M, 4 * M, 6 * M, 10 * M]
    assert percentile(values, 0.5) == 5 * M  # rank 1.5: 4 + 0.5 x (6 - 4)
    assert percentile(values, 0.9) == 8.8 * M  # rank 2.7: 6 + 0.7 x (10 - 6)
    assert percentile([7 * M], 0.9) == 7 * M
    assert percentile([], 0.5) is None


def test_a_period_must_end_after_it_starts():
    with pytest.raises(ValueError, match="end after"):
        Period(at(9, 0), at(9, 0))


def test_first_response_counts_business_time_to_the_first_human_reply_in_the_period(desk):
    stats = metrics.first_response_time(WEEK, desk.billing_scope, by_agent=True)
    # A: Tue 09:00 -> 09:30 = 30 min (the acknowledgement at 09:01 does not count)
    # B: Tue 16:00 -> Wed 09:15 = 60 (Tue 16-17) + 15 = 75 min
    # D: Wed 09:00 -> 11:00 = 120 min
    # C was answered after the week, F has only a note, E G H no answer; Shipping's S is another team.
    # [30, 75, 120]: median 75; p90 rank 0.9 x 2 = 1.8 -> 75 + 0.8 x (120 - 75) = 111
    assert stats[ALL] == DurationStats(3, 75 * M, 111 * M)
    # Alice: A 30, D 120: median 75; p90 rank 0.9 -> 30 + 0.9 x 90 = 111. Carl: B 75.
    assert stats[desk.alice.pk] == DurationStats(2, 75 * M, 111 * M)
    assert stats[desk.carl.pk] == DurationStats(1, 75 * M, 75 * M)


def test_first_response_for_one_agent_counts_the_tickets_they_answered_first(desk):
    assert metrics.first_response_time(WEEK, desk.agent_scope(desk.carl))[ALL] == DurationStats(
        1, 75 * M, 75 * M
    )


def test_next_response_measures_each_wait_from_its_first_customer_message(desk):
    stats = metrics.next_response_time(WEEK, desk.billing_scope, by_agent=True)
    # A: customer Tue 16:00 (and 16:30) -> Alice Wed 10:00 = 60 (Tue 16-17) + 60 (Wed 9-10) = 120 min;
    #    Alice's second reply Wed 10:02 answers no new message: no wait.
    # D: customer Wed 14:00 -> Alice Thu 09:30 = 180 (Wed 14-17) + 30 = 210 min.
    # First replies (A 09:30, B, D 11:00) are first responses, not next responses.
    # [120, 210]: median 165; p90 rank 0.9 -> 120 + 0.9 x 90 = 201
    assert stats[ALL] == DurationStats(2, 165 * M, 201 * M)
    assert stats[desk.alice.pk] == DurationStats(2, 165 * M, 201 * M)
    assert desk.carl.pk not in stats


def test_resolution_time_runs_from_creation_to_the_latest_solve(desk):
    stats = metrics.resolution_time(WEEK, desk.billing_scope, by_agent=True)
    # A: Tue 09:00 -> Wed 10:05 = 480 (Tue) + 65 = 545 min
    # B: Tue 16:00 -> Wed 09:15 = 60 + 15 = 75 min
    # D: Wed 09:00 -> Thu 09:30 (its latest solve; the first was Wed 11:00) = 480 + 30 = 510 min
    # [75, 510, 545]: median 510; p90 rank 1.8 -> 510 + 0.8 x 35 = 538
    assert stats[ALL] == DurationStats(3, 510 * M, 538 * M)
    # Alice (assignee of A and D): [510, 545]: median 527.5; p90 rank 0.9 -> 510 + 0.9 x 35 = 541.5
    assert stats[desk.alice.pk] == DurationStats(2, 527.5 * M, 541.5 * M)


def test_first_contact_resolution_needs_one_reply_and_no_reopening(desk):
    shares = metrics.first_contact_resolution(WEEK, desk.billing_scope, by_agent=True)
    # Solved in the week: A (3 replies), B (1 reply), D (2 replies and reopened) -> only B: 1 of 3
    assert shares[ALL] == Share(1, 3)
    assert shares[desk.carl.pk] == Share(1, 1)
    assert shares[desk.alice.pk] == Share(0, 2)


def test_a_reopened_ticket_with_one_reply_is_not_a_first_contact_resolution(desk, make_ticket):
    from answerable.tickets import services
    from answerable.tickets.models import Status

    t = make_ticket(desk.billing, now=at(9, 9))
    services.reply(t, agent=desk.alice, text="Done.", now=at(9, 10), queue=False, promises=[],
                   status_after=Status.SOLVED)  # fmt: skip
    services.set_status(t, Status.OPEN, actor=desk.alice, now=at(9, 11))
    services.set_status(t, Status.SOLVED, actor=desk.alice, now=at(9, 12))
    # B as before, plus this one: one reply but reopened -> still 1 first-contact of 4 solved
    assert metrics.first_contact_resolution(WEEK, desk.billing_scope)[ALL] == Share(1, 4)


def test_backlog_counts_tickets_open_at_the_end_of_the_period_by_age(desk):
    as_of, buckets = metrics.backlog_by_age(WEEK, desk.billing_scope, now=LATER)
    # As of Mon 16 00:00: H (Sun 20:00, 4 h) under 1 day; G (Sun 00:00, exactly 1 day) and C (Fri 16:30,
    # 2 d 7.5 h) 1-3 days; F (Thu 10:00, 3 d 14 h) 3-7 days; E (1 Feb) over 30 days.
    # A, B and D were solved by then; C's reply on Mon 16 does not matter (it is not solved).
    assert as_of == at(16, 0)
    assert buckets == {"Under 1 day": 1, "1-3 days": 2, "3-7 days": 1, "7-30 days": 0, "Over 30 days": 1}
    # Alice's (assignee): C and F
    _, mine = metrics.backlog_by_age(WEEK, desk.agent_scope(desk.alice), now=LATER)
    assert mine == {"Under 1 day": 0, "1-3 days": 1, "3-7 days": 1, "7-30 days": 0, "Over 30 days": 0}


def test_backlog_of_a_period_not_over_yet_is_taken_now(desk):
    # Now is Thu 12 12:00, inside the week: open then are A? no (solved Wed 10:05); D (reopened Wed 14:00,
    # solved again Thu 09:30: solved by noon); F (Thu 10:00, 2 h) and E. C, G, H do not exist yet.
    as_of, buckets = metrics.backlog_by_age(WEEK, desk.billing_scope, now=at(12, 12))
    assert as_of == at(12, 12)
    assert buckets == {"Under 1 day": 1, "1-3 days": 0, "3-7 days": 0, "7-30 days": 0, "Over 30 days": 1}


def test_acknowledged_within_a_minute_counts_sixty_seconds_as_within(desk):
    ack = metrics.acknowledged_within_minute(WEEK, desk.billing_scope)
    # New in the week: A B C D F G H = 7. Acknowledged: A (60 s), B (30 s), C (120 s), F (0 s) = 4.
    # Within a minute: A, B, F = 3 -> 3 of 4.
    assert (ack.new, ack.acknowledged, ack.within_minute) == (7, 4, 3)
    assert ack.share == Share(3, 4)


def test_promises_closed_in_the_period_by_outcome_and_owner(desk):
    outcomes = metrics.promise_outcomes(WEEK, desk.billing_scope, by_agent=True)
    # Kept: A's acknowledgement (owner Alice, kept by her reply Tue 09:30), B's acknowledgement (no owner:
    #   B was assigned after it, kept Wed 09:15).
    # Broken: A's "get back by 15:00" (Alice, swept Tue 15:01), F's acknowledgement (Alice, due Thu 14:00,
    #   swept Sun 12:00).
    # Reset: F's "bank by Friday 12:00" (Alice, Fri 10:00). Its replacement (Mon 12:00) and C's
    #   acknowledgement are still open at the end of the week.
    assert outcomes[ALL] == metrics.PromiseOutcomes(kept=2, broken=2, reset=1)
    assert outcomes[ALL].kept_share == Share(2, 4)
    assert outcomes[desk.alice.pk] == metrics.PromiseOutcomes(kept=1, broken=2, reset=1)
    assert outcomes[None] == metrics.PromiseOutcomes(kept=1, broken=0, reset=0)


def test_satisfaction_counts_each_solve_once_with_its_latest_rating(desk):
    ratings = metrics.satisfaction(WEEK, desk.billing_scope, by_agent=True)
    # A good; B bad then good -> good; D: first solve bad, second solve good. Shipping's S is not Billing.
    # good 3, bad 1 -> 75 %
    assert ratings[ALL] == metrics.Satisfaction(good=3, bad=1)
    assert ratings[ALL].share_good.value == 0.75
    assert ratings[desk.alice.pk] == metrics.Satisfaction(good=2, bad=1)
    assert ratings[desk.carl.pk] == metrics.Satisfaction(good=1, bad=0)


def test_coach_findings_by_kind_count_only_the_period(desk):
    # In the week: A tone + coverage, B empathy, D tone. C's (Mon 16) and E's (Sun 8) are outside.
    assert metrics.coach_findings_by_kind(WEEK, desk.billing_scope) == {
        "tone": 2,
        "coverage": 1,
        "empathy": 1,
    }
    assert metrics.coach_findings_by_kind(WEEK, desk.agent_scope(desk.carl)) == {"empathy": 1}
    assert metrics.coach_findings_by_agent(WEEK, desk.billing_scope) == {desk.alice.pk: 3, desk.carl.pk: 1}


def test_coach_trend_is_weekly_from_monday_including_empty_weeks(desk):
    two_weeks = Period(at(2, 0), at(16, 0))
    trend = metrics.coach_findings_trend(two_weeks, desk.billing_scope, tz=UTC)
    # Week of Mon 2 Mar: E's tone (Sun 8). Week of Mon 9: tone 2, coverage 1, empathy 1.
    assert trend == [(at(2, 0), {"tone": 1}), (at(9, 0), {"tone": 2, "coverage": 1, "empathy": 1})]
    three = Period(at(23, 0, month=2), at(16, 0))
    assert [w for w, _ in metrics.coach_findings_trend(three, desk.billing_scope, tz=UTC)] == [
        at(23, 0, month=2), at(2, 0), at(9, 0),
    ]  # fmt: skip


def test_an_agent_sees_nothing_of_another_team(desk):
    shipping = Scope(team_ids=(desk.shipping.pk,))
    # Shipping's S: Bob replied after 1 minute (business time, Tue 09:00 -> 09:01) and solved it.
    assert metrics.first_response_time(WEEK, shipping)[ALL] == DurationStats(1, M, M)
    assert metrics.satisfaction(WEEK, shipping)[ALL] == metrics.Satisfaction(good=0, bad=1)
    nobody = Scope(team_ids=())
    assert metrics.first_response_time(WEEK, nobody)[ALL] == DurationStats(0, None, None)
    assert metrics.promise_outcomes(WEEK, nobody)[ALL] == metrics.PromiseOutcomes(0, 0, 0)


def test_durations_use_each_tickets_team_calendar(make_team, make_agent, make_ticket):
    from answerable.tickets import services

    # Berlin, open 09:00-17:00 local. Friday 13 March 16:30 CET (15:30 UTC) answered Monday 16 09:30 CET:
    # 30 min on Friday + 30 min on Monday = 60 min, though 65 calendar hours passed.
    berlin = make_team("Berlin", time_zone="Europe/Berlin")
    agent = make_agent("berta", teams=(berlin,))
    t = make_ticket(berlin, now=datetime(2026, 3, 13, 15, 30, tzinfo=UTC))
    services.reply(t, agent=agent, text="Hello", now=datetime(2026, 3, 16, 8, 30, tzinfo=UTC), queue=False,
                   promises=[])  # fmt: skip
    week = Period(at(16, 0), at(23, 0))
    assert metrics.first_response_time(week, Scope((berlin.pk,)))[ALL] == DurationStats(1, 60 * M, 60 * M)


def test_cached_durations_follow_a_reopened_ticket_and_can_be_thrown_away(desk):
    from answerable.insights.models import Duration, Progress
    from answerable.tickets import services
    from answerable.tickets.models import Status

    before = metrics.resolution_time(WEEK, desk.billing_scope)[ALL]
    billing = Duration.objects.filter(kind="resolution", team=desk.billing)
    assert billing.count() == 3
    # B (solved Wed 09:15) is reopened on Fri 10:00 and solved again Fri 11:00: its resolution is now
    # Tue 16:00 -> Fri 11:00 = 60 (Tue) + 480 (Wed) + 480 (Thu) + 120 (Fri) = 1140 min.
    b = desk.tickets["B"]
    services.receive_message(b, sender=b.customer, text="Still broken.", now=at(13, 10))
    services.set_status(b, Status.SOLVED, actor=desk.carl, now=at(13, 11))
    # [510, 545, 1140]: median 545; p90 rank 1.8 -> 545 + 0.8 x 595 = 1021
    after = metrics.resolution_time(WEEK, desk.billing_scope)[ALL]
    assert (before, after) == (DurationStats(3, 510 * M, 538 * M), DurationStats(3, 545 * M, 1021 * M))
    assert billing.count() == 3  # B's old row replaced
    Duration.objects.all().delete()
    Progress.objects.all().delete()
    assert metrics.resolution_time(WEEK, desk.billing_scope)[ALL] == after
    assert metrics.next_response_time(WEEK, desk.billing_scope)[ALL] == DurationStats(2, 165 * M, 201 * M)


def test_the_refresh_command_measures_what_reports_would(desk):
    from io import StringIO

    from django.core.management import call_command

    from answerable.insights.models import Duration

    out = StringIO()
    call_command("insights_refresh", stdout=out)
    # replies: A x3, B, C, D x2, S = 8 next-response rows, of which 5 first replies (A, B, C, D, S);
    # solves: A, B, D, S = 4 resolutions; acknowledgements: A, B, C, F = 4
    assert Duration.objects.count() == 8 + 5 + 4 + 4
    assert "measured 21 durations" in out.getvalue()
    call_command("insights_refresh", stdout=out)
    assert "measured 0 durations" in out.getvalue()
