"""What surrounds the routes: health, version, metrics, the access log, CORS, size limits, error shapes."""

import base64
import hashlib
import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_connectors
from core.version import VERSION
from db import Database
from tests.api.conftest import REDIS_URL, Api, generous_limiter, serve_on_session, settings_with


def test_health_reports_the_database_and_redis(api: Api, database: Database) -> None:
    response = api.client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"]["ok"] is True
    assert response.json()["redis"] is None  # not configured: counters live in the process

    assert response.json()["down"] == []

    for redis_url, status, down in ((REDIS_URL, "ok", []), ("redis://127.0.0.1:1/0", "degraded", ["redis"])):
        app = create_app(
            database, settings=settings_with(redis_url=redis_url), rate_limiter=generous_limiter()
        )
        with TestClient(app) as client:
            report = client.get("/health")
        assert report.status_code == 200  # Redis is optional: the API works without it
        assert (report.json()["status"], report.json()["down"]) == (status, down)
        assert report.json()["redis"]["ok"] is (status == "ok")


def test_health_is_503_when_the_database_is_down() -> None:
    unreachable = Database("postgresql+psycopg2://postgres@127.0.0.1:1/nowhere")
    with TestClient(create_app(unreachable, rate_limiter=generous_limiter())) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"]["ok"] is False
    assert response.json()["down"] == ["database"]
    unreachable.dispose()


def test_version(api: Api) -> None:
    assert api.client.get("/api/v1/version").json() == {"name": "AdFlowAI", "version": VERSION, "api": "v1"}


def test_prometheus_metrics_count_requests_by_route_template(api: Api) -> None:
    headers = api.headers("acme-viewer")
    for campaign_id in (1, 2):
        api.client.get(f"/api/v1/campaigns/{campaign_id}", headers=headers)
    text = api.client.get("/metrics").text
    assert (
        'adflow_api_requests_total{method="GET",route="/api/v1/campaigns/{campaign_id}",status="404"} 2.0'
        in text
    )
    assert (
        'adflow_api_request_duration_seconds_count{method="GET",route="/api/v1/campaigns/{campaign_id}"}'
        in text
    )
    assert 'route="/api/v1/campaigns/1"' not in text


def test_every_request_leaves_one_json_access_log_line(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    headers = api.headers("acme-viewer")
    with caplog.at_level(logging.INFO, logger="adflow.api.access"):
        response = api.client.get("/api/v1/campaigns/7", headers={**headers, "X-Request-ID": "trace-42"})
    assert response.headers["X-Request-ID"] == "trace-42"
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "adflow.api.access"]
    assert {k: line[k] for k in ("request_id", "method", "path", "route", "status")} == {
        "request_id": "trace-42",
        "method": "GET",
        "path": "/api/v1/campaigns/7",
        "route": "/api/v1/campaigns/{campaign_id}",
        "status": 404,
    }
    assert line["client"].startswith("user:")
    assert line["duration_ms"] >= 0


def test_cors_lets_configured_origins_in_and_no_one_else(
    session, database: Database, tenant, other_tenant
) -> None:
    settings = settings_with(api_cors_origins=["https://dashboard.example.com"])
    with serve_on_session(session, database, settings=settings) as client:
        preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "X-API-Key"}
        allowed = client.options(
            "/api/v1/campaigns", headers={"Origin": "https://dashboard.example.com", **preflight}
        )
        assert allowed.status_code == 200
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://dashboard.example.com"
        assert "x-api-key" in allowed.headers["Access-Control-Allow-Headers"].lower()
        refused = client.options("/api/v1/campaigns", headers={"Origin": "https://evil.example", **preflight})
        assert "Access-Control-Allow-Origin" not in refused.headers
        simple = client.get("/api/v1/version", headers={"Origin": "https://dashboard.example.com"})
        assert simple.headers["Access-Control-Allow-Origin"] == "https://dashboard.example.com"
        assert "X-RateLimit-Remaining" in simple.headers["Access-Control-Expose-Headers"]


def test_cors_origins_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.config import Settings

    monkeypatch.setenv("ADFLOW_API_CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings().api_cors_origins == ["https://a.example", "https://b.example"]


def test_a_body_over_the_limit_is_413_whether_announced_or_streamed(
    session, database: Database, tenant, other_tenant
) -> None:
    settings = settings_with(api_max_body_bytes=2048)
    with serve_on_session(session, database, settings=settings) as client:
        big = json.dumps({"username": "x" * 4000, "password": "y"})
        announced = client.post(
            "/api/v1/auth/login", content=big, headers={"Content-Type": "application/json"}
        )
        assert announced.status_code == 413
        assert announced.json()["error"]["code"] == "request_too_large"
        assert announced.json()["error"]["details"] == {"max_bytes": 2048}

        def chunks():
            for start in range(0, len(big), 512):
                yield big[start : start + 512].encode()

        streamed = client.post(
            "/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        assert streamed.json()["error"]["code"] == "request_too_large"
        small = client.post(
            "/api/v1/auth/login", json={"username": "acme-admin", "password": "correct horse"}
        )
        assert small.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/api/v1/no-such-thing", None, 404, "not_found"),
        ("PATCH", "/api/v1/campaigns", None, 405, "method_not_allowed"),
        ("POST", "/api/v1/auth/login", b"{not json", 422, "validation_error"),
        ("POST", "/api/v1/auth/login", b"[]", 422, "validation_error"),
        ("POST", "/api/v1/auth/login", b'{"username": "a"}', 422, "validation_error"),
    ],
)
def test_every_refusal_has_the_one_error_shape(
    api: Api, method: str, path: str, body: bytes | None, status: int, code: str
) -> None:
    response = api.client.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_an_unexpected_failure_is_a_logged_500_in_the_same_shape(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_connectors():
        raise RuntimeError("secret internals")

    api.client.app.dependency_overrides[get_connectors] = broken_connectors
    headers = api.headers("acme-viewer")
    with TestClient(api.client.app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/platforms/facebook/status", headers=headers)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret internals" not in response.text
    assert any("secret internals" in (r.exc_text or "") for r in caplog.records if r.levelno == logging.ERROR)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def test_every_answer_carries_the_security_headers_errors_included(api: Api) -> None:
    answers = [
        api.client.get("/api/v1/version"),
        api.client.get("/health"),
        api.client.get("/api/v1/campaigns"),  # 401
        api.client.get("/api/v1/no-such-route"),
        api.client.post("/api/v1/auth/login", json={"username": 1}),  # 422
    ]
    assert [a.status_code for a in answers] == [200, 200, 401, 404, 422]
    for answer in answers:
        assert {name: answer.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_the_docs_page_may_run_its_own_script_and_nothing_else(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    [inline] = re.findall(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert policy["script-src"] == f"https://cdn.jsdelivr.net 'sha256-{digest}'"
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert api.client.get("/redoc").status_code == 404
    assert api.client.get("/openapi.json").json()["info"]["title"] == "AdFlowAI API"
