"""Campaigns through the API: the CRUD, lists, metrics, and who may see and change what."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from api.deps import get_connectors
from core.campaigns import service as campaigns
from core.campaigns.schemas import CampaignPublic
from core.errors import PlatformError
from core.metrics.service import upsert_daily
from core.platforms.registry import Connectors
from db.models import Campaign, OptimizationLog
from tests.api.conftest import Api
from tests.conftest import Tenant

NEW = {
    "name": "Winter Sale",
    "objective": "sales",
    "total_budget": "3000.00",
    "daily_budget": "100.00",
    "start_date": "2026-11-01",
    "end_date": "2026-12-31",
    "platforms": ["google_ads", "facebook", "tiktok"],
}


def create(api: Api, headers: dict, **changes) -> dict:
    response = api.client.post("/api/v1/campaigns", headers=headers, json={**NEW, **changes})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_then_read_back(api: Api) -> None:
    headers = api.headers("acme-marketer")
    created = create(api, headers, target_cpa="25.50", target_audience={"age": "25-44"})
    assert created["status"] == "draft"
    assert created["total_budget"] == "3000.00"
    assert created["remaining_budget"] == "3000.00"
    assert {p["platform"]: p["allocated_budget"] for p in created["placements"]} == {
        "facebook": "33.33",
        "google_ads": "33.34",
        "tiktok": "33.33",
    }
    fetched = api.client.get(f"/api/v1/campaigns/{created['id']}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_a_bad_campaign_is_422_naming_the_field_and_writes_nothing(api: Api) -> None:
    headers = api.headers("acme-marketer")
    count = api.session.scalar(select(func.count()).select_from(Campaign))
    for changes, field in [
        ({"daily_budget": "5000.00"}, "daily_budget"),
        ({"end_date": "2026-10-01"}, "end_date"),
        ({"name": "   "}, "name"),
        ({"total_budget": "-1"}, "total_budget"),
        ({"platforms": ["myspace"]}, "platforms.0"),
        ({"status": "active", "platforms": []}, "platforms"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"description": "nul\x00byte"}, "description"),
    ]:
        response = api.client.post("/api/v1/campaigns", headers=headers, json={**NEW, **changes})
        assert response.status_code == 422, (changes, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert field in error["details"]["fields"], (changes, error)
    assert api.session.scalar(select(func.count()).select_from(Campaign)) == count


def test_update_status_platforms_and_delete_archives(api: Api) -> None:
    headers = api.headers("acme-marketer")
    campaign = create(api, headers)
    path = f"/api/v1/campaigns/{campaign['id']}"
    updated = api.client.put(path, headers=headers, json={"name": "Winter Sale II", "daily_budget": "60.00"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Winter Sale II"
    assert sorted(p["allocated_budget"] for p in updated.json()["placements"]) == ["20.00", "20.00", "20.00"]
    assert api.client.put(path, headers=headers, json={"total_budget": "10.00"}).status_code == 422
    nulls = api.client.put(path, headers=headers, json={"daily_budget": None, "name": None})
    assert set(nulls.json()["error"]["details"]["fields"]) == {"daily_budget", "name"}
    cleared = api.client.put(path, headers=headers, json={"end_date": None})
    assert cleared.status_code == 200
    assert cleared.json()["end_date"] is None

    active = api.client.post(f"{path}/status", headers=headers, json={"status": "active"})
    assert active.json()["status"] == "active"
    split = api.client.put(
        f"{path}/platforms",
        headers=headers,
        json={"budget_split": {"google_ads": "45.00", "linkedin": "15.00"}},
    )
    assert split.status_code == 200, split.text
    assert {p["platform"]: p["is_active"] for p in split.json()["placements"]} == {
        "facebook": False,
        "google_ads": True,
        "linkedin": True,
        "tiktok": False,
    }
    illegal = api.client.post(f"{path}/status", headers=headers, json={"status": "draft"})
    assert illegal.status_code == 409
    assert illegal.json()["error"]["code"] == "conflict"

    deleted = api.client.delete(path, headers=headers)
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "archived"
    assert api.client.get(path, headers=headers).json()["status"] == "archived"
    assert api.client.put(path, headers=headers, json={"name": "Back"}).status_code == 409
    listed = api.client.get("/api/v1/campaigns", headers=headers).json()
    assert campaign["id"] not in [c["id"] for c in listed["items"]]


def test_list_filters_sorts_and_pages(api: Api) -> None:
    headers = api.headers("acme-marketer")
    for i in range(5):
        create(
            api,
            headers,
            name=f"Campaign {i}",
            objective="sales" if i % 2 else "leads",
            total_budget=f"{1000 + i}.00",
            platforms=["linkedin"] if i == 4 else ["facebook"],
        )
    get = lambda **params: api.client.get("/api/v1/campaigns", headers=headers, params=params).json()  # noqa: E731
    page = get(page=2, page_size=2, sort="total_budget", descending=False)
    assert [c["name"] for c in page["items"]] == ["Campaign 2", "Campaign 3"]
    assert (page["total"], page["page"], page["page_size"]) == (5, 2, 2)
    assert get(objective="sales")["total"] == 2
    assert [c["name"] for c in get(platform="linkedin")["items"]] == ["Campaign 4"]
    assert get(search="PAIGN 3")["total"] == 1
    assert get(status=["draft", "active"])["total"] == 5
    assert get(status="active")["total"] == 0
    refused = api.client.get(
        "/api/v1/campaigns", headers=headers, params={"page_size": 1000, "sort": "password"}
    )
    assert refused.status_code == 422
    assert set(refused.json()["error"]["details"]["fields"]) == {"page_size", "sort"}


def test_a_campaign_reads_the_same_from_the_list_and_one_by_one_as_its_model_writes_it(
    api: Api, tenant: Tenant
) -> None:
    """On PostgreSQL these two routes have the database write their JSON: it must be CampaignPublic's."""
    headers = api.headers("acme-marketer")
    plain = create(api, headers, name="Plain")
    awkward = create(api, headers, name="Awkward", platforms=["tiktok", "facebook", "google_ads"])
    bare = create(api, headers, name="No placements left")
    campaign = api.session.get(Campaign, awkward["id"])
    campaign.name = 'Quotes "and" back\\slash, ünïcödé 🎯, a\ttab and a\nnew line'
    campaign.description = "control \x01 character; 100% _real_"
    campaign.target_audience = {"age": [25, 44], "geo": {"countries": ["DE", "FR"]}, "note": None}
    campaign.target_cpa, campaign.target_roas = Decimal("12.30"), 3.0
    campaign.spent_budget, campaign.revenue = Decimal("3000.00"), Decimal("0.05")
    campaign.impressions, campaign.clicks, campaign.conversions = 10**12, 7, Decimal("12.3456")
    campaign.ctr, campaign.cpc, campaign.cpa, campaign.roas = 1e-05, None, 0.1 + 0.2, 123456789.123
    campaign.performance_score = 0.123456789012345
    campaign.status = "archived"
    campaign.last_optimization = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)  # no fraction of a second
    campaign.created_at = datetime(2026, 10, 31, 23, 59, 59, 250000, tzinfo=UTC)
    for placement in campaign.platform_campaigns:
        placement.last_synced = datetime(2026, 11, 1, 6, 0, 0, 1, tzinfo=UTC)
        placement.performance_score = 0.5
    for placement in api.session.get(Campaign, bare["id"]).platform_campaigns:
        api.session.delete(placement)
    api.session.commit()
    api.session.expire_all()

    def as_the_model_writes_it(campaign_id: int) -> dict:
        return CampaignPublic.model_validate(
            campaigns.get(api.session, tenant.marketer, campaign_id)
        ).model_dump(mode="json")

    expected = {c["id"]: as_the_model_writes_it(c["id"]) for c in (plain, awkward, bare)}
    assert expected[bare["id"]]["placements"] == []
    for campaign_id, written in expected.items():
        assert api.client.get(f"/api/v1/campaigns/{campaign_id}", headers=headers).json() == written
    listed = api.client.get(
        "/api/v1/campaigns",
        headers=headers,
        params={"include_archived": True, "sort": "name", "descending": False},
    ).json()
    assert listed["items"] == sorted(expected.values(), key=lambda c: c["name"])
    assert (listed["total"], listed["page"], listed["page_size"]) == (3, 1, 25)


