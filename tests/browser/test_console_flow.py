"""The agent's everyday path through the console, in a real browser against the live server."""

import re

import pytest
from playwright.sync_api import expect

from answerable.tickets.models import Message
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_logs_in_answers_a_ticket_in_place_and_logs_out(live_server, world, page, screenshot):
    ticket = world.billing_ticket
    outbound = Message.objects.filter(ticket=ticket, kind=Message.Kind.OUTBOUND)

    # Log in and land on the inbox.
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world.alice.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page.locator(".me-name")).to_contain_text(world.alice.display_name)

    # "All open" lists her team's ticket (and not the other team's); open it.
    page.get_by_role("navigation", name="Views").get_by_role("link", name=re.compile("All open")).click()
    expect(page).to_have_url(re.compile(r"/inbox/open/$"))
    expect(page.locator("#rows")).not_to_contain_text(world.shipping_ticket.subject)
    screenshot("inbox")
    page.locator("#rows").get_by_role("link", name=re.compile(re.escape(ticket.subject))).click()
    expect(page).to_have_url(re.compile(rf"/t/{ticket.pk}/$"))
    expect(page.locator("h1")).to_contain_text(ticket.subject)

    # Reply: htmx swaps the conversation in place; a full reload would drop this marker.
    page.evaluate("window.__samePage = true")
    first = "Sorry about the double charge, Ana. I have refunded the second payment."
    page.fill("#id_text", first)
    page.click("#send")
    expect(page.locator("article.msg-outbound", has_text=first)).to_be_visible()
    assert page.evaluate("window.__samePage === true"), "sending reloaded the page instead of swapping"
    expect(page.locator("#id_text")).to_have_value("")
    assert list(outbound.values_list("text", "author")) == [(first, world.alice.pk)]
    screenshot("ticket")

    # A double click on Send stores and shows the reply once.
    second = "The refund should reach your card within five working days."
    page.fill("#id_text", second)
    page.locator("#send").dblclick()
    expect(page.locator("article.msg-outbound", has_text=second)).to_be_visible()
    expect(page.locator("article.msg-outbound")).to_have_count(2)
    assert outbound.filter(text=second).count() == 1
    assert outbound.count() == 2
    assert page.evaluate("window.__samePage === true")

    # Log out and see the login page.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert page.js_errors == []
