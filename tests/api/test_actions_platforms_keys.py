"""The action history and undo, the platforms, and API keys, through the API."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api_keys import service as api_keys
from core.optimizer import impacts
from core.platforms.registry import Connectors
from db.models import ApiKey
from db.types import utcnow
from tests.api.conftest import Api
from tests.api.test_campaigns import create
from tests.conftest import TODAY, Tenant
from tests.integration.test_optimizer_impacts import applied_recommendation


def test_actions_are_listed_newest_first_and_undone(api: Api) -> None:
    headers = api.headers("acme-marketer")
    campaign = create(api, headers)
    path = f"/api/v1/campaigns/{campaign['id']}"
    api.client.put(path, headers=headers, json={"daily_budget": "60.00"})
    api.client.post(f"{path}/status", headers=headers, json={"status": "active"})

    history = api.client.get("/api/v1/actions", headers=api.headers("acme-viewer")).json()
    assert [a["action"] for a in history["items"]] == ["activate", "change_budget"]
    assert history["total"] == 2
    activate, budget = history["items"]
    assert budget["before_state"]["campaign"] == {"daily_budget": "100.00"}
    assert budget["performed_by"] == "acme-marketer"
    filtered = api.client.get("/api/v1/actions", headers=headers, params={"action": "change_budget"}).json()
    assert [a["id"] for a in filtered["items"]] == [budget["id"]]
    assert api.client.get("/api/v1/actions", headers=headers, params={"success": False}).json()["total"] == 0

    budget_undone = api.client.post(f"/api/v1/actions/{budget['id']}/undo", headers=headers)
    assert budget_undone.status_code == 200, budget_undone.text
    assert api.client.get(path, headers=headers).json()["daily_budget"] == "100.00"
    undone = api.client.post(f"/api/v1/actions/{activate['id']}/undo", headers=headers)
    assert undone.status_code == 200, undone.text
    assert (undone.json()["action"], undone.json()["success"], undone.json()["undo_of_id"]) == (
        "undo",
        True,
        activate["id"],
    )
    assert api.client.get(path, headers=headers).json()["status"] == "draft"
    assert api.client.post(f"/api/v1/actions/{activate['id']}/undo", headers=headers).status_code == 409


def test_actions_are_private_to_the_company_and_undo_needs_write(api: Api) -> None:
    headers = api.headers("acme-marketer")
    campaign = create(api, headers)
    api.client.put(f"/api/v1/campaigns/{campaign['id']}", headers=headers, json={"daily_budget": "60.00"})
    action_id = api.client.get("/api/v1/actions", headers=headers).json()["items"][0]["id"]
    assert api.client.get("/api/v1/actions", headers=api.headers("globex-admin")).json()["total"] == 0
    assert (
        api.client.post(f"/api/v1/actions/{action_id}/undo", headers=api.headers("globex-admin")).status_code
        == 404
    )
    assert (
        api.client.post(f"/api/v1/actions/{action_id}/undo", headers=api.headers("acme-viewer")).status_code
        == 403
    )
    bad = api.client.get("/api/v1/actions", headers=headers, params={"since": "yesterday", "page_size": 0})
    assert bad.status_code == 422
    assert set(bad.json()["error"]["details"]["fields"]) == {"since", "page_size"}


def test_platforms_and_their_status_count_only_the_companys_placements(api: Api) -> None:
    create(api, api.headers("acme-marketer"), platforms=["facebook", "tiktok"])
    create(api, api.headers("globex-admin"), platforms=["facebook"])
    headers = api.headers("acme-viewer")
    listed = {p["platform"]: p for p in api.client.get("/api/v1/platforms", headers=headers).json()}
    assert set(listed) == {"google_ads", "facebook", "instagram", "linkedin", "twitter", "tiktok"}
    assert (listed["facebook"]["placements"], listed["facebook"]["label"]) == (1, "Facebook")
    assert listed["google_ads"]["placements"] == 0
    status = api.client.get("/api/v1/platforms/facebook/status", headers=headers).json()
    assert status == {
        "platform": "facebook",
        "label": "Facebook",
        "reachable": True,
        "message": "Facebook answers.",
        "placements": 1,
    }
    assert api.client.get("/api/v1/platforms/myspace/status", headers=headers).status_code == 422
    assert api.client.get("/api/v1/platforms").status_code == 401


def test_an_api_key_is_shown_once_works_and_stops_when_revoked(api: Api) -> None:
    headers = api.headers("acme-marketer")
    issued = api.client.post("/api/v1/api-keys", headers=headers, json={"name": "nightly export"})
    assert issued.status_code == 201, issued.text
    key = issued.json()["key"]
    assert key.startswith(issued.json()["prefix"])
    stored = api.session.get(ApiKey, issued.json()["id"])
    assert key not in (stored.key_hash, stored.prefix)

    as_key = {"X-API-Key": key}
    campaign = create(api, as_key)  # the key acts as its owner, with the owner's role
    assert campaign["name"] == "Winter Sale"
    listed = api.client.get("/api/v1/api-keys", headers=as_key).json()
    assert [k["name"] for k in listed] == ["nightly export"]
    assert "key" not in listed[0]
    assert listed[0]["last_used"] is not None

    revoked = api.client.delete(f"/api/v1/api-keys/{issued.json()['id']}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["is_active"] is False
    refused = api.client.get("/api/v1/campaigns", headers=as_key)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"
    assert api.client.delete(f"/api/v1/api-keys/{issued.json()['id']}", headers=headers).status_code == 409


def test_api_keys_expire_and_wrong_keys_get_401(api: Api, tenant: Tenant) -> None:
    issued = api_keys.create(api.session, tenant.marketer, {"name": "short-lived", "expires_in_days": 1})
    api.session.commit()
    assert api.client.get("/api/v1/campaigns", headers={"X-API-Key": issued.key}).status_code == 200
    api.session.get(ApiKey, issued.record.id).expires_at = utcnow() - timedelta(seconds=1)
    api.session.commit()
    for key in (issued.key, issued.key[:-1] + "x", "afk_unknown", "nonsense", "afk_" + "é" * 300):
        response = api.client.get("/api/v1/campaigns", headers={"X-API-Key": key.encode()})
        assert response.status_code == 401, key


def test_who_sees_and_revokes_which_keys(api: Api) -> None:
    marketer, admin = api.headers("acme-marketer"), api.headers("acme-admin")
    mine = api.client.post("/api/v1/api-keys", headers=marketer, json={"name": "marketer's"}).json()
    api.client.post("/api/v1/api-keys", headers=admin, json={"name": "admin's"})
    assert [k["name"] for k in api.client.get("/api/v1/api-keys", headers=marketer).json()] == ["marketer's"]
    assert {k["name"] for k in api.client.get("/api/v1/api-keys", headers=admin).json()} == {
        "marketer's",
        "admin's",
    }
    viewer = api.headers("acme-viewer")
    assert api.client.post("/api/v1/api-keys", headers=viewer, json={"name": "viewer's"}).status_code == 403
    assert api.client.delete(f"/api/v1/api-keys/{mine['id']}", headers=viewer).status_code == 403
    assert (
        api.client.delete(f"/api/v1/api-keys/{mine['id']}", headers=api.headers("globex-admin")).status_code
        == 404
    )
    assert api.client.delete(f"/api/v1/api-keys/{mine['id']}", headers=admin).status_code == 200
    assert api.session.scalar(select(ApiKey.is_active).where(ApiKey.id == mine["id"])) is False
    bad = api.client.post("/api/v1/api-keys", headers=admin, json={"name": "", "expires_in_days": 0})
    assert set(bad.json()["error"]["details"]["fields"]) == {"name", "expires_in_days"}


def test_the_history_shows_what_an_applied_recommendation_measurably_did(
    api: Api, session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    proposal = applied_recommendation(session, tenant, connectors)
    impacts.measure_impacts(session, tenant.marketer, today=TODAY)

    history = api.client.get("/api/v1/actions", headers=api.headers("acme-viewer")).json()["items"]
    [applied] = [a for a in history if a["recommendation_id"] == proposal.id]
    impact = applied["impact"]
    assert (impact["metric"], impact["window_days"], impact["controls"]) == ("conversions", 14, 2)
    assert impact["did_low"] <= impact["did_effect"] <= impact["did_high"]
    assert impact["forecast_low"] <= impact["forecast_effect"] <= impact["forecast_high"]
    assert all(a["impact"] is None for a in history if a["id"] != applied["id"])  # nothing else measured
    assert api.client.get("/api/v1/actions", headers=api.headers("globex-viewer")).json()["items"] == []
