"""The customer portal: thin views over portal.services and portal.queries.

A portal session is bound to one customer, stored under its own session key; it is not a Django login, so
it opens no console page, and a staff login opens no portal page.
"""

import uuid
import zoneinfo
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from answerable.customers.models import Customer
from answerable.lib import clock
from answerable.lib.attachments import AttachmentRejected
from answerable.portal import queries, ratelimit, services
from answerable.portal.forms import (
    ComplaintForm,
    EmailForm,
    RatingForm,
    ReplyForm,
    RequestForm,
    started_token,
)
from answerable.portal.models import PortalSettings
from answerable.satisfaction import services as satisfaction
from answerable.tickets.models import Ticket
from answerable.tickets.services import IncomingFile

SESSION_KEY = "portal"
MAX_FILES = 10
# Requests per hour from one IP and for one address; sign-in links per hour likewise.
REQUESTS_PER_IP, REQUESTS_PER_EMAIL = 10, 3
LINKS_PER_IP, LINKS_PER_EMAIL = 20, 5
COMPLAINTS_PER_CUSTOMER = 5
HOUR = 3600


def _ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "")


def _files(request: HttpRequest) -> list[IncomingFile]:
    return [
        IncomingFile(f.name, f.read(), f.content_type or "")
        for f in request.FILES.getlist("files")[:MAX_FILES]
    ]


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    zone, known = _zone(request, context.get("zone"))
    label = "your time" if known else f"{zone.replace('_', ' ')} time"
    return render(request, template, {"tz": zone, "tz_label": label, **context}, status=status)


def _zone(request: HttpRequest, fallback: str | None) -> tuple[str, bool]:
    """The customer's zone from the browser (a cookie our pages set) and True, else the team's (or UTC)."""
    zone = request.COOKIES.get("portal_tz", "")
    if zone in zoneinfo.available_timezones():
        return zone, True
    return fallback or "UTC", False


# --- the portal session ------------------------------------------------------------------------------------


def _signed_in(request: HttpRequest) -> Customer | None:
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        until = datetime.fromisoformat(data["until"])
    except (KeyError, TypeError, ValueError):
        return None
    if until <= clock.now():
        request.session.pop(SESSION_KEY, None)
        return None
    return Customer.objects.filter(pk=data.get("customer")).first()


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        customer = _signed_in(request)
        if customer is None:
            messages.info(request, "Sign in with the link we email you to see your requests.")
            return redirect("portal:sign_in")
        return view(request, customer, *args, **kwargs)

    return wrapped


# --- the public request form ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest, slug: str) -> HttpResponse:
    portal = get_object_or_404(PortalSettings.objects.select_related("team"), slug=slug)
    now = clock.now()
    context: dict[str, Any] = {"portal": portal, "zone": portal.team.time_zone}
    if request.method == "GET":
        form = RequestForm(portal=portal, now=now, initial={"started": started_token(slug, now)})
        return _render(request, "portal/request_form.html", {**context, "form": form})
    form = RequestForm(request.POST, portal=portal, now=now)
    status = 400
    # Every attempt counts against the IP, refused ones too, so a script that keeps failing is stopped.
    ip_allowed = ratelimit.allow("request-ip", _ip(request), limit=REQUESTS_PER_IP, window_seconds=HOUR)
    if not form.is_valid():
        status = 400 if ip_allowed else 429
    else:
        email = form.cleaned_data["email"]
        if not (
            ip_allowed
            and ratelimit.allow("request-email", email, limit=REQUESTS_PER_EMAIL, window_seconds=HOUR)
        ):
            form.add_error(
                None, "We have had many requests from you in the last hour. Please try again later."
            )
            status = 429
        else:
            data = {k: v for k, v in form.cleaned_data.items() if k not in ("website", "started")}
            try:
                ticket = services.submit_request(
                    portal.team, services.WebRequest(**data), now=now, files=_files(request)
                )
            except AttachmentRejected as exc:
                form.add_error(None, f"{exc} Your request was not sent yet: attach the files again and send.")
            except ValidationError as exc:
                form.add_error("email", exc)
            else:
                request.session["portal_sent"] = ticket.pk
                return redirect("portal:request_sent", slug=slug)
    # Keep what they wrote; a new start time, so a person who waits and resends gets through.
    form.data = form.data.copy()
    form.data["started"] = started_token(slug, now)
    return _render(request, "portal/request_form.html", {**context, "form": form}, status=status)


@require_GET
def request_sent(request: HttpRequest, slug: str) -> HttpResponse:
    portal = get_object_or_404(PortalSettings.objects.select_related("team"), slug=slug)
    ticket = (
        Ticket.objects.filter(pk=request.session.get("portal_sent"), team=portal.team)
        .select_related("assignee")
        .only("id", "expected_response_at", "assignee__first_name", "assignee__username")
        .first()
    )
    if ticket is None:
        return redirect("portal:request_form", slug=slug)
    return _render(
        request,
        "portal/request_sent.html",
        {
            "portal": portal,
            "zone": portal.team.time_zone,
            "reference": ticket.pk,
            "expected": ticket.expected_response_at,
        },
    )


