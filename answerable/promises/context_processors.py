"""The console header's count of unread promise warnings."""

from django.http import HttpRequest

from answerable.promises.queries import unread_count


def promise_warnings(request: HttpRequest) -> dict[str, int]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/static/", "/admin/")):
        return {}
    return {"promise_warnings": unread_count(user)}
