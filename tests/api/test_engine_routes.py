"""Optimizing a campaign, and deciding on its recommendations and alerts, through the API."""

from datetime import timedelta

from sqlalchemy import select

from core.metrics import queries
from core.metrics.service import upsert_daily
from core.platforms.registry import Connectors
from db.models import Alert, Campaign
from tests.api.conftest import Api
from tests.conftest import TODAY, Tenant
from tests.integration.optimizer_setup import campaign_with_history, weak_and_strong, without_twitter


def optimize(api: Api, campaign_id: int, login: str = "acme-marketer"):
    return api.client.post(f"/api/v1/campaigns/{campaign_id}/optimize", headers=api.headers(login))


def test_optimize_runs_the_engine_on_that_campaign_and_returns_its_advice(api: Api, tenant: Tenant) -> None:
    connectors = Connectors(api.session, today=TODAY)
    campaign = weak_and_strong(api.session, tenant, connectors)
    untouched = weak_and_strong(api.session, tenant, connectors, name="Untouched")
    api.session.commit()

    response = optimize(api, campaign.id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["summary"]["campaigns"], body["summary"]["placements"]) == (1, 3)
    assert body["summary"]["today"] == str(TODAY)
    assert body["summary"]["recommendations_created"] == len(body["recommendations"]) > 0
    assert {r["campaign_id"] for r in body["recommendations"]} == {campaign.id}
    assert all(r["status"] == "pending" and r["reason"] for r in body["recommendations"])
    confidences = [r["confidence"] for r in body["recommendations"]]
    assert confidences == sorted(confidences, reverse=True)
    assert api.session.get(Campaign, untouched.id).last_optimization is None

    again = optimize(api, campaign.id).json()
    assert again["summary"]["recommendations_created"] == 0  # kept, not piled up
    assert [r["id"] for r in again["recommendations"]] == [r["id"] for r in body["recommendations"]]


def test_optimize_needs_write_and_the_callers_campaign(api: Api, tenant: Tenant) -> None:
    campaign = weak_and_strong(api.session, tenant, Connectors(api.session, today=TODAY))
    api.session.commit()
    assert optimize(api, campaign.id, "acme-viewer").status_code == 403
    refused = optimize(api, campaign.id, "globex-admin")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert optimize(api, 2**31).status_code == 422
    assert api.session.get(Campaign, campaign.id).last_optimization is None


def test_recommendations_listed_filtered_approved_and_rejected(api: Api, tenant: Tenant) -> None:
    connectors = Connectors(api.session, today=TODAY)
    campaign = weak_and_strong(api.session, tenant, connectors)
    second_campaign = without_twitter(api.session, tenant, connectors, "Second")
    api.session.commit()
    advised = optimize(api, campaign.id).json()["recommendations"]
    advised += optimize(api, second_campaign.id).json()["recommendations"]
    advised.sort(key=lambda r: (r["confidence"], r["id"]), reverse=True)  # the list's order
    assert len(advised) >= 2
    viewer = api.headers("acme-viewer")
    marketer = api.headers("acme-marketer")

    listed = api.client.get("/api/v1/recommendations", headers=viewer, params={"page_size": 1}).json()
    assert (listed["total"], listed["page"], listed["page_size"]) == (len(advised), 1, 1)
    assert listed["items"][0]["id"] == advised[0]["id"]
    kind = advised[0]["action"]
    of_kind = api.client.get("/api/v1/recommendations", headers=viewer, params={"type": kind}).json()
    assert of_kind["total"] == sum(r["action"] == kind for r in advised)
    assert (
        api.client.get(
            "/api/v1/recommendations", headers=viewer, params={"campaign_id": campaign.id + 1000}
        ).json()["total"]
        == 0
    )

    first, second, *rest = advised
    assert (
        api.client.post(f"/api/v1/recommendations/{first['id']}/approve", headers=viewer).status_code == 403
    )
    assert (
        api.client.post(
            "/api/v1/recommendations/reject", headers=viewer, json={"ids": [first["id"]]}
        ).status_code
        == 403
    )
    approved = api.client.post(f"/api/v1/recommendations/{first['id']}/approve", headers=marketer)
    assert approved.status_code == 200, approved.text
    assert approved.json()["id"] == first["id"]
    assert (approved.json()["status"], approved.json()["outcome"]) == ("applied", "applied")
    logged = api.client.get("/api/v1/actions", headers=viewer).json()["items"]
    assert first["id"] in {action["recommendation_id"] for action in logged}
    rejected = api.client.post(
        "/api/v1/recommendations/reject", headers=marketer, json={"ids": [second["id"], first["id"]]}
    )
    assert rejected.status_code == 200, rejected.text
    assert [(d["id"], d["outcome"]) for d in rejected.json()] == [
        (second["id"], "rejected"),
        (first["id"], "unchanged"),
    ]
    if rest:
        single = api.client.post(f"/api/v1/recommendations/{rest[0]['id']}/reject", headers=marketer).json()
        assert (single["status"], single["outcome"]) == ("rejected", "rejected")
    history = api.client.get(
        "/api/v1/recommendations", headers=viewer, params=[("status", "rejected"), ("status", "applied")]
    ).json()
    assert second["id"] in {r["id"] for r in history["items"]}


