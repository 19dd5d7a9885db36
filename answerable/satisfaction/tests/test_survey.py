"""The survey after a solve: by email (signed one-click links, no login) and in the portal; a bad rating
asks a supervisor to follow up; agents see the rating on the ticket."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from answerable.customers.services import create_customer
from answerable.promises.models import Notification, Promise
from answerable.satisfaction import services
from answerable.satisfaction.models import Rating
from answerable.tickets import services as tickets
from answerable.tickets.models import Event, Status

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_and_cache():
    cache.clear()
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def solve(world, django_capture_on_commit_callbacks):
    def do(ticket=None, at=NOW):
        ticket = ticket or world.billing_ticket
        tickets.assign(ticket, world.alice, actor=world.alice, now=at)
        with django_capture_on_commit_callbacks(execute=True):
            tickets.set_status(ticket, Status.SOLVED, actor=world.alice, now=at)
        ticket.refresh_from_db()
        return ticket

    return do


def links(mail) -> dict[str, str]:
    return {
        score: path
        for path, score in re.findall(r"https?://[^/\s]+(/help/rate/[^\s?]+/)\?score=(\w+)", mail.body)
    }


def test_solving_mails_a_survey_once_with_signed_links_and_records_it(world, solve, mailoutbox):
    ticket = solve()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ana@acme.example"] and f"[#{ticket.pk}]" in mail.subject
    assert mail.extra_headers["Auto-Submitted"] == "auto-generated"
    assert set(links(mail)) == {"good", "bad"}
    event = Event.objects.get(ticket=ticket, kind=Event.Kind.SURVEY_SENT)
    assert event.data == {"solve": ticket.solved_at.isoformat(), "to": "ana@acme.example"}
    assert services.send_survey(ticket.pk, solved_at=ticket.solved_at, now=NOW) is False  # a repeated job
    assert len(mailoutbox) == 1


def test_solving_by_reply_also_sends_the_survey(world, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        tickets.reply(
            world.billing_ticket, agent=world.alice, text="Refunded.", now=NOW, status_after=Status.SOLVED
        )
    assert sorted(m.subject.split(" ")[0] for m in mailoutbox) == ["How", "Re:"]


def test_no_survey_for_a_robot_address(world, make_customer, make_ticket, solve, mailoutbox):
    robot = create_customer(name="Shop", emails=["no-reply@shop.example"])
    solve(make_ticket(world.billing, robot))
    assert mailoutbox == [] and not Event.objects.filter(kind=Event.Kind.SURVEY_SENT).exists()


def test_no_survey_when_the_ticket_was_reopened_before_the_job_ran(world):
    ticket = world.billing_ticket
    tickets.set_status(ticket, Status.SOLVED, actor=world.alice, now=NOW)  # job not run: no commit in tests
    ticket.refresh_from_db()
    solved_at = ticket.solved_at
    tickets.receive_message(ticket, sender=ticket.customer, text="It's back.", now=NOW + timedelta(minutes=1))
    assert services.send_survey(ticket.pk, solved_at=solved_at, now=NOW) is False


def test_a_new_solve_gets_a_new_survey_and_the_old_link_says_why_it_no_longer_works(
    client, world, solve, mailoutbox
):
    ticket = solve()
    old = links(mailoutbox[0])
    tickets.receive_message(ticket, sender=ticket.customer, text="Not fixed", now=NOW + timedelta(hours=1))
    solve(ticket, at=NOW + timedelta(hours=2))
    assert len(mailoutbox) == 2
    response = client.post(old["good"], {"score": "good"})
    assert response.status_code == 410 and "opened again" in response.content.decode()
    assert not Rating.objects.exists()


def test_the_link_shows_the_choice_without_recording_it_and_one_press_records(
    client, world, solve, mailoutbox
):
    ticket = solve()
    bad = links(mailoutbox[0])["bad"]
    page = client.get(bad + "?score=bad")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="score-bad" aria-pressed="true"' in html
    assert 'id="score-good" aria-pressed="false"' in html
    assert not Rating.objects.exists()  # a link scanner's GET records nothing
    assert "data-auto-submit" in html and 'requestSubmit(document.getElementById("score-bad"))' in html
    response = client.post(bad, {"score": "bad"})
    assert "Send my comment" in response.content.decode()
    response = client.post(bad, {"score": "bad", "comment": "Took a week."})
    assert response.status_code == 200 and "A manager will" in response.content.decode()
    rating = Rating.objects.get()
    assert (rating.ticket, rating.score, rating.comment, rating.agent, rating.customer) == (
        ticket,
        "bad",
        "Took a week.",
        world.alice,
        ticket.customer,
    )
    rated = Event.objects.filter(ticket=ticket, kind=Event.Kind.RATED).order_by("pk")
    assert [e.data["changed"] for e in rated] == [False, True]  # the score, then the comment added
    again = client.get(bad + "?score=good").content.decode()
    assert "data-auto-submit" not in again and "You said: <strong>Bad</strong>" in again  # no silent change


def test_a_tampered_survey_link_is_refused(client, world, solve, mailoutbox):
    solve()
    good = links(mailoutbox[0])["good"]
    token = good.split("/")[-2]
    for bad in (token[:-2] + "zz", "x"):
        response = client.post(reverse("portal:survey", args=[bad]), {"score": "good"})
        assert response.status_code == 400
    assert not Rating.objects.exists()


def test_an_expired_survey_link_is_refused(client, world, solve, mailoutbox, _clock_and_cache):
    solve()
    good = links(mailoutbox[0])["good"]
    _clock_and_cache.shift(services.SURVEY_TTL + timedelta(days=1))
    assert client.post(good, {"score": "good"}).status_code == 410


def test_a_bad_rating_asks_the_supervisor_to_follow_up_once(world, solve):
    ticket = solve()
    services.rate_by_customer(ticket, "bad", comment="Rude.", now=NOW)
    follow_up = Promise.objects.get(ticket=ticket, source=Promise.Source.ESCALATION)
    assert follow_up.owner == world.sue and "Rude." in follow_up.text and follow_up.due_at > NOW
    assert Notification.objects.filter(promise=follow_up, agent=world.sue).exists()
    services.rate_by_customer(ticket, "bad", comment="Very rude.", now=NOW + timedelta(minutes=1))
    assert Promise.objects.filter(ticket=ticket, source=Promise.Source.ESCALATION).count() == 1
    assert Rating.objects.get().comment == "Very rude."


def test_a_good_rating_changed_to_bad_asks_for_a_follow_up(world, solve):
    ticket = solve()
    services.rate_by_customer(ticket, "good", now=NOW)
    assert not Promise.objects.filter(source=Promise.Source.ESCALATION).exists()
    services.rate_by_customer(ticket, "bad", now=NOW + timedelta(minutes=1))
    assert Promise.objects.filter(source=Promise.Source.ESCALATION).count() == 1


def test_the_rating_lands_on_the_agent_and_the_account(world, solve):
    from answerable.customers.models import Organisation

    org = Organisation.objects.create(name="Acme")
    world.billing_ticket.customer.organisation = org
    world.billing_ticket.customer.save()
    services.rate_by_customer(solve(), "good", now=NOW)
    assert list(world.alice.ratings.values_list("score", flat=True)) == ["good"]
    assert list(org.ratings.values_list("score", flat=True)) == ["good"]


def test_agents_see_the_rating_and_comment_on_the_ticket_page(client, world, solve):
    ticket = solve()
    services.rate_by_customer(ticket, "bad", comment="Nobody called back.", now=NOW)
    client.force_login(world.alice)
    html = client.get(reverse("ticket", args=[ticket.pk])).content.decode()
    assert "● Bad" in html and "Nobody called back." in html and "for Alice" in html


def test_the_customer_rates_in_the_portal(
    client, world, solve, django_capture_on_commit_callbacks, mailoutbox
):
    ticket = solve()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:sign_in"), {"email": "ana@acme.example"})
    enter = re.search(r"(/help/enter/[^\s]+/)", mailoutbox[-1].body).group(1)
    client.post(enter)
    page = client.get(reverse("portal:request", args=[ticket.pk])).content.decode()
    assert "How did we do?" in page
    response = client.post(reverse("portal:rate", args=[ticket.pk]), {"score": "good", "comment": "Quick!"})
    assert response.status_code == 302
    assert Rating.objects.get().score == "good"
    assert (
        "You said: <strong>Good</strong>"
        in client.get(reverse("portal:request", args=[ticket.pk])).content.decode()
    )


def test_an_open_request_has_nothing_to_rate(client, world, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:sign_in"), {"email": "ana@acme.example"})
    client.post(re.search(r"(/help/enter/[^\s]+/)", mailoutbox[-1].body).group(1))
    ticket = world.billing_ticket
    assert "How did we do?" not in client.get(reverse("portal:request", args=[ticket.pk])).content.decode()
    client.post(reverse("portal:rate", args=[ticket.pk]), {"score": "good"})
    assert not Rating.objects.exists()


def test_an_unassigned_ticket_is_rated_for_the_agent_who_last_answered(
    world, django_capture_on_commit_callbacks
):
    ticket = world.billing_ticket
    tickets.reply(ticket, agent=world.carl, text="Looking.", now=NOW)
    tickets.reply(
        ticket, agent=world.alice, text="Fixed.", now=NOW + timedelta(minutes=5), status_after="solved"
    )
    ticket.refresh_from_db()
    assert services.rate_by_customer(ticket, "good", now=NOW + timedelta(hours=1)).agent == world.alice
