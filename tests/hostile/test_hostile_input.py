"""Hostile and broken input: stored harmless, and never a server error (500)."""

import re
from email.message import EmailMessage

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from answerable.lib.html import sanitise
from answerable.mail.ingest import ingest
from answerable.tickets.models import Message
from conftest import T0
from tests.hostile.corpus import HTML, mail, utf7_mail

pytestmark = pytest.mark.django_db

RCPT = ["billing@desk.example"]
DANGEROUS = re.compile(
    r"<\s*(script|iframe|object|embed|base|meta|link|style|form|input|button|svg|math|video|body)\b"
    r"|\son\w+\s*=|javascript:|\sstyle\s*=|\ssrc\s*=|\ssrcset\s*=|\sbackground\s*=|\sposter\s*="
    r"|\s(data-)?hx-",
    re.IGNORECASE,
)


def test_every_payload_of_the_corpus_is_stored_without_anything_active(world):
    thread = ingest(mail("script", n=0), recipients=RCPT, now=T0).message.message_id
    for n, name in enumerate(list(HTML)[1:], start=1):
        ingest(mail(name, n=n, thread=thread), recipients=RCPT, now=T0)
    ingest(utf7_mail(n=99, thread=thread), recipients=RCPT, now=T0)
    stored = Message.objects.filter(kind=Message.Kind.INBOUND, message_id__startswith="<hostile-")
    assert stored.count() == len(HTML) + 1
    for message in stored:
        assert not DANGEROUS.search(message.html), (message.message_id, message.html)


def _render(html: str, query: str = "") -> tuple[str, object]:
    request = RequestFactory().get(f"/t/1/{query}")
    message = Message(pk=7, html=html)
    template = Template("{% load mail_html %}{% mail_html m %}")
    out = template.render(Context({"m": message, "request": request}))
    return out, request


def test_remote_images_are_held_back_until_asked_for_that_message_only():
    html = sanitise('<p>Photo</p><img src="https://cdn.example/p.png"><img src="javascript:alert(1)">')
    held, request = _render(html)
    assert " src=" not in held and "Show remote images" in held and 'href="?images=7#m7"' in held
    assert not getattr(request, "remote_images_shown", False)
    other, _ = _render(html, "?images=8")
    assert " src=" not in other
    shown, request = _render(html, "?images=7")
    assert 'src="https://cdn.example/p.png"' in shown
    assert 'data-src="javascript:alert(1)"' in shown  # held back: only http(s) addresses get a src
    assert 'src="javascript' not in shown.replace("data-src", "")
    assert request.remote_images_shown is True


