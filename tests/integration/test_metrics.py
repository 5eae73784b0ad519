import math
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.campaigns import service as campaigns
from core.errors import PermissionDenied, ValidationError
from core.metrics import queries
from core.metrics.service import upsert_daily
from core.platforms.registry import Connectors
from db.models import Campaign, MetricsHistory, PlatformCampaign
from tests.conftest import Tenant

DAY = date(2026, 10, 5)  # a Monday


def two_placements(session: Session, tenant: Tenant, connectors: Connectors) -> tuple[int, int]:
    campaign = campaigns.create(
        session,
        tenant.marketer,
        {
            "name": "Metrics",
            "total_budget": "10000",
            "daily_budget": "100",
            "start_date": "2026-10-01",
            "platforms": ["google_ads", "facebook"],
        },
        connectors=connectors,
    )
    google, facebook = sorted(campaign.platform_campaigns, key=lambda p: p.platform != "google_ads")
    return google.id, facebook.id


def rows(pc_id: int, days: int, **values: float) -> pd.DataFrame:
    base = {"impressions": 1000, "clicks": 50, "conversions": 5, "spend": 100.0, "revenue": 300.0}
    base.update(values)
    return pd.DataFrame(
        [{"platform_campaign_id": pc_id, "date": DAY + timedelta(days=i), **base} for i in range(days)]
    )


def stored(session: Session) -> pd.DataFrame:
    return pd.read_sql(
        select(
            MetricsHistory.platform_campaign_id,
            MetricsHistory.date,
            MetricsHistory.clicks,
            MetricsHistory.spend,
            MetricsHistory.cpa,
            MetricsHistory.ctr,
        ).order_by(MetricsHistory.platform_campaign_id, MetricsHistory.date),
        session.connection(),
    )


