"""Reports and the supervisor dashboard in a real browser: they render, the CSV downloads, nothing
scrolls sideways on a phone, and screenshots are saved for review (artifacts/screens/)."""

import itertools

import pytest
import time_machine
from playwright.sync_api import expect

from answerable.insights.tests.conftest import at, desk  # noqa: F401 - the hand-computed desk fixture
from conftest import PASSWORD

from .conftest import SCREENS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1366, 768), (390, 844)]
SCHEMES = ["light", "dark"]


@pytest.fixture
def monday(desk):  # noqa: F811
    with time_machine.travel(at(16, 9, 30), tick=True):
        yield desk


def _login(page, url, username):
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _overflowing(page) -> list[str]:
    """Elements of the page's main part that reach past the right edge of the viewport. (The shared top bar
    is the console's: at 390 px its links and name do not wrap yet, on every page.)"""
    return page.evaluate(
        "[...document.querySelectorAll('main, main *')]"
        ".filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.table-wrap *'))"
        ".map(e => e.tagName + '.' + e.className)"
    )


def test_supervisor_reads_the_reports_and_the_dashboard(live_server, monday, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    for (w, h), scheme in itertools.product(SIZES, SCHEMES):
        context = browser.new_context(viewport={"width": w, "height": h}, color_scheme=scheme,
                                      timezone_id="Europe/Berlin", accept_downloads=True)  # fmt: skip
        page = context.new_page()
        _login(page, live_server.url, monday.sue.username)
        page.goto(f"{live_server.url}/reports/?from=2026-03-09&to=2026-03-15")
        expect(page.get_by_role("heading", name="Response and resolution times")).to_be_visible()
        expect(
            page.get_by_role("img", name="Response and resolution times, in business hours")
        ).to_be_visible()
        assert _overflowing(page) == [], "the report is wider than the screen"
        page.screenshot(path=str(SCREENS / f"reports-{w}x{h}-{scheme}.png"), full_page=True)
        if (w, scheme) == (1366, "light"):
            with page.expect_download() as download:
                page.get_by_role("link", name="Download CSV").click()
            assert download.value.suggested_filename == "answerable-report-2026-03-09-2026-03-15.csv"
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
        expect(page.get_by_role("heading", name="Who is waiting")).to_be_visible()
        assert _overflowing(page) == [], "the dashboard is wider than the screen"
        page.screenshot(path=str(SCREENS / f"dashboard-{w}x{h}-{scheme}.png"), full_page=True)
        context.close()
