from datetime import timedelta

from django.urls import reverse

from answerable.promises import services
from answerable.promises.models import Notification, Promise
from conftest import T0


def made(ticket, owner, **kw):
    return services.record(
        ticket,
        text=kw.pop("text", "I'll call you tomorrow morning"),
        source="reply",
        kind=kw.pop("kind", "get_back"),
        due_at=kw.pop("due_at", T0 + timedelta(hours=4)),
        now=T0,
        owner=owner,
        **kw,
    )


def test_the_board_groups_overdue_at_risk_and_next_day_for_the_viewer(world, client, time_machine):
    overdue = made(world.billing_ticket, world.alice, text="Refund by Monday", due_at=T0 + timedelta(hours=1))
    risky = made(world.billing_ticket, world.alice, text="Call you at noon", due_at=T0 + timedelta(hours=3))
    soon = made(
        world.billing_ticket, world.alice, text="Invoice by tomorrow", due_at=T0 + timedelta(hours=20)
    )
    hidden = made(world.shipping_ticket, world.bob, text="Courier tomorrow")
    time_machine.move_to(T0 + timedelta(hours=2, minutes=30), tick=False)
    services.sweep_once(T0 + timedelta(hours=2, minutes=30))
    client.force_login(world.alice)
    response = client.get(reverse("promises"))
    b = response.context["board"]
    assert [p.pk for p in b.overdue] == [overdue.pk]
    assert [p.pk for p in b.at_risk] == [risky.pk]
    assert [p.pk for p in b.next_day] == [soon.pk]
    html = response.content.decode()
    assert "● overdue" in html and "▲ in 30 min" in html and "Draft reset" in html
    assert hidden.text not in html
    assert not Notification.objects.filter(agent=world.alice, read_at=None).exists()  # seen now


def test_another_teams_promise_cannot_be_touched(world, client):
    theirs = made(world.shipping_ticket, world.bob, kind="delivery")
    client.force_login(world.alice)
    assert client.post(reverse("promise_delivered", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("promise_drop", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Promise.Status.OPEN


def test_mark_delivered_keeps_the_promise(world, client):
    p = made(world.billing_ticket, world.alice, kind="delivery", text="Your cake will be ready by Friday")
    client.force_login(world.alice)
    client.post(reverse("promise_delivered", args=[p.pk]))
    p.refresh_from_db()
    assert p.status == Promise.Status.KEPT


def test_draft_a_reset_opens_the_composer_with_an_apology_and_a_new_date(world, client, time_machine):
    p = made(
        world.billing_ticket,
        world.alice,
        text="I'll call you tomorrow morning",
        due_at=T0 + timedelta(hours=1),
    )
    time_machine.move_to(T0 + timedelta(hours=2), tick=False)
    services.sweep_once(T0 + timedelta(hours=2))
    client.force_login(world.alice)
    html = client.get(reverse("ticket", args=[world.billing_ticket.pk]), {"reset": p.pk}).content.decode()
    assert "I&#x27;m sorry" in html and "did not keep that" in html
    assert "You will hear from me by" in html
    assert f'name="reset_promise" value="{p.pk}"' in html
    assert world.billing_ticket.messages.count() == 1  # nothing was sent


def test_the_header_counts_unread_warnings_until_the_promises_view_is_seen(world, client):
    made(world.billing_ticket, world.alice)
    services.sweep_once(T0 + timedelta(hours=3))
    client.force_login(world.alice)
    assert "▲ 1" in client.get(reverse("inbox")).content.decode()
    client.get(reverse("promises"))
    assert "▲ 1" not in client.get(reverse("inbox")).content.decode()


def test_the_outcomes_tab_counts_service_recoveries_of_the_teams_the_viewer_sees(world, client, time_machine):
    from answerable.tickets import recovery

    recovery.complaint(world.billing_ticket, "Rude answer", now=T0)
    recovery.complaint(world.shipping_ticket, "Lost parcel", now=T0)
    time_machine.move_to(T0 + timedelta(days=1), tick=False)
    client.force_login(world.alice)
    response = client.get(reverse("promises_scope", args=["teams"]), {"tab": "outcomes"})
    assert response.context["recoveries"].started == 1 and response.context["recoveries"].after_complaint == 1
    assert "Service recovery" in response.content.decode()
    client.force_login(world.ada)
    response = client.get(reverse("promises_scope", args=["all"]), {"tab": "outcomes"})
    assert response.context["recoveries"].started == 2
