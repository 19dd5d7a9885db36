"""Background jobs for webhooks: thin, the work done in webhooks.services."""

from django_tasks import task

from answerable.lib import clock
from answerable.webhooks import services


@task()
def fan_out_event(name: str, event_id: int) -> int:
    """Write the deliveries for one ticket Event, then send what is due."""
    from answerable.tickets.models import Event

    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return 0
    made = services.create_deliveries(
        name, event.ticket_id, services.event_data(name, event), now=clock.now()
    )
    if made:
        deliver_now()
    return len(made)


@task()
def fan_out_promises(name: str, promise_ids: list[int]) -> int:
    from answerable.promises.models import Promise

    made = 0
    for promise in Promise.objects.filter(pk__in=promise_ids).select_related("owner").order_by("id"):
        made += len(
            services.create_deliveries(
                name, promise.ticket_id, services.promise_data(promise), now=clock.now()
            )
        )
    if made:
        deliver_now()
    return made


@task()
def deliver_webhooks() -> int:
    """Send every delivery due now (retries are queued to run at their time)."""
    return deliver_now()


def deliver_now() -> int:
    sent = 0
    while services.deliver_due_once(clock.now()):
        sent += 1
    return sent
