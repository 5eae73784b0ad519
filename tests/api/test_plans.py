"""The planner through the API: plans, what-ifs, the frontier and backtests, and what is refused."""

from decimal import Decimal

import pytest

from core.platforms.registry import Connectors
from tests.api.conftest import Api
from tests.conftest import TODAY, Tenant
from tests.integration.optimizer_setup import weak_and_strong


@pytest.fixture
def campaign(api: Api, tenant: Tenant, connectors: Connectors):
    campaign = weak_and_strong(api.session, tenant, connectors)
    api.session.commit()
    return campaign


def test_a_viewer_gets_a_plan_whose_parts_add_up_to_the_total(api: Api, campaign) -> None:
    response = api.client.post(
        "/api/v1/plans",
        headers=api.headers("acme-viewer"),
        json={"weeks": 3, "total_budget": "15000.01", "campaign_id": campaign.id, "today": str(TODAY)},
    )
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["planned_spend"] == "15000.01" and plan["unallocated"] == "0.00"
    assert sum(Decimal(c["budget"]) for c in plan["cells"]) == Decimal("15000.01")
    assert len(plan["cells"]) == 3 * 3 and len(plan["week_totals"]) == 3
    assert plan["first_day"] == str(TODAY)
    band = plan["conversions"]
    assert band["p10"] <= band["p50"] <= band["p90"] and band["expected"] > 0
    placements = {p["platform"]: p for p in plan["placements"]}
    assert placements["google_ads"]["planned_daily"] > placements["twitter"]["planned_daily"]
    assert placements["google_ads"]["days_of_data"] >= 60 and placements["twitter"]["curve"]


def test_a_locked_placement_and_a_target_through_the_api(api: Api, campaign) -> None:
    twitter = next(p for p in campaign.platform_campaigns if p.platform == "twitter")
    response = api.client.post(
        "/api/v1/plans",
        headers=api.headers("acme-marketer"),
        json={
            "weeks": 2,
            "total_budget": "10500",
            "locks": [twitter.id],
            "target_cpa": "0.5",
            "today": str(TODAY),
        },
    )
    assert response.status_code == 200, response.text
    plan = response.json()
    assert {c["budget"] for c in plan["cells"] if c["placement_id"] == twitter.id} == {"1750.00"}
    assert plan["target"]["met"] is False and "cannot be reached" in plan["target"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weeks": 14, "total_budget": "100"}, "weeks"),
        ({"weeks": 2, "total_budget": "-1"}, "total_budget"),
        ({"weeks": 2, "total_budget": "100", "locks": [999999]}, "placements"),
        (
            {
                "weeks": 2,
                "total_budget": "10",
                "bounds": [{"placement_id": 0, "min_budget": "5", "max_budget": "1"}],
            },
            None,
        ),
    ],
)
def test_bad_plans_are_a_422_with_the_field_named(api: Api, campaign, body, field) -> None:
    placement = campaign.platform_campaigns[0].id
    for bound in body.get("bounds", []):
        bound["placement_id"] = placement
    response = api.client.post(
        "/api/v1/plans", headers=api.headers("acme-marketer"), json={**body, "today": str(TODAY)}
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["message"]
    if field:
        assert field in error["details"]["fields"]
    else:
        assert "above the maximum" in error["message"]


def test_another_companys_campaign_is_not_found_and_no_history_is_a_422(api: Api, campaign) -> None:
    globex = api.headers("globex-admin")
    foreign = api.client.post(
        "/api/v1/plans",
        headers=globex,
        json={"weeks": 2, "total_budget": "100", "campaign_id": campaign.id, "today": str(TODAY)},
    )
    assert foreign.status_code == 404
    empty = api.client.post("/api/v1/plans", headers=globex, json={"weeks": 2, "total_budget": "100"})
    assert empty.status_code == 422 and "no active placement" in empty.json()["error"]["message"]


def test_a_what_if_and_the_frontier(api: Api, campaign) -> None:
    headers = api.headers("acme-viewer")
    google = next(p for p in campaign.platform_campaigns if p.platform == "google_ads")
    response = api.client.post(
        "/api/v1/plans/what-if",
        headers=headers,
        json={"placement_id": google.id, "amount": "450", "weeks": 2, "today": str(TODAY)},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["what_if"]["daily_budgets"][str(google.id)] == "450.00"
    assert result["optimal"]["daily_total"] == result["what_if"]["daily_total"]
    assert result["current"]["conversions"]["expected"] > 0

    frontier = api.client.get(
        "/api/v1/plans/frontier", headers=headers, params={"campaign_id": campaign.id, "up_to": "1500"}
    )
    assert frontier.status_code == 200, frontier.text
    points = frontier.json()["points"]
    assert points[-1]["daily_total"] == 1500 and all(p["marginal_cpa"] for p in points)


def test_a_backtest_reports_weeks_and_its_caveat(api: Api, campaign) -> None:
    response = api.client.post(
        "/api/v1/backtests",
        headers=api.headers("acme-viewer"),
        json={"strategy": "allocator", "weeks": 3, "today": str(TODAY)},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert len(result["weeks"]) == 3 and "model estimate" in result["caveat"]
    assert result["strategy_spend"] == pytest.approx(result["actual_spend"], rel=1e-6)
    refused = api.client.post(
        "/api/v1/backtests", headers=api.headers("acme-viewer"), json={"strategy": "guess", "weeks": 3}
    )
    assert refused.status_code == 422


def test_a_backtest_of_the_rule_set_pauses_the_weak_placement(api: Api, campaign) -> None:
    twitter = next(p for p in campaign.platform_campaigns if p.platform == "twitter")
    response = api.client.post(
        "/api/v1/backtests",
        headers=api.headers("acme-viewer"),
        json={"strategy": "rules", "weeks": 2, "campaign_id": campaign.id, "today": str(TODAY)},
    )
    assert response.status_code == 200, response.text
    first_week = response.json()["weeks"][0]
    assert any(
        f"placement {twitter.id} (twitter)" in c and c.endswith("→ $0.00 a day")
        for c in first_week["changes"]
    )
