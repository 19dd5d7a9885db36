"""Handling time and the account panel on the ticket page, in a real browser."""

import pytest
from playwright.sync_api import expect

from answerable.accounts import services
from answerable.accounts.models import HandlingTime
from answerable.lib import clock
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_open_ticket_beats_while_in_use_and_shows_relationship_notes(
    live_server, world, page, screenshot
):
    ticket = world.billing_ticket
    services.add_relationship_note(
        author=world.sue, text="Prefers a phone call for anything over 100 EUR.", now=clock.now(),
        customer=ticket.customer,
    )  # fmt: skip
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world.alice.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # The page load beats once (the tab is visible and just used), and the panel loads after the page.
    with page.expect_response(lambda r: r.url.endswith(f"/accounts/t/{ticket.pk}/beat/")) as beat:
        page.goto(f"{live_server.url}/t/{ticket.pk}/")
    assert beat.value.status == 204
    expect(page.locator("#account-panel")).to_contain_text("Prefers a phone call")
    assert HandlingTime.objects.filter(agent=world.alice, ticket=ticket).exists()
    assert page.evaluate("answerableInUse()") is True
    # A hidden tab does not count: the trigger's filter says no.
    page.evaluate("Object.defineProperty(document, 'visibilityState', {get: () => 'hidden'})")
    assert page.evaluate("answerableInUse()") is False
    screenshot("ticket-account-panel")
    page.locator("#account-panel").get_by_role("link", name=ticket.customer.name).click()
    expect(page.locator("h1")).to_contain_text(ticket.customer.name)
    expect(page.get_by_role("region", name="Relationship notes")).to_contain_text("Prefers a phone call")
    screenshot("account-customer")
    assert page.js_errors == []
