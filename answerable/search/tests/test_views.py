"""The search box on every console page and the results page, through the Django test client."""

import re
from datetime import timedelta

import pytest
import time_machine

from answerable.tickets import services
from conftest import T0


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        yield


def test_every_console_page_has_the_search_box(world, login):
    client = login(world.alice)
    for url in ["/inbox/", f"/t/{world.billing_ticket.pk}/", "/promises/", "/search/"]:
        html = client.get(url, follow=True).content.decode()
        assert 'id="search-q"' in html and 'action="/search/"' in html and 'aria-keyshortcuts="/"' in html, (
            url
        )


def test_results_show_ticket_customer_status_and_a_highlighted_snippet(world, login):
    t = world.billing_ticket
    services.receive_message(
        t, sender=t.customer, text="Where is my <b>refund</b>?", now=T0 + timedelta(hours=1)
    )
    response = login(world.alice).get("/search/", {"q": "refund"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"#{t.pk}</span> Refund for a double charge" in html
    assert "Ana Ruiz" in html and "status-new" in html
    assert "<mark>refund</mark>" in html.lower()
    assert "<b>" not in html  # the customer's markup is text, not HTML
    assert "1 ticket" in html


def test_other_teams_tickets_are_not_shown(world, login):
    html = login(world.bob).get("/search/", {"q": "refund"}).content.decode()
    assert "Refund for a double charge" not in html
    assert "No ticket you can see matches" in html


def test_a_bad_query_is_an_error_in_the_box(world, login):
    response = login(world.alice).get("/search/", {"q": "refund colour:red"})
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(
        r'<p class="search-error" id="search-page-error" role="alert">Unknown filter “colour:”', html
    )
    assert 'value="refund colour:red"' in html  # what was typed stays in the box
    assert 'aria-invalid="true"' in html
    assert '<details class="search-help" open>' in html


def test_an_unknown_team_is_an_error_too(world, login):
    response = login(world.alice).get("/search/", {"q": "team:Nowhere"})
    assert response.status_code == 400 and "There is no team" in response.content.decode()


def test_load_more_returns_the_next_rows(world, login, make_ticket):
    for i in range(30):
        make_ticket(world.billing, subject=f"Lamp {i}", text="lamp broken")
    client = login(world.alice)
    first = client.get("/search/", {"q": "lamp", "sort": "newest"}).content.decode()
    assert first.count('class="row"') == 25
    link = re.search(r'hx-get="\?([^"]*after=[^"]*)"', first).group(1).replace("&amp;", "&")
    more = client.get(f"/search/?{link}", HTTP_HX_REQUEST="true").content.decode()
    assert more.count('class="row"') == 5 and "<html" not in more
    assert not set(re.findall(r"#(\d+)</span>", first)) & set(re.findall(r"#(\d+)</span>", more))


def test_a_forged_cursor_is_a_bad_request(world, login):
    assert login(world.alice).get("/search/", {"q": "refund", "after": "!!"}).status_code == 400


def test_search_needs_a_login(client, world):
    response = client.get("/search/", {"q": "refund"})
    assert response.status_code == 302 and "/login/" in response["Location"]
