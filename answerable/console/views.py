"""The agent console: parse, check access, call one service or query, render (a partial for htmx)."""

import uuid
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from answerable.coach import checks as coach_checks
from answerable.coach import services as coach
from answerable.console import queries
from answerable.console.forms import (
    AssignForm,
    ComplaintForm,
    ComposeForm,
    EscalateForm,
    HandBackForm,
    PriorityForm,
    StatusForm,
    TagsForm,
)
from answerable.lib import clock
from answerable.lib.attachments import AttachmentRejected
from answerable.lib.keyset import BadCursor
from answerable.promises import services as promise_services
from answerable.promises.models import Promise
from answerable.promises.services import PromiseDraft
from answerable.staff import services as staff_services
from answerable.staff.models import Agent, Team
from answerable.tickets import access, escalation, recovery, services
from answerable.tickets.models import (
    Attachment,
    Escalation,
    Macro,
    Message,
    Priority,
    Recovery,
    Status,
    Ticket,
)


def _filters(request: HttpRequest) -> queries.InboxFilters:
    get = request.GET
    team = get.get("team", "")
    status = get.get("status", "")
    sort = get.get("sort", "")
    return queries.InboxFilters(
        status=status if status in Status.values else "",
        team=int(team) if team.isdigit() and len(team) < 19 else None,  # a bigint at most: SQLite overflows
        assignee=get.get("assignee", "")[:20],
        tag=get.get("tag", "")[:50],
        sort=sort if sort in queries.SORTS else "",
    )


@login_required
@require_GET
def inbox(request: HttpRequest, view: str = "mine") -> HttpResponse:
    if view not in queries.VIEWS:
        raise Http404("No such view")
    filters = _filters(request)
    try:
        page = queries.inbox_page(request.user, view, filters, request.GET.get("after"))
    except BadCursor as exc:
        return HttpResponseBadRequest(str(exc))
    query = filters.as_query()
    context = {
        "view": view,
        "view_label": queries.VIEWS[view],
        "views": queries.VIEWS,
        "counts": queries.view_counts(request.user),
        "page": page,
        "filters": filters,
        "sort": filters.sort or queries.default_sort(view),
        "query": urlencode(query),
        "next_query": urlencode(query | {"after": page.next_cursor}) if page.next_cursor else "",
        "now": clock.now(),
        **queries.inbox_choices(request.user),
    }
    # "Load more" asks for the rows only, appended under the current ones.
    template = (
        "console/inbox.html#rows" if request.htmx and request.GET.get("after") else "console/inbox.html"
    )
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def _ticket_context(request: HttpRequest, ticket: object, **extra: object) -> dict:
    page = queries.ticket_page(request.user, ticket, now=clock.now())
    return {
        "p": page,
        "ticket": page.ticket,
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "compose": extra.pop("compose", None) or ComposeForm(initial={"idempotency_key": uuid.uuid4().hex}),
        "now": clock.now(),
        "can_assign_others": request.user.is_admin or request.user.is_supervisor,
        **extra,
    }


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_for(request.user, pk)
    now = clock.now()
    services.touch_presence(ticket, request.user, drafting=False, now=now)
    extra = {}
    reset_id = request.GET.get("reset", "")
    if reset_id.isdigit():
        # "Draft a reset": the composer opens with a draft that owns the miss; nothing is sent by itself.
        promise = get_object_or_404(Promise, pk=int(reset_id), ticket=ticket)
        text, _ = promise_services.reset_draft(promise, agent=request.user, now=now)
        extra["reset_promise"] = promise
        extra["compose"] = ComposeForm(initial={"idempotency_key": uuid.uuid4().hex, "text": text})
    recovery_id = request.GET.get("recovery", "")
    if recovery_id.isdigit():
        # The recovery playbook's reply: owns the failure, apologises, a blank for the fix, a new date.
        found = get_object_or_404(Recovery.objects.select_related("broken_promise"), pk=int(recovery_id),
                                  ticket=ticket)  # fmt: skip
        text, _ = recovery.draft(found, agent=request.user, now=now)
        if found.broken_promise and found.broken_promise.replaced_by_id is None:
            extra["reset_promise"] = found.broken_promise
        extra["compose"] = ComposeForm(initial={"idempotency_key": uuid.uuid4().hex, "text": text})
    return render(request, "console/ticket.html", _ticket_context(request, ticket, **extra))


