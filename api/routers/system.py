"""Is it up, which version is it, and its metrics for Prometheus."""

import base64
import hashlib
import re

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import DatabaseDep
from api.schemas import Version
from core import health
from core.version import PRODUCT_NAME, VERSION

API_VERSION = "v1"
# Where FastAPI's Swagger UI page loads its script, style sheet and icon from.
SWAGGER_CDN = "https://cdn.jsdelivr.net"
SWAGGER_FAVICON_ORIGIN = "https://fastapi.tiangolo.com"

# Outside /api/v1, and not rate limited: load balancers and Prometheus call these.
root_router = APIRouter(tags=["system"])
router = APIRouter(tags=["system"])


@root_router.get("/health", responses={503: {"model": health.Health}})
def check_health(request: Request, response: Response, database: DatabaseDep) -> health.Health:
    """200 when the database answers, 503 when not. A configured Redis that is down makes the
    status "degraded" (still 200: the API works without it); `down` lists what does not answer."""
    report = health.check(database, request.app.state.settings.redis_url)
    response.status_code = 200 if report.ok else 503
    return report


@root_router.get("/docs", include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    """The OpenAPI explorer (Swagger UI from its CDN), allowed to run only its own scripts."""
    return swagger_page(request.app.openapi_url, f"{request.app.title} - Swagger UI")


def swagger_page(openapi_url: str, title: str) -> HTMLResponse:
    html = get_swagger_ui_html(openapi_url=openapi_url, title=title).body.decode()
    # The page's one inline script starts Swagger UI; its hash lets exactly it run.
    inline = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    )
    policy = (
        f"default-src 'none'; script-src {SWAGGER_CDN} {inline}; style-src {SWAGGER_CDN}; "
        f"img-src {SWAGGER_FAVICON_ORIGIN} data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


@root_router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/version")
def version() -> Version:
    return Version(name=PRODUCT_NAME, version=VERSION, api=API_VERSION)
