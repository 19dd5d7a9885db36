"""`manage.py webhook create|list|enable|disable|log`: webhook subscriptions and their delivery log.

manage.py webhook create --name CRM --url https://crm.example/hooks --events ticket.created,rating.received
manage.py webhook log 3
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from answerable.lib import clock
from answerable.staff.models import Team
from answerable.webhooks import services
from answerable.webhooks.models import EVENTS, Subscription


class Command(BaseCommand):
    help = "Manage webhook subscriptions. The signing secret is shown once, at creation."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("--name", required=True)
        create.add_argument("--url", required=True)
        create.add_argument("--events", required=True, help=f"comma-separated: {', '.join(EVENTS)}")
        create.add_argument("--team", help="only this team's tickets")
        sub.add_parser("list")
        for name in ("enable", "disable", "log"):
            sub.add_parser(name).add_argument("id", type=int)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"_{action}")(**options)

    def _create(self, *, name: str, url: str, events: str, team: str | None, **_: Any) -> None:
        found = None
        if team:
            found = Team.objects.filter(name__iexact=team).first()
            if found is None:
                raise CommandError(f"No team {team!r}.")
        try:
            new = services.subscribe(
                name=name, url=url, events=events.split(","), team=found, now=clock.now()
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Subscription {new.subscription.pk} ({', '.join(new.subscription.events)}).")
        self.stdout.write(f"Signing secret (shown once): {new.secret}")

    def _list(self, **_: Any) -> None:
        for s in Subscription.objects.select_related("team").order_by("id"):
            state = "active" if s.active else f"DISABLED: {s.disabled_reason}"
            self.stdout.write(f"{s.pk:>4} {s.name:<20} {s.url}  {','.join(s.events)}  {state}")

    def _get(self, pk: int) -> Subscription:
        found = Subscription.objects.filter(pk=pk).first()
        if found is None:
            raise CommandError(f"No subscription {pk}.")
        return found

    def _enable(self, *, id: int, **_: Any) -> None:
        services.set_active(self._get(id), True, now=clock.now())
        self.stdout.write(f"Enabled {id}; pending deliveries resume.")

    def _disable(self, *, id: int, **_: Any) -> None:
        services.set_active(self._get(id), False, now=clock.now(), reason="Disabled from the command line.")
        self.stdout.write(f"Disabled {id}.")

    def _log(self, *, id: int, **_: Any) -> None:
        for d in self._get(id).deliveries.order_by("-created_at", "-id")[:50]:
            last = d.last_status_code or d.last_error[:60] or "-"
            self.stdout.write(
                f"{d.created_at:%Y-%m-%d %H:%M:%S} {d.event:<18} {d.status:<9} x{d.attempts} {last}"
            )
