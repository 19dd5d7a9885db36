"""A portal session is one customer's, from a link that is signed, expires and works once; nothing in the
portal shows another customer's data, internal notes or agent-only data."""

from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from answerable.customers.models import Organisation, TermsFlag
from answerable.portal import services
from answerable.portal.models import LoginLink
from answerable.portal.tests.helpers import NOW, banned_words_in, link_in
from answerable.tickets import services as tickets
from answerable.tickets.models import Message, Status

REQUESTS = reverse("portal:requests")


def ask_link(client, address, capture):
    with capture(execute=True):
        return client.post(reverse("portal:sign_in"), {"email": address})


def test_a_link_signs_the_customer_in_once_and_shows_only_their_requests(
    client, clock, world, django_capture_on_commit_callbacks, mailoutbox
):
    response = ask_link(client, "ANA@acme.example", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert [m.to for m in mailoutbox] == [["ana@acme.example"]]
    url = link_in(mailoutbox[0].body)
    assert client.get(url).status_code == 200  # a scanner's GET spends nothing
    assert client.post(url).status_code == 302
    html = client.get(REQUESTS).content.decode()
    assert "Refund for a double charge" in html and "Parcel arrived damaged" not in html
    assert banned_words_in(html) == []
    second = client.post(url)
    assert second.status_code == 410 and "already used" in second.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client, clock, world, django_capture_on_commit_callbacks, mailoutbox
):
    response = ask_link(client, "stranger@nowhere.example", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert mailoutbox == [] and not LoginLink.objects.exists()


def test_an_expired_link_is_refused_with_a_way_to_get_a_new_one(
    client, clock, world, django_capture_on_commit_callbacks, mailoutbox
):
    ask_link(client, "ana@acme.example", django_capture_on_commit_callbacks)
    clock.shift(services.LINK_TTL + timedelta(seconds=1))
    response = client.post(link_in(mailoutbox[0].body))
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert client.get(REQUESTS).status_code == 302


def test_a_tampered_link_is_refused(client, clock, world, django_capture_on_commit_callbacks, mailoutbox):
    ask_link(client, "ana@acme.example", django_capture_on_commit_callbacks)
    url = link_in(mailoutbox[0].body)
    token = url.split("/")[-2]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[:10], "x"):
        assert client.post(reverse("portal:enter", args=[bad])).status_code == 400
    assert client.get(REQUESTS).status_code == 302


def test_a_link_re_signed_for_another_customer_does_not_open_theirs(clock, world):
    link = services.request_link("ana@acme.example", now=NOW)
    forged = signing.dumps({"l": link.pk, "c": world.shipping_ticket.customer_id}, salt="wrong-salt")
    with pytest.raises(services.LinkInvalid):
        services.check_link(forged, now=NOW)
    # Even signed with our key, a link names its own customer: a mismatch is refused.
    mismatched = signing.dumps({"l": link.pk, "c": world.shipping_ticket.customer_id},
                               salt="answerable.portal.login-link")  # fmt: skip
    with pytest.raises(services.LinkInvalid):
        services.check_link(mismatched, now=NOW)


def test_a_link_dies_when_its_address_moves_to_another_customer(clock, world):
    link = services.request_link("ana@acme.example", now=NOW)
    world.billing_ticket.customer.emails.update(customer=world.shipping_ticket.customer)
    with pytest.raises(services.LinkInvalid):
        services.use_link(services.link_token(link), now=NOW)


def test_each_customer_sees_only_their_own_request_by_any_route(client, clock, world, sign_in_as):
    other = world.shipping_ticket
    note = tickets.add_note(other, agent=world.bob, text="x", now=NOW)
    attachment_msg = tickets.receive_message(
        other, sender=other.customer, text="photo", now=NOW,
        files=[tickets.IncomingFile("box.txt", b"dented", "text/plain")],
    )  # fmt: skip
    attachment = attachment_msg.attachments.get()
    sign_in_as("ana@acme.example")
    assert client.get(reverse("portal:request", args=[other.pk])).status_code == 404
    assert client.get(reverse("portal:request", args=[999_999])).status_code == 404
    assert client.post(reverse("portal:reply", args=[other.pk]), {"text": "hi"}).status_code == 404
    assert client.post(reverse("portal:rate", args=[other.pk]), {"score": "bad"}).status_code == 404
    assert client.post(reverse("portal:complain", args=[other.pk]), {"text": "x"}).status_code == 404
    assert client.get(reverse("portal:attachment", args=[other.pk, attachment.pk])).status_code == 404
    mine = world.billing_ticket.pk
    assert client.get(reverse("portal:attachment", args=[mine, attachment.pk])).status_code == 404
    assert other.messages.count() == 3 and note.pk  # nothing was added to the other request


