"""The promise extractor: phrase families, due-time rules, look-alikes, and the labelled sets."""

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from answerable.lib.business_hours import BusinessCalendar
from answerable.lib.corpora import corpora_dir
from answerable.promises.evaluation import Label, evaluate, load_rows, match
from answerable.promises.extract import FoundPromise, calendar_from_spec, extract

LONDON = "Europe/London"
WEEK = "Mon-Fri 09:00-17:00"


def at(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))


def found(text: str, sent: datetime, spec: str = WEEK, **cal_kw) -> list[FoundPromise]:
    tz = str(sent.tzinfo)
    calendar = calendar_from_spec(tz, spec) if not cal_kw else BusinessCalendar(time_zone=tz, **cal_kw)
    return extract(text, sent_at=sent, calendar=calendar)


def only(text: str, sent: datetime, spec: str = WEEK, **cal_kw) -> FoundPromise:
    promises = found(text, sent, spec, **cal_kw)
    assert len(promises) == 1, promises
    return promises[0]


def due(text: str, sent: datetime, spec: str = WEEK, **cal_kw) -> str | None:
    d = only(text, sent, spec, **cal_kw).due
    return None if d is None else d.strftime("%Y-%m-%d %H:%M")


# A Wednesday, mid-morning, in a Monday-to-Friday team
WED = at(LONDON, 2026, 6, 10, 11, 0)


# --- spans ---------------------------------------------------------------------------------------


def test_span_is_the_clause_without_its_full_stop_and_indexes_the_text():
    text = "Hi Sam, thanks for the photos. I'll send you a new lamp by Friday. Best, Jo"
    p = only(text, WED)
    assert p.span == "I'll send you a new lamp by Friday"
    assert text[p.start : p.end] == p.span
    assert p.time_text == "by Friday"
    assert p.kind == "delivery"


def test_two_commitments_joined_by_and_are_two_promises():
    text = "Our accounts team will resend it within 2 hours, and the 40 cases will ship in 3 business days."
    spans = [p.span for p in found(text, WED)]
    assert spans == [
        "Our accounts team will resend it within 2 hours",
        "the 40 cases will ship in 3 business days",
    ]


def test_coordinated_verbs_each_with_a_time_are_split():
    promises = found("Your coffee will be roasted on Monday and delivered on Tuesday.", WED)
    assert [p.span for p in promises] == ["Your coffee will be roasted on Monday", "delivered on Tuesday"]
    assert [p.due.day for p in promises] == [15, 16]


def test_coordinated_verbs_sharing_one_time_stay_one_promise():
    p = only("We'll print and trim all 120 cards by Thursday at noon.", WED)
    assert p.span == "We'll print and trim all 120 cards by Thursday at noon"


def test_named_colleague_in_apposition_is_part_of_the_subject():
    p = only("Our developer, Tunde, will push a fix by 6pm.", WED)
    assert p.span == "Our developer, Tunde, will push a fix by 6pm"


def test_introductory_phrase_is_left_out_of_the_span():
    p = only("As I said on Monday, I'll have the full quote to you by Friday.", WED)
    assert p.span == "I'll have the full quote to you by Friday"
    assert p.due == at(LONDON, 2026, 6, 12, 17, 0)


def test_leading_time_phrase_set_off_by_a_comma_still_counts():
    p = only("Tomorrow, I'll call you with the results.", WED)
    assert p.due == at(LONDON, 2026, 6, 11, 17, 0)


def test_reporting_lead_in_is_trimmed_from_the_span():
    p = only("I can confirm that the replacement will be dispatched by the end of the week.", WED)
    assert p.span == "the replacement will be dispatched by the end of the week"


def test_time_text_names_the_event_a_promise_waits_for():
    p = only("I'll email you the confirmation as soon as it's back.", WED)
    assert (p.time_text, p.due) == ("as soon as it's back", None)


def test_kinds():
    assert only("I'll call you tomorrow.", WED).kind == "get_back"
    assert only("We'll let you know by Friday.", WED).kind == "get_back"
    assert only("The refund will be processed within 5 business days.", WED).kind == "delivery"
    assert only("Our engineers will look into it.", WED).kind == "resolution"


# --- weekdays, today, tomorrow -----------------------------------------------------------------


def test_weekday_is_the_next_such_day_at_end_of_business():
    assert due("It should reach you by Tuesday.", WED) == "2026-06-16 17:00"


