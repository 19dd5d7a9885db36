"""The console's login page, with failed attempts limited per username and per address.

After LOGIN_MAX_FAILURES_PER_USERNAME failed attempts for one username, or LOGIN_MAX_FAILURES_PER_IP from
one address, within LOGIN_FAILURE_WINDOW seconds, the page answers 429 without checking the password, so
guessing cannot go on. The counters live in Django's cache; a successful login clears its username's.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _keys(request: HttpRequest) -> list[tuple[str, int]]:
    username = request.POST.get("username", "").strip().lower()
    # Hashed: the cache key must not carry arbitrary input (length, spaces, control characters).
    digest = hashlib.sha256(username.encode()).hexdigest()
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy rewrites it.
    address = request.META.get("REMOTE_ADDR", "")
    return [
        (f"login-failures:user:{digest}", settings.LOGIN_MAX_FAILURES_PER_USERNAME),
        (f"login-failures:ip:{address}", settings.LOGIN_MAX_FAILURES_PER_IP),
    ]


def locked_out(request: HttpRequest) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(request))


def record_failure(request: HttpRequest) -> None:
    for key, _limit in _keys(request):
        # add() starts the window at the first failure; incr() keeps its expiry.
        cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr: start again
            cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW)


def clear_username(request: HttpRequest) -> None:
    cache.delete(_keys(request)[0][0])


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if locked_out(request):
            minutes = max(1, settings.LOGIN_FAILURE_WINDOW // 60)
            context = {
                "form": self.get_form_class()(request),
                "locked_out": minutes,
                "next": self.get_redirect_url(),
            }
            return render(request, self.template_name, context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: object) -> HttpResponse:
        record_failure(self.request)
        return super().form_invalid(form)

    def form_valid(self, form: object) -> HttpResponse:
        clear_username(self.request)
        return super().form_valid(form)
