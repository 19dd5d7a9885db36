"""Every write to a rating happens here, with its Event on the ticket."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape

from answerable.lib import jobs, tokens
from answerable.satisfaction.models import Rating
from answerable.tickets.models import Event, Message, Status, Ticket
from answerable.webhooks import services as webhooks


class NotRateable(Exception):
    """The ticket has not been solved, so there is nothing to rate yet."""


def rate(ticket: Ticket, score: str, *, comment: str = "", now: datetime) -> Rating:
    """Record (or change) the customer's rating of the ticket's latest solve."""
    if score not in Rating.Score.values:
        raise ValueError(f"unknown score {score!r}")
    if ticket.solved_at is None:
        raise NotRateable(f"ticket #{ticket.pk} has not been solved")
    agent_id = ticket.assignee_id or _last_replier(ticket)
    with transaction.atomic():
        rating, created = Rating.objects.update_or_create(
            ticket=ticket,
            solved_at=ticket.solved_at,
            defaults={
                "customer_id": ticket.customer_id,
                "organisation_id": ticket.customer.organisation_id,
                "agent_id": agent_id,
                "score": score,
                "comment": comment.strip(),
                "updated_at": now,
            },
            create_defaults={
                "customer_id": ticket.customer_id,
                "organisation_id": ticket.customer.organisation_id,
                "agent_id": agent_id,
                "score": score,
                "comment": comment.strip(),
                "created_at": now,
                "updated_at": now,
            },
        )
        event = Event.objects.create(
            ticket=ticket,
            kind=Event.Kind.RATED,
            actor=None,
            at=now,
            data={"score": score, "comment": rating.comment, "changed": not created},
        )
        webhooks.on_event(event)
    return rating


def _last_replier(ticket: Ticket) -> int | None:
    """The agent who last wrote to the customer on an unassigned ticket: the person the rating is about."""
    return (
        ticket.messages.filter(kind=Message.Kind.OUTBOUND, automatic=False, author__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("author_id", flat=True)
        .first()
    )


# --- the customer's side: rating with a follow-up, and the survey by email ---------------------------------

SURVEY_TTL = timedelta(days=30)
_SURVEY_SALT = "answerable.satisfaction.survey"


def rate_by_customer(ticket: Ticket, score: str, *, comment: str = "", now: datetime) -> Rating:
    """The customer's rating from the portal or the survey. A rating that turns bad asks a person to follow
    up: a tracked promise owned by the team's supervisor, who is notified (portal.services.follow_up)."""
    from answerable.portal.services import follow_up

    with transaction.atomic():
        ticket = Ticket.objects.select_related("customer", "team", "assignee").get(pk=ticket.pk)
        before = (
            Rating.objects.filter(ticket=ticket, solved_at=ticket.solved_at)
            .values_list("score", flat=True)
            .first()
        )
        rating = rate(ticket, score, comment=comment, now=now)
        if score == Rating.Score.BAD and before != Rating.Score.BAD:
            said = f': "{rating.comment[:150]}"' if rating.comment else ""
            follow_up(
                ticket, text=f"Bad rating{said}: follow up with the customer", why="Bad rating", now=now
            )
    return rating


def on_solved(ticket: Ticket, *, now: datetime) -> None:
    """Called where a ticket becomes solved (tickets.services): the survey is sent once that commits, if the
    ticket is still solved by then."""
    from answerable.satisfaction.tasks import send_survey

    jobs.enqueue_on_commit(send_survey, ticket.pk, (ticket.solved_at or now).isoformat())


def survey_token(ticket: Ticket) -> str:
    """Names one solve of one ticket, signed: the links in the survey need no login."""
    return signing.dumps({"t": ticket.pk, "s": ticket.solved_at.isoformat()}, salt=_SURVEY_SALT)


class SurveyLinkInvalid(Exception):
    """A survey link that was tampered with, has expired, or names a solve the ticket has moved past."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid", "expired", "reopened"


def ticket_for_survey(token: str) -> Ticket:
    try:
        data = signing.loads(token, salt=_SURVEY_SALT, max_age=SURVEY_TTL)
        ticket_id, solve = int(data["t"]), datetime.fromisoformat(data["s"])
    except signing.SignatureExpired:
        raise SurveyLinkInvalid("expired") from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise SurveyLinkInvalid("invalid") from None
    ticket = Ticket.objects.select_related("team", "customer").filter(pk=ticket_id).first()
    if ticket is None:
        raise SurveyLinkInvalid("invalid")
    if ticket.solved_at != solve:
        raise SurveyLinkInvalid("reopened")
    return ticket


def send_survey(ticket_id: int, *, solved_at: datetime, now: datetime) -> bool:
    """Mail the survey for this solve, once, unless the ticket was reopened meanwhile or its customer's
    address is a robot's (no-reply, mailer-daemon, our own). Records SURVEY_SENT once the mail is handed
    over."""
    from answerable.mail.outbox import team_address
    from answerable.portal.services import looks_like_a_person

    ticket = Ticket.objects.select_related("team", "customer").filter(pk=ticket_id).first()
    if ticket is None or ticket.status != Status.SOLVED or ticket.solved_at != solved_at:
        return False
    solve = solved_at.isoformat()
    if Event.objects.filter(ticket=ticket, kind=Event.Kind.SURVEY_SENT, data__solve=solve).exists():
        return False
    address = ticket.customer.emails.order_by("-primary", "id").values_list("address", flat=True).first()
    if not address or not looks_like_a_person(address, ticket.team, ticket.customer, now=now, first=True):
        return False
    mail = survey_mail(ticket, address, sender=team_address(ticket))
    mail.send()
    Event.objects.create(
        ticket=ticket, kind=Event.Kind.SURVEY_SENT, actor=None, at=now, data={"solve": solve, "to": address}
    )
    return True


def survey_mail(ticket: Ticket, address: str, *, sender: str) -> EmailMultiAlternatives:
    base = settings.SITE_URL.rstrip("/") + reverse("portal:survey", args=[survey_token(ticket)])
    good, bad = f"{base}?score=good", f"{base}?score=bad"
    greeting = f"Hello {ticket.customer.first_name}," if ticket.customer.first_name else "Hello,"
    text = (
        f'{greeting}\n\nWe have solved your request "{ticket.subject}" ({ticket.reference}).\n'
        "How did we do?\n\n"
        f"Good: {good}\nBad: {bad}\n\nOne click is enough; you can add a comment after.\n\n"
        f"If it is not solved, just reply to this email.\n\n{ticket.team.name}"
    )
    mail = EmailMultiAlternatives(
        subject=f"How did we do? {ticket.subject} [{ticket.reference}]",
        body=text,
        from_email=f"{ticket.team.name} <{sender}>",
        to=[address],
        headers={
            "Auto-Submitted": "auto-generated",  # RFC 3834: auto-responders must not answer
            "Reply-To": tokens.reply_address(sender, ticket.pk),  # a reply threads back to the request
        },
    )
    mail.attach_alternative(
        f"<p>{escape(greeting)}</p><p>We have solved your request “{escape(ticket.subject)}”.</p>"
        "<p>How did we do?</p>"
        f'<p><a href="{escape(good)}">Good</a> &nbsp; <a href="{escape(bad)}">Bad</a></p>'
        "<p>If it is not solved, just reply to this email.</p>",
        "text/html",
    )
    return mail