def test_weekday_is_today_when_said_that_day_before_close():
    assert due("I'll have the quote to you by Wednesday.", WED) == "2026-06-10 17:00"


def test_weekday_said_that_day_after_close_is_a_week_later():
    late = at(LONDON, 2026, 6, 10, 17, 20)
    assert due("A technician will visit on Wednesday.", late) == "2026-06-17 17:00"


def test_weekend_day_on_a_weekday_calendar_uses_the_usual_closing_time():
    assert due("The resort details will follow by Sunday.", WED) == "2026-06-14 17:00"


def test_next_weekday_is_the_next_one_and_never_today():
    assert due("We'll ship it next Friday.", WED) == "2026-06-12 17:00"
    friday = at(LONDON, 2026, 6, 12, 10, 0)
    assert due("We'll ship it next Friday.", friday) == "2026-06-19 17:00"


def test_weekday_with_next_week_is_that_day_of_next_week():
    assert due("We'll ship it on Tuesday next week.", WED) == "2026-06-16 17:00"
    assert due("We'll ship it on Thursday next week.", WED) == "2026-06-18 17:00"


def test_weekday_with_clock_time_uses_the_clock():
    assert due("Dr Okafor will see you on Friday at 10:30.", WED) == "2026-06-12 10:30"
    assert due("They'll be ready for pickup by 2pm on Thursday.", WED) == "2026-06-11 14:00"


def test_tomorrow_is_the_next_calendar_day_even_at_a_weekend():
    saturday_eve = at(LONDON, 2026, 6, 12, 20, 0)  # Friday evening: tomorrow is Saturday
    assert due("Our team will unlock the exam for you tomorrow.", saturday_eve) == "2026-06-13 17:00"


def test_morning_and_first_thing_resolve_to_noon():
    assert due("Hannah will call you tomorrow morning.", WED) == "2026-06-11 12:00"
    assert due("All 2,000 copies will be ready first thing tomorrow.", WED) == "2026-06-11 12:00"
    assert due("They will reset it by Monday morning.", WED) == "2026-06-15 12:00"


def test_today_end_of_day_and_close_of_business_are_today_at_close():
    assert due("I'll email you the new contract today.", WED) == "2026-06-10 17:00"
    assert due("She will send you the metadata by end of day.", WED) == "2026-06-10 17:00"
    assert due("Ciara will email it to you by close of business on Friday.", WED) == "2026-06-12 17:00"


def test_today_said_after_close_is_still_today():
    late = at(LONDON, 2026, 6, 10, 17, 40)
    assert due("I'll send you the corrected invoice today.", late) == "2026-06-10 17:00"


def test_end_of_business_is_that_weekdays_last_interval():
    spec = "Mon-Thu 08:00-16:00, Fri 08:00-12:00"
    assert due("We'll send it by Friday.", WED, spec) == "2026-06-12 12:00"
    assert due("We'll send it by Thursday.", WED, spec) == "2026-06-11 16:00"
    assert due("We'll send it by Saturday.", WED, spec) == "2026-06-13 16:00"  # closed: the usual close


def test_split_day_uses_the_close_of_the_last_interval():
    spec = "Mon-Fri 09:00-12:30 13:30-17:30"
    assert due("We'll send it tomorrow.", WED, spec) == "2026-06-11 17:30"


# --- clock times and windows ------------------------------------------------------------------


def test_clock_time_is_used_as_given():
    assert due("Your car will be ready by 3:30pm.", WED) == "2026-06-10 15:30"
    assert due("We'll migrate your server tonight at 23:00.", WED) == "2026-06-10 23:00"
    assert due("Linnea will phone you by noon to suggest alternatives.", WED) == "2026-06-10 12:00"


def test_clock_time_already_past_today_is_tomorrow():
    evening = at(LONDON, 2026, 6, 10, 18, 40)
    assert due("He'll be at your door at 9am.", evening) == "2026-06-11 09:00"


def test_window_resolves_to_its_end():
    assert due("A driver will collect them tomorrow between 9am and 5pm.", WED) == "2026-06-11 17:00"
    assert due("The crew will bring it on Friday between 7am and 11am.", WED) == "2026-06-12 11:00"
    assert due("The engineer will arrive between 8 and 12 tomorrow.", WED) == "2026-06-11 12:00"


# --- elapsed time and daylight saving ---------------------------------------------------------


