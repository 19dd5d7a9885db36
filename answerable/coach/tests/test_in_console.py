"""The coach in the composer: findings as the agent types, a confirmation for hostile wording, a hard gate
where the team wants one, and every finding stored with what the agent did."""

from django.urls import reverse

from answerable.coach.models import CoachFinding
from answerable.tickets.models import Message

RUDE = "As I already told you, that's not my problem. Read the FAQ.\n\nAlice"


def test_findings_appear_while_drafting(world, client):
    client.force_login(world.alice)
    html = client.post(
        reverse("ticket_draft_promises", args=[world.billing_ticket.pk]), {"text": RUDE}
    ).content
    html = html.decode()
    assert 'id="coach"' in html and 'hx-swap-oob="true"' in html
    assert "Tone" in html and "already told" in html


def test_a_reply_with_tone_findings_asks_for_confirmation_and_is_not_sent(world, client):
    client.force_login(world.alice)
    url = reverse("ticket_compose", args=[world.billing_ticket.pk])
    response = client.post(url, {"kind": "reply", "text": RUDE}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "Send it as written" in response.content.decode()
    assert not world.billing_ticket.messages.filter(kind=Message.Kind.OUTBOUND).exists()
    response = client.post(url, {"kind": "reply", "text": RUDE, "confirm_tone": "1"})
    assert response.status_code == 302
    sent = world.billing_ticket.messages.get(kind=Message.Kind.OUTBOUND)
    stored = CoachFinding.objects.filter(message=sent, check_name="tone")
    assert stored.exists() and set(stored.values_list("outcome", flat=True)) == {"overridden"}


def test_a_team_with_the_hard_gate_refuses_the_send(world, client):
    world.billing.coach_gate = True
    world.billing.save()
    client.force_login(world.alice)
    url = reverse("ticket_compose", args=[world.billing_ticket.pk])
    response = client.post(url, {"kind": "reply", "text": RUDE, "confirm_tone": "1"})
    assert response.status_code == 422
    assert not world.billing_ticket.messages.filter(kind=Message.Kind.OUTBOUND).exists()
    assert CoachFinding.objects.filter(outcome="blocked").exists()


def test_a_kind_reply_goes_straight_out(world, client):
    client.force_login(world.alice)
    text = (
        "Hi Ana, I'm sorry about the double charge. I've refunded it today; "
        "it shows within 3 business days.\n\nAlice"
    )
    response = client.post(
        reverse("ticket_compose", args=[world.billing_ticket.pk]), {"kind": "reply", "text": text}
    )
    assert response.status_code == 302
    assert world.billing_ticket.messages.filter(kind=Message.Kind.OUTBOUND).count() == 1


def test_notes_are_not_held_by_the_coach(world, client):
    client.force_login(world.alice)
    client.post(reverse("ticket_compose", args=[world.billing_ticket.pk]), {"kind": "note", "text": RUDE})
    assert world.billing_ticket.messages.filter(kind=Message.Kind.NOTE).count() == 1


def test_one_click_fixes_are_offered_and_sign_with_the_agents_name(world, client):
    client.force_login(world.alice)
    draft = "As I already told you, we refund within 5 days.\n\nThanks,\nBilling Team"
    html = client.post(
        reverse("ticket_draft_promises", args=[world.billing_ticket.pk]), {"text": draft}
    ).content.decode()
    assert 'class="link coach-fix" data-check="tone"' in html and 'data-replacement="We"' in html
    assert 'data-check="faceless"' in html and 'data-replacement="Alice\nBilling Team"' in html


def test_fixes_the_agent_applied_are_stored_with_the_reply(world, client):
    client.force_login(world.alice)
    url = reverse("ticket_compose", args=[world.billing_ticket.pk])
    text = "We refund within 5 days of the return arriving.\n\nThanks,\nAlice"
    response = client.post(
        url, {"kind": "reply", "text": text, "coach_fixed": ["tone:As I already told you, we", "bogus:x"]}
    )
    assert response.status_code == 302
    sent = world.billing_ticket.messages.get(kind=Message.Kind.OUTBOUND)
    fixed = CoachFinding.objects.filter(message=sent, outcome=CoachFinding.Outcome.FIXED)
    assert list(fixed.values_list("check_name", "quote")) == [("tone", "As I already told you, we")]
