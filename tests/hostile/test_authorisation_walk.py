"""The authorisation walk: every URL pattern of the project and every API route of the OpenAPI schema,
requested as every role and as an anonymous visitor, checked against an explicit table of rules.

A new URL that is not in the table fails `test_every_url_pattern_has_a_rule`, so nobody adds a page
without deciding who may see it.
"""

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from answerable.api import tokens
from answerable.portal.models import PortalSettings
from conftest import T0

pytestmark = pytest.mark.django_db

# Kinds of page, by URL name (the admin site and the API are matched by prefix below).
PUBLIC = "public"  # anyone, signed in or not, may get 200
CONSOLE = "console"  # any agent; anonymous visitors are sent to /login/
TICKET = "ticket"  # a console page about one ticket (pk = ticket): another team's agent gets 404
MANAGER = "manager"  # supervisors and admins only: agents get 403 or 404
CUSTOMER = "customer"  # portal pages for a signed-in customer: everyone else is sent to /help/sign-in/
RULES: dict[str | None, str] = {
    None: PUBLIC,  # "/" redirects to the inbox, which then asks for a login
    "login": PUBLIC,
    "admin:login": PUBLIC,  # the admin site's own sign-in form
    "logout": PUBLIC,  # POST only; signs out whoever asks
    "api-docs-asset": PUBLIC,  # the API docs' own scripts and styles
    "inbox": CONSOLE,
    "inbox_view": CONSOLE,
    "me_away": CONSOLE,  # POST only: the signed-in agent marks themselves away or back
    "search": CONSOLE,
    "promises": CONSOLE,
    "promises_scope": CONSOLE,
    "promise_delivered": CONSOLE,  # pk = a promise; none exists in the world: 404 for all
    "promise_drop": CONSOLE,
    "reports": CONSOLE,  # agents see their own figures; the team's need a supervisor
    "reports_csv": CONSOLE,
    "handling_beat": TICKET,
    "account_ticket_panel": TICKET,
    "ticket": TICKET,
    "ticket_compose": TICKET,
    "ticket_assign": TICKET,
    "ticket_draft_promises": TICKET,
    "ticket_status": TICKET,
    "ticket_priority": TICKET,
    "ticket_tags": TICKET,
    "ticket_macro": TICKET,
    "ticket_attachment": TICKET,
    "ticket_message_source": TICKET,
    "ticket_presence": TICKET,
    "ticket_escalate": TICKET,
    "ticket_complaint": TICKET,
    "ticket_follow_up_checked": TICKET,
    "escalations": MANAGER,
    "escalation_hand_back": MANAGER,
    "accounts": MANAGER,
    # An account page is open to the agents who may see one of its tickets (pk = billing's customer).
    "account_organisation": TICKET,
    "account_customer": TICKET,
    "account_organisation_note": TICKET,
    "account_customer_note": TICKET,
    "account_flag_set": MANAGER,
    "account_flag_clear": MANAGER,
    "avoidance_alerts": MANAGER,
    "avoidance_reassign": MANAGER,
    "avoidance_dismiss": MANAGER,
    "dashboard": MANAGER,
    # The customer portal: its public part is the explicit allow-list.
    "portal:home": PUBLIC,
    "portal:sign_in": PUBLIC,
    "portal:sign_out": PUBLIC,
    "portal:enter": PUBLIC,  # a sign-in link; a made-up token is refused, never a 500
    "portal:survey": PUBLIC,  # a survey link from a mail; a made-up token is refused
    "portal:request_form": PUBLIC,
    "portal:request_sent": PUBLIC,
    "portal:requests": CUSTOMER,
    "portal:request": CUSTOMER,
    "portal:reply": CUSTOMER,
    "portal:rate": CUSTOMER,
    "portal:complain": CUSTOMER,
    "portal:attachment": CUSTOMER,
}
ROLES = ["anonymous", "bob", "alice", "sue", "ada"]  # bob is the agent of the other team (shipping)
MISSING = 999_999  # ids of objects that do not exist


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str | None]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name


def _kind(route: str, name: str | None) -> str | None:
    if route.startswith("admin/"):
        return "admin"
    if route.startswith("api/"):
        return "api"  # walked through the OpenAPI schema below
    return RULES.get(name)


CUSTOMER_PK = {"account_customer", "account_customer_note"}


def _fill(route: str, name: str | None, world) -> str:
    """A path for the pattern: the ticket is billing's (alice's team), the other ids those of its first
    message, or ids that do not exist."""
    ticket = world.billing_ticket
    message = ticket.messages.first()
    values = {
        "pk": ticket.customer_id if name in CUSTOMER_PK else ticket.pk,
        "message_id": message.pk,
        "slug": "billing",
        "view": "all",
        "scope": "team",
    }

    def value(match: re.Match) -> str:
        return str(values.get(match.group(2), MISSING if match.group(1) == "int" else "x"))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _client(world, role: str) -> Client:
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(getattr(world, role))
    return client


def _urls(world) -> list[tuple[str, str | None, str]]:
    PortalSettings.objects.create(team=world.billing, slug="billing")
    urls = []
    for route, name in _walk(get_resolver()):
        kind = _kind(route, name)
        if kind in ("api", None) or "^" in route:
            continue  # the API is walked from its schema; regex catch-alls have no path to fill
        urls.append((_fill(route, name, world), name, kind))
    return urls