def test_console_pages_carry_a_strict_content_security_policy(world, login):
    client = login(world.alice)
    for url in ("/inbox/", f"/t/{world.billing_ticket.pk}/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self' 'unsafe-eval' 'unsafe-hashes' 'sha256-" in policy
        assert "img-src 'self' data:;" in policy and "frame-ancestors 'none'" in policy
        assert "'unsafe-inline'" not in policy.split("style-src")[0] and "object-src 'none'" in policy


def test_remote_images_are_allowed_only_on_the_page_that_shows_them(world, login):
    raw = EmailMessage()
    raw["From"], raw["To"], raw["Subject"] = "ana@acme.example", RCPT[0], "Photo"
    raw["Message-ID"] = "<photo@acme.example>"
    raw.set_content("See the photo.")
    raw.add_alternative('<p>See</p><img src="https://cdn.example/p.png">', subtype="html")
    outcome = ingest(raw.as_bytes(), recipients=RCPT, now=T0)
    client = login(world.alice)
    url = f"/t/{outcome.ticket.pk}/"
    assert "img-src 'self' data:;" in client.get(url)["Content-Security-Policy"]
    other = client.get(f"{url}?images={world.billing_ticket.pk}")  # not a message with images
    assert "img-src 'self' data:;" in other["Content-Security-Policy"]
    shown = client.get(f"{url}?images={outcome.message.pk}")
    assert "https:" in shown["Content-Security-Policy"].split("img-src")[1].split(";")[0]
    assert b'src="https://cdn.example/p.png"' in shown.content


@pytest.mark.parametrize(
    "url",
    [
        "/t/99999999999999999999999/",
        "/t/{pk}/?images=99999999999999999999999",
        "/t/{pk}/?images=%00",
        "/t/{pk}/?reset=abc",
        "/t/{pk}/?reset=99999999999999999999999",
        "/inbox/open/?after=%00%FF",
        "/inbox/open/?after=" + "A" * 5000,
        "/inbox/open/?team=99999999999999999999999",
        "/inbox/open/?tag=%00&assignee=%00",
        "/inbox/open/?status=" + "x" * 10000 + "&sort=%00",
        "/t/{pk}/messages/99999999999999999999999/source/",
        "/t/{pk}/attachments/99999999999999999999999/",
    ],
)
def test_malformed_query_strings_and_ids_never_cause_a_server_error(world, login, url):
    client = login(world.alice)
    response = client.get(url.format(pk=world.billing_ticket.pk))
    assert response.status_code in {200, 400, 404}, response.status_code


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "reply", "text": "x" * 200_001},
        {"kind": "reply", "text": "Hello\x00there"},
        {"kind": "reply", "text": "Hello", "seen_message_id": "99999999999999999999999"},
        {"kind": "reply", "text": "Hello", "idempotency_key": "k" * 5000},
        {"kind": "reply", "text": "Hello", "reset_promise": "99999999999999999999999"},
        {"kind": "telepathy", "text": "Hello", "status_after": "\x00"},
        {"kind": "reply", "text": "Hello", "coach_fixed": ["\x00", "x" * 10000]},
    ],
)
def test_malformed_replies_are_refused_or_stored_never_a_server_error(world, login, data):
    client = login(world.alice)
    response = client.post(f"/t/{world.billing_ticket.pk}/compose/", data)
    assert response.status_code in {200, 302, 400, 409, 422}, response.status_code


@pytest.mark.parametrize(
    "path, data",
    [
        ("assign", {"assignee": "99999999999999999999999"}),
        ("assign", {"assignee": "\x00"}),
        ("status", {"status": "x" * 10000}),
        ("priority", {"priority": "99999999999999999999999"}),
        ("tags", {"tags": "\x00," + ",".join(f"t{i}" for i in range(2000))}),
        ("draft/promises", {"text": "We will call you tomorrow \x00" * 5000}),
        ("presence", {"drafting": "\x00"}),
    ],
)
def test_malformed_ticket_actions_never_cause_a_server_error(world, login, path, data):
    client = login(world.alice)
    response = client.post(f"/t/{world.billing_ticket.pk}/{path}/", data)
    assert response.status_code in {200, 204, 302, 400, 403, 409, 422}, response.status_code


HEAD = "From: a@b.example\nTo: billing@desk.example\n"


def _raw(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\xff\xfe garbage that is not mail at all \x00" * 1000,
        _raw(f"{HEAD}Subject: nul \x00 byte\n", b"body \x00 with nul\r\n"),
        _raw(f"{HEAD}Subject: {'S' * 200_000}\n", b"long subject\r\n"),
        _raw(
            "From: a@b.example\nTo: billing@desk.example\nSubject: deep\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="b"\n',
            b"".join(b'--b\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' for _ in range(2000)),
        ),
        _raw(
            "From: a@b.example\nTo: billing@desk.example\nSubject: bad b64\nMIME-Version: 1.0\n"
            "Content-Type: text/html; charset=x-unknown-charset\nContent-Transfer-Encoding: base64\n",
            b"!!!not base64!!!" * 100,
        ),
        _raw('From: "unterminated <a@b.example\nTo: billing@desk.example\nSubject: x\n', b"hi\r\n"),
    ],
    ids=["binary", "nul-bytes", "huge-subject", "deep-multipart", "bad-charset-base64", "broken-from"],
)
def test_malformed_mail_is_stored_or_quarantined_never_raises(world, raw):
    outcome = ingest(raw, recipients=RCPT, now=T0)
    assert outcome.kind in {"new", "reply", "follow_up", "quarantined"}
    again = ingest(raw, recipients=RCPT, now=T0)
    assert again.kind in {"duplicate", "quarantined"}
