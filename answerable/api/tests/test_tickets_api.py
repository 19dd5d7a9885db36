"""The tickets endpoints: same permissions as the console, writes through the services, one error shape."""

from datetime import timedelta

import time_machine

from answerable.tickets import services
from answerable.tickets.models import Event, Message, Ticket
from conftest import T0

RUDE = "As I already told you, that's not my problem. Read the FAQ.\n\nAlice"


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_list_shows_only_tickets_of_the_agents_teams(world, api_as):
    ids = [t["id"] for t in api_as(world.alice).get("/tickets").json()["items"]]
    assert ids == [world.billing_ticket.pk]
    admin_ids = {t["id"] for t in api_as(world.ada).get("/tickets").json()["items"]}
    assert admin_ids == {world.billing_ticket.pk, world.shipping_ticket.pk}


def test_other_teams_tickets_are_404_everywhere(world, api_as):
    api = api_as(world.alice)
    pk = world.shipping_ticket.pk
    for response in (
        api.get(f"/tickets/{pk}"),
        api.get(f"/tickets/{pk}/messages"),
        api.get(f"/tickets/{pk}/events"),
        api.get(f"/tickets/{pk}/promises"),
        api.patch(f"/tickets/{pk}", {"status": "solved"}),
        api.post(f"/tickets/{pk}/replies", {"text": "Hello"}),
        api.post(f"/tickets/{pk}/notes", {"text": "Hello"}),
        api.post("/coach/check", {"ticket_id": pk, "draft": "Hello"}),
    ):
        assert response.status_code == 404, response.content
        assert error(response)["code"] == "not_found"
    assert Ticket.objects.get(pk=pk).status == "new"
    assert not Message.objects.filter(ticket_id=pk, kind__in=["outbound", "note"]).exists()


