"""The customer's path through the portal in a real browser: the web form and its acknowledgement, the
sign-in link, a reply, and the one-click rating from the survey email."""

import itertools
import re
from datetime import timedelta

import pytest
from django.core import mail
from playwright.sync_api import expect

from answerable.portal import forms
from answerable.portal.models import PortalSettings
from answerable.satisfaction.models import Rating
from answerable.tickets import services
from answerable.tickets.models import Message, Status, Ticket
from conftest import PASSWORD
from tests.browser.conftest import SCREENS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_fill_delay(monkeypatch):
    # The minimum fill time is tested with a frozen clock in answerable/portal/tests; a browser test waits
    # for nothing.
    monkeypatch.setattr(forms, "MIN_FILL", timedelta(0))


def path_in(body: str, prefix: str) -> str:
    return re.search(rf"https?://[^/\s]+({prefix}[^\s]*)", body).group(1)


def shoot_variants(browser, page, url: str, name: str) -> None:
    """UI.md §8: 1366x768 and 390x844, light and dark, with this page's session; no sideways scroll at 390."""
    state = page.context.storage_state()
    for (w, h), scheme in itertools.product([(1366, 768), (390, 844)], ["light", "dark"]):
        context = browser.new_context(viewport={"width": w, "height": h}, color_scheme=scheme,
                                      timezone_id="Europe/Berlin", storage_state=state)  # fmt: skip
        shot = context.new_page()
        shot.goto(url)
        assert shot.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (w, scheme)
        SCREENS.mkdir(parents=True, exist_ok=True)
        shot.screenshot(path=str(SCREENS / f"{name}-{w}x{h}-{scheme}.png"), full_page=True)
        context.close()


def test_a_customer_asks_signs_in_replies_and_rates(live_server, world, page, browser, screenshot):
    PortalSettings.objects.create(team=world.billing, slug="billing", asks_for_order_number=True)

    # The web form: the request is opened and acknowledged, and the page gives the reference.
    page.goto(f"{live_server.url}/help/billing/")
    page.get_by_label("Your name").fill("Nora Field")
    page.get_by_label("Your email").fill("nora@field.example")
    page.get_by_label("What do you need?").fill("New invoice address\nPlease use our Leeds office.")
    page.get_by_label("Order number").fill("PO-7781")
    screenshot("portal-form")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="We have your request")).to_be_visible()
    ticket = Ticket.objects.get(customer__emails__address="nora@field.example")
    expect(page.locator(".card")).to_contain_text(str(ticket.pk))
    expect(page.locator(".card")).to_contain_text("You will hear from us by")
    assert [m.to for m in mail.outbox] == [["nora@field.example"]]  # the acknowledgement

    # The sign-in link: asked for, opened, one press.
    page.goto(f"{live_server.url}/help/sign-in/")
    page.get_by_label("Your email").fill("nora@field.example")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(live_server.url + path_in(mail.outbox[-1].body, "/help/enter/"))
    page.get_by_role("button", name="Continue to my requests").click()
    expect(page.get_by_role("heading", name="Your requests")).to_be_visible()
    page.get_by_role("link", name="New invoice address").click()
    expect(page.locator("article.post")).to_have_count(2)  # their request and our acknowledgement

    # A reply lands on the request as the customer's message.
    page.get_by_label("Your reply").fill("Also, the VAT number changed.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("article.post.mine", has_text="VAT number")).to_be_visible()
    assert ticket.messages.filter(kind=Message.Kind.INBOUND, text="Also, the VAT number changed.").exists()
    shoot_variants(browser, page, page.url, "portal-request")

    # An agent answers and solves; the survey's "good" link rates with one click.
    services.reply(ticket, agent=world.alice, text="Done: new address and VAT number saved.",
                   now=ticket.created_at + timedelta(hours=1), status_after=Status.SOLVED)  # fmt: skip
    survey = next(m for m in mail.outbox if m.subject.startswith("How did we do?"))
    good = re.search(r"https?://[^/\s]+(/help/rate/\S+\?score=good)", survey.body).group(1)
    page.goto(live_server.url + good)
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert list(Rating.objects.values_list("ticket", "score", "agent")) == [
        (ticket.pk, "good", world.alice.pk)
    ]
    page.get_by_label("Anything to add? (optional)").fill("Quick and friendly.")
    page.get_by_role("button", name="Send my comment").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert Rating.objects.get().comment == "Quick and friendly."
    screenshot("portal-rated")
    page.goto(f"{live_server.url}/help/requests/{ticket.pk}/")
    expect(page.get_by_role("button", name="Good")).to_have_attribute("aria-pressed", "true")
    shoot_variants(browser, page, page.url, "portal-solved")
    shoot_variants(browser, page, f"{live_server.url}/help/billing/", "portal-form")
    assert page.js_errors == []

    # The team's supervisor sees the rating in the report.
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world.sue.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/reports/?team={world.billing.pk}")
    expect(page.get_by_text("(1 good, 0 bad)")).to_be_visible()
    screenshot("report-after-rating")