def test_recommendation_decisions_are_per_id_and_private_to_the_company(api: Api, tenant: Tenant) -> None:
    campaign = weak_and_strong(api.session, tenant, Connectors(api.session, today=TODAY))
    api.session.commit()
    advised = optimize(api, campaign.id).json()["recommendations"]
    outsider = api.headers("globex-admin")
    assert api.client.get("/api/v1/recommendations", headers=outsider).json()["total"] == 0
    for path in ("/api/v1/recommendations/approve", "/api/v1/recommendations/reject"):
        refused = api.client.post(path, headers=outsider, json={"ids": [advised[0]["id"]]})
        assert refused.status_code == 404
    assert (
        api.client.post(f"/api/v1/recommendations/{advised[0]['id']}/reject", headers=outsider).status_code
        == 404
    )
    marketer = api.headers("acme-marketer")
    mixed = api.client.post(
        "/api/v1/recommendations/approve", headers=marketer, json={"ids": [advised[0]["id"], 999_999]}
    )
    assert mixed.status_code == 404  # checked before anything changes
    assert api.client.get("/api/v1/recommendations", headers=marketer).json()["total"] == len(advised)
    for body, field in [
        ({"ids": []}, "ids"),
        ({"ids": ["x"]}, "ids.0"),
        ({}, "ids"),
        ({"ids": [1], "all": True}, "all"),
    ]:
        refused = api.client.post("/api/v1/recommendations/approve", headers=marketer, json=body)
        assert refused.status_code == 422, body
        assert field in refused.json()["error"]["details"]["fields"]
    bad_status = api.client.get("/api/v1/recommendations", headers=marketer, params={"status": "maybe"})
    assert bad_status.status_code == 422 and "status.0" in bad_status.json()["error"]["details"]["fields"]


def spend_glitch_yesterday(api: Api, tenant: Tenant) -> Campaign:
    """A campaign whose TikTok placement reported four times its usual spend yesterday."""
    connectors = Connectors(api.session, today=TODAY)
    campaign = campaign_with_history(
        api.session, tenant, connectors, "Glitch", {"tiktok": (300, {}), "facebook": (200, {})}
    )
    tiktok = next(p for p in campaign.platform_campaigns if p.platform == "tiktok")
    yesterday = queries.daily_by_placement(
        api.session, tenant.marketer, start=TODAY - timedelta(days=1), end=TODAY - timedelta(days=1)
    )
    day = yesterday[yesterday["platform_campaign_id"] == tiktok.id].assign(spend=lambda f: f["spend"] * 4)
    upsert_daily(api.session, tenant.marketer, day)
    api.session.commit()
    return campaign


def test_alerts_are_listed_acknowledged_and_resolved(api: Api, tenant: Tenant) -> None:
    campaign = spend_glitch_yesterday(api, tenant)
    assert optimize(api, campaign.id).json()["summary"]["alerts_opened"] > 0
    viewer, marketer = api.headers("acme-viewer"), api.headers("acme-marketer")

    listed = api.client.get("/api/v1/alerts", headers=viewer).json()
    assert listed["total"] > 0
    alert = listed["items"][0]
    assert (alert["campaign_id"], alert["metric"], alert["status"]) == (campaign.id, "spend", "open")
    assert alert["date"] == str(TODAY - timedelta(days=1)) and alert["severity"] == "high"
    assert api.client.get("/api/v1/alerts", headers=viewer, params={"severity": "high"}).json()["total"] >= 1
    assert (
        api.client.get("/api/v1/dashboard", headers=viewer).json()["open_alerts"]["total"] == listed["total"]
    )

    assert (
        api.client.post("/api/v1/alerts/acknowledge", headers=viewer, json={"ids": [alert["id"]]}).status_code
        == 403
    )
    assert (
        api.client.post(
            "/api/v1/alerts/resolve", headers=api.headers("globex-admin"), json={"ids": [alert["id"]]}
        ).status_code
        == 404
    )
    acknowledged = api.client.post(
        "/api/v1/alerts/acknowledge", headers=marketer, json={"ids": [alert["id"]]}
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()[0]["status"] == "acknowledged"
    resolved = api.client.post("/api/v1/alerts/resolve", headers=marketer, json={"ids": [alert["id"]]}).json()
    assert resolved[0]["status"] == "resolved" and resolved[0]["resolved_at"]
    assert api.client.get("/api/v1/alerts", headers=viewer).json()["total"] == listed["total"] - 1
    assert (
        api.client.get("/api/v1/alerts", headers=viewer, params={"status": "resolved"}).json()["total"] == 1
    )
    assert api.session.scalar(select(Alert.status).where(Alert.id == alert["id"])) == "resolved"
    assert api.client.get("/api/v1/alerts", headers=api.headers("globex-admin")).json()["total"] == 0
    refused = api.client.get("/api/v1/alerts", headers=viewer, params={"severity": "dire", "since": "soon"})
    assert refused.status_code == 422
    assert set(refused.json()["error"]["details"]["fields"]) == {"severity", "since"}
    assert api.client.post("/api/v1/alerts/resolve", headers=marketer, json={"ids": [0]}).status_code == 422
