"""Background jobs for the portal: thin, ids in."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape
from django_tasks import task

from answerable.lib import clock
from answerable.portal import services
from answerable.portal.models import LoginLink


@task()
def send_login_link(link_id: int) -> bool:
    """Mail the sign-in link, unless it was used or expired meanwhile. A plain mail, not a ticket message:
    it belongs to no request, and an agent must never see (or forward) a customer's key to the portal."""
    now = clock.now()
    with transaction.atomic():
        link = LoginLink.objects.select_for_update().filter(pk=link_id, sent_at=None, used_at=None).first()
        if link is None or link.expires_at <= now:
            return False
        url = settings.SITE_URL.rstrip("/") + reverse("portal:enter", args=[services.link_token(link)])
        minutes = int(services.LINK_TTL.total_seconds() // 60)
        text = (
            "Hello,\n\nHere is your link to see and answer your requests:\n\n"
            f"{url}\n\nIt works once, for {minutes} minutes. If you did not ask for it, ignore this email: "
            "nobody can use it without access to your mailbox.\n"
        )
        mail = EmailMultiAlternatives(
            subject="Your link to your requests",
            body=text,
            to=[link.email],
            headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: auto-responders must not answer
        )
        mail.attach_alternative(
            f'<p>Hello,</p><p><a href="{escape(url)}">Open your requests</a></p>'
            f"<p>The link works once, for {minutes} minutes. "
            "If you did not ask for it, ignore this email.</p>",
            "text/html",
        )
        mail.send()
        link.sent_at = now
        link.save(update_fields=["sent_at"])
    return True
