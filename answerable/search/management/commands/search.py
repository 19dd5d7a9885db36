"""`manage.py search reindex`: rebuild the search index from the data, in batches, while the desk runs.

An interrupted run (Ctrl-C, a crash, a deploy) continues where it stopped on the next call; `--restart`
starts from the first message again.
"""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from answerable.lib import clock
from answerable.search import services
from answerable.tickets.models import Message


class Command(BaseCommand):
    help = "Search index maintenance. `search reindex` rebuilds the index, resumable, without downtime."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        reindex = actions.add_parser("reindex", help="rebuild the index from the data, in batches")
        reindex.add_argument("--batch-size", type=int, default=2000, help="messages a transaction (2000)")
        reindex.add_argument("--restart", action="store_true", help="start again from the first message")
        reindex.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: object, **options: object) -> None:
        if options.get("action") != "reindex":
            raise CommandError("Say what to do: `search reindex` (see `search reindex --help`).")
        size = options["batch_size"]
        if size < 1:
            raise CommandError("--batch-size must be at least 1.")
        state = services.reindex_state(restart=options["restart"], now=clock.now())
        if state.last_id:
            self.stdout.write(f"Continuing the reindex started {state.started_at:%Y-%m-%d %H:%M} "
                              f"after message {state.last_id}.")  # fmt: skip
        done_before = Message.objects.filter(pk__lte=state.last_id).count()
        total = done_before + Message.objects.filter(pk__gt=state.last_id).count()
        with tqdm(
            total=total, initial=done_before, unit="msg", disable=options["no_progress"] or None
        ) as bar:
            while done := services.reindex_batch(state, size=size, now=clock.now()):
                bar.update(done)
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {total} messages."))