def test_upserting_the_same_days_twice_changes_nothing(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    google, _ = two_placements(session, tenant, connectors)
    upsert_daily(session, tenant.marketer, rows(google, 7))
    first = stored(session)
    upsert_daily(session, tenant.marketer, rows(google, 7))
    pd.testing.assert_frame_equal(first, stored(session))
    assert len(first) == 7


def test_reimporting_a_day_replaces_it(session: Session, tenant: Tenant, connectors: Connectors) -> None:
    google, _ = two_placements(session, tenant, connectors)
    upsert_daily(session, tenant.marketer, rows(google, 7))
    upsert_daily(session, tenant.marketer, rows(google, 2, clicks=80, spend=40.0))
    data = stored(session)
    assert len(data) == 7
    assert data["clicks"].tolist() == [80, 80, 50, 50, 50, 50, 50]
    assert data["cpa"].tolist()[:2] == [8.0, 8.0]


def test_a_zero_denominator_is_stored_as_null(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    google, _ = two_placements(session, tenant, connectors)
    upsert_daily(session, tenant.marketer, rows(google, 1, impressions=0, clicks=0, conversions=0))
    data = stored(session)
    assert data["cpa"].isna().all() and data["ctr"].isna().all()


def test_large_frames_take_the_bulk_path_and_agree(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    google, facebook = two_placements(session, tenant, connectors)
    big = pd.concat([rows(google, 3000, clicks=7), rows(facebook, 3000, spend=1.23)], ignore_index=True)
    result = upsert_daily(session, tenant.marketer, big)
    again = upsert_daily(session, tenant.marketer, big)
    assert result.rows == again.rows == 6000
    total = session.execute(
        select(func.count(), func.sum(MetricsHistory.clicks), func.sum(MetricsHistory.spend))
    ).one()
    assert total[0] == 6000
    assert total[1] == 3000 * 7 + 3000 * 50
    assert float(total[2]) == pytest.approx(3000 * 100 + 3000 * 1.23)


def test_a_bad_row_refuses_everything(session: Session, tenant: Tenant, connectors: Connectors) -> None:
    google, _ = two_placements(session, tenant, connectors)
    bad = rows(google, 5)
    bad.loc[4, "spend"] = -1
    with pytest.raises(ValidationError) as caught:
        upsert_daily(session, tenant.marketer, bad)
    assert caught.value.rows[0]["row"] == 5
    assert stored(session).empty


def test_rollups_are_ratios_of_sums(session: Session, tenant: Tenant, connectors: Connectors) -> None:
    google, facebook = two_placements(session, tenant, connectors)
    upsert_daily(
        session,
        tenant.marketer,
        pd.concat(
            [
                rows(google, 1, conversions=1, spend=10.0),  # CPA 10
                rows(facebook, 1, conversions=9, spend=90.0 * 9),  # CPA 810
            ]
        ),
    )
    campaign = session.get(Campaign, session.get(PlatformCampaign, google).campaign_id)
    assert campaign.cpa == pytest.approx((10 + 810) / 10)  # not the mean of 10 and 810
    assert float(campaign.spent_budget) == 820.0
    assert session.get(PlatformCampaign, facebook).spent_budget == 810

    by_platform = queries.rollup(session, tenant.admin, by="platform").set_index("platform")
    assert by_platform.loc["facebook", "cpa"] == 90.0
    total = queries.rollup(session, tenant.admin)
    assert total.loc[0, "cpa"] == pytest.approx(82.0)


def test_rollups_by_day_week_campaign_and_placement(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    google, facebook = two_placements(session, tenant, connectors)
    upsert_daily(session, tenant.marketer, pd.concat([rows(google, 14), rows(facebook, 10, conversions=0)]))

    daily = queries.rollup(session, tenant.admin, by="day", start=DAY, end=DAY + timedelta(days=13))
    assert len(daily) == 14 and daily["clicks"].iloc[0] == 100
    weekly = queries.rollup(session, tenant.admin, by="week")
    assert weekly["week"].tolist() == [DAY, DAY + timedelta(days=7)]
    assert weekly["spend"].tolist() == [1400.0, 1000.0]
    assert math.isclose(weekly["cpa"].iloc[1], 1000 / 35)  # 7 Google days convert, 3 Facebook days do not
    per_placement = queries.rollup(session, tenant.admin, by="placement").set_index("platform")
    assert math.isnan(per_placement.loc["facebook", "cpa"])
    per_campaign = queries.rollup(session, tenant.admin, by="campaign")
    assert per_campaign["campaign_name"].tolist() == ["Metrics"]
    one_day = queries.rollup(session, tenant.admin, start=DAY, end=DAY, platforms=["google_ads"])
    assert one_day.loc[0, "spend"] == 100.0


def test_metrics_stay_inside_their_company(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors
) -> None:
    google, _ = two_placements(session, tenant, connectors)
    upsert_daily(session, tenant.marketer, rows(google, 3))
    with pytest.raises(ValidationError, match="unknown placement"):
        upsert_daily(session, other_tenant.admin, rows(google, 3, clicks=1))
    with pytest.raises(PermissionDenied):
        upsert_daily(session, tenant.viewer, rows(google, 3))
    assert queries.rollup(session, other_tenant.admin).loc[0, "spend"] == 0
    assert queries.rollup(session, other_tenant.admin, by="campaign").empty
    assert queries.daily_by_placement(session, other_tenant.admin, start=DAY, end=DAY).empty
    assert (
        len(queries.daily_by_placement(session, tenant.viewer, start=DAY, end=DAY + timedelta(days=9))) == 3
    )


def test_company_totals_by_day_and_platform_match_the_placements_rows_after_every_write(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors
) -> None:
    google, facebook = two_placements(session, tenant, connectors)
    other_google, _ = two_placements(session, other_tenant, connectors)
    upsert_daily(session, other_tenant.marketer, rows(other_google, 9, clicks=999))
    upsert_daily(session, tenant.marketer, pd.concat([rows(google, 10), rows(facebook, 6, spend=30.0)]))
    # Re-sent later days replace theirs; the days before stay as they were.
    resent = rows(google, 3, clicks=7, spend=12.5)
    resent["date"] += timedelta(days=5)
    upsert_daily(session, tenant.marketer, resent)
    by = ("day", "platform")
    every_campaign = list(
        session.scalars(select(Campaign.id).where(Campaign.company_id == tenant.marketer.company_id))
    )
    kept = queries.rollup(session, tenant.marketer, by=by)
    summed = queries.rollup(session, tenant.marketer, by=by, campaign_ids=every_campaign)
    pd.testing.assert_frame_equal(kept, summed)
    assert kept["clicks"].sum() == 4 * 50 + 3 * 7 + 3 * 50 + 6 * 50
    assert kept["spend"].sum() == pytest.approx(7 * 100 + 3 * 12.5 + 6 * 30)