# --- signing in --------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render(request, "portal/sign_in.html", {"form": EmailForm()})
    form = EmailForm(request.POST)
    if not form.is_valid():
        return _render(request, "portal/sign_in.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    if not (
        ratelimit.allow("link-ip", _ip(request), limit=LINKS_PER_IP, window_seconds=HOUR)
        and ratelimit.allow("link-email", email, limit=LINKS_PER_EMAIL, window_seconds=HOUR)
    ):
        form.add_error(None, "We have sent several links in the last hour. Please use one of those, or wait.")
        return _render(request, "portal/sign_in.html", {"form": form}, status=429)
    try:
        services.request_link(email, now=clock.now())
    except ValidationError:
        form.add_error("email", "Enter a valid email address.")
        return _render(request, "portal/sign_in.html", {"form": form}, status=400)
    # The same answer for known and unknown addresses.
    return _render(request, "portal/link_sent.html", {"email": email, "minutes": _link_minutes()})


def _link_minutes() -> int:
    return int(services.LINK_TTL.total_seconds() // 60)


@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners fetch links, and a link that works once must survive them."""
    now = clock.now()
    try:
        if request.method == "GET":
            services.check_link(token, now=now)
            return _render(request, "portal/enter.html", {"token": token})
        customer = services.use_link(token, now=now)
    except services.LinkInvalid as exc:
        return _render(
            request,
            "portal/link_invalid.html",
            {"reason": exc.reason, "form": EmailForm()},
            410 if exc.reason in ("expired", "used") else 400,
        )
    request.session.cycle_key()  # a new session id at sign-in: no fixation
    request.session[SESSION_KEY] = {
        "customer": customer.pk,
        "until": (now + services.SESSION_TTL).isoformat(),
    }
    return redirect("portal:requests")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    messages.info(request, "You are signed out.")
    return redirect("portal:sign_in")


# --- the customer's own requests --------------------------------------------------------------------------


@require_GET
@customer_required
def request_list(request: HttpRequest, customer: Customer) -> HttpResponse:
    entries, more = queries.requests_of(customer)
    context = {"customer_name": customer.name, "entries": entries, "more": more, "limit": queries.LIST_LIMIT}
    q = request.GET.get("q", "").strip()[:500]
    status = 200
    if q:
        # The desk's search over this customer's own requests: their messages and our replies, never notes.
        from answerable.search.services import QuerySyntaxError, search_for_customer

        try:
            context["results"] = search_for_customer(customer, q, limit=20)
        except QuerySyntaxError as exc:
            context["search_error"], status = str(exc), 400
    return _render(request, "portal/requests.html", {**context, "q": q}, status=status)


def _detail(
    request: HttpRequest, customer: Customer, pk: int, *, reply: ReplyForm | None = None, status: int = 200
) -> HttpResponse:
    thread = queries.thread_for(customer, pk)
    return _render(
        request,
        "portal/request.html",
        {
            "thread": thread,
            "zone": thread.time_zone,
            "reply": reply or ReplyForm(initial={"key": uuid.uuid4().hex}),
            "rate": RatingForm(initial={"score": thread.rating or None, "comment": thread.rating_comment}),
        },
        status=status,
    )


@require_GET
@customer_required
def request_detail(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    return _detail(request, customer, pk)


@require_POST
@customer_required
def reply(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    ticket = queries.ticket_of(customer, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply(
                ticket,
                customer,
                text=form.cleaned_data["text"],
                files=_files(request),
                key=form.cleaned_data["key"],
                now=clock.now(),
            )
        except AttachmentRejected as exc:
            form.add_error(None, f"{exc} Your reply was not sent yet: attach the files again and send.")
        except services.RequestClosed:
            form.add_error(None, "This request is closed. Please start a new one.")
        else:
            messages.success(request, "Your reply is with us.")
            return redirect("portal:request", pk=pk)
    return _detail(request, customer, pk, reply=form, status=400)


@require_POST
@customer_required
def rate(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    ticket = queries.ticket_of(customer, pk)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _detail(request, customer, pk, status=400)
    try:
        satisfaction.rate_by_customer(
            ticket, form.cleaned_data["score"], comment=form.cleaned_data["comment"], now=clock.now()
        )
    except satisfaction.NotRateable:
        messages.error(request, "This request is open again, so there is nothing to rate yet.")
    else:
        messages.success(request, "Thank you for telling us.")
    return redirect("portal:request", pk=pk)


@require_http_methods(["GET", "POST"])
@customer_required
def complain(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    ticket = queries.ticket_of(customer, pk)
    thread = queries.thread_for(customer, pk)
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.allow(
            "complaint", str(customer.pk), limit=COMPLAINTS_PER_CUSTOMER, window_seconds=HOUR
        ):
            form.add_error(
                None, "We have your earlier messages, and a manager is on it. Please try again later."
            )
            return _render(
                request,
                "portal/complain.html",
                {"thread": thread, "zone": thread.time_zone, "form": form},
                status=429,
            )
        promise = services.complain(ticket, form.cleaned_data["text"], now=clock.now())
        return _render(
            request,
            "portal/complained.html",
            {
                "thread": thread,
                "zone": thread.time_zone,
                "due": promise.due_at,
                "follow_up": promise.ticket_id != ticket.pk,
            },
        )
    status = 400 if request.method == "POST" else 200
    return _render(
        request,
        "portal/complain.html",
        {"thread": thread, "zone": thread.time_zone, "form": form},
        status=status,
    )


@require_GET
@customer_required
def attachment(request: HttpRequest, customer: Customer, pk: int, attachment_id: int) -> FileResponse:
    """Downloads, never rendered: Content-Disposition attachment, nosniff, our stored type."""
    found = queries.attachment_for(customer, pk, attachment_id)
    response = FileResponse(
        found.file.open("rb"), as_attachment=True, filename=found.filename, content_type=found.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def home(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(reverse("portal:requests") if _signed_in(request) else reverse("portal:sign_in"))