def test_filters_and_cursor_pagination(world, api_as, make_ticket, make_customer):
    ana = world.billing_ticket.customer
    more = [
        make_ticket(world.billing, ana, subject=f"More {i}", now=T0 + timedelta(minutes=i)) for i in range(5)
    ]
    services.set_status(more[0], "solved", actor=world.alice, now=T0 + timedelta(hours=1))
    services.assign(more[1], world.alice, actor=world.alice, now=T0 + timedelta(hours=1))
    api = api_as(world.sue)
    seen, cursor = [], None
    while True:
        body = api.get("/tickets", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 6
    assert api.get("/tickets", {"status": "solved"}).json()["items"][0]["id"] == more[0].pk
    assert [t["id"] for t in api.get("/tickets", {"assignee": world.alice.pk}).json()["items"]] == [
        more[1].pk
    ]
    assert len(api.get("/tickets", {"assignee": "none"}).json()["items"]) == 5
    assert len(api.get("/tickets", {"customer": ana.pk}).json()["items"]) == 6
    assert api.get("/tickets", {"team": world.shipping.pk}).json()["items"] == []
    after = api.get(
        "/tickets", {"updated_after": (T0 + timedelta(minutes=30)).isoformat(), "order": "updated"}
    )
    assert [t["id"] for t in after.json()["items"]] == [more[0].pk]
    bad = api.get("/tickets", {"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and error(bad)["code"] == "bad_cursor"


def test_validation_errors_name_the_fields(world, api_as):
    api = api_as(world.alice)
    response = api.get("/tickets", {"status": "lost", "limit": 0})
    assert response.status_code == 400
    assert {"status", "limit"} <= set(error(response)["fields"])
    response = api.patch(f"/tickets/{world.billing_ticket.pk}", {"priority": 9})
    assert response.status_code == 400 and "priority" in error(response)["fields"]
    response = api.client.post(
        f"/api/v1/tickets/{world.billing_ticket.pk}/notes",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.secret}",
    )
    assert response.status_code == 400 and error(response)["code"] == "invalid_json"
    response = api.post(f"/tickets/{world.billing_ticket.pk}/notes", {"text": "nul \x00 byte"})
    assert response.status_code == 400 and "text" in error(response)["fields"]
    assert api.get("/tickets/99999999999999999999").status_code in (400, 404)
    response = api.client.delete(
        f"/api/v1/tickets/{world.billing_ticket.pk}", HTTP_AUTHORIZATION=f"Bearer {api.secret}"
    )
    assert response.status_code == 405 and error(response)["code"] == "method_not_allowed"
    assert error(api.get("/nowhere"))["code"] == "not_found"


def test_scopes_narrow_what_a_token_may_do(world, api_as):
    api = api_as(world.alice, scopes=["tickets:read"])
    assert api.get("/tickets").status_code == 200
    response = api.post(f"/tickets/{world.billing_ticket.pk}/notes", {"text": "hi"})
    assert response.status_code == 403 and error(response)["code"] == "missing_scope"
    assert api.get("/customers").status_code == 403


def test_update_goes_through_the_services_and_records_events(world, api_as):
    api = api_as(world.alice)
    pk = world.billing_ticket.pk
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        response = api.patch(
            f"/tickets/{pk}",
            {"status": "pending", "priority": 3, "assignee_id": world.alice.pk, "tags": ["Refund", "vip"]},
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["assignee"]["id"], body["tags"]) == (
        "pending",
        3,
        world.alice.pk,
        ["refund", "vip"],
    )
    kinds = set(Event.objects.filter(ticket_id=pk, actor=world.alice).values_list("kind", flat=True))
    assert kinds == {"status_changed", "priority_changed", "assigned", "tags_changed"}


def test_assigning_someone_else_is_403_for_an_agent_and_changes_nothing(world, api_as):
    pk = world.billing_ticket.pk
    response = api_as(world.alice).patch(f"/tickets/{pk}", {"assignee_id": world.carl.pk, "status": "solved"})
    assert response.status_code == 403 and error(response)["code"] == "forbidden"
    ticket = Ticket.objects.get(pk=pk)
    assert ticket.assignee is None and ticket.status == "new"
    assert api_as(world.sue).patch(f"/tickets/{pk}", {"assignee_id": world.carl.pk}).json()["assignee"][
        "id"
    ] == (world.carl.pk)
    assert api_as(world.sue).patch(f"/tickets/{pk}", {"assignee_id": None}).json()["assignee"] is None


def test_reply_is_queued_once_per_idempotency_key(world, api_as, django_capture_on_commit_callbacks):
    api = api_as(world.alice)
    pk = world.billing_ticket.pk
    with django_capture_on_commit_callbacks(execute=False):
        first = api.post(f"/tickets/{pk}/replies", {"text": "Refunded today."}, HTTP_IDEMPOTENCY_KEY="k-1")
        again = api.post(f"/tickets/{pk}/replies", {"text": "Refunded today."}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["kind"] == "outbound" and first.json()["delivery"] == "queued"
    assert Message.objects.filter(ticket_id=pk, kind="outbound", automatic=False).count() == 1
    assert Ticket.objects.get(pk=pk).first_response_at is not None


def test_reply_on_a_stale_draft_is_409(world, api_as):
    ticket = world.billing_ticket
    seen = ticket.messages.get().pk
    services.receive_message(ticket, sender=ticket.customer, text="Any news?", now=T0 + timedelta(minutes=5))
    response = api_as(world.alice).post(
        f"/tickets/{ticket.pk}/replies", {"text": "Done.", "seen_message_id": seen}
    )
    assert response.status_code == 409 and error(response)["code"] == "stale_draft"
    assert not ticket.messages.filter(kind="outbound").exists()


def test_tone_findings_need_confirmation_as_in_the_console(world, api_as):
    api = api_as(world.alice)
    pk = world.billing_ticket.pk
    held = api.post(f"/tickets/{pk}/replies", {"text": RUDE})
    assert held.status_code == 409 and error(held)["code"] == "coach_findings"
    assert api.post(f"/tickets/{pk}/replies", {"text": RUDE, "confirm_tone": True}).status_code == 201
    world.billing.coach_gate = True
    world.billing.save()
    gated = api.post(f"/tickets/{pk}/replies", {"text": RUDE, "confirm_tone": True})
    assert gated.status_code == 409 and error(gated)["code"] == "coach_blocked"


def test_note_is_internal_and_listed_in_the_thread(world, api_as):
    api = api_as(world.alice)
    pk = world.billing_ticket.pk
    assert api.post(f"/tickets/{pk}/notes", {"text": "Checked with finance."}).status_code == 201
    thread = api.get(f"/tickets/{pk}/messages").json()
    assert [m["kind"] for m in thread] == ["inbound", "note"]
    assert thread[1]["author"]["username"] == "alice"


def test_create_ticket_for_a_new_customer_in_my_team_only(world, api_as):
    api = api_as(world.alice)
    body = {
        "team_id": world.billing.pk,
        "subject": "Invoice copy",
        "text": "Please send it again.",
        "customer_email": "new@customer.example",
        "customer_name": "Nia Obi",
        "tags": ["invoice"],
    }
    response = api.post("/tickets", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["customer"]["email"] == "new@customer.example" and created["tags"] == ["invoice"]
    assert Event.objects.filter(ticket_id=created["id"], kind="created", data__channel="api").exists()
    acknowledged = api.post("/tickets", body | {"acknowledge": True}).json()
    assert Message.objects.filter(ticket_id=acknowledged["id"], automatic=True).exists()
    assert acknowledged["expected_response_at"] is not None
    response = api.post("/tickets", body | {"team_id": world.shipping.pk})
    assert response.status_code == 400 and "team_id" in error(response)["fields"]
    response = api.post("/tickets", body | {"customer_email": "not an address"})
    assert response.status_code == 400 and "customer_email" in error(response)["fields"]


def test_rate_limit_answers_429_with_retry_after(world, api_as, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    api = api_as(world.alice)
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        assert [api.get("/tickets").status_code for _ in range(3)] == [200, 200, 200]
        limited = api.get("/tickets")
        assert limited.status_code == 429 and error(limited)["code"] == "rate_limited"
        assert limited["Retry-After"] == "50"
        other = api_as(world.carl)  # counted per token
        assert other.get("/tickets").status_code == 200
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert api.get("/tickets").status_code == 200


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/tickets/{ticket_id}/replies" in schema.json()["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"cdn." not in docs.content  # our static files: works offline
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/v1/docs/assets/..%2F..%2F__init__.py").status_code == 404


def test_a_page_of_tickets_costs_the_same_queries_as_one(
    world, api_as, make_ticket, django_assert_num_queries
):
    api = api_as(world.ada)
    api.get("/tickets")  # warm: the token's last-used time is written once a minute
    with django_assert_num_queries(4) as one:  # the token, the tickets, their tags, their customers' emails
        api.get("/tickets", {"limit": 1})
    for i in range(10):
        make_ticket(world.billing, subject=f"Extra {i}")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(api.get("/tickets", {"limit": 25}).json()["items"]) == 12