def test_every_url_pattern_has_a_rule():
    unknown = [(r, n) for r, n in _walk(get_resolver()) if _kind(r, n) is None]
    assert unknown == []


def _check(kind: str, name: str | None, role: str, method: str, response) -> str | None:
    """What is wrong with the answer, or None."""
    status = response.status_code
    where = response.get("Location", "")
    if status >= 500:
        return "server error"
    if name == "admin:login":
        return None
    if kind == "admin":
        if role in ("anonymous", "bob", "alice", "sue") and status == 200:
            return "admin site shown to a non-admin"
        return None
    if kind == PUBLIC or status == 405:
        return None  # 405: a wrong method is refused before anything is looked up, for everyone
    if role == "anonymous":
        login = "/help/sign-in/" if kind == CUSTOMER else "/login/"
        if status != 302 or not where.startswith(login):
            return f"anonymous not sent to {login}"
        return None
    if kind == CUSTOMER:
        # An agent's console session is not a customer's portal session.
        return None if status == 302 and where.startswith("/help/sign-in/") else "agent inside the portal"
    if kind == TICKET and role == "bob" and status != 404:
        return "another team's ticket not 404"
    if kind == MANAGER and role in ("bob", "alice") and status not in (403, 404):
        return "supervisor page open to an agent"
    return None


def test_every_url_as_every_role_follows_the_rules(world):
    failures = []
    urls = _urls(world)
    assert len(urls) > 60  # the walk found the admin site and the console, not an empty resolver
    for role in ROLES:
        for url, name, kind in urls:
            for method in ("get", "post"):
                if kind == "admin" and method == "post":
                    continue  # the admin's own CSRF and permission checks; GET shows who gets in
                client = _client(world, role)  # a fresh one each time: a POST to /logout/ must not stick
                response = getattr(client, method)(url)
                problem = _check(kind, name, role, method.upper(), response)
                if problem:
                    failures.append((role, method.upper(), url, response.status_code, problem))
    assert not failures, "\n".join(map(str, failures))


def test_supervisor_pages_open_for_the_supervisor_and_the_admin(world):
    for role in ("sue", "ada"):
        client = _client(world, role)
        for url in ("/escalations/", "/accounts/", "/accounts/avoidance/", "/dashboard/"):
            assert client.get(url).status_code == 200, (role, url)
    for role in ("alice", "bob"):
        client = _client(world, role)
        for url in ("/escalations/", "/accounts/", "/accounts/avoidance/", "/dashboard/"):
            assert client.get(url).status_code in (403, 404), (role, url)


def test_agents_open_their_own_teams_ticket(world):
    client = _client(world, "alice")
    assert client.get(f"/t/{world.billing_ticket.pk}/").status_code == 200
    assert client.get(f"/t/{world.shipping_ticket.pk}/").status_code == 404


# The API: every route of the schema, with a token of every scope for each role.
API_IDS = {"ticket_id": "billing_ticket", "customer_id": "customer"}
ALL_SCOPES = sorted(tokens.SCOPES)


def _api_routes(client: Client) -> list[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    return [(path, method) for path, item in schema["paths"].items() for method in item]


def _api_path(path: str, world) -> str:
    ids = {"ticket_id": world.billing_ticket.pk, "customer_id": world.billing_ticket.customer_id}
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), MISSING)), path)


def test_every_api_route_as_every_role_follows_the_rules(world):
    routes = _api_routes(Client())
    assert len(routes) > 15
    secrets = {}
    for role in ROLES[1:]:
        agent = getattr(world, role)
        scopes = ALL_SCOPES if agent.is_admin else [s for s in ALL_SCOPES if s != "webhooks:manage"]
        secrets[role] = tokens.create_token(agent, name="walk", scopes=scopes, now=T0).secret
    failures = []
    for path, method in routes:
        url = _api_path(path, world)
        for role in ROLES:
            headers = {} if role == "anonymous" else {"Authorization": f"Bearer {secrets[role]}"}
            client = Client(raise_request_exception=False)
            response = getattr(client, method)(url, data={}, content_type="application/json", headers=headers)
            status = response.status_code
            problem = None
            if status >= 500:
                problem = "server error"
            elif role == "anonymous" and status != 401:
                problem = "anonymous not 401"
            elif role == "bob" and "{ticket_id}" in path and status not in (400, 404):
                # 400: an empty body is refused by validation before any lookup, whatever the id
                problem = "another team's ticket not 404"
            elif path.startswith("/api/v1/webhooks") and role in ("bob", "alice", "sue") and status < 400:
                problem = "webhooks open to a non-admin"
            if problem:
                failures.append((role, method.upper(), url, status, problem))
    assert not failures, "\n".join(map(str, failures))


def test_another_teams_agent_writing_to_a_ticket_through_the_api_gets_404(world):
    secret = tokens.create_token(world.bob, name="walk", scopes=["tickets:write"], now=T0).secret
    headers = {"Authorization": f"Bearer {secret}"}
    for part in ("notes", "replies"):
        url = f"/api/v1/tickets/{world.billing_ticket.pk}/{part}"
        response = Client().post(
            url, data={"text": "Hello"}, content_type="application/json", headers=headers
        )
        assert response.status_code == 404, (part, response.content)
    assert world.billing_ticket.messages.count() == 1
