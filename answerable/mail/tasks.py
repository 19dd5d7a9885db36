"""Background jobs for mail: thin, the work done in mail.outbox."""

from django_tasks import task

from answerable.lib import clock
from answerable.mail import outbox


@task()
def drain_outbox() -> int:
    """Send every message that is due now; queued right after a reply or acknowledgement commits."""
    sent = 0
    while outbox.send_due_once(clock.now()):
        sent += 1
    return sent