def test_minutes_and_hours_are_elapsed_time():
    assert due("Our rider will deliver it in 45 minutes.", WED) == "2026-06-10 11:45"
    assert due("I'll send you the e-ticket within an hour.", WED) == "2026-06-10 12:00"
    assert due("Our engineer will call you back within half an hour.", WED) == "2026-06-10 11:30"
    assert due("I'll send you the corrected quote within the hour.", WED) == "2026-06-10 12:00"


def test_hours_across_berlin_spring_forward_are_elapsed():
    sent = at("Europe/Berlin", 2026, 3, 28, 12, 0)  # clocks go forward on Sunday 29 March
    assert due("We'll reissue the certificate within 24 hours.", sent) == "2026-03-29 13:00"


def test_hours_across_berlin_fall_back_are_elapsed():
    sent = at("Europe/Berlin", 2026, 10, 23, 15, 0)  # clocks go back on Sunday 25 October
    assert due("We'll issue a credit note for it within 72 hours.", sent) == "2026-10-26 14:00"


def test_hours_across_new_york_spring_forward_are_elapsed():
    sent = at("America/New_York", 2026, 3, 7, 20, 30)  # clocks go forward on Sunday 8 March
    assert due("An adjuster will call you within 24 hours.", sent) == "2026-03-08 21:30"


def test_calendar_days_are_not_shifted_by_daylight_saving():
    sent = at("Europe/Berlin", 2026, 3, 27, 10, 0)
    assert due("The parts will arrive within 3 days.", sent) == "2026-03-30 17:00"


# --- business days, calendar days, weeks, months ----------------------------------------------


def test_business_days_skip_the_weekend():
    thursday = at(LONDON, 2026, 11, 12, 13, 45)
    assert due("The amount will be reversed within 2 working days.", thursday) == "2026-11-16 17:00"


def test_business_days_counted_from_a_sunday_start_on_monday():
    sunday = at(LONDON, 2026, 6, 14, 12, 0)
    assert due("I'll confirm the change within 2 business days.", sunday) == "2026-06-16 17:00"


def test_business_days_skip_the_teams_closed_days():
    week = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    closed = {date(2026, 6, 11)}  # Thursday
    assert due("It will be dispatched within 2 business days.", WED, week=week, closed_days=closed) == (
        "2026-06-15 17:00"
    )


def test_business_days_on_a_monday_to_saturday_calendar_count_saturday():
    assert (
        due("It will be dispatched within 3 business days.", WED, "Mon-Sat 08:00-18:00") == "2026-06-13 18:00"
    )


def test_business_day_range_takes_the_upper_bound():
    monday = at(LONDON, 2026, 7, 13, 10, 45)
    assert due("It will arrive by post within 5-7 business days.", monday) == "2026-07-22 17:00"
    assert due("Your new card should be with you in 3 to 5 working days.", monday) == "2026-07-20 17:00"


def test_next_business_day():
    friday = at(LONDON, 2026, 6, 12, 15, 0)
    assert due("We'll post it on the next working day.", friday) == "2026-06-15 17:00"


def test_days_and_weeks_are_calendar_days_at_close():
    assert due("I'll send the necklace back within 10 days.", WED) == "2026-06-20 17:00"
    assert due("The quilt will be back with you within 3 weeks.", WED) == "2026-07-01 17:00"
    assert due("It will be ready in 2 weeks.", WED) == "2026-06-24 17:00"


def test_next_week_is_friday_of_next_week():
    assert due("Your refund will be processed next week.", WED) == "2026-06-19 17:00"
    sunday = at(LONDON, 2026, 6, 14, 12, 0)
    assert due("Tomasz will schedule your first call next week.", sunday) == "2026-06-19 17:00"


def test_end_of_this_week_is_friday():
    assert due("I'll update you before the end of the week.", WED) == "2026-06-12 17:00"


def test_nth_of_the_month_is_the_next_such_date():
    assert due("The refund will be back on your card by the 5th.", WED) == "2026-07-05 17:00"
    assert due("Our billing team will issue a corrected invoice by the 15th.", WED) == "2026-06-15 17:00"


def test_nth_skips_months_without_that_day():
    sent = at(LONDON, 2027, 2, 2, 10, 0)
    assert due("We'll pay it by the 30th.", sent) == "2027-03-30 17:00"


def test_end_of_the_month_is_its_last_day():
    assert due("Your bag will ship by the end of the month.", WED) == "2026-06-30 17:00"


