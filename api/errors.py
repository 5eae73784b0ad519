"""One error shape for every refusal: {"error": {"code", "message", "details"}}.

Core errors map to their HTTP status here, and only here; anything unexpected becomes a logged
500 in the same shape, without a traceback.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException

from core.errors import (
    AdFlowError,
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    PlatformError,
    TooManyAttempts,
    ValidationError,
)
from core.validation import field_messages

logger = logging.getLogger(__name__)

STATUS_OF: dict[type[AdFlowError], int] = {
    ValidationError: 422,
    AuthenticationFailed: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    PlatformError: 502,
    TooManyAttempts: 429,
}
CODE_OF_STATUS = {
    400: "bad_request",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}
# The request parts FastAPI names first in an error's location; the field name follows.
REQUEST_PARTS = ("body", "query", "path", "header", "cookie")


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details}}, status_code=status, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AdFlowError, _core_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)


async def _core_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AdFlowError)
    status = next((s for kind, s in STATUS_OF.items() if isinstance(exc, kind)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    return error_response(status, exc.code, exc.message, exc.details, headers)


async def _request_invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = field_messages(exc.errors(), containers=REQUEST_PARTS)
    message = "; ".join(f"{field}: {text}" for field, text in fields.items())
    return error_response(422, "validation_error", message, {"fields": fields})


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = CODE_OF_STATUS.get(exc.status_code, f"http_{exc.status_code}")
    return error_response(exc.status_code, code, str(exc.detail), None, exc.headers)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # Two requests racing for the same unique name: the loser hears it as any other conflict.
    logger.info("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return error_response(409, "conflict", "That clashes with data saved meanwhile; try again.")


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    logger.info("data error on %s %s: %s", request.method, request.url.path, exc)
    return error_response(422, "validation_error", "A value is out of the range the database can store.")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on our side; it has been logged.")