def _after_change(request: HttpRequest, ticket: Ticket, part: str) -> HttpResponse:
    """htmx gets the changed part; a plain form post gets the page (post/redirect/get).

    A new message can change the status too, so the conversation comes with the properties (and their
    history) swapped out of band.
    """
    if not request.htmx:
        return redirect("ticket", pk=ticket.pk)
    ticket.refresh_from_db()
    context = _ticket_context(request, ticket)
    html = render_to_string(f"console/ticket.html#{part}", context, request)
    if part == "conversation":
        html += render_to_string("console/ticket.html#properties", context | {"oob": True}, request)
    return HttpResponse(html)


@login_required
@require_POST
def compose(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_for(request.user, pk)
    form = ComposeForm(request.POST)
    if not form.is_valid():
        return _compose_error(request, ticket, form, status=422)
    data = form.cleaned_data
    now = clock.now()
    key = data["idempotency_key"] or None
    try:
        reviewed = _reviewed_promises(request, ticket)
        if data["kind"] == "note":
            services.add_note(
                ticket, agent=request.user, text=data["text"], now=now, idempotency_key=key, promises=reviewed
            )
        else:
            findings = coach.review(ticket, data["text"], now=now, agent=request.user)
            held = coach.blocking(findings)
            if held and ticket.team.coach_gate:
                coach.record(ticket, held, agent=request.user, message=None, outcome="blocked", now=now)
                form.add_error(
                    None, "This team does not send replies with tone findings: rephrase, then send."
                )
                return _compose_error(request, ticket, form, status=422, findings=findings)
            if held and request.POST.get("confirm_tone") != "1":
                return _compose_error(request, ticket, form, status=409, findings=findings, confirm_tone=True)
            message = services.reply(
                ticket, agent=request.user, text=data["text"], now=now, idempotency_key=key,
                status_after=data["status_after"] or None,
                seen_message_id=None if data["send_anyway"] else data["seen_message_id"],
                files=_files(request), promises=reviewed,
                resets=_int_or_none(request.POST.get("reset_promise")),
            )  # fmt: skip
            coach.record(ticket, findings, agent=request.user, message=message, now=now,
                         outcome="overridden" if held else "sent_anyway")  # fmt: skip
            fixed = coach.fixes_applied(request.POST.getlist("coach_fixed"))
            coach.record(ticket, fixed, agent=request.user, message=message, now=now, outcome="fixed")
    except services.StaleDraft as stale:
        return _compose_error(request, ticket, form, status=409, newer=stale.newer)
    except (AttachmentRejected, ValueError) as exc:
        form.add_error(None, str(exc))
        return _compose_error(request, ticket, form, status=422)
    services.touch_presence(ticket, request.user, drafting=False, now=now)
    return _after_change(request, ticket, "conversation")


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _files(request: HttpRequest) -> list[services.IncomingFile]:
    return [
        services.IncomingFile(filename=f.name, content=f.read(), content_type=f.content_type or "")
        for f in request.FILES.getlist("files")
    ]


def _compose_error(
    request: HttpRequest, ticket: object, form: ComposeForm, *, status: int, **extra: object
) -> HttpResponse:
    template = "console/ticket.html#conversation" if request.htmx else "console/ticket.html"
    response = render(
        request, template, _ticket_context(request, ticket, compose=form, **extra), status=status
    )
    if request.htmx:
        # htmx ignores 4xx bodies by default; these bodies are the form with its errors, so swap them in.
        response["HX-Retarget"] = "#conversation"
        response["HX-Reswap"] = "outerHTML"
    return response


@login_required
@require_POST
def draft_promises(request: HttpRequest, pk: int) -> HttpResponse:
    """As the agent types: the commitments the draft makes, with their due times, to keep, edit or drop."""
    ticket = access.ticket_for(request.user, pk)
    text = request.POST.get("text", "")[:100_000]
    zone = ZoneInfo(ticket.team.time_zone)
    found = [
        {
            "text": d.text,
            "kind": d.kind,
            "due_local": d.due_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if d.due_at else "",
        }
        for d in (promise_services.find_in(text, ticket, sent_at=clock.now()) if text.strip() else [])
    ]
    findings = coach.review(ticket, text, now=clock.now(), agent=request.user) if text.strip() else []
    context = {"found": found, "ticket": ticket, "team_zone": ticket.team.time_zone, "findings": findings,
               "coach_missing": coach_checks.missing_models(), "oob": True}  # fmt: skip
    # The promises swap into their place; the coach panel comes along out of band (one request a pause).
    html = render_to_string("console/ticket.html#draft_promises", context, request)
    html += render_to_string("console/ticket.html#coach", context, request)
    return HttpResponse(html)


def _reviewed_promises(request: HttpRequest, ticket: Ticket) -> list[PromiseDraft] | None:
    """The promises the agent confirmed in the composer, or None when they did not review any (then the
    service finds them in the text itself)."""
    post = request.POST
    if post.get("promises_reviewed") != "1":
        return None
    zone = ZoneInfo(ticket.team.time_zone)
    out = []
    for i in range(int(post.get("promise_count", "0") or 0)):
        if post.get(f"promise_keep_{i}") != "1":
            continue  # dropped by the agent
        text = post.get(f"promise_text_{i}", "").strip()[:2000]
        raw_due = post.get(f"promise_due_{i}", "").strip()
        try:
            due = datetime.fromisoformat(raw_due).replace(tzinfo=zone) if raw_due else None
        except ValueError:
            raise ValueError(f"The due time {raw_due!r} is not a date and time.") from None
        kind = post.get(f"promise_kind_{i}", Promise.Kind.GET_BACK)
        if text:
            out.append(
                PromiseDraft(text, due, kind if kind in Promise.Kind.values else Promise.Kind.GET_BACK)
            )
    return out


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_for(request.user, pk)
    form = AssignForm(request.POST)
    form.is_valid()
    raw = form.cleaned_data.get("assignee", "")
    if raw == "me":
        assignee = request.user
    elif raw:
        if not raw.isdigit():
            return HttpResponseBadRequest("Unknown agent")
        assignee = Agent.objects.filter(pk=int(raw)).first()
        if assignee is None:
            return HttpResponseBadRequest("Unknown agent")
    else:
        assignee = None
    if not access.may_assign(request.user, ticket, assignee):
        raise PermissionDenied("You may not assign this ticket to that person.")
    services.assign(ticket, assignee, actor=request.user, now=clock.now())
    return _after_change(request, ticket, "properties")


@login_required
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_for(request.user, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Unknown status")
    services.set_status(ticket, form.cleaned_data["status"], actor=request.user, now=clock.now())
    return _after_change(request, ticket, "properties")


@login_required
@require_POST
def set_priority(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_for(request.user, pk)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Unknown priority")
    services.set_priority(ticket, form.cleaned_data["priority"], actor=request.user, now=clock.now())
    return _after_change(request, ticket, "properties")


@login_required
@require_POST
def set_tags(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_for(request.user, pk)
    form = TagsForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Too many tags")
    services.set_tags(ticket, [form.cleaned_data["tags"]], actor=request.user, now=clock.now())
    return _after_change(request, ticket, "properties")


@login_required
@require_GET
def macro(request: HttpRequest, pk: int, macro_id: int) -> HttpResponse:
    """The macro's text with its placeholders filled, for the composer."""
    ticket = access.ticket_for(request.user, pk)
    chosen = get_object_or_404(Macro.objects.filter(active=True), pk=macro_id)
    if chosen.team_id not in (None, ticket.team_id):
        raise Http404("No such macro")
    return HttpResponse(
        services.render_macro(chosen, ticket=ticket, agent=request.user), content_type="text/plain"
    )


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """Attachments download, never render: Content-Disposition attachment, nosniff, our stored type."""
    ticket = access.ticket_for(request.user, pk)
    found = get_object_or_404(Attachment, pk=attachment_id, message__ticket=ticket)
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename,
                            content_type=found.content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def message_source(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """The inbound message exactly as received, as a download (never rendered)."""
    ticket = access.ticket_for(request.user, pk)
    found = get_object_or_404(Message.objects.exclude(raw=None), pk=message_id, ticket=ticket)
    response = HttpResponse(bytes(found.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{found.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def presence(request: HttpRequest, pk: int) -> HttpResponse:
    """Heartbeat every 10 s from an open ticket; answers who else is here."""
    ticket = access.ticket_for(request.user, pk)
    now = clock.now()
    services.touch_presence(ticket, request.user, drafting=request.POST.get("drafting") == "1", now=now)
    others = queries.others_on(ticket, request.user, now=now)
    return render(request, "console/ticket.html#collision", {"p": {"others": others}, "ticket": ticket})


def _side_card(
    request: HttpRequest, ticket: Ticket, part: str, *, status: int = 200, **extra: object
) -> HttpResponse:
    """An htmx answer for a side card (escalation, recovery): the card, with the properties (and their
    history) and the promises out of band; with `thread`, the conversation too, as a reply went out."""
    ticket.refresh_from_db()
    context = _ticket_context(request, ticket, **extra)
    html = render_to_string(f"console/ticket.html#{part}", context, request)
    html += render_to_string("console/ticket.html#properties", context | {"oob": True}, request)
    html += render_to_string("console/ticket.html#promises", context | {"oob": True}, request)
    if extra.get("thread"):
        # Its own flag: the coach panel inside it swaps out of band on "oob", which must not nest here.
        html += render_to_string(
            "console/ticket.html#conversation", context | {"conversation_oob": True}, request
        )
    response = HttpResponse(html, status=status)
    if status >= 400:
        # htmx ignores 4xx bodies by default; this one is the form with its error, so swap it in.
        response["HX-Retarget"] = f"#{part}"
        response["HX-Reswap"] = "outerHTML"
    return response


def _card_error(request: HttpRequest, ticket: Ticket, part: str, error: str, **extra: object) -> HttpResponse:
    if request.htmx:
        return _side_card(request, ticket, part, status=422, **{f"{part}_error": error, **extra})
    context = _ticket_context(request, ticket, **{f"{part}_error": error, **extra})
    return render(request, "console/ticket.html", context, status=422)


@login_required
@require_POST
def escalate(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access.ticket_for(request.user, pk)
    form = EscalateForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return _card_error(request, ticket, "escalation", errors, escalate_form=form)
    data = form.cleaned_data
    kind, target_id = data["target"].split(":")
    to_agent = Agent.objects.filter(pk=int(target_id)).first() if kind == "agent" else None
    to_team = Team.objects.filter(pk=int(target_id)).first() if kind == "team" else None
    due = data["due"].replace(tzinfo=ZoneInfo(ticket.team.time_zone)) if data["due"] else None
    try:
        if to_agent is None and to_team is None:
            raise escalation.EscalationError("Choose whom to ask.")
        escalation.escalate(
            ticket, agent=request.user, note=data["note"], now=clock.now(), to_agent=to_agent,
            to_team=to_team, due_at=due, send_holding_reply=data["holding_reply"],
            holding_reply=data["holding_text"],
        )  # fmt: skip
    except escalation.EscalationError as exc:
        return _card_error(request, ticket, "escalation", str(exc), escalate_form=form)
    if not request.htmx:
        return redirect("ticket", pk=ticket.pk)
    return _side_card(request, ticket, "escalation", thread=data["holding_reply"])


def _escalation_for(user: Agent, pk: int) -> Escalation:
    """An escalation the user may answer or hand back, else 404 (as for tickets: ids leak nothing)."""
    found = get_object_or_404(Escalation.objects.select_related("ticket", "escalated_by"), pk=pk)
    if not escalation.may_handle(user, found):
        raise Http404("No such escalation")
    return found


@login_required
@require_POST
def hand_back(request: HttpRequest, pk: int) -> HttpResponse:
    found = _escalation_for(request.user, pk)
    form = HandBackForm(request.POST)
    on_board = request.POST.get("from") == "board"
    error = "" if form.is_valid() else "Write the guidance for the agent."
    if not error:
        try:
            escalation.hand_back(found, supervisor=request.user, guidance=form.cleaned_data["guidance"],
                                 now=clock.now())  # fmt: skip
        except escalation.EscalationError as exc:
            error = str(exc)
    if on_board:
        if error and not request.htmx:
            return HttpResponseBadRequest(error)
        if request.htmx:
            found.refresh_from_db()
            response = render(request, "console/escalations.html#row", {"e": found, "now": clock.now(),
                              "error": error}, status=422 if error else 200)  # fmt: skip
            if error:  # htmx ignores 4xx bodies by default; this one is the row with its error
                response["HX-Reswap"] = "outerHTML"
            return response
        return redirect("escalations")
    if error:
        return _card_error(request, found.ticket, "escalation", error)
    if not request.htmx:
        return redirect("ticket", pk=found.ticket_id)
    return _side_card(request, found.ticket, "escalation", thread=True)


@login_required
@require_GET
def escalations(request: HttpRequest) -> HttpResponse:
    """Supervisors' and admins' list of escalations waiting on them or their teams."""
    if not (request.user.is_admin or request.user.is_supervisor):
        raise PermissionDenied("The Escalations view is for supervisors and admins.")
    board = queries.escalations_board(request.user)
    return render(request, "console/escalations.html", {**board, "now": clock.now()})


@login_required
@require_POST
def complaint(request: HttpRequest, pk: int) -> HttpResponse:
    """An agent records a complaint the customer made another way (a call): the recovery starts."""
    ticket = access.ticket_for(request.user, pk)
    form = ComplaintForm(request.POST)
    if not form.is_valid():
        return _card_error(request, ticket, "recovery", "Write down what the customer said.")
    try:
        recovery.complaint(ticket, form.cleaned_data["text"], now=clock.now(), actor=request.user)
    except ValueError as exc:  # a closed ticket: the complaint belongs on a follow-up
        return _card_error(request, ticket, "recovery", str(exc))
    if not request.htmx:
        return redirect("ticket", pk=ticket.pk)
    return _side_card(request, ticket, "recovery")


@login_required
@require_POST
def follow_up_checked(request: HttpRequest, pk: int, promise_id: int) -> HttpResponse:
    """The recovery's follow-up check is done: the customer was asked whether the fix held."""
    ticket = access.ticket_for(request.user, pk)
    found = get_object_or_404(Promise, pk=promise_id, ticket=ticket, kind=Promise.Kind.FOLLOW_UP)
    promise_services.mark_checked(found, actor=request.user, now=clock.now())
    if not request.htmx:
        return redirect("ticket", pk=ticket.pk)
    return _side_card(request, ticket, "recovery")


@login_required
@require_POST
def away(request: HttpRequest) -> HttpResponse:
    """The agent marks themselves away (automatic assignment skips them) or back."""
    staff_services.set_away(request.user, away=request.POST.get("away") == "1")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("inbox")
    return redirect(target)
