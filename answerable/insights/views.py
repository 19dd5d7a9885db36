"""Reports and the supervisor dashboard: parse, check access, one query, render."""

import csv
from datetime import datetime, time

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from answerable.insights import access, queries, reports
from answerable.insights.forms import PRESETS, ReportForm
from answerable.insights.metrics import Period, Scope
from answerable.lib import clock


def _report_form(request: HttpRequest) -> ReportForm:
    get = request.GET
    data = {
        "preset": get.get("preset", ""),
        "start": get.get("from", ""),
        "end": get.get("to", ""),
        "team": get.get("team", ""),
        "agent": get.get("agent", ""),
    }
    return ReportForm(data, today=timezone.localdate(clock.now()))


def _report(request: HttpRequest) -> tuple[ReportForm, access.ReportTarget | None, reports.Report | None]:
    form = _report_form(request)
    if not form.is_valid():
        return form, None, None
    target = access.report_target(
        request.user, team_id=form.cleaned_data["team"], agent_id=form.cleaned_data["agent"]
    )
    tz = timezone.get_current_timezone()
    start, end = form.bounds(tz)
    scope = Scope(
        team_ids=tuple(t.pk for t in target.teams), agent_id=target.agent.pk if target.agent else None
    )
    report = reports.build(Period(start, end), scope, now=clock.now(), tz=tz, agents=target.agents)
    if access.sees_others(request.user) and target.agent is None:
        # Cost to serve by account, from the accounts app, over the accounts on tickets the viewer may see.
        from answerable.accounts.queries import Period as AccountPeriod
        from answerable.accounts.queries import ranked_accounts

        ranked = ranked_accounts(request.user, AccountPeriod(start, end, "custom"))
        report.figures.append(reports.cost_figure(ranked))
    return form, target, report


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    form, target, built = _report(request)
    context = {
        "form": form,
        "target": target,
        "report": built,
        "presets": PRESETS,
        "teams": target.allowed if target else list(access.report_teams(request.user)),
        "agents": target.agents if target and target.agents is not None else [],
        "sees_others": access.sees_others(request.user),
        "query": request.GET.urlencode(),
    }
    return render(request, "insights/report.html", context, status=200 if built else 400)


@login_required
@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    form, _, built = _report(request)
    if built is None:
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    start = form.cleaned_data["start"]
    end = form.cleaned_data["end"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="answerable-report-{start}-{end}.csv"'
    writer = csv.writer(response)
    writer.writerows(_safe(row) for row in built.csv_rows())
    return response


def _safe(row: list[str]) -> list[str]:
    """Team and agent names are people's input: keep a spreadsheet from reading one as a formula."""
    return [f"'{v}" if v[:1] in ("=", "+", "-", "@") and not _number(v) else v for v in row]


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if not access.may_see_dashboard(request.user):
        raise PermissionDenied("The dashboard is for supervisors and admins.")
    allowed = list(access.report_teams(request.user))
    team_id = request.GET.get("team", "")
    teams = [t for t in allowed if t.pk == int(team_id)] if team_id.isdigit() else allowed
    if team_id and not teams:
        raise Http404("No such team")
    now = clock.now()
    day_start = datetime.combine(timezone.localdate(now), time(0), tzinfo=timezone.get_current_timezone())
    context = {
        "d": queries.dashboard(teams, now=now, day_start=day_start),
        "now": now,
        "teams": allowed,
        "team_id": int(team_id) if team_id.isdigit() else None,
    }
    return render(request, "insights/dashboard.html", context)
