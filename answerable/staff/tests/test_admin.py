"""Admins edit assignment rules on teams and away status on agents in the Django admin."""

from django.urls import reverse


def test_an_admin_sets_a_team_rule_and_an_agents_away_status(world, client):
    client.force_login(world.ada)
    html = client.get(reverse("admin:staff_team_change", args=[world.billing.pk])).content.decode()
    assert 'name="assignment"' in html and 'name="max_open_per_agent"' in html
    assert 'name="last_assigned"' not in html  # the round-robin pointer is not edited by hand
    html = client.get(reverse("admin:staff_agent_change", args=[world.carl.pk])).content.decode()
    assert 'name="away"' in html and 'name="away_until_0"' in html and 'name="max_open_tickets"' in html
    assert client.get(reverse("admin:staff_team_changelist")).status_code == 200
