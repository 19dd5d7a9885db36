"""Webhook subscriptions through the API: admins only, the secret shown once, the delivery log readable."""

from answerable.webhooks import services
from answerable.webhooks.models import Delivery, Subscription
from conftest import T0


def test_admins_subscribe_and_see_the_secret_once(world, api_as):
    api = api_as(world.ada, scopes=["webhooks:manage"])
    body = {
        "name": "CRM",
        "url": "https://crm.example/hook",
        "events": ["ticket.created"],
        "team_id": world.billing.pk,
    }
    created = api.post("/webhooks", body)
    assert created.status_code == 201, created.content
    assert created.json()["secret"].startswith("whsec_")
    listed = api.get("/webhooks").json()
    assert [s["name"] for s in listed] == ["CRM"] and "secret" not in listed[0]
    sub_id = created.json()["id"]
    assert api.patch(f"/webhooks/{sub_id}", {"active": False}).json()["active"] is False
    assert api.patch(f"/webhooks/{sub_id}", {"active": True}).json()["active"] is True
    assert (
        api.client.delete(f"/api/v1/webhooks/{sub_id}", HTTP_AUTHORIZATION=f"Bearer {api.secret}").status_code
        == 204
    )
    assert not Subscription.objects.exists()


def test_agents_and_supervisors_may_not_manage_webhooks(world, api_as):
    for agent in (world.alice, world.sue):
        response = api_as(agent, scopes=["webhooks:manage"]).get("/webhooks")
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_bad_subscriptions_are_400(world, api_as):
    api = api_as(world.ada, scopes=["webhooks:manage"])
    assert api.post("/webhooks", {"url": "ftp://x.example/", "events": ["ticket.created"]}).status_code == 400
    assert api.post("/webhooks", {"url": "https://x.example/", "events": ["ticket.gone"]}).status_code == 400
    assert api.post("/webhooks", {"url": "https://x.example/", "events": []}).status_code == 400


def test_the_delivery_log_lists_deliveries_with_their_attempts(world, api_as):
    new = services.subscribe(name="CRM", url="http://127.0.0.1:9/", events=["ticket.created"], now=T0)
    [delivery] = services.create_deliveries("ticket.created", world.billing_ticket.pk, {}, now=T0)
    services.record(delivery, services.Outcome(503, "HTTP 503", 12), now=T0)
    log = (
        api_as(world.ada, scopes=["webhooks:manage"])
        .get(f"/webhooks/{new.subscription.pk}/deliveries")
        .json()
    )
    [item] = log["items"]
    assert (item["status"], item["attempts"], item["last_status_code"]) == ("pending", 1, 503)
    assert item["attempt_log"] == [{"at": "2026-03-10T09:00:00Z", "status_code": 503, "error": "HTTP 503",
                                    "duration_ms": 12}]  # fmt: skip
    assert Delivery.objects.get().next_attempt_at is not None
