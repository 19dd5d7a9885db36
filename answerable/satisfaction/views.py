"""The survey page the emailed links open: no login, the signed link is the key to one solve of one ticket.

GET never records anything by itself: mail scanners and link previews fetch every link in a message. The
page carries the choice from the link in a form that a line of script sends at once for the person who
clicked (one click); without script, one press sends it. The answer page then takes an optional comment
(docs/decisions/0009-surveys.md)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from answerable.lib import clock
from answerable.portal.forms import RatingForm
from answerable.satisfaction import services
from answerable.satisfaction.models import Rating


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = services.ticket_for_survey(token)
    except services.SurveyLinkInvalid as exc:
        return render(
            request,
            "portal/survey_invalid.html",
            {"reason": exc.reason},
            status=410 if exc.reason != "invalid" else 400,
        )
    current = (
        Rating.objects.filter(ticket=ticket, solved_at=ticket.solved_at).values("score", "comment").first()
    )
    context = {"token": token, "subject": ticket.subject, "team": ticket.team.name, "rated": current}
    if request.method == "GET":
        score = request.GET.get("score")
        initial = {
            "score": score if score in Rating.Score.values else (current or {}).get("score"),
            "comment": (current or {}).get("comment", ""),
        }
        auto = score in Rating.Score.values and not current
        return render(
            request, "portal/survey.html", {**context, "form": RatingForm(initial=initial), "auto": auto}
        )
    form = RatingForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/survey.html", {**context, "form": form}, status=400)
    rating = services.rate_by_customer(
        ticket, form.cleaned_data["score"], comment=form.cleaned_data["comment"], now=clock.now()
    )
    form = RatingForm(initial={"score": rating.score, "comment": rating.comment})
    return render(request, "portal/survey_thanks.html", {**context, "rating": rating, "form": form})
