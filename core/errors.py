"""Errors a user can cause. Each door turns them into a form message, an HTTP 4xx or a job failure."""

from collections.abc import Mapping, Sequence
from typing import Any


class AdFlowError(Exception):
    """Base of the errors that carry a message meant for the person who caused them."""

    code = "error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(AdFlowError):
    """Input that breaks a rule. `errors` maps each offending field to why it was refused."""

    code = "validation_error"

    def __init__(self, errors: Mapping[str, str] | str, rows: Sequence[Mapping[str, Any]] = ()):
        self.errors = {"__all__": errors} if isinstance(errors, str) else dict(errors)
        self.rows = list(rows)
        message = "; ".join(
            text if field == "__all__" else f"{field}: {text}" for field, text in self.errors.items()
        )
        details: dict[str, Any] = {"fields": self.errors}
        if self.rows:
            details["rows"] = self.rows
        super().__init__(message, details)


class AuthenticationFailed(AdFlowError):
    code = "authentication_failed"


class TooManyAttempts(AdFlowError):
    """Refused for now after too many tries; `retry_after` seconds until trying is worth it again."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


class PermissionDenied(AdFlowError):
    code = "permission_denied"


class NotFound(AdFlowError):
    code = "not_found"


class Conflict(AdFlowError):
    code = "conflict"


class PlatformError(AdFlowError):
    """An ad platform (or its connector) refused or failed an operation."""

    code = "platform_error"
