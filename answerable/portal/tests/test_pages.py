"""Portal pages: bounded queries, the customer's time zone, accessible forms."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from answerable.portal.tests.helpers import NOW
from answerable.tickets import services as tickets
from answerable.tickets.services import IncomingFile


@pytest.mark.parametrize("n", [1, 10])
def test_a_request_page_query_count_does_not_grow_with_the_thread(
    client, clock, world, sign_in_as, django_assert_max_num_queries, n
):
    ticket = world.billing_ticket
    for i in range(n):
        at = NOW + timedelta(minutes=i)
        tickets.reply(ticket, agent=world.alice, text=f"Reply {i}", now=at)
        tickets.add_note(ticket, agent=world.carl, text=f"Note {i}", now=at)
        tickets.receive_message(ticket, sender=ticket.customer, text=f"More {i}", now=at,
                                files=[IncomingFile(f"f{i}.txt", b"x", "text/plain")])  # fmt: skip
    sign_in_as("ana@acme.example")
    # session, customer, ticket, messages, attachments, open promise, rating
    with django_assert_max_num_queries(8):
        assert client.get(reverse("portal:request", args=[ticket.pk])).status_code == 200


def test_the_request_list_is_one_query_for_the_rows(client, clock, world, make_ticket, sign_in_as,
                                                    django_assert_max_num_queries):  # fmt: skip
    for i in range(10):
        make_ticket(world.billing, world.billing_ticket.customer, subject=f"Request {i}")
    sign_in_as("ana@acme.example")
    with django_assert_max_num_queries(3):  # session, customer, requests
        html = client.get(reverse("portal:requests")).content.decode()
    assert len(re.findall(r'href="/help/requests/\d+/"', html)) == 11


def test_times_show_in_the_browsers_zone_else_the_teams(client, clock, world, sign_in_as):
    ticket = world.billing_ticket
    tickets.acknowledge(ticket, now=NOW)
    sign_in_as("ana@acme.example")
    url = reverse("portal:request", args=[ticket.pk])
    assert "(UTC time)" in client.get(url).content.decode()  # the team's zone, said as such
    client.cookies["portal_tz"] = "Asia/Tokyo"
    html = client.get(url).content.decode()
    assert "Asia/Tokyo" in html and "(your time)" in html
    client.cookies["portal_tz"] = "Not/AZone"
    assert "Not/AZone" not in client.get(url).content.decode()


def test_every_field_has_a_label(client, billing_form):
    html = client.get(reverse("portal:request_form", args=["billing"])).content.decode()
    fields = re.findall(r"<(?:input|textarea)[^>]*>", html)
    ids = [re.search(r'\bid="([^"]+)"', f).group(1) for f in fields if 'type="hidden"' not in f]
    labels = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    assert ids and all(i in labels for i in ids), (ids, labels)
    assert 'aria-describedby="id_email_helptext"' in html and 'id="id_email_helptext"' in html
