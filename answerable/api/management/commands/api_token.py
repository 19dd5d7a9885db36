"""`manage.py api_token create|list|revoke`: API tokens for agents and integrations.

manage.py api_token create --agent sam --scopes tickets:read,tickets:write --name "CRM sync"
manage.py api_token create --integration "CRM sync" --team Billing --scopes tickets:read
manage.py api_token list [--agent sam]
manage.py api_token revoke PREFIX
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from answerable.api import tokens
from answerable.api.models import ApiToken
from answerable.lib import clock
from answerable.staff.models import Agent, Team


class Command(BaseCommand):
    help = "Create, list and revoke API tokens. A new token is shown once; only its digest is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new token for an agent or an integration")
        who = create.add_mutually_exclusive_group(required=True)
        who.add_argument("--agent", help="the agent's username: the token acts as them")
        who.add_argument("--integration", help="a name: makes a service agent for it")
        create.add_argument(
            "--scopes", required=True, help=f"comma-separated: {', '.join(sorted(tokens.SCOPES))}"
        )
        create.add_argument("--name", default="", help="what the token is for")
        create.add_argument("--team", action="append", default=[], help="the integration's teams (repeat)")
        create.add_argument(
            "--role",
            default=Agent.Role.AGENT,
            choices=Agent.Role.values,
            help="the integration's role (admin sees every team)",
        )
        create.add_argument("--rate-limit", type=int, default=None, help="requests a minute for this token")
        listing = sub.add_parser("list", help="tokens, without their secrets")
        listing.add_argument("--agent")
        revoke = sub.add_parser("revoke", help="stop a token from working")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"_{action}")(**options)

    def _create(
        self,
        *,
        agent: str | None,
        integration: str | None,
        scopes: str,
        name: str,
        team: list[str],
        role: str,
        rate_limit: int | None,
        **_: Any,
    ) -> None:
        wanted = scopes.split(",")
        try:
            if agent:
                found = Agent.objects.filter(username=agent).first()
                if found is None:
                    raise CommandError(f"No agent {agent!r}.")
                new = tokens.create_token(
                    found,
                    name=name or f"{agent}'s token",
                    scopes=wanted,
                    now=clock.now(),
                    rate_limit=rate_limit,
                )
            else:
                teams = [self._team(t) for t in team]
                if not teams and role != Agent.Role.ADMIN:
                    raise CommandError("An integration needs --team (or --role admin to see every team).")
                new = tokens.create_integration(
                    integration or "", teams=teams, role=role, scopes=wanted, now=clock.now()
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        t = new.token
        self.stdout.write(f"Token {t.prefix} for {t.agent.username} ({', '.join(t.scopes)}):")
        self.stdout.write(new.secret)
        self.stdout.write("Keep it now: it is not stored and cannot be shown again.")

    def _team(self, name: str) -> Team:
        found = Team.objects.filter(name__iexact=name).first()
        if found is None:
            raise CommandError(f"No team {name!r}.")
        return found

    def _list(self, *, agent: str | None, **_: Any) -> None:
        rows = ApiToken.objects.select_related("agent").order_by("created_at")
        if agent:
            rows = rows.filter(agent__username=agent)
        for t in rows:
            if t.revoked_at:
                state = "revoked"
            else:
                state = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
            self.stdout.write(
                f"{t.prefix}  {t.agent.username:<24} {t.name:<24} {','.join(t.scopes)}  {state}"
            )

    def _revoke(self, *, prefix: str, **_: Any) -> None:
        token = ApiToken.objects.filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"No token {prefix!r}.")
        tokens.revoke(token, now=clock.now())
        self.stdout.write(f"Revoked {token.prefix} ({token.name}).")
