from datetime import timedelta

import pytest
from django.urls import reverse

from answerable.console import queries
from answerable.tickets import services
from answerable.tickets.models import Message, Status
from conftest import T0


def test_inbox_shows_the_latest_message_as_a_snippet_and_the_wait(world, client):
    client.force_login(world.alice)
    response = client.get(reverse("inbox_view", args=["open"]))
    html = response.content.decode()
    assert "Refund for a double charge" in html
    assert "← I was told it would ship Friday" in html
    assert response["Server-Timing"].startswith("app;dur=")


def test_views_split_mine_unassigned_and_teams(world, client):
    services.assign(world.billing_ticket, world.alice, actor=world.alice, now=T0)
    client.force_login(world.alice)
    rows = {
        v: [t.pk for t in client.get(reverse("inbox_view", args=[v])).context["page"].rows]
        for v in queries.VIEWS
    }
    assert rows["mine"] == [world.billing_ticket.pk]
    assert rows["unassigned"] == []
    assert rows["teams"] == [world.billing_ticket.pk]


def test_solved_tickets_leave_the_active_views_and_are_found_by_status_filter(world, client):
    services.set_status(world.billing_ticket, Status.SOLVED, actor=world.alice, now=T0)
    client.force_login(world.alice)
    assert client.get(reverse("inbox_view", args=["teams"])).context["page"].rows == []
    rows = client.get(reverse("inbox_view", args=["teams"]), {"status": "solved"}).context["page"].rows
    assert [t.pk for t in rows] == [world.billing_ticket.pk]


def test_filters_by_tag_and_assignee(world, client, make_ticket):
    other = make_ticket(world.billing, subject="Invoice copy")
    services.set_tags(other, ["invoice"], actor=world.alice, now=T0)
    services.assign(world.billing_ticket, world.carl, actor=world.sue, now=T0)
    client.force_login(world.alice)
    by_tag = client.get(reverse("inbox_view", args=["teams"]), {"tag": "invoice"}).context["page"].rows
    assert [t.pk for t in by_tag] == [other.pk]
    by_assignee = client.get(reverse("inbox_view", args=["teams"]), {"assignee": str(world.carl.pk)})
    assert [t.pk for t in by_assignee.context["page"].rows] == [world.billing_ticket.pk]
    nobody = client.get(reverse("inbox_view", args=["teams"]), {"assignee": "none"}).context["page"].rows
    assert [t.pk for t in nobody] == [other.pk]


