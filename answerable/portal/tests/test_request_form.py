from datetime import date

import pytest
from django.urls import reverse

from answerable.customers.models import Customer
from answerable.tickets.models import Event, Message, Ticket

URL = reverse("portal:request_form", args=["billing"])


def started(client) -> str:
    html = client.get(URL).content.decode()
    return html.split('name="started" value="', 1)[1].split('"', 1)[0]


def fill(client, clock, **overrides) -> dict:
    token = started(client)
    clock.shift(20)  # a person takes a while to write
    return {
        "name": "Nora Field", "email": "nora@field.example",
        "needed": "New invoice address\nPlease send future invoices to our Leeds office.",
        "by_when": "2026-03-20", "order_number": "PO-7781", "website": "", "started": token, **overrides,
    }  # fmt: skip


def test_a_request_opens_a_web_ticket_acknowledged_like_email_and_shows_reference_and_expected_time(
    client, clock, billing_form, django_capture_on_commit_callbacks, mailoutbox
):
    data = fill(client, clock)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, data)
    assert response.status_code == 302
    ticket = Ticket.objects.get(customer__emails__address="nora@field.example")
    assert ticket.team == billing_form.team and ticket.subject == "New invoice address"
    first = ticket.messages.get(kind=Message.Kind.INBOUND)
    assert "Needed by: Friday 20 March 2026" in first.text and "Order number: PO-7781" in first.text
    assert Event.objects.get(ticket=ticket, kind=Event.Kind.CREATED).data == {"channel": "web"}
    ack = ticket.messages.get(kind=Message.Kind.OUTBOUND, automatic=True)
    assert (
        ticket.expected_response_at is not None
        and Event.objects.filter(kind=Event.Kind.ACKNOWLEDGED).exists()
    )
    assert [m.to for m in mailoutbox] == [["nora@field.example"]] and mailoutbox[0].body == ack.text
    page = client.get(response.url).content.decode()
    assert f"<strong>{ticket.pk}</strong>" in page and "You will hear from us by" in page


def test_a_known_address_reuses_its_customer(client, clock, billing_form, world):
    client.post(URL, fill(client, clock, email="ANA@acme.example", name="Someone else"))
    assert Customer.objects.filter(emails__address__iexact="ana@acme.example").count() == 1
    assert Ticket.objects.filter(customer__name="Ana Ruiz").count() == 2


def test_budget_is_asked_only_where_the_team_asks_for_it(client, clock, billing_form):
    assert 'name="budget"' not in client.get(URL).content.decode()
    billing_form.asks_for_budget = True
    billing_form.save()
    client.post(URL, fill(client, clock, budget="about 2,000 EUR"))
    assert (
        "Budget: about 2,000 EUR"
        in Message.objects.get(kind=Message.Kind.INBOUND, sender__name="Nora Field").text
    )


def test_a_team_without_a_form_is_404(client, world):
    assert client.get(reverse("portal:request_form", args=["shipping"])).status_code == 404


def test_the_honeypot_stops_the_request_and_keeps_the_text(client, clock, billing_form):
    response = client.post(URL, fill(client, clock, website="http://spam.example"))
    assert response.status_code == 400
    assert not Ticket.objects.filter(customer__emails__address="nora@field.example").exists()
    assert "Leeds office" in response.content.decode()


def test_a_form_sent_faster_than_a_person_can_is_refused_and_can_be_sent_again(client, clock, billing_form):
    data = fill(client, clock)
    data["started"] = started(client)  # shown just now
    response = client.post(URL, data)
    assert response.status_code == 400 and "very quick" in response.content.decode()
    assert not Ticket.objects.filter(customer__emails__address="nora@field.example").exists()
    fresh = response.content.decode().split('name="started" value="', 1)[1].split('"', 1)[0]
    clock.shift(5)
    assert client.post(URL, {**data, "started": fresh}).status_code == 302


