"""The reports page and its CSV: same numbers, who may see what, bad input, presets."""

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from answerable.staff.models import Agent

from .conftest import at

LATER = at(20, 12)
WEEK_QUERY = {"from": "2026-03-09", "to": "2026-03-15"}


@pytest.fixture(autouse=True)
def _after_the_week():
    with time_machine.travel(LATER, tick=False):
        yield


def _cells(html: str) -> list[tuple[str, str, str, str]]:
    """(figure title, row label, column, value) for every table cell of the page, from data-value."""
    out = []
    for fig in re.finditer(r'<figure class="report-figure[^"]*".*?</figure>', html, re.S):
        block = fig.group(0)
        title = unescape(re.search(r'<h2 id="[^"]+">([^<]+)', block).group(1).strip())
        columns = [unescape(c) for c in re.findall(r'<th scope="col" class="num">([^<]+)</th>', block)]
        for row in re.finditer(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', block, re.S):
            values = re.findall(r'data-value="([^"]*)"', row.group(2))
            out.extend((title, unescape(row.group(1)), c, v) for c, v in zip(columns, values, strict=True))
    return out


def test_the_csv_has_exactly_the_numbers_of_the_page(desk, client):
    client.force_login(desk.sue)
    page = client.get(reverse("reports"), WEEK_QUERY)
    assert page.status_code == 200
    download = client.get(reverse("reports_csv"), WEEK_QUERY)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert 'filename="answerable-report-2026-03-09-2026-03-15.csv"' in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == ["figure", "row", "column", "value"]
    cells = _cells(page.content.decode())
    assert len(cells) > 40
    assert [tuple(r) for r in rows[1:]] == cells


def test_the_page_shows_the_hand_computed_figures(desk, client):
    client.force_login(desk.sue)
    cells = {
        (f, r, c): v for f, r, c, v in _cells(client.get(reverse("reports"), WEEK_QUERY).content.decode())
    }
    times = "Response and resolution times"
    # the same arithmetic as test_metrics: medians 75, 165, 510 minutes; p90 111, 201, 538
    assert cells[(times, "First response", "Median")] == "75.0"
    assert cells[(times, "First response", "90th percentile")] == "111.0"
    assert cells[(times, "Next response", "Median")] == "165.0"
    assert cells[(times, "Resolution", "90th percentile")] == "538.0"
    assert (
        cells[("First contact and acknowledgement", "Solved at first contact (of solved)", "Share")] == "33.3"
    )
    assert (
        cells[
            ("First contact and acknowledgement", "Acknowledged within a minute (of acknowledged)", "Share")
        ]
        == "75.0"
    )
    assert cells[("Backlog by age", "1-3 days", "Open tickets")] == "2"
    assert cells[("Promises kept and broken", "Broken", "Promises")] == "2"
    assert cells[("Satisfaction", "Good", "Ratings")] == "3"
    assert cells[("Coach findings by kind", "Tone", "Findings")] == "2"
    assert cells[("By agent", "Alice", "Promises broken")] == "2"
    assert cells[("By agent", "Carl", "First response (median)")] == "75.0"


def test_each_chart_is_inline_svg_with_a_title_a_description_and_no_script(desk, client):
    client.force_login(desk.sue)
    html = client.get(reverse("reports"), WEEK_QUERY).content.decode()
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 8  # times, first contact, backlog, promises, recovery, ratings, coach, coach trend
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
        assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert "Median first response 1 h 15 min" in html


def test_an_agent_sees_only_their_own_figures(desk, client):
    client.force_login(desk.carl)
    response = client.get(reverse("reports"), WEEK_QUERY)
    assert response.status_code == 200
    assert response.context["target"].agent == desk.carl
    titles = {f.title for f in response.context["report"].figures}
    assert "By agent" not in titles
    cells = {(f, r, c): v for f, r, c, v in _cells(response.content.decode())}
    # Carl's own: first response B 75 min, one rating (good), one finding (empathy)
    assert cells[("Response and resolution times", "First response", "Median")] == "75.0"
    assert cells[("Satisfaction", "Good", "Ratings")] == "1"
    assert cells[("Coach findings by kind", "Empathy", "Findings")] == "1"
    assert "Alice" not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("carl", {"agent": "alice"}),  # an agent asking for a colleague
        ("alice", {"team": "shipping"}),  # an agent asking for another team
        ("sue", {"team": "shipping"}),  # a supervisor asking for another team
        ("sue", {"agent": "bob"}),  # a supervisor asking for an agent of another team
        ("bob", {"team": "billing"}),
    ],
)
@pytest.mark.parametrize("name", ["reports", "reports_csv"])
def test_figures_of_other_teams_and_people_are_404(desk, client, who, query, name):
    client.force_login(getattr(desk, who))
    ids = {k: str(getattr(desk, v).pk) for k, v in query.items()}
    response = client.get(reverse(name), WEEK_QUERY | ids)
    assert response.status_code == 404


