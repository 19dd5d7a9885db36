from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from answerable.api import tokens
from answerable.api.models import ApiToken
from answerable.api.tests.conftest import Api
from conftest import T0


def run(*args) -> str:
    out = StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue()


def test_token_is_shown_once_and_only_its_digest_is_stored(world):
    new = tokens.create_token(world.alice, name="laptop", scopes=["tickets:read"], now=T0)
    row = ApiToken.objects.get()
    assert new.secret.startswith("ans_")
    assert new.secret not in (row.digest, row.prefix)
    assert row.digest == tokens.digest(new.secret)
    assert tokens.authenticate(new.secret, now=T0) == row
    assert tokens.authenticate(new.secret + "x", now=T0) is None
    assert tokens.authenticate("ans_" + row.prefix + "_guess", now=T0) is None


def test_revoked_tokens_and_inactive_agents_are_refused(world, client):
    new = tokens.create_token(world.alice, name="t", scopes=["tickets:read"], now=T0)
    api = Api(client, new.secret)
    assert api.get("/tickets").status_code == 200
    tokens.revoke(new.token, now=T0)
    response = api.get("/tickets")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    other = tokens.create_token(world.carl, name="t", scopes=["tickets:read"], now=T0)
    world.carl.is_active = False
    world.carl.save()
    assert Api(client, other.secret).get("/tickets").status_code == 401


def test_unknown_scopes_are_refused(world):
    with pytest.raises(Exception, match="Unknown scope"):
        tokens.create_token(world.alice, name="t", scopes=["tickets:everything"], now=T0)


def test_command_creates_lists_and_revokes(world):
    out = run("create", "--agent", "alice", "--scopes", "tickets:read,coach:check")
    secret = out.splitlines()[1]
    token = tokens.authenticate(secret, now=T0)
    assert token.agent == world.alice and token.scopes == ["coach:check", "tickets:read"]
    assert token.prefix in run("list")
    run("revoke", token.prefix)
    assert tokens.authenticate(secret, now=T0) is None
    with pytest.raises(CommandError, match="No agent"):
        run("create", "--agent", "nobody", "--scopes", "tickets:read")


def test_integration_token_acts_as_a_service_agent_of_its_teams(world, client):
    out = run("create", "--integration", "CRM sync", "--team", "Billing", "--scopes", "tickets:read")
    api = Api(client, out.splitlines()[1])
    ids = [t["id"] for t in api.get("/tickets").json()["items"]]
    assert ids == [world.billing_ticket.pk]
    assert api.get(f"/tickets/{world.shipping_ticket.pk}").status_code == 404
    agent = ApiToken.objects.get().agent
    assert agent.username == "integration-crm-sync" and not agent.has_usable_password()
