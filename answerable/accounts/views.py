"""Account pages, handling-time heartbeat, relationship notes, terms flags, avoidance alerts: thin views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from answerable.accounts import queries, services
from answerable.accounts.models import AvoidanceAlert
from answerable.customers import services as customer_services
from answerable.customers.models import TermsFlag
from answerable.lib import clock
from answerable.staff.models import Agent
from answerable.tickets import access


def _manager(user: Agent) -> None:
    if not (user.is_admin or user.is_supervisor):
        raise PermissionDenied("Supervisors and admins only.")


def _period(request: HttpRequest) -> queries.Period | HttpResponse:
    try:
        return queries.period_from(request.GET, now=clock.now())
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))


@login_required
@require_POST
def heartbeat(request: HttpRequest, pk: int) -> HttpResponse:
    """Every 30 s from an open ticket while the tab is visible and in use (accounts/handling.js)."""
    ticket = access.ticket_for(request.user, pk)
    services.heartbeat(ticket, request.user, now=clock.now())
    return HttpResponse(status=204)


@login_required
@require_GET
def ticket_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """Relationship notes and account links for the ticket page, loaded after the page (no extra queries
    on the ticket page itself)."""
    ticket = access.ticket_for(request.user, pk)
    context = {"ticket": ticket, "notes": queries.ticket_panel(ticket)}
    org = ticket.customer.organisation
    if org is not None and (request.user.is_admin or request.user.is_supervisor):
        # Supervisors and admins see what the account costs against what it pays (last 90 days).
        period = queries.period_from({}, now=clock.now())
        context["f"] = queries.organisation_page(request.user, org, period).figures
    return render(request, "accounts/ticket_panel.html", context)


@login_required
@require_GET
def accounts_list(request: HttpRequest) -> HttpResponse:
    _manager(request.user)
    period = _period(request)
    if isinstance(period, HttpResponse):
        return period
    rows = queries.ranked_accounts(request.user, period)
    context = {
        "rows": rows, "period": period, "periods": queries.PERIODS, "hourly_cost": queries.hourly_cost(),
        "per_message": queries.cost_per_message(), "limit": queries.RANKED_LIMIT,
    }  # fmt: skip
    return render(request, "accounts/list.html", context)


@login_required
@require_GET
def organisation(request: HttpRequest, pk: int) -> HttpResponse:
    org = queries.organisation_for(request.user, pk)
    period = _period(request)
    if isinstance(period, HttpResponse):
        return period
    page = queries.organisation_page(request.user, org, period)
    return render(request, "accounts/account.html", _account_context(request, page, period, organisation=org))


@login_required
@require_GET
def customer(request: HttpRequest, pk: int) -> HttpResponse:
    found = queries.customer_for(request.user, pk)
    period = _period(request)
    if isinstance(period, HttpResponse):
        return period
    page = queries.customer_page(request.user, found, period)
    return render(request, "accounts/account.html", _account_context(request, page, period, customer=found))


def _account_context(
    request: HttpRequest, page: queries.AccountPage, period: queries.Period, **subject: object
) -> dict:
    return {
        "page": page, "f": page.figures, "period": period, "periods": queries.PERIODS, "now": clock.now(),
        "may_manage": request.user.is_admin or request.user.is_supervisor,
        "flag_kinds": TermsFlag.Kind.choices,
        "hourly_cost": queries.hourly_cost(), "per_message": queries.cost_per_message(), **subject,
    }  # fmt: skip


@login_required
@require_POST
def add_note(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind == "o":
        subject = {"organisation": queries.organisation_for(request.user, pk)}
        back = redirect("account_organisation", pk=pk)
    else:
        subject = {"customer": queries.customer_for(request.user, pk)}
        back = redirect("account_customer", pk=pk)
    try:
        services.add_relationship_note(author=request.user, text=request.POST.get("text", ""),
                                       now=clock.now(), **subject)  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Note added; agents see it on this account's tickets.")
    return back


@login_required
@require_POST
def set_flag(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request.user)
    org = queries.organisation_for(request.user, pk)
    post = request.POST
    try:
        customer_services.set_terms_flag(
            org, post.get("kind", ""), reason=post.get("reason", "")[:2000], actor=request.user,
            now=clock.now(), auto_reply=post.get("auto_reply", "")[:10_000],
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Flag set; it shows on every ticket of this organisation.")
    return redirect("account_organisation", pk=pk)


@login_required
@require_POST
def clear_flag(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request.user)
    flag = get_object_or_404(TermsFlag, pk=pk)
    queries.organisation_for(request.user, flag.organisation_id)
    customer_services.clear_terms_flag(flag, actor=request.user, now=clock.now())
    messages.success(request, f"{flag.get_kind_display()} cleared.")
    return redirect("account_organisation", pk=flag.organisation_id)


@login_required
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    _manager(request.user)
    show = request.GET.get("show", "open")
    found = services.alerts_for(request.user).select_related("agent", "organisation", "customer", "closed_by")
    found = (
        found.filter(status=AvoidanceAlert.Status.OPEN)
        if show == "open"
        else found.exclude(status=AvoidanceAlert.Status.OPEN)
    )
    rows = list(found[:200])
    context = {
        "alerts": rows,
        "show": show,
        "choices": _reassign_choices(request.user, rows),
        "now": clock.now(),
    }
    return render(request, "accounts/alerts.html", context)


def _reassign_choices(user: Agent, rows: list[AvoidanceAlert]) -> dict[int, list[Agent]]:
    """Per alert, the agents its tickets could go to: active agents sharing a team with the alert's agent
    (and, for a supervisor, one of theirs). Two queries whatever the number of alerts."""
    agent_ids = {a.agent_id for a in rows}
    teams_of: dict[int, set[int]] = {}
    for agent_id, team_id in Agent.teams.through.objects.filter(agent_id__in=agent_ids).values_list(
        "agent_id", "team_id"
    ):
        teams_of.setdefault(agent_id, set()).add(team_id)
    wanted = set().union(*teams_of.values()) if teams_of else set()
    if not user.is_admin:
        wanted &= set(user.teams.values_list("pk", flat=True))
    pool = Agent.objects.filter(is_active=True, teams__in=wanted).prefetch_related("teams").distinct()
    pool = sorted(pool, key=lambda a: (a.first_name, a.username))
    out = {}
    for alert in rows:
        shared = teams_of.get(alert.agent_id, set()) & wanted
        out[alert.pk] = [a for a in pool if a.pk != alert.agent_id and {t.pk for t in a.teams.all()} & shared]
    return out


@login_required
@require_POST
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request.user)
    alert = get_object_or_404(services.alerts_for(request.user), pk=pk)
    raw = request.POST.get("to", "")
    to = Agent.objects.filter(pk=int(raw), is_active=True).first() if raw.isdigit() else None
    if to is None:
        return HttpResponseBadRequest("Choose the agent to take the account over.")
    try:
        done = services.reassign_account(alert, to, actor=request.user, now=clock.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        text = f"{len(done.moved)} ticket(s) moved to {to.display_name}."
        if done.refused:
            text += f" {len(done.refused)} not moved: {to.display_name} is not on their team."
        messages.success(request, text)
    return redirect("avoidance_alerts")


@login_required
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request.user)
    alert = get_object_or_404(services.alerts_for(request.user), pk=pk)
    services.dismiss_alert(alert, actor=request.user, now=clock.now(), reason=request.POST.get("reason", ""))
    messages.success(request, "Alert dismissed.")
    return redirect("avoidance_alerts")
