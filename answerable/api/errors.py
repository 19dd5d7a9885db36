"""One error body for every failure: {"error": {"code": ..., "message": ..., "fields": {...}}}.

Clients branch on `code` (stable, snake_case); `message` is for people; `fields` names the input at fault.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorDetail


ERROR_CODES = (400, 401, 403, 404, 409, 429)


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "rate_limited",
    500: "internal_error",
}


def error_response(status: int, code: str, message: str, fields: dict | None = None) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="answerable"'
    return response


def _field_name(loc: tuple | list) -> str:
    # ("body", "payload", "tags", 0) -> "tags.0"; ("query", "status", 0) -> "status"; the body -> "body".
    if not loc:
        return "body"
    if loc[0] == "body":
        return ".".join(str(p) for p in loc[2:]) or "body"  # loc[1] is the handler's parameter name
    return str(loc[1]) if len(loc) > 1 else str(loc[0])


def _validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for e in errors:
        fields.setdefault(_field_name(e.get("loc", ())), []).append(str(e.get("msg", "invalid")))
    return fields


def install(api: NinjaAPI) -> None:
    def handle(exc_type: type[Exception]) -> Callable:
        def register(fn: Callable[[HttpRequest, Any], HttpResponse]) -> Callable:
            api.add_exception_handler(exc_type, fn)
            return fn

        return register

    @handle(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @handle(NinjaValidationError)
    def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return error_response(400, "invalid", "The request is not valid.", _validation_fields(exc.errors))

    @handle(DjangoValidationError)
    def _django_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        return error_response(400, "invalid", " ".join(exc.messages), fields)

    @handle(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            401, "unauthenticated", "Send a valid API token: 'Authorization: Bearer ans_...'."
        )

    @handle(Throttled)
    def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return error_response(429, "rate_limited", "Too many requests for this token; retry later.")

    @handle(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and "parse request body" in str(exc):
            return error_response(400, "invalid_json", "The body is not valid JSON.", {"body": [str(exc)]})
        code = _DEFAULT_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc))

    @handle(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", str(exc) or "Not found.")

    @handle(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(403, "forbidden", str(exc) or "You may not do this.")

    @handle(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side; it was logged.")


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a URL's view so Django's own plain-text answers (405) come in the API's error shape."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            fixed = error_response(
                405, "method_not_allowed", f"Use {allowed}." if allowed else "Not allowed."
            )
            if allowed:
                fixed["Allow"] = allowed
            return fixed
        return response

    wrapped.csrf_exempt = getattr(view, "csrf_exempt", False)  # type: ignore[attr-defined]
    return wrapped


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return error_response(404, "not_found", f"No API endpoint at {request.path}.")