def test_metrics_by_day_and_week_with_totals(api: Api, tenant: Tenant) -> None:
    headers = api.headers("acme-viewer")
    campaign = create(api, api.headers("acme-marketer"), platforms=["google_ads", "facebook"])
    monday = date(2026, 10, 5)
    frame = pd.DataFrame(
        [
            {
                "platform_campaign_id": placement["id"],
                "date": monday + timedelta(days=day),
                "impressions": 1000,
                "clicks": 50,
                "conversions": 5 if placement["platform"] == "google_ads" else 0,
                "spend": 100.0,
                "revenue": 300.0,
            }
            for placement in campaign["placements"]
            for day in range(10)
        ]
    )
    upsert_daily(api.session, tenant.marketer, frame)
    api.session.commit()
    path = f"/api/v1/campaigns/{campaign['id']}/metrics"

    daily = api.client.get(path, headers=headers, params={"start": "2026-10-06", "end": "2026-10-08"}).json()
    assert [p["period"] for p in daily["points"]] == ["2026-10-06", "2026-10-07", "2026-10-08"]
    assert daily["points"][0]["impressions"] == 2000
    assert daily["totals"]["spend"] == "600.00"
    assert daily["totals"]["cpa"] == pytest.approx(600 / 15)  # a ratio of sums
    assert daily["totals"]["ctr"] == pytest.approx(0.05)

    weekly = api.client.get(path, headers=headers, params={"granularity": "week"}).json()
    assert [(p["period"], p["clicks"]) for p in weekly["points"]] == [
        ("2026-10-05", 700),
        ("2026-10-12", 300),
    ]
    empty = api.client.get(path, headers=headers, params={"start": "2027-01-01"}).json()
    assert empty["points"] == []
    assert empty["totals"]["cpa"] is None  # undefined, not 0

    backwards = api.client.get(path, headers=headers, params={"start": "2026-10-08", "end": "2026-10-01"})
    assert backwards.status_code == 422
    assert "end" in backwards.json()["error"]["details"]["fields"]
    assert api.client.get(path, headers=headers, params={"granularity": "hour"}).status_code == 422


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "", NEW),
        ("PUT", "/{id}", {"name": "Mine"}),
        ("DELETE", "/{id}", None),
        ("POST", "/{id}/status", {"status": "active"}),
        ("PUT", "/{id}/platforms", {"budget_split": {"facebook": "100.00"}}),
        ("POST", "/{id}", {"not": "even valid"}),
    ],
)
def test_a_viewer_gets_403_on_any_change(api: Api, method: str, suffix: str, body: dict | None) -> None:
    campaign = create(api, api.headers("acme-marketer"))
    viewer = api.headers("acme-viewer")
    path = "/api/v1/campaigns" + suffix.format(id=campaign["id"])
    response = api.client.request(method, path, headers=viewer, json=body)
    assert response.status_code in (403, 405), response.text
    if response.status_code == 403:
        assert response.json()["error"]["code"] == "permission_denied"
    after = api.client.get(f"/api/v1/campaigns/{campaign['id']}", headers=viewer).json()
    assert (after["name"], after["status"]) == (campaign["name"], campaign["status"])


