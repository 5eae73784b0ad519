"""The FastAPI application: routers, error handlers and middleware, over one database."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.errors import install_error_handlers
from api.middleware import (
    REQUEST_ID_HEADER,
    AccessLogMiddleware,
    BodySizeLimitMiddleware,
    RateLimitMiddleware,
    RequestMetrics,
    SecurityHeadersMiddleware,
)
from api.routers import API_ROUTERS, ROOT_ROUTERS
from api.schemas import ERROR_RESPONSES
from core.auth.throttle import LoginThrottle
from core.cache import TimedCache
from core.config import Settings, get_settings
from core.database import get_database
from core.rate_limit import RateLimiter
from core.version import PRODUCT_NAME, VERSION
from db import Database

API_PREFIX = "/api/v1"
DESCRIPTION = """
The REST door to AdFlowAI: the same operations as the app, for integrations and scripts.

Sign in with `POST /api/v1/auth/login` and send `Authorization: Bearer <access_token>`, or create
a key with `POST /api/v1/api-keys` and send it as `X-API-Key`. Every error has the shape
`{"error": {"code", "message", "details"}}`.
"""


def create_app(
    database: Database | None = None,
    *,
    settings: Settings | None = None,
    rate_limiter: RateLimiter | None = None,
    login_throttle: LoginThrottle | None = None,
) -> FastAPI:
    """The API over `database` (the configured one by default); tests hand in their own."""
    settings = settings or get_settings()
    limiter = rate_limiter or RateLimiter(
        settings.api_rate_limit,
        settings.api_rate_limit_window_seconds,
        redis_url=settings.redis_url,
        key_prefix=f"{settings.redis_key_prefix}ratelimit",
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await limiter.aclose()
        await app.state.reads.aclose()

    # /docs is served by the system router, with a content security policy of its own.
    app = FastAPI(
        title=f"{PRODUCT_NAME} API",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.database = database or get_database()
    app.state.reads = app.state.database.async_reads(pool_size=settings.api_read_connections)
    app.state.session_slots = asyncio.Semaphore(app.state.database.engine.pool.size())
    app.state.settings = settings
    app.state.metrics = RequestMetrics()
    app.state.summaries = TimedCache(settings.api_summary_cache_seconds)
    app.state.login_throttle = login_throttle or LoginThrottle.from_settings(settings)
    install_error_handlers(app)
    for router in ROOT_ROUTERS:
        app.include_router(router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    # Added innermost first: the access log sees everything, CORS headers reach 413s and 429s too.
    app.add_middleware(RateLimitMiddleware, limiter=limiter, path_prefix=API_PREFIX + "/")
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.api_max_body_bytes,
        larger={f"{API_PREFIX}/imports": settings.api_max_upload_bytes},
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.api_cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key", REQUEST_ID_HEADER],
        expose_headers=["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(AccessLogMiddleware, metrics=app.state.metrics)
    return app


def create_server_app() -> FastAPI:
    """The configured API for a server process (uvicorn's factory, called in each worker)."""
    app = create_app()
    # What is loaded by now lives as long as the process: kept out of the garbage collector's
    # full passes, which otherwise stalled every request in flight for tens of milliseconds.
    gc.collect()
    gc.freeze()
    return app
