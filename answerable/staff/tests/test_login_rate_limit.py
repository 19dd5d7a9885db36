"""Login rate limiting: failed attempts per username and per address, counted in the cache."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_MAX_FAILURES_PER_USERNAME = 3
    settings.LOGIN_MAX_FAILURES_PER_IP = 5
    settings.LOGIN_FAILURE_WINDOW = 600
    cache.clear()
    yield
    cache.clear()  # counters must not lock out another module's logins


def _login(username: str, password: str, ip: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=ip).post("/login/", {"username": username, "password": password})


def test_a_username_is_locked_after_too_many_failures_even_with_the_right_password(world):
    for _ in range(3):
        assert _login("alice", "wrong").status_code == 200
    locked = _login("alice", PASSWORD, ip="198.51.100.1")  # another address: the username counts
    assert locked.status_code == 429
    assert b"Too many failed attempts" in locked.content
    assert "_auth_user_id" not in locked.wsgi_request.session
    assert _login("bob", PASSWORD, ip="198.51.100.1").status_code == 302  # other usernames are untouched


def test_the_username_lock_ends_after_the_window(world):
    with time_machine.travel("2026-03-10 09:00Z", tick=False) as traveller:
        for _ in range(3):
            _login("alice", "wrong")
        assert _login("alice", PASSWORD).status_code == 429
        traveller.shift(timedelta(minutes=11))
        assert _login("alice", PASSWORD).status_code == 302


def test_an_address_is_locked_after_too_many_failures_across_usernames(world):
    for name in ("u1", "u2", "u3", "u4", "u5"):
        assert _login(name, "wrong").status_code == 200
    assert _login("alice", PASSWORD).status_code == 429
    assert _login("alice", PASSWORD, ip="198.51.100.1").status_code == 302


def test_a_success_resets_the_usernames_counter(world):
    for _ in range(2):
        _login("alice", "wrong")
    assert _login("alice", PASSWORD, ip="198.51.100.1").status_code == 302
    for _ in range(2):
        assert _login("alice", "wrong", ip="198.51.100.2").status_code == 200
    assert _login("alice", PASSWORD, ip="198.51.100.2").status_code == 302


def test_usernames_differing_in_case_or_spaces_share_a_counter(world):
    for name in ("Alice", " alice ", "ALICE"):
        _login(name, "wrong")
    assert _login("alice", PASSWORD, ip="198.51.100.9").status_code == 429
