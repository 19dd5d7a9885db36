"""Handling time, account pages, relationship notes and terms flags."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from answerable.accounts import queries, services
from answerable.accounts.models import HandlingTime, RelationshipNote
from answerable.customers.models import Organisation, TermsFlag
from answerable.promises.models import Promise
from answerable.satisfaction.services import rate
from answerable.tickets import services as ticket_services
from answerable.tickets.models import Event, Message, Status
from conftest import T0


@pytest.fixture
def acme(world):
    org = Organisation.objects.create(name="Acme", yearly_value=Decimal("36500"))
    customer = world.billing_ticket.customer
    customer.organisation = org
    customer.save()
    world.shipping_ticket.customer.organisation = org  # one Acme ticket in each team
    world.shipping_ticket.customer.save()
    return org


# --- handling time ---------------------------------------------------------------------------------------


def test_heartbeats_add_up_the_time_between_them(world):
    ticket = world.billing_ticket
    for s in (0, 30, 60, 90):
        services.heartbeat(ticket, world.alice, now=T0 + timedelta(seconds=s))
    assert HandlingTime.objects.get(agent=world.alice, ticket=ticket).seconds == 90


def test_a_gap_longer_than_the_cap_counts_nothing(world):
    ticket = world.billing_ticket
    services.heartbeat(ticket, world.alice, now=T0)
    services.heartbeat(ticket, world.alice, now=T0 + timedelta(seconds=30))
    # The tab was hidden or idle for ten minutes: no beats, and the return does not credit the gap.
    assert services.heartbeat(ticket, world.alice, now=T0 + timedelta(minutes=10, seconds=30)) == 0
    services.heartbeat(ticket, world.alice, now=T0 + timedelta(minutes=11))
    assert HandlingTime.objects.get(agent=world.alice, ticket=ticket).seconds == 60


def test_two_tabs_on_one_ticket_do_not_count_twice(world):
    ticket = world.billing_ticket
    # Two tabs beating 15 s apart: wall time is 60 s, and 60 s is what counts.
    for s in (0, 15, 30, 45, 60):
        services.heartbeat(ticket, world.alice, now=T0 + timedelta(seconds=s))
    assert HandlingTime.objects.get(agent=world.alice, ticket=ticket).seconds == 60


def test_time_across_midnight_is_split_by_day_and_lost_nowhere(world):
    ticket = world.billing_ticket
    midnight = T0.replace(hour=0) + timedelta(days=1)
    for s in (-40, -10, 20):
        services.heartbeat(ticket, world.alice, now=midnight + timedelta(seconds=s))
    days = dict(HandlingTime.objects.filter(ticket=ticket).values_list("day", "seconds"))
    assert days == {(midnight - timedelta(days=1)).date(): 30, midnight.date(): 30}


def test_handling_time_is_per_agent(world):
    ticket = world.billing_ticket
    services.heartbeat(ticket, world.alice, now=T0)
    services.heartbeat(ticket, world.carl, now=T0 + timedelta(seconds=10))
    services.heartbeat(ticket, world.alice, now=T0 + timedelta(seconds=30))
    assert HandlingTime.objects.get(agent=world.alice).seconds == 30
    assert HandlingTime.objects.get(agent=world.carl).seconds == 0


def test_the_heartbeat_endpoint_records_and_refuses_other_teams_tickets(world, login):
    client = login(world.alice)
    url = reverse("handling_beat", args=[world.billing_ticket.pk])
    with time_machine.travel(T0, tick=False) as traveller:
        assert client.post(url).status_code == 204
        traveller.shift(30)
        assert client.post(url).status_code == 204
    assert HandlingTime.objects.get(agent=world.alice).seconds == 30
    assert client.post(reverse("handling_beat", args=[world.shipping_ticket.pk])).status_code == 404
    assert client.get(url).status_code == 405
    client.logout()
    assert client.post(url).status_code == 302  # to the login page
    assert HandlingTime.objects.get(agent=world.alice).seconds == 30


def test_the_ticket_page_carries_the_heartbeat_and_the_account_panel(world, login):
    client = login(world.alice)
    html = login(world.alice).get(reverse("ticket", args=[world.billing_ticket.pk])).content.decode()
    assert reverse("handling_beat", args=[world.billing_ticket.pk]) in html
    assert "answerableInUse()" in html  # beats only while visible and in use
    assert reverse("account_ticket_panel", args=[world.billing_ticket.pk]) in html
    assert client.get(reverse("account_ticket_panel", args=[world.shipping_ticket.pk])).status_code == 404


# --- account pages ---------------------------------------------------------------------------------------


def _traffic(world, acme, settings):
    settings.ACCOUNTS_HOURLY_COST = 60
    ticket = world.billing_ticket
    ticket_services.reply(ticket, agent=world.alice, text="Refunded.", now=T0 + timedelta(hours=1))
    ticket_services.add_note(ticket, agent=world.alice, text="Stripe ref", now=T0 + timedelta(hours=1))
    for s in range(0, 1800 + 1, 30):  # half an hour on the billing ticket
        services.heartbeat(ticket, world.alice, now=T0 + timedelta(seconds=s))
    for s in range(0, 3600 + 1, 30):  # an hour on the shipping ticket, another team
        services.heartbeat(world.shipping_ticket, world.bob, now=T0 + timedelta(seconds=s))
    ticket = ticket_services.set_status(ticket, Status.SOLVED, actor=world.alice, now=T0 + timedelta(hours=2))
    rate(ticket, "good", now=T0 + timedelta(hours=3))
    Promise.objects.create(ticket=ticket, text="refund today", source="reply", kind="delivery", status="kept",
                           created_at=T0, closed_at=T0 + timedelta(hours=1))  # fmt: skip


def test_the_organisation_page_shows_the_admin_the_whole_account(world, acme, login, settings):
    _traffic(world, acme, settings)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        response = login(world.ada).get(reverse("account_organisation", args=[acme.pk]) + "?period=30")
    f = response.context["f"]
    assert (f.conversations, f.messages, f.handling_seconds) == (2, 3, 5400)  # notes are not messages
    assert f.cost == Decimal("90.00")  # 1.5 h x 60
    assert f.value == Decimal("3000.00")  # 36,500 a year, 30 days
    assert f.kept == 1 and f.good == 1 and f.satisfaction == 100
    assert response.context["page"].ticket_count == 2


def test_an_agent_sees_only_their_teams_share_of_an_account(world, acme, login, settings):
    _traffic(world, acme, settings)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        response = login(world.alice).get(reverse("account_organisation", args=[acme.pk]))
    f = response.context["f"]
    assert (f.conversations, f.handling_seconds) == (1, 1800)
    assert [t.pk for t in response.context["page"].tickets] == [world.billing_ticket.pk]
    assert "Parcel arrived damaged" not in response.content.decode()


def test_the_ticket_panel_shows_cost_against_value_to_supervisors_only(world, acme, login, settings):
    _traffic(world, acme, settings)
    url = reverse("account_ticket_panel", args=[world.billing_ticket.pk])
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert "cost to serve 30" in login(world.sue).get(url).content.decode()  # her team's half hour x 60
        assert "cost to serve" not in login(world.alice).get(url).content.decode()


def test_accounts_and_customers_without_a_visible_ticket_are_404(world, acme, login):
    other = Organisation.objects.create(name="Globex")
    client = login(world.alice)
    assert client.get(reverse("account_organisation", args=[other.pk])).status_code == 404
    assert (
        client.get(reverse("account_customer", args=[world.shipping_ticket.customer_id])).status_code == 404
    )
    assert client.get(reverse("account_customer", args=[world.billing_ticket.customer_id])).status_code == 200
    assert login(world.ada).get(reverse("account_organisation", args=[other.pk])).status_code == 200


def test_the_ranked_list_puts_accounts_costing_more_than_they_pay_first(world, acme, login, settings):
    _traffic(world, acme, settings)
    cheap = Organisation.objects.create(name="Cheap Ltd", yearly_value=Decimal("10"))
    dev = world.shipping_ticket.customer
    dev.organisation = cheap
    dev.save()
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        response = login(world.ada).get(reverse("accounts") + "?period=30")
        rows = response.context["rows"]
        assert [r.organisation.name for r in rows] == ["Cheap Ltd", "Acme"]
        assert rows[0].figures.cost_ratio > 1 > rows[1].figures.cost_ratio
        assert "costs more than it pays" in response.content.decode()
        assert login(world.alice).get(reverse("accounts")).status_code == 403
        assert login(world.sue).get(reverse("accounts")).status_code == 200


def test_periods_are_chosen_and_bad_ones_refused_with_a_reason(world, acme, login, settings):
    _traffic(world, acme, settings)
    client = login(world.ada)
    with time_machine.travel(T0 + timedelta(days=200), tick=False):
        assert client.get(reverse("accounts") + "?period=30").context["rows"] == []
        rows = client.get(reverse("accounts") + "?start=2026-03-01&end=2026-03-31").context["rows"]
        assert [r.organisation.name for r in rows] == ["Acme"]
        bad = client.get(reverse("accounts") + "?start=2026-03-31&end=2026-03-01")
        assert bad.status_code == 400 and b"ends before it starts" in bad.content
        assert client.get(reverse("accounts") + "?period=7").status_code == 400
        assert client.get(reverse("accounts") + "?start=yesterday").status_code == 400


def test_cost_model_includes_a_per_message_cost_when_configured(settings):
    settings.ACCOUNTS_HOURLY_COST = "50"
    settings.ACCOUNTS_COST_PER_MESSAGE = "0.5"
    f = queries.Figures(conversations=1, messages=10, handling_seconds=7200, value=Decimal(0))
    assert f.cost == Decimal("105.00") and f.cost_ratio is None


# --- relationship notes ----------------------------------------------------------------------------------


def test_notes_added_on_the_account_page_show_on_the_accounts_tickets(world, acme, login):
    client = login(world.alice)
    client.post(reverse("account_organisation_note", args=[acme.pk]), {"text": "Renewal in March; be kind."})
    client.post(
        reverse("account_customer_note", args=[world.billing_ticket.customer_id]), {"text": "Prefers calls"}
    )
    panel = client.get(reverse("account_ticket_panel", args=[world.billing_ticket.pk])).content.decode()
    assert "Renewal in March" in panel and "Prefers calls" in panel
    # Bob's shipping ticket is Acme's too: he sees the organisation's note, not Ana's.
    panel = (
        login(world.bob)
        .get(reverse("account_ticket_panel", args=[world.shipping_ticket.pk]))
        .content.decode()
    )
    assert "Renewal in March" in panel and "Prefers calls" not in panel


def test_a_note_is_refused_when_empty_or_about_an_account_not_visible(world, acme, login):
    client = login(world.alice)
    response = client.post(reverse("account_organisation_note", args=[acme.pk]), {"text": "  "}, follow=True)
    assert "Write the note first." in response.content.decode()
    url = reverse("account_customer_note", args=[world.shipping_ticket.customer_id])
    assert client.post(url, {"text": "sneaky"}).status_code == 404
    assert not RelationshipNote.objects.exists()


def test_notes_never_reach_the_customer(world, acme, login):
    login(world.alice).post(reverse("account_organisation_note", args=[acme.pk]), {"text": "Difficult CFO"})
    assert not Message.objects.filter(text__contains="Difficult CFO").exists()


# --- terms flags -----------------------------------------------------------------------------------------


def test_only_supervisors_and_admins_set_flags_with_a_pre_approved_reply(world, acme, login):
    data = {
        "kind": "prepayment_required",
        "reason": "Invoices overdue",
        "auto_reply": "Hello, prepay please.",
    }
    assert login(world.alice).post(reverse("account_flag_set", args=[acme.pk]), data).status_code == 403
    login(world.sue).post(reverse("account_flag_set", args=[acme.pk]), data)
    flag = TermsFlag.objects.get(organisation=acme, cleared_at=None)
    assert (flag.kind, flag.auto_reply, flag.set_by) == (
        "prepayment_required",
        "Hello, prepay please.",
        world.sue,
    )
    page = login(world.alice).get(reverse("ticket", args=[world.billing_ticket.pk])).content.decode()
    assert page.count("Prepayment required") >= 2  # the customer card and the line above the composer
    login(world.sue).post(reverse("account_flag_clear", args=[flag.pk]))
    assert TermsFlag.objects.get(pk=flag.pk).cleared_at is not None


def test_a_flag_without_a_reason_is_refused_and_nothing_is_set(world, acme, login):
    response = login(world.sue).post(
        reverse("account_flag_set", args=[acme.pk]), {"kind": "decline_new_work", "reason": ""}, follow=True
    )
    assert "Say why the flag is set" in response.content.decode()
    assert not TermsFlag.objects.exists()


def test_promise_counts_cover_kept_and_broken(world, acme, login):
    ticket = world.billing_ticket
    Promise.objects.create(ticket=ticket, text="call back", source="reply", kind="get_back", status="broken",
                           created_at=T0, closed_at=T0 + timedelta(hours=5))  # fmt: skip
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        f = login(world.ada).get(reverse("account_organisation", args=[acme.pk])).context["f"]
    assert f.broken == 1
    assert Event.objects.filter(kind=Event.Kind.TERMS_REPLY).count() == 0


def test_a_malformed_cost_setting_stops_start_up_with_its_name(settings):
    from answerable.accounts.checks import cost_settings

    assert cost_settings() == []
    settings.ACCOUNTS_HOURLY_COST = "forty"
    (error,) = cost_settings()
    assert "ACCOUNTS_HOURLY_COST='forty'" in error.msg
    settings.ACCOUNTS_HOURLY_COST = "-5"
    assert cost_settings()