def test_explicit_dates_resolve_to_that_day_at_close_or_the_stated_clock():
    assert due("Your crown will be back with us by 28 August.", WED) == "2026-08-28 17:00"
    assert due("Dr Chen will fit it on 1 September at 9:00.", WED) == "2026-09-01 09:00"
    assert due("They will be delivered on Friday 9 October.", WED) == "2026-10-09 17:00"
    assert due("We will refund you by 5 May.", WED) == "2027-05-05 17:00"  # already past this year


# --- phrases the labelling rules leave open: the choices made, pinned ----------------------------


def test_tonight_and_this_evening_run_to_the_end_of_the_day():
    assert due("We'll email you tonight.", WED) == "2026-06-10 23:59"


def test_afternoon_is_end_of_business():
    assert due("I'll ring you back this afternoon.", WED) == "2026-06-10 17:00"


def test_this_weekend_is_its_sunday_and_next_month_its_last_day():
    assert due("Your order will be dispatched this weekend.", WED) == "2026-06-14 17:00"
    assert due("The update will roll out to your account next month.", WED) == "2026-07-31 17:00"


def test_within_a_month_is_the_same_date_next_month():
    assert due("We'll settle the claim within a month.", at(LONDON, 2027, 1, 31, 10, 0)) == "2027-02-28 17:00"


def test_dotted_and_bare_clock_times():
    assert due("We'll call you at 14.30 tomorrow.", WED) == "2026-06-11 14:30"
    assert due("I'll call you at 5.", WED) == "2026-06-10 17:00"


# --- vague and event-tied ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I'll update you soon.",
        "We'll send you a revised schedule shortly.",
        "She will contact you with a treatment plan in due course.",
        "We'll confirm your booking in the coming days.",
        "We'll get it repaired as soon as possible.",
        "We'll restart the print run once the new die arrives.",
        "Dr Singh will call you when the results come back.",
        "We'll fit it as soon as it arrives.",
        "We'll bake your conchas first thing once it's fixed.",
        "Our engineers will look into it.",
        "They will come back to you with their view.",
        "You'll get the payslips by email within an hour of that.",
    ],
)
def test_vague_or_event_tied_promises_count_without_a_due_time(text):
    assert only(text, WED).due is None


def test_duration_after_a_customer_action_has_no_due_time():
    assert only("Once you send the photos, we'll settle the claim within 5 days.", WED).due is None


# --- look-alikes that are not promises --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # questions, asked or quoted
        "Would a Thursday evening slot work better for you?",
        "Will you be home on Friday?",
        "I understand the question ('Why can't you deliver on Saturday?'), but our crews work weekdays.",
        "You asked whether the decaf will be back by next week. We don't have dates yet.",
        'Your message said, "The courier will come on Tuesday to pick up the boxes."',
        # past events
        "We shipped your order on Monday, and UPS delivered it yesterday at 2:14pm.",
        "You're right that we promised delivery last Thursday.",
        # hedged conditionals and hypotheticals
        "We could remake the table within 6 weeks if you decide to change the wood.",
        "If the part had been in stock, we would have finished the service today.",
        "We might be able to fit you in on Saturday if someone cancels.",
        "I wish I could tell you the blanket will arrive by Sunday, but it hasn't been scanned.",
        "If the courier misses you, they'll leave a card.",
        # general policy
        "Refunds usually take 5 to 10 business days to show on your statement.",
        "Orders placed before 1pm are delivered the same day.",
        "Refunds will be processed within 14 days of receiving the return.",
        "Our standard plan covers a first response within 8 business hours.",
        # requests to the customer and the customer's own commitments
        "Please reply by Friday with the signed agreement.",
        "Thanks for confirming you'll send the final artwork by Tuesday.",
        "You'll need to upload proof of address within 14 days.",
        # negations
        "I'm afraid we can't promise Friday.",
        "We won't be able to print the banners by Saturday.",
        "I can't guarantee it will arrive by Friday.",
        "We will not charge you for the repair.",
        # idioms and other non-commitments
        "I'll be honest: the module doesn't support custom fiscal years yet.",
        "I'll keep this brief.",
        "I'll admit the first batch had a weak scent.",
        "I'll let you get on with your evening.",
        "The driver will need a forklift on site to unload it, as usual.",
        "I'll be out of the office until Monday.",
        "The fee will be £25.",
        "Prices will go up in January.",
        "Your subscription will renew on 1 March.",
    ],
)
def test_look_alikes_are_not_promises(text):
    assert found(text, WED) == []


