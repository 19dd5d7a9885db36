"""Hostile HTML mail, ingested as the receiver would and opened in the console in Chromium: no script runs,
nothing is fetched from elsewhere, and remote images load only when the agent asks for them."""

import re

import pytest
from playwright.sync_api import expect

from answerable.mail.ingest import ingest
from answerable.tickets.models import Message
from conftest import PASSWORD, T0
from tests.hostile.corpus import HTML, TRACKER, mail, utf7_mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a6e80000000049454e44ae426082"
)


def test_hostile_mail_runs_no_script_and_loads_no_remote_content_until_asked(live_server, world, page):
    first = ingest(mail("script", n=0), recipients=["billing@desk.example"], now=T0)
    thread = first.message.message_id
    for n, name in enumerate(list(HTML)[1:], start=1):
        ingest(mail(name, n=n, thread=thread), recipients=["billing@desk.example"], now=T0)
    ingest(utf7_mail(n=len(HTML), thread=thread), recipients=["billing@desk.example"], now=T0)
    ticket = first.ticket
    inbound = Message.objects.filter(ticket=ticket, kind=Message.Kind.INBOUND)
    assert inbound.count() == len(HTML) + 1  # every payload stored, all in one thread

    dialogs: list[str] = []
    remote: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def route(r):
        if r.request.url.startswith(live_server.url):
            r.continue_()
        else:
            remote.append(r.request.url)
            r.fulfill(status=200, content_type="image/png", body=PIXEL)

    page.context.route("**/*", route)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world.alice.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/inbox/"))

    response = page.goto(f"{live_server.url}/t/{ticket.pk}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "img-src 'self' data:;" in response.headers["content-security-policy"]
    for name in HTML:
        expect(page.locator("#conversation").get_by_text(f"marker-{name}", exact=True)).to_have_count(1)
    expect(page.locator("h1")).to_contain_text("Invoice question 0")  # the subject, as text
    page.wait_for_load_state("networkidle")
    assert dialogs == [] and remote == []
    # Open every folded quote and click the links that carried javascript: — still nothing runs.
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    for link in ("Open your invoice", "Track parcel"):
        page.get_by_text(link).first.dispatch_event("click")
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(f"{live_server.url}/t/{ticket.pk}/")
    assert page.evaluate("typeof window.__xss === 'undefined' || window.__xss instanceof HTMLElement") is True
    assert dialogs == []
    assert remote == []
    assert page.locator("#conversation script, #conversation iframe, #conversation object").count() == 0
    assert page.locator("#conversation [onerror], #conversation [onload], #conversation [style]").count() == 0
    assert page.locator("#conversation .body [hx-get], #conversation .body [data-hx-post]").count() == 0
    assert page.js_errors == []

    # The agent asks for one message's images: those load, and still nothing runs.
    n = list(HTML).index("remote_image")
    photo = inbound.get(message_id=f"<hostile-{n}-remote_image@attacker.example>")
    article = page.locator(f"#m{photo.pk}")
    article.get_by_role("link", name="Show remote images").click()
    expect(page).to_have_url(re.compile(rf"\?images={photo.pk}#m{photo.pk}$"))
    page.wait_for_load_state("networkidle")
    assert remote == [f"{TRACKER}/pixel.png?id=42"]
    assert page.locator(f"#m{photo.pk} img").evaluate("img => img.naturalWidth") == 1
    assert dialogs == [] and page.js_errors == []


def test_the_consoles_own_inline_handler_still_runs_under_the_policy(live_server, world, page):
    """The CSP allows the assignee select's `onchange` by its hash: a supervisor assigns with one choice."""
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", world.sue.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/inbox/"))
    page.goto(f"{live_server.url}/t/{world.billing_ticket.pk}/")
    with page.expect_response(lambda r: r.url.endswith(f"/t/{world.billing_ticket.pk}/assign/")) as posted:
        page.locator("select[name=assignee]").select_option(str(world.alice.pk))
    assert posted.value.ok
    world.billing_ticket.refresh_from_db()
    assert world.billing_ticket.assignee_id == world.alice.pk
    assert violations == [] and page.js_errors == []
