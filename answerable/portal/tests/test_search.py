"""Customers search their own requests: their messages and our replies, never notes or other customers'."""

from django.urls import reverse

from answerable.tickets import services
from conftest import T0

REQUESTS = reverse("portal:requests")


def test_a_customer_finds_only_their_own_requests_and_never_notes(world, clock, sign_in_as):
    services.reply(world.billing_ticket, agent=world.alice, text="Your refund is on its way.", now=T0)
    services.add_note(world.billing_ticket, agent=world.alice, text="Secret refund override code", now=T0)
    services.add_note(world.shipping_ticket, agent=world.bob, text="refund for Dev", now=T0)
    client = sign_in_as("ana@acme.example")
    html = client.get(REQUESTS, {"q": "refund"}).content.decode()
    assert "Refund for a double charge" in html and "Parcel arrived damaged" not in html
    assert "override" not in html
    assert "1 matching request" in client.get(REQUESTS, {"q": "refund"}).content.decode()
    assert "No request of yours matches" in client.get(REQUESTS, {"q": "override"}).content.decode()


def test_a_bad_search_is_explained_in_the_box(world, clock, sign_in_as):
    response = sign_in_as("ana@acme.example").get(REQUESTS, {"q": "colour:blue"})
    assert response.status_code == 400 and 'aria-invalid="true"' in response.content.decode()
