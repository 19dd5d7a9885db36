"""Background jobs for tickets: thin, ids in, the work done by a service."""

import logging
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django_tasks import task

from answerable.lib import clock
from answerable.tickets import services
from answerable.tickets.models import Message

log = logging.getLogger(__name__)


def reply_address(message: Message) -> str:
    address = message.ticket.team.addresses.order_by("id").first()
    return str(address) if address else settings.DEFAULT_FROM_EMAIL


@task()
def send_reply(message_id: int) -> None:
    message = Message.objects.select_related("ticket__customer", "ticket__team", "author").get(pk=message_id)
    if message.delivery != Message.Delivery.QUEUED:
        return  # already handled by an earlier run of this job
    ticket = message.ticket
    recipient = ticket.customer.emails.order_by("-primary", "id").first()
    if recipient is None:
        services.record_delivery(
            message, sent=False, now=clock.now(), error="The customer has no email address."
        )
        return
    msgid = make_msgid(domain=reply_address(message).rsplit("@", 1)[-1])
    previous = (
        ticket.messages.exclude(message_id=None).order_by("created_at").values_list("message_id", flat=True)
    )
    references = " ".join(list(previous)[-10:])
    sender_name = message.author.display_name if message.author else ticket.team.name
    email = EmailMessage(
        subject=f"Re: {ticket.subject} [{ticket.reference}]",
        body=message.text,
        from_email=f"{sender_name} <{reply_address(message)}>",
        to=[recipient.address],
        headers={"Message-ID": msgid, **({"References": references} if references else {})},
    )
    try:
        email.send()
    except Exception as exc:  # any transport failure is recorded on the message, with its reason
        log.warning("sending reply %s failed: %s", message_id, exc)
        services.record_delivery(message, sent=False, now=clock.now(), error=str(exc)[:500])
        return
    services.record_delivery(message, sent=True, now=clock.now(), message_id=msgid)
