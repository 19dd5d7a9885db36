"""Rate limiting per token, in Django's cache: a fixed one-minute window counted with cache.incr.

With the default local-memory cache each web process counts on its own; set CACHE_URL to a shared cache
(Redis) so every process shares the count.
"""

import math
import threading

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from answerable.lib import clock

WINDOW = 60  # seconds


def limit_for(request: HttpRequest) -> int:
    token = getattr(request, "auth", None)
    own = getattr(token, "rate_limit", None)
    return own or getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 600)


class TokenThrottle(BaseThrottle):
    """One instance serves every request (ninja keeps it on the API): the wait is kept per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if token is None:
            return True  # authentication already refused the request
        now = clock.now().timestamp()
        window = math.floor(now / WINDOW)
        key = f"api:rate:{token.pk}:{window}"
        cache.add(key, 0, timeout=WINDOW * 2)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW * 2)
            used = 1
        if used <= limit_for(request):
            return True
        self._local.wait = (window + 1) * WINDOW - now
        return False

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
