"""Refuse requests whose query or form fields carry NUL characters.

No person types U+0000 into a search box or a reply, and PostgreSQL cannot store or compare text holding one:
left to the views, a `?tag=%00` becomes a DataError and a 500. One check here answers 400 for every page and
form (uploaded files, read from request.FILES, may hold any bytes).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", "") or _has_nul(request):
            message = "NUL characters are not allowed in form fields or query strings."
            if request.path.startswith("/api/"):  # the API's clients read one error body, in JSON
                body = {"error": {"code": "invalid", "message": message, "fields": {}}}
                return JsonResponse(body, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    if request.method != "POST" or request.content_type not in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        return False
    return any("\x00" in value for values in request.POST.lists() for value in values[1])
