"""Background jobs for satisfaction: thin, ids in."""

from datetime import datetime

from django_tasks import task

from answerable.lib import clock
from answerable.satisfaction import services


@task()
def send_survey(ticket_id: int, solved_at: str) -> bool:
    """Queued when a ticket is solved; sends nothing if it was reopened before this ran."""
    return services.send_survey(ticket_id, solved_at=datetime.fromisoformat(solved_at), now=clock.now())
