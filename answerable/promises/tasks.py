"""Background jobs for promises: thin, ids in."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task

from answerable.lib import clock
from answerable.promises.models import Notification, Promise
from answerable.staff.models import Agent


@task()
def email_notifications(agent_ids: list[int]) -> int:
    """Email each agent who asked for it their promise warnings not yet emailed, in one message."""
    sent = 0
    for agent in Agent.objects.filter(pk__in=set(agent_ids), notify_by_email=True, is_active=True).exclude(
        email=""
    ):
        with transaction.atomic():
            notes = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(agent=agent, emailed_at=None)
                .order_by("created_at")
            )
            if not notes:
                continue
            body = "\n".join(f"- {n.text}  {settings.SITE_URL}/t/{n.promise.ticket_id}/" for n in notes)
            send_mail(f"Answerable: {len(notes)} promise warning(s)", body, None, [agent.email])
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(emailed_at=clock.now())
            sent += 1
    return sent


@task()
def send_resets(promise_ids: list[int]) -> int:
    """Send the reset message of each broken promise whose team opted in; one transaction each."""
    from answerable.promises import services

    sent = 0
    for promise in Promise.objects.filter(pk__in=promise_ids).select_related(
        "ticket__team", "ticket__customer", "ticket__assignee", "owner"
    ):
        with transaction.atomic():
            sent += services.send_reset(promise, now=clock.now()) is not None
    return sent
