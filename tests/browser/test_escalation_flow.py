"""Escalation in a real browser: the agent escalates in place with a holding reply, the supervisor finds it in
the Escalations view and hands it back with guidance."""

import re

import pytest
from playwright.sync_api import expect

from answerable.tickets.models import Escalation, Message
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, url, agent):
    page.goto(f"{url}/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))


def test_agent_escalates_and_supervisor_hands_back(live_server, world, page, screenshot):
    ticket = world.billing_ticket
    log_in(page, live_server.url, world.alice)
    page.goto(f"{live_server.url}/t/{ticket.pk}/")
    page.evaluate("window.__samePage = true")
    page.keyboard.press("e")  # opens the form on "whom to ask"
    page.locator("#escalation select[name=target]").select_option(f"agent:{world.sue.pk}")
    page.fill("#escalate-note", "Refund over my limit: may I refund both charges?")
    page.check("#escalation input[name=holding_reply]")
    page.locator("#escalation").get_by_role("button", name="Escalate").click()
    expect(page.locator("#escalation")).to_contain_text("Waiting on Sue")
    expect(page.locator("article.msg-outbound", has_text="I've asked my manager")).to_be_visible()
    assert page.evaluate("window.__samePage === true"), "escalating reloaded the page"
    screenshot("ticket-escalated")
    assert Message.objects.filter(ticket=ticket, kind=Message.Kind.OUTBOUND).count() == 1
    page.get_by_role("button", name="Log out").click()

    log_in(page, live_server.url, world.sue)
    page.get_by_role("link", name="Escalations").click()
    row = page.locator(".escalation-row", has_text=ticket.subject)
    expect(row).to_contain_text("Refund over my limit")
    screenshot("escalations")
    row.locator("textarea[name=guidance]").fill("Yes, refund both and add a note to the account.")
    row.get_by_role("button", name="Hand back").click()
    expect(page.locator(".escalation-row")).to_contain_text("Handed back to Alice")
    assert Escalation.objects.get().status == Escalation.Status.HANDED_BACK
    assert page.js_errors == []
