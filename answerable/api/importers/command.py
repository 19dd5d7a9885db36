"""`answerable import zendesk PATH [--team T] [--as USER]`: the command's side of the Zendesk import."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from answerable.api.importers.zendesk import ExportError, ZendeskImport, iter_lines
from answerable.lib import clock
from answerable.staff.models import Agent, Team


def import_zendesk(
    command: BaseCommand, path: Path, *, team: str | None, as_agent: str | None, no_progress: bool
) -> None:
    if not path.is_dir():
        raise CommandError(f"{path} is not a folder: give the folder with tickets.json, users.json ...")
    default_team = None
    if team:
        default_team = (
            Team.objects.filter(name__iexact=team).first()
            or Team.objects.filter(addresses__email__iexact=team).first()
        )
        if default_team is None:
            raise CommandError(f"No team {team!r}.")
    if as_agent:
        actor = Agent.objects.filter(username=as_agent, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active agent {as_agent!r}.")
    else:
        actor = Agent.objects.filter(role=Agent.Role.ADMIN, is_active=True).order_by("id").first()
        if actor is None:
            raise CommandError("Give --as USER: the agent recorded as writing what unknown agents wrote.")
    job = ZendeskImport(path, actor=actor, team=default_team, now=clock.now())
    try:
        records = job.load()
    except ExportError as exc:
        raise CommandError(str(exc)) from exc
    progress = tqdm(total=len(records), unit="ticket", disable=no_progress, file=command.stderr._out)
    summary = job.run(records, progress=progress.update)
    progress.close()
    command.stdout.write(f"Zendesk export {path}: {len(records)} tickets read.")
    for line in iter_lines(summary):
        command.stdout.write(line)