def test_a_viewer_is_refused_before_a_bad_body_is_even_read(api: Api) -> None:
    response = api.client.post("/api/v1/campaigns", headers=api.headers("acme-viewer"), json={"name": 1})
    assert response.status_code == 403


def test_another_companys_campaign_is_404_for_every_route(api: Api) -> None:
    campaign = create(api, api.headers("acme-marketer"))
    intruder = api.headers("globex-admin")
    path = f"/api/v1/campaigns/{campaign['id']}"
    for method, suffix, body in [
        ("GET", "", None),
        ("PUT", "", {"name": "Hijacked"}),
        ("DELETE", "", None),
        ("GET", "/metrics", None),
        ("POST", "/status", {"status": "active"}),
        ("PUT", "/platforms", {"budget_split": {"facebook": "100.00"}}),
    ]:
        response = api.client.request(method, path + suffix, headers=intruder, json=body)
        assert response.status_code == 404, (method, suffix, response.text)
        assert response.json()["error"] == {
            "code": "not_found",
            "message": f"No campaign #{campaign['id']}.",
            "details": None,
        }
    assert api.client.get("/api/v1/campaigns", headers=intruder).json()["total"] == 0
    untouched = api.client.get(path, headers=api.headers("acme-viewer")).json()
    assert (untouched["name"], untouched["status"]) == ("Winter Sale", "draft")


def test_ids_beyond_any_row_are_refused_before_the_database(api: Api) -> None:
    headers = api.headers("acme-viewer")
    for campaign_id in ("0", "-1", str(2**31), str(10**30), "abc"):
        assert api.client.get(f"/api/v1/campaigns/{campaign_id}", headers=headers).status_code == 422


def test_a_platform_refusal_is_a_409_and_changes_nothing(api: Api) -> None:
    headers = api.headers("acme-marketer")
    campaign = create(api, headers)

    class RefusingPlatform:
        def __init__(self, platform):
            self.platform = platform

        def set_daily_budget(self, external_id, amount):
            raise PlatformError("budget changes are frozen")

        pause = resume = set_daily_budget

    api.client.app.dependency_overrides[get_connectors] = lambda: Connectors(
        api.session, factory=lambda _, platform: RefusingPlatform(platform)
    )
    response = api.client.put(
        f"/api/v1/campaigns/{campaign['id']}", headers=headers, json={"daily_budget": "50"}
    )
    assert response.status_code == 409
    assert "budget changes are frozen" in response.json()["error"]["message"]
    assert (
        api.client.get(f"/api/v1/campaigns/{campaign['id']}", headers=headers).json()["daily_budget"]
        == "100.00"
    )
    assert api.session.scalar(select(func.count()).select_from(OptimizationLog)) == 0
