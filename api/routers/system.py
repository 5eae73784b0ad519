"""Is it up, which version is it, and its metrics for Prometheus."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import DatabaseDep
from api.schemas import Version
from core import health
from core.version import PRODUCT_NAME, VERSION

API_VERSION = "v1"

# Outside /api/v1, and not rate limited: load balancers and Prometheus call these.
root_router = APIRouter(tags=["system"])
router = APIRouter(tags=["system"])


@root_router.get("/health", responses={503: {"model": health.Health}})
def check_health(request: Request, response: Response, database: DatabaseDep) -> health.Health:
    """200 when the database answers (503 when not); Redis is reported, and optional."""
    report = health.check(database, request.app.state.settings.redis_url)
    response.status_code = 200 if report.ok else 503
    return report


@root_router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/version")
def version() -> Version:
    return Version(name=PRODUCT_NAME, version=VERSION, api=API_VERSION)