@pytest.mark.parametrize("token", ["", "garbage", "eyJmIjoiYmlsbGluZyIsImF0IjowfQ:1abc:forged"])
def test_a_missing_or_forged_start_time_is_refused(client, clock, billing_form, token):
    response = client.post(URL, fill(client, clock, started=token))
    assert response.status_code == 400
    assert not Ticket.objects.filter(customer__emails__address="nora@field.example").exists()


def test_a_start_time_from_another_teams_form_is_refused(client, clock, billing_form, world):
    from answerable.portal.forms import started_token
    from answerable.portal.tests.helpers import NOW

    response = client.post(URL, fill(client, clock, started=started_token("shipping", NOW)))
    assert response.status_code == 400


def test_one_address_gets_three_requests_an_hour_then_a_clear_429(client, clock, billing_form):
    for _ in range(3):
        assert client.post(URL, fill(client, clock)).status_code == 302
    response = client.post(URL, fill(client, clock))
    assert response.status_code == 429 and "Leeds office" in response.content.decode()
    assert Ticket.objects.filter(customer__emails__address="nora@field.example").count() == 3
    clock.shift(3600)
    assert client.post(URL, fill(client, clock)).status_code == 302


def test_one_ip_gets_ten_requests_an_hour_across_addresses(client, clock, billing_form):
    for i in range(10):
        assert client.post(URL, fill(client, clock, email=f"p{i}@field.example")).status_code == 302
    assert client.post(URL, fill(client, clock, email="p11@field.example")).status_code == 429
    other_ip = client.post(URL, fill(client, clock, email="p12@field.example"), REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 302


def test_a_past_date_or_a_missing_field_is_a_clear_error(client, clock, billing_form):
    response = client.post(URL, fill(client, clock, by_when="2026-03-01", email=""))
    html = response.content.decode()
    assert response.status_code == 400 and "That date has passed" in html and "This field is required" in html
    assert not Ticket.objects.filter(customer__emails__address="nora@field.example").exists()


def test_a_no_reply_address_gets_its_request_but_no_acknowledgement(client, clock, billing_form):
    client.post(URL, fill(client, clock, email="no-reply@shop.example"))
    ticket = Ticket.objects.get(customer__emails__address="no-reply@shop.example")
    assert not ticket.messages.filter(automatic=True).exists() and ticket.expected_response_at is None


def test_a_program_as_attachment_is_refused_and_nothing_is_stored(client, clock, billing_form):
    from django.core.files.uploadedfile import SimpleUploadedFile

    exe = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
    response = client.post(URL, {**fill(client, clock), "files": [exe]})
    assert response.status_code == 400 and "program" in response.content.decode()
    assert not Ticket.objects.filter(customer__emails__address="nora@field.example").exists()


def test_the_sent_page_shows_only_the_request_this_browser_sent(client, billing_form):
    assert client.get(reverse("portal:request_sent", args=["billing"])).status_code == 302


def test_the_form_page_uses_the_customers_words(client, billing_form):
    from answerable.portal.tests.helpers import banned_words_in

    html = client.get(URL).content.decode()
    assert banned_words_in(html) == [] and "We answer within a day." in html
    assert 'autocomplete="off"' in html and 'aria-hidden="true"' in html  # the honeypot, hidden from people


def test_the_date_in_the_text_is_the_customers_date(client, clock, billing_form):
    client.post(URL, fill(client, clock, by_when=date(2026, 12, 24).isoformat()))
    assert (
        "Needed by: Thursday 24 December 2026"
        in Message.objects.get(kind=Message.Kind.INBOUND, sender__name="Nora Field").text
    )


def test_refused_attempts_count_against_the_ip_too(client, clock, billing_form):
    for _ in range(10):
        assert client.post(URL, fill(client, clock, website="http://spam.example")).status_code == 400
    assert client.post(URL, fill(client, clock)).status_code == 429
    assert not Ticket.objects.filter(customer__emails__address="nora@field.example").exists()
