"""API tokens: creation (shown once), lookup by digest, scopes, revocation."""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from answerable.api.models import ApiToken
from answerable.staff.models import Agent, Team

# What a token may do. A token never gets more than its agent may; scopes only narrow.
SCOPES = {
    "tickets:read": "List and read tickets, their messages and events.",
    "tickets:write": "Open tickets, change status, priority, assignee and tags, reply and add notes.",
    "customers:read": "Read customers and organisations.",
    "customers:write": "Create customers.",
    "promises:read": "Read the promise ledger.",
    "coach:check": "Run the coach's checks on a draft.",
    "satisfaction:read": "Read satisfaction ratings.",
    "webhooks:manage": "Manage webhook subscriptions and read their delivery log (admins only).",
}
PREFIX = "ans_"
_LAST_USED_EVERY = timedelta(minutes=1)  # one write a minute per token, not one per request


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token: shown once, never stored


def digest(raw: str) -> str:
    # The token is 256 random bits: a fast hash is enough (no dictionary to guess from), and it is cheap
    # on every request.
    return hashlib.sha256(raw.encode()).hexdigest()


def check_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = sorted({s.strip() for s in scopes if s.strip()})
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise ValidationError(f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(sorted(SCOPES))}.")
    if not wanted:
        raise ValidationError("A token needs at least one scope.")
    return wanted


@transaction.atomic
def create_token(
    agent: Agent,
    *,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    kind: str = ApiToken.Kind.AGENT,
    rate_limit: int | None = None,
) -> NewToken:
    if not agent.is_active:
        raise ValidationError(f"{agent.username} is not active.")
    prefix = secrets.token_hex(4)
    raw = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        name=name.strip()[:100] or kind,
        kind=kind,
        agent=agent,
        prefix=prefix,
        digest=digest(raw),
        scopes=check_scopes(scopes),
        rate_limit=rate_limit,
        created_at=now,
    )
    return NewToken(token, raw)


@transaction.atomic
def create_integration(
    name: str, *, teams: Iterable[Team], role: str, scopes: Iterable[str], now: datetime
) -> NewToken:
    """A service agent for an integration, and its token. The agent has no usable password: it cannot log
    in to the console, and every change it makes is recorded as its own."""
    username = f"integration-{name.strip().lower().replace(' ', '-')}"[:150]
    if Agent.objects.filter(username=username).exists():
        raise ValidationError(f"An agent named {username} already exists; give the integration another name.")
    if role not in Agent.Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    agent = Agent(username=username, first_name=name.strip()[:150], role=role)
    agent.set_unusable_password()
    agent.save()
    agent.teams.set(list(teams))
    return create_token(agent, name=name, scopes=scopes, now=now, kind=ApiToken.Kind.INTEGRATION)


def revoke(token: ApiToken, *, now: datetime) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=now)


def authenticate(raw: str, *, now: datetime) -> ApiToken | None:
    """The active token for this bearer string, with its agent, or None."""
    if not raw.startswith(PREFIX) or raw.count("_") < 2:
        return None
    prefix = raw[len(PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.select_related("agent").filter(prefix=prefix, revoked_at=None).first()
    if token is None or not hmac.compare_digest(token.digest, digest(raw)) or not token.agent.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