def test_notes_and_agent_only_data_never_reach_the_page(client, clock, world, sign_in_as):
    ticket = world.billing_ticket
    customer = ticket.customer
    org = Organisation.objects.create(name="Acme", yearly_value=48000, notes="ORG-SECRET")
    customer.organisation = org
    customer.notes = "CUSTOMER-SECRET"
    customer.save()
    TermsFlag.objects.create(
        organisation=org, kind="credit_hold", reason="FLAG-SECRET", set_by=world.sue, set_at=NOW
    )
    tickets.assign(ticket, world.alice, actor=world.alice, now=NOW)
    tickets.add_note(ticket, agent=world.carl, text="NOTE-SECRET", now=NOW)
    tickets.set_tags(ticket, ["TAG-SECRET"], actor=world.alice, now=NOW)
    tickets.reply(ticket, agent=world.alice, text="We are on it.", now=NOW)
    sign_in_as("ana@acme.example")
    html = client.get(reverse("portal:request", args=[ticket.pk])).content.decode()
    assert "We are on it." in html and "Alice" in html
    for secret in (
        "NOTE-SECRET",
        "CUSTOMER-SECRET",
        "ORG-SECRET",
        "FLAG-SECRET",
        "tag-secret",
        "48000",
        "48,000",
        "carl",
        "alice@staff.example",
    ):
        assert secret.lower() not in html.lower(), secret
    assert banned_words_in(html) == []


def test_a_staff_login_opens_no_portal_page_and_a_portal_session_no_console_page(
    client, clock, world, sign_in_as
):
    client.force_login(world.ada)
    assert client.get(REQUESTS).status_code == 302
    assert client.get(reverse("portal:request", args=[world.billing_ticket.pk])).status_code == 302
    client.logout()
    sign_in_as("ana@acme.example")
    for url in (reverse("inbox"), reverse("ticket", args=[world.billing_ticket.pk]), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url


def test_a_portal_session_ends_after_its_time_and_on_sign_out(client, clock, world, sign_in_as):
    sign_in_as("ana@acme.example")
    assert client.get(REQUESTS).status_code == 200
    clock.shift(services.SESSION_TTL + timedelta(seconds=1))
    assert client.get(REQUESTS).status_code == 302
    sign_in_as("ana@acme.example")
    client.post(reverse("portal:sign_out"))
    assert client.get(REQUESTS).status_code == 302


def test_links_are_rate_limited_per_address(
    client, clock, world, django_capture_on_commit_callbacks, mailoutbox
):
    for _ in range(5):
        assert ask_link(client, "ana@acme.example", django_capture_on_commit_callbacks).status_code == 200
    assert ask_link(client, "ana@acme.example", django_capture_on_commit_callbacks).status_code == 429
    assert len(mailoutbox) == 5


def test_the_customer_replies_with_a_file_and_a_double_submit_stores_one_message(
    client, clock, world, sign_in_as
):
    ticket = world.billing_ticket
    tickets.set_status(ticket, Status.PENDING, actor=world.alice, now=NOW)
    sign_in_as("ana@acme.example")
    url = reverse("portal:reply", args=[ticket.pk])
    page = client.get(reverse("portal:request", args=[ticket.pk])).content.decode()
    key = page.split('name="key" value="', 1)[1].split('"', 1)[0]
    for _ in range(2):
        upload = SimpleUploadedFile("receipt.txt", b"paid twice", content_type="text/plain")
        response = client.post(url, {"text": "Here is the receipt.", "key": key, "files": [upload]})
        assert response.status_code == 302
    inbound = ticket.messages.filter(kind=Message.Kind.INBOUND, text="Here is the receipt.")
    assert inbound.count() == 1 and inbound.get().sender == ticket.customer
    assert inbound.get().attachments.get().filename == "receipt.txt"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.waiting_since is not None  # back with us
    att = inbound.get().attachments.get()
    download = client.get(reverse("portal:attachment", args=[ticket.pk, att.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_a_refused_file_loses_no_text(client, clock, world, sign_in_as):
    sign_in_as("ana@acme.example")
    exe = SimpleUploadedFile("a.exe", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/octet-stream")
    response = client.post(reverse("portal:reply", args=[world.billing_ticket.pk]),
                           {"text": "My long careful answer", "files": [exe]})  # fmt: skip
    assert response.status_code == 400 and "My long careful answer" in response.content.decode()
    assert not world.billing_ticket.messages.filter(text="My long careful answer").exists()


def test_a_closed_request_takes_no_reply(client, clock, world, sign_in_as):
    ticket = world.billing_ticket
    tickets.set_status(ticket, Status.CLOSED, actor=world.alice, now=NOW)
    sign_in_as("ana@acme.example")
    page = client.get(reverse("portal:request", args=[ticket.pk])).content.decode()
    assert "This request is closed" in page and "Write a reply" not in page
    response = client.post(reverse("portal:reply", args=[ticket.pk]), {"text": "hello?"})
    assert response.status_code == 400


def test_the_top_card_names_the_owner_and_the_acknowledged_time(client, clock, world, sign_in_as):
    ticket = world.billing_ticket
    tickets.assign(ticket, world.alice, actor=world.alice, now=NOW)
    tickets.acknowledge(ticket, now=NOW)
    ticket.refresh_from_db()
    sign_in_as("ana@acme.example")
    html = client.get(reverse("portal:request", args=[ticket.pk]), COOKIES={}).content.decode()
    assert "Alice is on it" in html and ticket.expected_response_at.isoformat() in html
