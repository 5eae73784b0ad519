"""The dashboard, the reports and the CSV export through the API: figures, defaults, roles, tenants."""

import csv
import io
from datetime import date, timedelta

import pandas as pd
import pytest

from core.metrics.service import upsert_daily
from tests.api.conftest import Api
from tests.api.test_campaigns import create
from tests.conftest import TODAY, Tenant

# The 30 complete days before TODAY (2026-11-01), and the 30 before those.
PERIOD_START, PERIOD_END = date(2026, 10, 2), date(2026, 10, 31)


def with_days(
    api: Api, tenant: Tenant, headers: dict, days: dict[date, tuple[int, int, float, float]]
) -> dict:
    """An active campaign on Google Ads and Facebook, each placement with these (clicks,
    conversions, spend, revenue) per day and 20 impressions per click."""
    campaign = create(api, headers, status="active", platforms=["google_ads", "facebook"], end_date=None)
    frame = pd.DataFrame(
        [
            {
                "platform_campaign_id": placement["id"],
                "date": day,
                "impressions": clicks * 20,
                "clicks": clicks,
                "conversions": conversions,
                "spend": spend,
                "revenue": revenue,
            }
            for placement in campaign["placements"]
            for day, (clicks, conversions, spend, revenue) in days.items()
        ]
    )
    upsert_daily(api.session, tenant.marketer, frame)
    api.session.commit()
    return campaign


