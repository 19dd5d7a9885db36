"""The Promises view and the actions on one promise."""

from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from answerable.lib import clock
from answerable.promises import queries, services
from answerable.promises.models import Notification, Promise
from answerable.staff.models import Agent
from answerable.tickets import access


def promise_for(user: object, pk: int) -> Promise:
    """A promise on a ticket the user may see, else 404."""
    return get_object_or_404(
        Promise.objects.select_related("ticket__customer", "ticket__team", "owner"),
        pk=pk,
        ticket__in=access.visible_tickets(user),
    )


@login_required
@require_GET
def board(request: HttpRequest, scope: str = "mine") -> HttpResponse:
    if scope not in queries.SCOPES:
        raise Http404("No such view")
    now = clock.now()
    tab = request.GET.get("tab", "open")
    context = {
        "scope": scope,
        "scopes": queries.SCOPES,
        "tab": tab,
        "now": now,
        "board": queries.board(request.user, scope, now=now) if tab != "outcomes" else None,
        "outcomes": queries.outcomes(request.user, scope, since=now - timedelta(days=30))
        if tab == "outcomes"
        else None,
        "recoveries": _recoveries(request.user, now=now) if tab == "outcomes" else None,
    }
    Notification.objects.filter(agent=request.user, read_at=None).update(read_at=now)
    return render(request, "promises/board.html", context)


def _recoveries(user: Agent, *, now: datetime) -> object:
    """Service recoveries of the last 30 days on the teams the user sees, and how they ended."""
    from answerable.tickets import recovery

    teams = None if user.is_admin else list(user.teams.values_list("pk", flat=True))
    return recovery.summary(since=now - timedelta(days=30), until=now, team_ids=teams)


def _back(request: HttpRequest, promise: Promise) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect("ticket", pk=promise.ticket_id)


@login_required
@require_POST
def delivered(request: HttpRequest, pk: int) -> HttpResponse:
    promise = promise_for(request.user, pk)
    services.mark_delivered(promise, actor=request.user, now=clock.now())
    return _back(request, promise)


@login_required
@require_POST
def drop(request: HttpRequest, pk: int) -> HttpResponse:
    promise = promise_for(request.user, pk)
    services.drop(promise, actor=request.user, now=clock.now(), reason=request.POST.get("reason", "")[:200])
    return _back(request, promise)