def test_a_supervisor_may_look_at_one_agent_and_an_admin_at_any(desk, client):
    client.force_login(desk.sue)
    response = client.get(reverse("reports"), WEEK_QUERY | {"agent": str(desk.alice.pk)})
    assert response.status_code == 200 and response.context["target"].agent == desk.alice
    client.force_login(desk.ada)
    response = client.get(reverse("reports"), WEEK_QUERY | {"team": str(desk.shipping.pk)})
    assert response.status_code == 200
    cells = {(f, r, c): v for f, r, c, v in _cells(response.content.decode())}
    assert cells[("Satisfaction", "Bad", "Ratings")] == "1"  # Shipping's S
    assert cells[("By agent", "Bob", "Solved")] == "1"


def test_anonymous_visitors_go_to_the_login_page(client):
    for name in ("reports", "reports_csv", "dashboard"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-03-09"}, "Give both a first and a last day"),
        ({"from": "2026-03-15", "to": "2026-03-09"}, "The last day is before the first day"),
        ({"from": "2025-01-01", "to": "2026-03-09"}, "at most 366 days"),
        ({"from": "9 March", "to": "2026-03-15"}, "Enter a valid date"),
        ({"preset": "12"}, "Select a valid choice"),
    ],
)
def test_a_bad_period_is_a_clear_400_that_keeps_what_was_typed(desk, client, query, message):
    client.force_login(desk.sue)
    response = client.get(reverse("reports"), query)
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert message in html
    if "from" in query:
        assert f'value="{query["from"]}"' in html
    download = client.get(reverse("reports_csv"), query)
    assert download.status_code == 400 and message in download.content.decode()


@pytest.mark.parametrize(
    ("preset", "first"), [("7", at(14, 0)), ("30", at(19, 0, month=2)), ("90", at(21, 0, month=12))]
)
def test_presets_end_today_in_the_viewers_zone(desk, client, preset, first):
    client.force_login(desk.sue)
    response = client.get(reverse("reports"), {"preset": preset})
    period = response.context["report"].period
    if preset == "90":
        first = first.replace(year=2025)
    assert (period.start, period.end) == (first, at(21, 0))


def test_the_default_is_the_last_30_days_in_the_viewers_time_zone(desk, client):
    Agent.objects.filter(pk=desk.sue.pk).update(time_zone="America/New_York")
    client.force_login(desk.sue)
    period = client.get(reverse("reports")).context["report"].period
    # Fri 20 Mar 12:00 UTC is 08:00 in New York (EDT, UTC-4 since 8 March): the last day is 20 March there.
    assert period.end.isoformat() == "2026-03-21T00:00:00-04:00"
    assert period.start.isoformat() == "2026-02-19T00:00:00-05:00"  # 30 days: 19 Feb to 20 Mar


