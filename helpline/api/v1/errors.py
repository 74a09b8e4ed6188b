"""Every error the API returns, in one shape: ``{"error": {"code", "message", "fields"?}}``.

Domain errors carry their own status, code and fields. Input the schemas refuse is a 400
``validation_error`` like the services' own ValidationFailed, so a client handles one status for
"your input is wrong", with ``fields`` keyed by the input's name (``subject``, ``tags.3``,
``limit``, ``If-Match``). The catch-all for unexpected exceptions logs and answers a JSON 500;
no input is meant to reach it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from helpline.core.errors import DomainError, ValidationFailed

logger = logging.getLogger(__name__)

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    429: "throttled",
}


class Unauthorized(DomainError):
    status = 401
    default_code = "unauthorized"


class PreconditionFailed(DomainError):
    """A write that needs the version the client last saw (If-Match) came without it."""

    status = 412
    default_code = "precondition_failed"


@contextmanager
def fields_named(**names: str) -> Iterator[None]:
    """Report a service's validation fields under the names the request used
    (``assignee`` → ``assignee_id``)."""
    try:
        yield
    except ValidationFailed as error:
        error.fields = {names.get(key, key): value for key, value in error.fields.items()}
        raise


def error_response(
    status: int, message: str, *, code: str | None = None, fields: dict[str, str] | None = None
) -> JsonResponse:
    body: dict[str, Any] = {"code": code or STATUS_CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    response = JsonResponse({"error": body}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="helpline"'
    return response


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "payload", "tags", 3)`` → ``tags.3``; ``("query", "limit")`` → ``limit``;
    ``("body", "payload")`` (no body, or not an object) → ``body``."""
    source, *rest = loc
    if source == "body":
        rest = rest[1:]  # the name of the view's body parameter means nothing to a client
    return ".".join(str(part) for part in rest) or str(source)


def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        fields.setdefault(_field_path(error.get("loc", ("body",))), str(error.get("msg", "")))
    return error_response(400, "the request is not valid", code="validation_error", fields=fields)


def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return error_response(401, "a valid bearer token is required")
    if exc.status_code == 400 and exc.__cause__ is not None:
        # Ninja's body parser failed: bad JSON, bad UTF-8, nesting too deep to parse.
        return error_response(400, "the request body is not valid JSON", code="malformed_json")
    return error_response(exc.status_code, exc.message)


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not found")


def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(413, "the request body is too large")


def _bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(400, "the request could not be read")


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "something went wrong on our side", code="internal_error")


Handler = Callable[[HttpRequest, Any], HttpResponse]


def install_handlers(api: NinjaAPI) -> None:
    """Replace Ninja's default handlers (``{"detail": ...}``, re-raise on 500)."""
    handlers: list[tuple[type[Exception], Handler]] = [
        (DomainError, _domain_error),
        (ValidationError, _validation_error),
        (HttpError, _http_error),
        (Http404, _not_found),
        (RequestDataTooBig, _too_big),
        (SuspiciousOperation, _bad_request),
        (UnreadablePostError, _bad_request),
        (Exception, _unexpected),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under the API that names no endpoint (an unknown action, a malformed ticket
    number) is a JSON 404, not Django's HTML page."""
    return error_response(404, "no such endpoint")


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a view Ninja serves outside its operations: its plain-text 405 and the Http404 of
    the API root become JSON errors like all others."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_response(404, "no such endpoint; the documentation is at docs")
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allow = response.get("Allow", "")
            response = error_response(405, f"method {request.method} not allowed here")
            if allow:
                response["Allow"] = allow
        return response

    return wrapper
