"""Playwright against Debian's chromium, for the tests in this folder.

Playwright's sync API keeps an event loop running in the main thread, so Django would refuse database
access from fixtures and tests ("async unsafe"); nothing here is really async, so allow it.

The live server answers one request at a time. With SQLite the test database is in memory and every
server thread shares the test's single connection; two requests at once (the browser's favicon fetch
racing a page, or the presence heartbeat racing a reply) then fail at random with "database table is
locked". The flow tested here needs no two requests at once, so serving them in turn loses nothing.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}
SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"


class _SerialWSGIServer(WSGIServer):
    """Django's WSGI server without threads, taking the argument LiveServerThread passes."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override  # the serving thread already uses them


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server (same address options), serving requests one after another."""
    from pytest_django.live_server_helper import LiveServer

    option = request.config.getvalue("liveserver")
    addr = option or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    server.thread.server_class = _SerialWSGIServer
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One chromium for the session. Missing chromium skips locally and fails in CI (CI=true)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install -y chromium); the browser test needs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh context (no cookies) per test, at the size the screenshots are taken at."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # read by the tests: a script error is a failure even if the flow works
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def screenshot(page) -> object:
    def take(name: str) -> Path:
        SCREENS.mkdir(parents=True, exist_ok=True)
        path = SCREENS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