@pytest.mark.parametrize("n", [0, 10])
def test_report_queries_do_not_grow_with_tickets(
    desk, client, make_ticket, django_assert_max_num_queries, django_assert_num_queries, n
):
    client.force_login(desk.sue)
    for i in range(n):
        make_ticket(desk.billing, subject=f"More {i}", now=at(11, 9, i))
    # The first read also measures every reply and solve so far (insights.durations): how far it read,
    # the replies, solves and acknowledgements, both teams' calendars, the inserts: a one-time catch-up.
    with django_assert_max_num_queries(55):
        assert client.get(reverse("reports"), WEEK_QUERY).status_code == 200
    # session, user, teams, agents; measuring what is new: how far replies, solves and acknowledgements were
    # read and what came since (2 each); the cached first responses, next responses, resolutions,
    # first-contact resolutions (all, by agent); new tickets, cached acknowledgements; backlog, promises
    # (all, by owner), ratings (all, by agent), findings (by kind, trend, by agent), unread promise warnings.
    # PostgreSQL computes the percentiles itself: one more query per duration kind (scope, then per agent).
    # Cost to serve by account (supervisors): conversations, messages and handling time per organisation (3;
    # their terms flags and names are 2 more when any organisation had activity: none here); service
    # recoveries and their outcomes (1).
    with django_assert_num_queries(33 if connection.vendor == "postgresql" else 30):
        assert client.get(reverse("reports"), WEEK_QUERY).status_code == 200


def test_a_name_that_looks_like_a_formula_is_not_one_in_the_csv(desk, client):
    Agent.objects.filter(pk=desk.carl.pk).update(first_name="=HYPERLINK(1)")
    client.force_login(desk.sue)
    rows = list(csv.reader(io.StringIO(client.get(reverse("reports_csv"), WEEK_QUERY).content.decode())))
    labels = {r[1] for r in rows if r[0] == "By agent"}
    assert "'=HYPERLINK(1)" in labels and "=HYPERLINK(1)" not in labels


def test_a_large_unmeasured_history_is_caught_up_over_requests_and_the_page_says_so(
    desk, client, monkeypatch
):
    monkeypatch.setattr("answerable.insights.reports.REFRESH_ROWS", 2)  # 2 rows of each kind per request
    client.force_login(desk.sue)
    first = client.get(reverse("reports"), WEEK_QUERY)
    assert first.status_code == 200 and not first.context["report"].complete
    assert "Still measuring older history" in first.content.decode()
    for _ in range(10):  # 8 replies, 4 solves, 4 acknowledgements: done within a few requests
        response = client.get(reverse("reports"), WEEK_QUERY)
        if response.context["report"].complete:
            break
    assert response.context["report"].complete
    assert "Still measuring" not in response.content.decode()
    cells = {(f, r, c): v for f, r, c, v in _cells(response.content.decode())}
    assert cells[("Response and resolution times", "First response", "Median")] == "75.0"


def test_supervisors_see_cost_to_serve_by_account_agents_do_not(world, client, time_machine):
    from answerable.customers.models import Organisation
    from answerable.tickets import services
    from conftest import T0

    time_machine.move_to(T0 + timedelta(days=1))
    acme = Organisation.objects.create(name="Acme Foods", yearly_value=1200)
    world.billing_ticket.customer.organisation = acme
    world.billing_ticket.customer.save()
    services.reply(world.billing_ticket, agent=world.alice, text="Refund sent today.", now=T0)
    client.force_login(world.sue)
    html = client.get(reverse("reports"), {"preset": "7"}).content.decode()
    assert "Cost to serve by account" in html and "Acme Foods" in html
    client.force_login(world.alice)
    assert "Cost to serve by account" not in client.get(reverse("reports"), {"preset": "7"}).content.decode()


def test_service_recoveries_and_their_outcome_are_counted(desk, client, make_ticket):
    from answerable.tickets import recovery

    client.force_login(desk.sue)

    def still_open() -> int:
        report = client.get(reverse("reports"), WEEK_QUERY).context["report"]
        figure = next(f for f in report.figures if f.key == "recovery")
        return dict((label, cells[0].value) for label, cells in figure.rows)["Still open"]

    before = still_open()  # the desk's broken promises started some already
    ticket = make_ticket(desk.billing, subject="Cake never came", now=at(10, 9))
    recovery.complaint(ticket, "Nobody called me back.", now=at(10, 10))
    assert still_open() == before + 1
