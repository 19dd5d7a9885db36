"""`answerable import eml|maildir|mbox PATH --team T`: tickets and threads from a mail archive.

Idempotent: a re-run skips what is already stored (by Message-ID, or the raw bytes for mail without one).
Each message is its own transaction, so an interrupted import resumes where it stopped.
"""

import mailbox
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from answerable.lib import clock
from answerable.mail.ingest import ingest
from answerable.staff.models import Team
from answerable.webhooks import services as webhooks


def eml_files(path: Path) -> Iterator[tuple[str, bytes]]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.eml") if p.is_file())
    for file in files:
        yield str(file), file.read_bytes()


def maildir_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    box = mailbox.Maildir(str(path), factory=None, create=False)
    for key in sorted(box.iterkeys()):
        with box.get_file(key) as fh:
            yield key, fh.read()


def mbox_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    box = mailbox.mbox(str(path), factory=None, create=False)
    for key in box.iterkeys():
        yield f"{path.name}#{key}", box.get_bytes(key)


SOURCES = {"eml": eml_files, "maildir": maildir_messages, "mbox": mbox_messages}


def count(kind: str, path: Path) -> int | None:
    if kind == "eml":
        return 1 if path.is_file() else sum(1 for p in path.rglob("*.eml") if p.is_file())
    if kind == "maildir":
        return len(mailbox.Maildir(str(path), factory=None, create=False))
    return len(mailbox.mbox(str(path), factory=None, create=False))


class Command(BaseCommand):
    help = "Import mail archives (.eml files or folders, maildir, mbox) as tickets and threads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted([*SOURCES, "zendesk"]))
        parser.add_argument("path", type=Path)
        parser.add_argument("--team", help="the team's name or one of its addresses (zendesk: the default)")
        parser.add_argument("--as", dest="as_agent", help="zendesk: who writes what unknown agents wrote")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, kind: str, path: Path, team: str, no_progress: bool, **options: Any) -> None:
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        if kind == "zendesk":  # another desk's export: answerable.api.importers
            from answerable.api.importers.command import import_zendesk

            import_zendesk(self, path, team=team, as_agent=options["as_agent"], no_progress=no_progress)
            return
        if not team:
            raise CommandError("Give --team: the team whose tickets the mail becomes.")
        found = (
            Team.objects.filter(name__iexact=team).first()
            or Team.objects.filter(addresses__email__iexact=team).first()
        )
        if found is None:
            names = ", ".join(Team.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No team {team!r}. Teams: {names}.")
        address = found.addresses.order_by("id").values_list("email", flat=True).first()
        if address is None:
            raise CommandError(f"Team {found.name} has no inbound address; add one first.")
        try:
            total = count(kind, path)
        except (OSError, mailbox.Error) as exc:
            raise CommandError(f"Cannot read {path} as {kind}: {exc}") from exc
        outcomes: Counter[str] = Counter()
        problems: list[str] = []
        progress = tqdm(total=total, unit="msg", disable=no_progress, file=self.stderr._out)
        for name, raw in SOURCES[kind](path):
            try:
                with webhooks.muted():  # history, not news: subscribers are not told about imported mail
                    outcome = ingest(
                        raw, recipients=[address], now=clock.now(), source=f"import:{name}", historical=True
                    )
            except Exception as exc:  # one unreadable file must not stop the import; say which and why
                outcomes["failed"] += 1
                problems.append(f"{name}: {exc.__class__.__name__}: {exc}")
            else:
                outcomes[outcome.kind] += 1
                if outcome.kind == "quarantined":
                    problems.append(f"{name}: quarantined: {outcome.reason}")
            progress.update(1)
        progress.close()
        summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "nothing"
        self.stdout.write(f"Imported {sum(outcomes.values())} messages into {found.name}: {summary}.")
        for line in problems[:50]:
            self.stdout.write(f"  {line}")
        if len(problems) > 50:
            self.stdout.write(f"  ... and {len(problems) - 50} more")
