"""Customers, organisations, promises, ratings and the coach through the API."""

from datetime import timedelta

from answerable.customers.models import Organisation
from answerable.promises import services as ledger
from answerable.satisfaction.services import rate
from answerable.tickets import services
from conftest import T0


def test_agents_see_customers_of_their_teams_tickets_admins_all(world, api_as, make_customer):
    make_customer("Lone Customer")
    mine = {c["name"] for c in api_as(world.alice).get("/customers").json()["items"]}
    assert mine == {"Ana Ruiz"}
    dev = world.shipping_ticket.customer
    assert api_as(world.alice).get(f"/customers/{dev.pk}").status_code == 404
    everyone = {c["name"] for c in api_as(world.ada).get("/customers").json()["items"]}
    assert everyone == {"Ana Ruiz", "Dev Shah", "Lone Customer"}
    found = api_as(world.alice).get("/customers", {"email": "ANA@acme.example"}).json()["items"]
    assert [c["emails"] for c in found] == [["ana@acme.example"]]


def test_create_customer_goes_through_the_service(world, api_as):
    api = api_as(world.ada)
    response = api.post("/customers", {"name": "Ola", "emails": ["ola@x.example"]})
    assert response.status_code == 201 and response.json()["emails"] == ["ola@x.example"]
    again = api.post("/customers", {"name": "Ola", "emails": ["OLA@x.example"]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    bad = api.post("/customers", {"emails": ["nope"]})
    assert bad.status_code == 400
    twice = api.post("/customers", {"emails": ["kim@x.example", "KIM@x.example"]})  # found by the fuzzer
    assert twice.status_code == 400 and twice.json()["error"]["fields"] == {"emails": ["listed twice"]}


def test_organisations_follow_their_customers(world, api_as):
    acme = Organisation.objects.create(name="Acme")
    Organisation.objects.create(name="Hidden")
    customer = world.billing_ticket.customer
    customer.organisation = acme
    customer.save()
    assert [o["name"] for o in api_as(world.alice).get("/organisations").json()["items"]] == ["Acme"]
    assert api_as(world.alice).get(f"/organisations/{acme.pk}").json()["yearly_value"] == "0.00"
    assert len(api_as(world.ada).get("/organisations").json()["items"]) == 2


def test_promises_are_listed_per_ticket_and_filtered(world, api_as):
    ticket = world.billing_ticket
    services.add_note(ticket, agent=world.alice, text="I'll call them back by tomorrow.", now=T0)
    ledger.record(
        world.shipping_ticket, text="Replace it", source="reply", kind="delivery", due_at=None, now=T0
    )
    api = api_as(world.alice)
    listed = api.get("/promises").json()["items"]
    assert listed and {p["ticket_id"] for p in listed} == {ticket.pk}
    assert api.get(f"/tickets/{ticket.pk}/promises").json() == [
        p for p in listed if p["ticket_id"] == ticket.pk
    ]
    assert api.get("/promises", {"status": "broken"}).json()["items"] == []


def test_ratings_of_visible_tickets(world, api_as):
    for t in (world.billing_ticket, world.shipping_ticket):
        services.set_status(t, "solved", actor=world.ada, now=T0 + timedelta(hours=1))
        t.refresh_from_db()
        rate(t, "good", comment="Thanks", now=T0 + timedelta(hours=2))
    items = api_as(world.alice).get("/ratings").json()["items"]
    assert [(r["ticket_id"], r["score"]) for r in items] == [(world.billing_ticket.pk, "good")]
    assert api_as(world.alice).get("/ratings", {"score": "bad"}).json()["items"] == []


def test_coach_check_returns_findings_and_stores_nothing(world, api_as):
    from answerable.coach.models import CoachFinding

    response = api_as(world.alice).post(
        "/coach/check",
        {"ticket_id": world.billing_ticket.pk, "draft": "As I already told you, read the FAQ."},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["blocking"] is True
    assert any(f["check"] == "tone" and f["blocking"] for f in body["findings"])
    assert not CoachFinding.objects.exists()