def test_summary_defaults_to_the_last_30_days_and_compares_with_the_30_before(
    api: Api, tenant: Tenant
) -> None:
    with_days(
        api,
        tenant,
        api.headers("acme-marketer"),
        {
            PERIOD_END: (100, 10, 200.0, 600.0),  # in the period
            PERIOD_START: (50, 0, 100.0, 0.0),  # in the period
            PERIOD_START - timedelta(days=1): (100, 5, 150.0, 300.0),  # the previous period
            TODAY: (999, 99, 999.0, 999.0),  # today is not over: not counted
        },
    )
    response = api.client.get("/api/v1/dashboard/summary", headers=api.headers("acme-viewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == {"start": "2026-10-02", "end": "2026-10-31"}
    assert body["previous_period"] == {"start": "2026-09-02", "end": "2026-10-01"}
    kpis = {k["metric"]: k for k in body["kpis"]}
    assert kpis["spend"]["value"] == 600.0 and kpis["spend"]["previous"] == 300.0
    assert kpis["spend"]["change"] == pytest.approx(1.0)
    assert kpis["cpa"]["value"] == pytest.approx(600 / 20)  # a ratio of sums, both placements
    assert kpis["cpa"]["lower_is_better"] is True
    assert body["totals"]["clicks"] == 300 and body["totals"]["ctr"] == pytest.approx(0.05)
    assert body["active_campaigns"] == 1

    narrow = api.client.get(
        "/api/v1/dashboard/summary",
        headers=api.headers("acme-viewer"),
        params={"start": "2026-10-31", "end": "2026-10-31"},
    ).json()
    assert narrow["kpis"][0] == {
        "metric": "spend",
        "value": 400.0,
        "previous": 0.0,
        "change": None,  # nothing to compare with
        "lower_is_better": False,
    }


def test_the_overview_has_trend_platforms_alerts_and_pacing(api: Api, tenant: Tenant) -> None:
    with_days(
        api,
        tenant,
        api.headers("acme-marketer"),
        {date(2026, 10, 30): (10, 1, 20.0, 50.0), date(2026, 10, 31): (10, 0, 10.0, 0.0)},
    )
    response = api.client.get(
        "/api/v1/dashboard",
        headers=api.headers("acme-viewer"),
        params={"start": "2026-10-30", "end": "2026-10-31"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(p["date"], p["spend"], p["cpa"]) for p in body["trend"]] == [
        ("2026-10-30", 40.0, 20.0),
        ("2026-10-31", 20.0, None),  # no conversions: undefined, not 0
    ]
    assert len(body["trend_by_platform"]) == 4
    assert {p["platform"]: p["share_of_spend"] for p in body["platforms"]} == {
        "google_ads": 0.5,
        "facebook": 0.5,
    }
    assert body["platforms"][0]["platform_label"] in ("Google Ads", "Facebook")
    assert body["open_alerts"] == {"items": [], "total": 0, "page": 1, "page_size": 10}
    assert set(body["pacing"]["counts"]) >= {"on_pace", "overspending", "underspending"}
    assert body["summary"]["kpis"][0]["value"] == 60.0


def test_dashboards_are_the_callers_company_only_and_bad_ranges_are_422(api: Api, tenant: Tenant) -> None:
    with_days(api, tenant, api.headers("acme-marketer"), {PERIOD_END: (100, 10, 200.0, 600.0)})
    other = api.client.get("/api/v1/dashboard/summary", headers=api.headers("globex-admin")).json()
    assert other["totals"]["spend"] == 0 and other["active_campaigns"] == 0
    assert api.client.get("/api/v1/dashboard", headers=api.headers("globex-admin")).json()["platforms"] == []
    headers = api.headers("acme-viewer")
    for params, field in [
        ({"start": "2026-10-31", "end": "2026-10-01"}, "end"),
        ({"start": "yesterday"}, "start"),
        ({"start": "1900-01-01"}, "start"),
        ({"start": "2001-01-01", "end": "2026-01-01"}, "start"),
        ({"days": "7"}, "days"),
    ]:
        for path in ("/api/v1/dashboard", "/api/v1/dashboard/summary"):
            refused = api.client.get(path, headers=headers, params=params)
            assert refused.status_code == 422, (path, params, refused.text)
            assert field in refused.json()["error"]["details"]["fields"]
    assert api.client.get("/api/v1/dashboard/summary").status_code == 401


def test_campaign_report_and_analytics_with_forecast(api: Api, tenant: Tenant) -> None:
    days = {PERIOD_END - timedelta(days=i): (100, 4, 50.0, 150.0) for i in range(28)}
    campaign = with_days(api, tenant, api.headers("acme-marketer"), days)
    headers = api.headers("acme-viewer")

    report = api.client.get(f"/api/v1/reports/campaign/{campaign['id']}", headers=headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["campaign_id"], body["status"]) == (campaign["id"], "active")
    assert body["period"] == {"start": "2026-10-02", "end": "2026-10-31"}
    assert body["totals"]["spend"] == 2 * 28 * 50.0
    assert body["totals"]["roas"] == pytest.approx(3.0)
    assert {p["platform"]: p["share_of_spend"] for p in body["placements"]} == {
        "google_ads": 0.5,
        "facebook": 0.5,
    }
    assert len(body["daily"]) == 2 * 28

    analytics = api.client.get(
        f"/api/v1/campaigns/{campaign['id']}/analytics", headers=headers, params={"forecast_days": 7}
    )
    assert analytics.status_code == 200, analytics.text
    forecast = analytics.json()["forecast"]
    assert [day["date"] for day in forecast] == [str(TODAY + timedelta(days=i)) for i in range(7)]
    assert all(day["spend_low"] <= day["spend"] <= day["spend_high"] for day in forecast)
    assert forecast[0]["spend"] == pytest.approx(100.0, rel=0.2)  # two placements at 50 a day
    assert analytics.json()["forecast_pacing"]["status"] == "open_ended"  # no end date
    assert analytics.json()["report"] == body

    for path in (
        f"/api/v1/reports/campaign/{campaign['id']}",
        f"/api/v1/campaigns/{campaign['id']}/analytics",
    ):
        assert api.client.get(path, headers=api.headers("globex-admin")).status_code == 404
        assert api.client.get(path.replace(str(campaign["id"]), "999999"), headers=headers).status_code == 404
        backwards = api.client.get(path, headers=headers, params={"start": "2026-10-31", "end": "2026-10-01"})
        assert backwards.status_code == 422
    too_far = api.client.get(
        f"/api/v1/campaigns/{campaign['id']}/analytics", headers=headers, params={"forecast_days": 91}
    )
    assert too_far.status_code == 422 and "forecast_days" in too_far.json()["error"]["details"]["fields"]


def test_performance_by_platform_and_by_campaign(api: Api, tenant: Tenant) -> None:
    headers = api.headers("acme-marketer")
    first = with_days(api, tenant, headers, {PERIOD_END: (100, 10, 200.0, 600.0)})
    second = with_days(api, tenant, headers, {PERIOD_END: (100, 0, 100.0, 0.0)})
    viewer = api.headers("acme-viewer")

    by_platform = api.client.get("/api/v1/reports/performance", headers=viewer).json()
    assert by_platform["by"] == "platform"
    assert {r["platform"]: r["share_of_spend"] for r in by_platform["rows"]} == {
        "facebook": 0.5,
        "google_ads": 0.5,
    }
    assert by_platform["totals"]["spend"] == 600.0
    assert by_platform["rows"][0]["cpa_index"] == pytest.approx(1.0)

    by_campaign = api.client.get(
        "/api/v1/reports/performance", headers=viewer, params={"by": "campaign"}
    ).json()
    assert [(r["campaign_id"], r["profit"], r["roi"]) for r in by_campaign["rows"]] == [
        (first["id"], 800.0, pytest.approx(2.0)),
        (second["id"], -200.0, pytest.approx(-1.0)),
    ]
    assert by_campaign["rows"][1]["cpa"] is None
    assert (
        api.client.get("/api/v1/reports/performance", headers=api.headers("globex-admin")).json()["rows"]
        == []
    )
    refused = api.client.get("/api/v1/reports/performance", headers=viewer, params={"by": "weekday"})
    assert refused.status_code == 422 and "by" in refused.json()["error"]["details"]["fields"]


def test_export_is_a_csv_download_of_the_chosen_report(api: Api, tenant: Tenant) -> None:
    campaign = with_days(api, tenant, api.headers("acme-marketer"), {PERIOD_END: (100, 10, 200.0, 600.0)})
    response = api.client.get(
        "/api/v1/reports/export",
        headers=api.headers("acme-viewer"),
        params={"report": "campaigns", "start": "2026-10-01", "end": "2026-10-31"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="adflow-campaigns-2026-10-01-2026-10-31.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["Campaign ID"], r["Campaign"], r["Spend"], r["CPA"]) for r in rows] == [
        (str(campaign["id"]), campaign["name"], "400", "20")
    ]
    daily = api.client.get(
        "/api/v1/reports/export", headers=api.headers("acme-viewer"), params={"report": "daily_by_placement"}
    )
    assert len(list(csv.DictReader(io.StringIO(daily.text)))) == 2
    other = api.client.get("/api/v1/reports/export", headers=api.headers("globex-admin"))
    assert list(csv.DictReader(io.StringIO(other.text))) == []
    refused = api.client.get(
        "/api/v1/reports/export", headers=api.headers("acme-viewer"), params={"report": "all"}
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error"