def test_keyset_pages_cover_every_ticket_once_in_order(world, client, make_ticket, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    for i in range(7):
        make_ticket(world.billing, subject=f"T{i}", now=T0 + timedelta(minutes=i % 3))  # ties on the time
    client.force_login(world.alice)
    seen, after = [], None
    for _ in range(10):
        params = {"after": after} if after else {}
        page = client.get(reverse("inbox_view", args=["teams"]), params).context["page"]
        seen += [(t.last_activity_at, t.pk) for t in page.rows]
        after = page.next_cursor
        if not after:
            break
    assert len(seen) == 8 and len(set(seen)) == 8
    assert seen == sorted(seen, reverse=True)


def test_a_bad_cursor_is_a_clear_400(world, client):
    client.force_login(world.alice)
    response = client.get(reverse("inbox_view", args=["teams"]), {"after": "not-a-cursor"})
    assert response.status_code == 400
    assert b"cursor" in response.content


def test_unknown_view_is_404(world, client):
    client.force_login(world.alice)
    assert client.get("/inbox/everything/").status_code == 404


@pytest.mark.parametrize("n", [2, 12])
def test_inbox_query_count_does_not_grow_with_tickets(
    world, client, make_ticket, django_assert_max_num_queries, n
):
    for i in range(n):
        t = make_ticket(world.billing, subject=f"T{i}")
        services.assign(t, world.carl, actor=world.sue, now=T0)
    client.force_login(world.alice)
    # session, user, 6 view counts (the sixth: Escalated), teams, agents, one page of tickets (snippets as
    # subqueries), unread promise warnings
    with django_assert_max_num_queries(12):
        client.get(reverse("inbox_view", args=["teams"]))


def test_ticket_page_shows_thread_kinds_distinctly(world, client):
    ticket = world.billing_ticket
    services.reply(ticket, agent=world.alice, text="We refunded the second charge.", now=T0)
    services.add_note(ticket, agent=world.alice, text="Stripe ref ch_123", now=T0)
    client.force_login(world.carl)
    html = client.get(reverse("ticket", args=[ticket.pk])).content.decode()
    assert 'class="msg msg-inbound"' in html
    assert 'class="msg msg-outbound"' in html
    assert 'class="msg msg-note"' in html and "Internal note" in html


def test_reply_over_htmx_returns_the_conversation_with_the_new_message(world, client):
    client.force_login(world.alice)
    ticket = world.billing_ticket
    seen = ticket.messages.get().pk
    response = client.post(
        reverse("ticket_compose", args=[ticket.pk]),
        {"kind": "reply", "text": "Refund on its way.", "idempotency_key": "abc", "seen_message_id": seen},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Refund on its way." in response.content.decode()
    assert ticket.messages.filter(kind=Message.Kind.OUTBOUND).count() == 1


def test_a_stale_reply_gets_409_shows_the_new_message_and_keeps_the_draft(world, client):
    client.force_login(world.alice)
    ticket = world.billing_ticket
    seen = ticket.messages.get().pk
    services.receive_message(ticket, sender=ticket.customer, text="Actually, cancel it.", now=T0)
    response = client.post(
        reverse("ticket_compose", args=[ticket.pk]),
        {"kind": "reply", "text": "Refund on its way.", "seen_message_id": seen},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Actually, cancel it." in html and "Refund on its way." in html
    assert not ticket.messages.filter(kind=Message.Kind.OUTBOUND).exists()


def test_an_empty_reply_is_refused_with_a_message(world, client):
    client.force_login(world.alice)
    response = client.post(
        reverse("ticket_compose", args=[world.billing_ticket.pk]), {"kind": "reply", "text": " "}
    )
    assert response.status_code == 422
    assert world.billing_ticket.messages.count() == 1


def test_collision_notice_names_the_colleague_who_is_drafting(world, client):
    ticket = world.billing_ticket
    client.force_login(world.carl)
    client.post(reverse("ticket_presence", args=[ticket.pk]), {"drafting": "1"})
    client.force_login(world.alice)
    html = client.post(reverse("ticket_presence", args=[ticket.pk]), {"drafting": "0"}).content.decode()
    assert "Carl" in html and "is replying" in html


def test_collision_notice_forgets_agents_who_left_long_ago(world, client, time_machine):
    ticket = world.billing_ticket
    time_machine.move_to(T0, tick=False)
    client.force_login(world.carl)
    client.post(reverse("ticket_presence", args=[ticket.pk]), {"drafting": "1"})
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    client.force_login(world.alice)
    html = client.post(reverse("ticket_presence", args=[ticket.pk])).content.decode()
    assert "Carl" not in html


def test_macro_is_rendered_for_the_ticket(world, client):
    from answerable.tickets.models import Macro

    macro = Macro.objects.create(name="Hello", body="Hi {{ customer.first_name }}, {{ agent.name }} here.")
    client.force_login(world.alice)
    response = client.get(reverse("ticket_macro", args=[world.billing_ticket.pk, macro.pk]))
    assert response.content.decode() == "Hi Ana, Alice here."


def test_login_and_logout(world, client):
    from conftest import PASSWORD

    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("inbox")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("inbox")).status_code == 302


def test_wrong_password_says_so(world, client):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content


def test_attachments_download_with_safe_headers_and_only_for_those_who_see_the_ticket(world, client):
    files = [services.IncomingFile("../../etc/evil.html", b"<script>alert(1)</script>", "text/html")]
    message = services.reply(
        world.billing_ticket, agent=world.alice, text="See attached", now=T0, files=files
    )
    attachment = message.attachments.get()
    assert attachment.filename == "evil.html"
    url = reverse("ticket_attachment", args=[world.billing_ticket.pk, attachment.pk])
    client.force_login(world.carl)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    client.force_login(world.bob)
    assert client.get(url).status_code == 404
    other_ticket_url = reverse("ticket_attachment", args=[world.shipping_ticket.pk, attachment.pk])
    client.force_login(world.ada)
    assert client.get(other_ticket_url).status_code == 404


@pytest.mark.parametrize("n", [1, 10])
def test_ticket_page_query_count_does_not_grow_with_the_thread(
    world, client, django_assert_max_num_queries, n
):
    ticket = world.billing_ticket
    for i in range(n):
        services.reply(ticket, agent=world.alice, text=f"Reply {i}", now=T0 + timedelta(minutes=i))
        services.add_note(ticket, agent=world.carl, text=f"Note {i}", now=T0 + timedelta(minutes=i))
    client.force_login(world.alice)
    # session, user, ticket, presence (get/update), thread, attachments, flags, history, events, emails,
    # macros, agents, others present, tags, open promises, SLA policy, unread promise warnings,
    # open escalations, service recovery, escalation targets (supervisors and admins), second-tier teams,
    # ratings
    with django_assert_max_num_queries(24):
        assert client.get(reverse("ticket", args=[ticket.pk])).status_code == 200


def test_a_reply_over_htmx_also_refreshes_the_status_out_of_band(world, client):
    client.force_login(world.alice)
    response = client.post(
        reverse("ticket_compose", args=[world.billing_ticket.pk]),
        {"kind": "reply", "text": "On it."},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'id="properties"' in html and 'hx-swap-oob="true"' in html
    assert '<option value="open" selected>' in html


def test_waiting_on_us_lists_customers_who_spoke_last_longest_wait_first(world, client, make_ticket):
    older = make_ticket(world.billing, subject="Older", now=T0 - timedelta(hours=3))
    services.reply(world.billing_ticket, agent=world.alice, text="Answered", now=T0 + timedelta(minutes=1))
    client.force_login(world.alice)
    response = client.get(reverse("inbox_view", args=["waiting"]))
    assert [t.pk for t in response.context["page"].rows] == [older.pk]
    assert response.context["counts"]["waiting"] == 1
    assert response.context["sort"] == "wait"


def test_the_row_badge_warns_before_the_expected_time_and_says_overdue_after(world, client, time_machine):
    ticket = world.billing_ticket
    ticket.expected_response_at = T0 + timedelta(hours=4)
    ticket.save(update_fields=["expected_response_at"])
    client.force_login(world.alice)
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    html = client.get(reverse("inbox_view", args=["waiting"])).content.decode()
    assert 'class="badge due"' in html and "in 3 h" in html
    time_machine.move_to(T0 + timedelta(hours=3, minutes=30), tick=False)
    assert "▲ in 30 min" in client.get(reverse("inbox_view", args=["waiting"])).content.decode()
    time_machine.move_to(T0 + timedelta(hours=6), tick=False)
    assert "● overdue 2 h" in client.get(reverse("inbox_view", args=["waiting"])).content.decode()


def test_an_agent_marks_themselves_away_and_back_from_any_page(world, client):
    client.force_login(world.alice)
    response = client.post(reverse("me_away"), {"away": "1", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("inbox")  # no open redirect
    world.alice.refresh_from_db()
    assert world.alice.away and world.alice.away_until is None
    assert "I'm back" in client.get(reverse("inbox")).content.decode()
    client.post(reverse("me_away"), {"away": "0", "next": reverse("inbox")})
    world.alice.refresh_from_db()
    assert not world.alice.away
    assert client.get(reverse("me_away")).status_code == 405
