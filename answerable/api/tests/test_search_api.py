"""Search over the API: the console's syntax and permissions, errors in the API's error body."""

from answerable.tickets import services
from conftest import T0


def test_search_finds_only_what_the_token_agent_may_see(world, api_as):
    services.add_note(world.shipping_ticket, agent=world.bob, text="Refund approved for the parcel", now=T0)
    services.add_note(world.billing_ticket, agent=world.alice, text="Refund approved by Sue", now=T0)
    body = api_as(world.alice).get("/search", {"q": "refund approved"}).json()
    assert [h["ticket"]["id"] for h in body["items"]] == [world.billing_ticket.pk]
    assert body["count"] == 1 and "<mark>" in body["items"][0]["snippet"]
    assert "<mark>" not in body["items"][0]["snippet_text"]


def test_a_bad_query_is_a_400_naming_the_reason(world, api_as):
    response = api_as(world.alice).get("/search", {"q": "colour:blue"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_query" and error["fields"]["q"]
