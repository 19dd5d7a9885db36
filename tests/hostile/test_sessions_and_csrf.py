"""Sessions and cookies: expiry, cookie flags, HTTPS-only cookies, and CSRF on every form."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import get_resolver

from conftest import PASSWORD
from tests.hostile.test_authorisation_walk import _fill, _walk

pytestmark = pytest.mark.django_db


def test_an_expired_session_sends_the_agent_back_to_login(world):
    with time_machine.travel("2026-03-10 08:00Z", tick=False) as traveller:
        client = Client()
        assert client.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
        assert client.get("/inbox/").status_code == 200
        traveller.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert client.get("/inbox/").status_code == 200
        traveller.shift(timedelta(seconds=120))
        response = client.get("/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_session_cookie_is_http_only_and_ends_with_the_browser(world):
    response = Client().post("/login/", {"username": "alice", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert cookie["samesite"] == "Lax"
    csrf = Client().get("/login/").cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] is True


def _cookie_settings(**env: str) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE)"
    )
    clean = {
        k: v for k, v in os.environ.items() if k not in ("SECURE_COOKIES", "SITE_URL", "ANSWERABLE_DEBUG")
    }
    out = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "answerable.settings", **env},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def test_cookies_are_https_only_when_the_site_is_served_over_https():
    assert _cookie_settings(SITE_URL="https://help.example.com") == "True True True"
    assert _cookie_settings(SITE_URL="http://127.0.0.1:8000") == "False False True"
    assert _cookie_settings(SITE_URL="https://help.example.com", ANSWERABLE_DEBUG="true").startswith("False")
    assert _cookie_settings(SITE_URL="http://10.0.0.5", SECURE_COOKIES="true").startswith("True True")


def test_every_post_without_a_csrf_token_is_refused(world):
    urls = [_fill(route, name, world) for route, name in _walk(get_resolver())]
    urls = [u for u in urls if not u.startswith("/api/") and "^" not in u]
    assert len(urls) > 60
    for role in ("anonymous", "alice", "ada"):
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        if role != "anonymous":
            client.force_login(getattr(world, role))
        refused = {url: client.post(url, {"text": "x"}).status_code for url in urls}
        assert {url: status for url, status in refused.items() if status != 403} == {}, role
    # The same form with its token goes through: the refusal above is the CSRF check, not something else.
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    token = client.get(f"/t/{world.billing_ticket.pk}/").context["csrf_token"]
    response = client.post(
        f"/t/{world.billing_ticket.pk}/tags/", {"csrfmiddlewaretoken": token, "tags": "vip"}
    )
    assert response.status_code in (200, 302)
