"""What every request goes through: an access log line and metrics, security headers, a body size
limit, a rate limit.

Plain ASGI middleware (no per-request task or body buffering), so the floor stays low.
"""

import json
import logging
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from core.auth import tokens
from core.errors import AuthenticationFailed
from core.rate_limit import RateLimiter
from core.security import hash_api_key

access_log = logging.getLogger("adflow.api.access")

REQUEST_ID_HEADER = "x-request-id"
_MAX_REQUEST_ID_LENGTH = 64
# Who a request counts against, for the rate limit and the access log.
CLIENT_STATE_KEY = "client"


class RequestMetrics:
    """Prometheus counters of one application, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "adflow_api_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "adflow_api_request_duration_seconds",
            "Time to answer a request, by route template",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )


class AccessLogMiddleware:
    """One JSON line per request, a request id echoed back, and the Prometheus metrics."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        status = 500  # unless a response starts, the request failed

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(elapsed)
            access_log.info(
                json.dumps(
                    {
                        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "client": scope.get("state", {}).get(CLIENT_STATE_KEY) or _address(scope),
                    }
                )
            )


# Every answer is data, never a page to frame, sniff or load anything into; /docs sets its own policy.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)


class SecurityHeadersMiddleware:
    """The usual security headers on every response, errors included, unless a route set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in SECURITY_HEADERS if name not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Refuse bodies over the limit with 413: at once when Content-Length says so, else as they stream."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths that take files (CSV uploads) and their own, larger, limits.
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"].rstrip("/"), self.max_bytes)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refusal(limit)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI passes an HTTPException raised while reading the body on to the handlers.
                    raise HTTPException(413, self._message(limit))
            return message

        await self.app(scope, limited_receive, send)

    @staticmethod
    def _message(limit: int) -> str:
        return f"The request body is larger than {limit:,} bytes."

    def _refusal(self, limit: int) -> JSONResponse:
        return error_response(413, "request_too_large", self._message(limit), {"max_bytes": limit})


class RateLimitMiddleware:
    """At most `limit` requests per window per client (an API key, a user, else an address).

    Only the API is limited: health checks and metrics scrapes must always get through.
    """

    def __init__(self, app: ASGIApp, limiter: RateLimiter, path_prefix: str) -> None:
        self.app = app
        self.limiter = limiter
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path_prefix):
            await self.app(scope, receive, send)
            return
        client = client_identity(scope)
        scope.setdefault("state", {})[CLIENT_STATE_KEY] = client
        decision = await self.limiter.hit(client)
        headers = {
            "X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(decision.remaining),
            "X-RateLimit-Reset": str(decision.reset_after),
        }
        if not decision.allowed:
            window = self.limiter.window_seconds
            response = error_response(
                429,
                "rate_limited",
                f"Too many requests: at most {decision.limit} per {window} s; "
                f"try again in {decision.reset_after} s.",
                {"limit": decision.limit, "window_seconds": window, "retry_after": decision.reset_after},
                {**headers, "Retry-After": str(decision.reset_after)},
            )
            await response(scope, receive, send)
            return
        encoded = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *encoded]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def route_template(scope: Scope) -> str:
    """The matched route as a template with its full prefix ("/api/v1/campaigns/{campaign_id}").

    An included router's route knows only its own part of the path; the prefix is what comes
    before it in the real path (none of our routes takes a parameter spanning slashes).
    """
    route_path = getattr(scope.get("route"), "path", None)
    if route_path is None:
        return "unmatched"
    segments = scope["path"].rstrip("/").split("/")
    depth = route_path.rstrip("/").count("/")
    return "/".join(segments[: max(1, len(segments) - depth)]) + route_path


def client_identity(scope: Scope) -> str:
    """An API key (by its hash), the user of a genuine access token, or else the caller's address.

    Only the token's signature is checked here (no database): which account it is decides the
    bucket, and the route itself still refuses a token whose account was switched off.
    """
    headers = Headers(scope=scope)
    if api_key := headers.get("x-api-key"):
        return "key:" + hash_api_key(api_key)[:16]
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        try:
            return f"user:{tokens.decode(credentials.strip(), tokens.TokenType.ACCESS).user_id}"
        except AuthenticationFailed:
            pass
    return f"ip:{_address(scope)}"


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _request_id(offered: str | None) -> str:
    """The caller's request id when it is a sane token, else a new one."""
    sane = offered and len(offered) <= _MAX_REQUEST_ID_LENGTH and offered.isascii()
    if sane and offered.replace("-", "").isalnum():
        return offered
    return uuid.uuid4().hex
