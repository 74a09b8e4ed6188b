"""Domain errors. Interfaces turn them into 4xx responses or form messages."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a request that cannot be carried out as asked. Nothing was changed."""

    status = 400
    default_code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = fields or {}


class ValidationFailed(DomainError):
    status = 400
    default_code = "validation_error"


class PermissionDenied(DomainError):
    status = 403
    default_code = "forbidden"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class InvalidTransition(Conflict):
    default_code = "invalid_transition"


class StaleVersion(Conflict):
    default_code = "stale_version"
