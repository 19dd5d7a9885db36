"""Who finds what: results, counts and snippets only from tickets the searcher may see, notes never for
customers; a hidden hit changes nothing the searcher is shown."""

from datetime import timedelta

import pytest

from answerable.search import services as search
from answerable.search.syntax import QuerySyntaxError
from answerable.tickets import services
from conftest import T0

KINDS = ("inbound", "outbound", "note")


@pytest.fixture
def words(world) -> dict[tuple[str, str], str]:
    """A unique word in each kind of message on each team's ticket, plus "shared" in every message."""
    out = {}
    for team, ticket in (("billing", world.billing_ticket), ("shipping", world.shipping_ticket)):
        agent = world.alice if team == "billing" else world.bob
        at = T0 + timedelta(hours=1)
        for kind in KINDS:
            word = f"{team}{kind}word"
            text = f"shared {word}"
            if kind == "inbound":
                services.receive_message(ticket, sender=ticket.customer, text=text, now=at)
            elif kind == "outbound":
                services.reply(ticket, agent=agent, text=text, now=at)
            else:
                services.add_note(ticket, agent=agent, text=text, now=at)
            out[(team, kind)] = word
    return out


SEES = {  # searcher -> the teams whose tickets they may see
    "alice": {"billing"},  # agent, billing
    "sue": {"billing"},  # supervisor, billing
    "bob": {"shipping"},  # agent, shipping
    "ada": {"billing", "shipping"},  # admin, no team
}


@pytest.mark.parametrize("searcher", list(SEES))
@pytest.mark.parametrize("team", ["billing", "shipping"])
@pytest.mark.parametrize("kind", KINDS)
def test_agents_find_every_kind_of_message_on_their_teams_tickets_only(world, words, searcher, team, kind):
    user = getattr(world, searcher)
    ticket = world.billing_ticket if team == "billing" else world.shipping_ticket
    for sort in ("best", "newest"):
        page = search.search(user, words[(team, kind)], sort=sort, now=T0)
        if team in SEES[searcher]:
            assert [h.ticket.pk for h in page.hits] == [ticket.pk]
            assert page.count == 1
            assert words[(team, kind)] in page.hits[0].snippet
        else:
            assert page.hits == [] and page.count == 0


@pytest.mark.parametrize("searcher", list(SEES))
def test_counts_and_snippets_hold_only_visible_tickets(world, words, searcher):
    user = getattr(world, searcher)
    page = search.search(user, "shared", now=T0)
    assert page.count == len(SEES[searcher])
    visible = {
        world.billing_ticket.pk if t == "billing" else world.shipping_ticket.pk for t in SEES[searcher]
    }
    assert {h.ticket.pk for h in page.hits} == visible
    hidden = {"billing", "shipping"} - SEES[searcher]
    for hit in page.hits:
        for team in hidden:
            for kind in KINDS:
                assert words[(team, kind)] not in hit.snippet


def test_a_hidden_hit_does_not_change_the_count_or_the_pages(world, words, make_ticket):
    before = search.search(world.alice, "shared", limit=1, now=T0)
    for _ in range(3):
        make_ticket(world.shipping, subject="shared", text="shared")
    after = search.search(world.alice, "shared", limit=1, now=T0)
    assert (after.count, [h.ticket.pk for h in after.hits], after.next_cursor) == (
        before.count,
        [h.ticket.pk for h in before.hits],
        before.next_cursor,
    )


def test_filters_do_not_reach_past_the_searchers_teams(world, words):
    assert search.search(world.alice, "team:shipping", now=T0).hits == []
    assert search.search(world.alice, "shared -status:closed", now=T0).count == 1
    assert (
        search.search(world.bob, f"from:{world.billing_ticket.customer.emails.first().address}", now=T0).count
        == 0
    )


def test_an_inactive_agent_finds_nothing(world, words):
    world.alice.is_active = False
    assert search.search(world.alice, "shared", now=T0).count == 0


# --- the customer portal ---------------------------------------------------------------------------------


@pytest.mark.parametrize("team", ["billing", "shipping"])
@pytest.mark.parametrize("kind", KINDS)
def test_customers_find_their_own_conversation_and_never_notes(world, words, team, kind):
    ana = world.billing_ticket.customer
    page = search.search_for_customer(ana, words[(team, kind)], now=T0)
    if team == "billing" and kind != "note":
        assert [h.ticket.pk for h in page.hits] == [world.billing_ticket.pk]
        assert page.count == 1
    else:
        assert page.hits == [] and page.count == 0


def test_customer_snippets_and_counts_never_come_from_notes(world, words):
    ana = world.billing_ticket.customer
    page = search.search_for_customer(ana, "shared", now=T0)
    assert page.count == 1
    assert page.hits[0].message_kind != "note"
    assert "note" not in page.hits[0].snippet


def test_a_note_cannot_exclude_a_ticket_from_a_customers_results(world, words):
    ana = world.billing_ticket.customer
    # The note holds "billingnoteword": excluding it must not reveal that by hiding the ticket.
    assert search.search_for_customer(ana, "shared -billingnoteword", now=T0).count == 1
    assert search.search(world.alice, "shared -billingnoteword", now=T0).count == 0


def test_an_attachment_on_a_note_is_not_a_customers_attachment(world):
    ticket = world.billing_ticket
    message = services.add_note(ticket, agent=world.alice, text="internal scan", now=T0)
    message.attachments.create(file="attachments/x.pdf", filename="scan.pdf", content_type="application/pdf",
                               size=10)  # fmt: skip
    assert search.search(world.alice, "has:attachment", now=T0).count == 1
    assert search.search_for_customer(ticket.customer, "has:attachment", now=T0).count == 0


@pytest.mark.parametrize("text", ["assignee:me", "team:billing", "tag:vip", "is:waiting", "promise:due"])
def test_agent_only_filters_are_errors_in_the_portal(world, text):
    with pytest.raises(QuerySyntaxError, match="cannot be used here"):
        search.search_for_customer(world.billing_ticket.customer, text, now=T0)
