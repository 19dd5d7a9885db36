"""Counting attempts per IP and per address in Django's cache: spam protection with no outside service.

Fixed windows: the first attempt starts the window, later ones count within it. Keys are hashed, so the
cache holds no addresses. With the default per-process cache each web worker counts on its own; set a shared
cache (Redis, the database) where several workers serve the portal.
"""

import hashlib

from django.core.cache import cache


def allow(scope: str, value: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt for `value` in `scope`; False once there were more than `limit` in the window."""
    digest = hashlib.sha256(f"{scope}:{value.strip().lower()}".encode()).hexdigest()[:32]
    key = f"answerable.portal.rl:{scope}:{digest}"
    if cache.add(key, 1, timeout=window_seconds):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 1, timeout=window_seconds)
        return True
    return count <= limit