def test_a_promise_after_an_idiom_is_still_found():
    p = only("I'll be honest with you: the courier will deliver it by Friday.", WED)
    assert p.span == "the courier will deliver it by Friday"


def test_carrier_estimate_with_should_counts():
    assert due("DHL should deliver them on 3 December.", WED) == "2026-12-03 17:00"


def test_present_progressive_with_a_time_counts():
    assert due("We're sending a courier tomorrow.", WED) == "2026-06-11 17:00"
    assert found("We're seeing packet loss on the route to your server.", WED) == []


# --- odd input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00\x01",
        "?" * 500,
        "will will will 'll",
        "'" * 300,
        "by the 99th",
        "at 99:99",
        "🙂 " * 200,
    ],
)
def test_odd_input_never_raises(text):
    assert isinstance(found(text, WED), list)


def test_run_on_text_stays_fast():
    import time

    for text in (", will" * 3000, "we will call you tomorrow and " * 700, "Dr. " * 5000):
        t0 = time.perf_counter()
        found(text, WED)
        assert time.perf_counter() - t0 < 2.0


def test_non_text_input_gives_nothing():
    calendar = calendar_from_spec(LONDON, WEEK)
    assert extract(None, sent_at=WED, calendar=calendar) == []  # type: ignore[arg-type]


def test_multiline_reply_with_signature():
    text = "Hi Anna,\n\nThanks for getting in touch. I'll send the form by Friday.\n\nBest,\nWill\nSupport"
    p = only(text, WED)
    assert p.span == "I'll send the form by Friday"


# --- calendars from a spec --------------------------------------------------------------------


def test_calendar_spec_reads_groups_and_ranges():
    cal = calendar_from_spec("Europe/Paris", "Mon-Thu 08:00-16:00, Fri 08:00-12:00")
    assert [len(cal.week[d]) for d in ("mon", "thu", "fri", "sat", "sun")] == [1, 1, 1, 0, 0]
    assert cal.week["fri"][0][1].hour == 12
    six = calendar_from_spec("Europe/Paris", "Mon-Sat 08:30-18:00")
    assert six.week["sat"] and not six.week["sun"]


def test_calendar_spec_without_hours_is_refused():
    with pytest.raises(ValueError):
        calendar_from_spec("Europe/Paris", "closed")


# --- scoring and the labelled sets ------------------------------------------------------------


def test_spans_match_when_they_overlap_by_half_the_shorter_and_each_label_once():
    labels = [Label("a", 0, 40, None), Label("b", 50, 90, None)]
    preds = [
        FoundPromise("x", 10, 30, None, "", "get_back"),  # inside the first label
        FoundPromise("y", 15, 35, None, "", "get_back"),  # the first label is taken already
        FoundPromise("z", 80, 120, None, "", "get_back"),  # overlaps b by 10 of 40: too little
    ]
    assert match(labels, preds) == [(0, 0)]


def _check_set(path: Path) -> None:
    scores = evaluate(load_rows(path), repeats=3)
    assert scores.f1 >= 0.9, scores.summary()
    assert scores.due_exact >= 0.9, scores.summary()
    assert scores.p95_ms < 10, scores.summary()


def test_shared_dev_set_scores():
    base = corpora_dir()
    path = base.parent / "eval" / "promises.dev.jsonl" if base else None
    if path is None or not path.is_file():
        pytest.skip("shared dev set not present")
    _check_set(path)


def test_project_set_scores():
    path = Path(__file__).parent / "data" / "promises.jsonl"
    if not path.is_file():
        pytest.skip("project set not present")
    _check_set(path)


def test_a_lead_time_in_the_present_for_the_customers_own_item_is_a_promise() -> None:
    sent = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday
    cal = calendar_from_spec("UTC", "Mon-Fri 09:00-17:00")
    (found,) = extract("Your order ships in 3-5 business days.", sent_at=sent, calendar=cal)
    assert found.due == datetime(2026, 3, 17, 17, 0, tzinfo=UTC)  # the 5th business day
    for policy in (
        "Orders ship within 2 days.",
        "Your parcel usually arrives in 3 days.",
        "It arrives soon.",
    ):
        assert extract(policy, sent_at=sent, calendar=cal) == [], policy
