"""The read services behind the screens (and the API to come), on a real database of each kind."""

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.actions import views as history
from core.actions.service import ActionFilters, undo
from core.analytics import export
from core.analytics import service as analytics
from core.campaigns import service as campaigns
from core.campaigns import views as campaign_views
from core.dashboard import service as dashboard
from core.dashboard.pacing import PaceStatus
from core.errors import NotFound
from core.metrics.service import upsert_daily
from core.platforms.registry import Connectors
from db.models import Alert, Recommendation
from tests.conftest import TODAY, Tenant

PERIOD_END = TODAY - timedelta(days=1)
PERIOD_START = PERIOD_END - timedelta(days=6)  # the last 7 complete days; the 7 before are "previous"


def campaign(session: Session, tenant: Tenant, connectors: Connectors, name: str, **fields) -> int:
    data = {
        "name": name,
        "objective": "sales",
        "total_budget": "7000",
        "daily_budget": "200",
        "start_date": TODAY - timedelta(days=30),
        "end_date": TODAY + timedelta(days=4),
        "platforms": ["google_ads", "facebook"],
        "status": "active",
        **fields,
    }
    return campaigns.create(session, tenant.marketer, data, connectors=connectors).id


def days(
    session: Session, tenant: Tenant, campaign_id: int, first: date, count: int, **per_platform: dict
) -> None:
    """`count` days from `first` for each named platform of the campaign, with fixed daily figures."""
    placements = {
        p.platform: p.id for p in campaigns.get(session, tenant.admin, campaign_id).platform_campaigns
    }
    rows = [
        {"platform_campaign_id": placements[platform], "date": first + timedelta(days=i), **figures}
        for platform, figures in per_platform.items()
        for i in range(count)
    ]
    upsert_daily(session, tenant.marketer, pd.DataFrame(rows))


GOOGLE = {"impressions": 1000, "clicks": 100, "conversions": 10, "spend": 100.0, "revenue": 400.0}
FACEBOOK = {"impressions": 2000, "clicks": 40, "conversions": 0, "spend": 50.0, "revenue": 0.0}


@pytest.fixture
def seeded(session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors) -> int:
    """One campaign with two weeks of numbers: the period doubles Google's spend of the week before."""
    shop = campaign(session, tenant, connectors, "Shop")
    previous_start = PERIOD_START - timedelta(days=7)
    days(session, tenant, shop, previous_start, 7, google_ads={**GOOGLE, "spend": 50.0})
    days(session, tenant, shop, PERIOD_START, 7, google_ads=GOOGLE, facebook=FACEBOOK)
    stranger = campaign(session, other_tenant, connectors, "Not yours")
    days(session, other_tenant, stranger, PERIOD_START, 7, google_ads=GOOGLE)
    return shop


def test_the_overview_compares_the_period_with_the_one_before(
    session: Session, tenant: Tenant, seeded: int
) -> None:
    overview = dashboard.overview(session, tenant.viewer, start=PERIOD_START, end=PERIOD_END)

    kpis = overview.summary.kpis
    assert kpis["spend"].value == 7 * 150.0 and kpis["spend"].previous == 7 * 50.0
    assert kpis["spend"].change == pytest.approx(2.0)
    assert kpis["conversions"].value == 70.0
    assert kpis["cpa"].value == pytest.approx(15.0) and kpis["cpa"].previous == pytest.approx(5.0)
    assert kpis["roas"].value == pytest.approx(2800 / 1050)
    assert overview.summary.active_campaigns == 1
    assert len(overview.daily) == 7 and overview.daily["spend"].tolist() == [150.0] * 7
    platforms = overview.platforms.set_index("platform")
    assert platforms.loc["google_ads", "share_of_spend"] == pytest.approx(2 / 3)
    assert platforms.loc["facebook", "platform_label"] == "Facebook"
    assert pd.isna(platforms.loc["facebook", "cpa"])  # no conversions: undefined, not 0
    assert dashboard.summary(session, tenant.viewer, start=PERIOD_START, end=PERIOD_END).kpis == kpis


def test_an_empty_period_reads_as_zeros_and_undefined_ratios(session: Session, tenant: Tenant) -> None:
    overview = dashboard.overview(session, tenant.admin, start=PERIOD_START, end=PERIOD_END)
    assert overview.summary.kpis["spend"].value == 0.0
    assert overview.summary.kpis["cpa"].value is None and overview.summary.kpis["spend"].change is None
    assert overview.daily.empty and overview.platforms.empty


def test_counts_of_open_alerts_and_pending_recommendations(
    session: Session, tenant: Tenant, other_tenant: Tenant, seeded: int
) -> None:
    session.add_all(
        [
            Alert(
                company_id=tenant.company.id,
                campaign_id=seeded,
                date=PERIOD_END - timedelta(days=i),
                severity=severity,
                metric="cpa",
                observed=30.0,
                expected=10.0,
                anomaly_score=0.9,
                message=f"CPA tripled ({severity})",
                status=status,
            )
            for i, (severity, status) in enumerate(
                [("low", "open"), ("high", "open"), ("medium", "resolved"), ("medium", "open")]
            )
        ]
        + [
            Recommendation(
                company_id=tenant.company.id,
                campaign_id=seeded,
                action="pause_placement",
                reason="weak",
                confidence=0.8,
                status="pending",
            )
        ]
    )
    session.flush()

    summary = dashboard.summary(session, tenant.viewer, start=PERIOD_START, end=PERIOD_END)
    alerts = dashboard.open_alerts(session, tenant.viewer, page_size=2)

    assert (summary.open_alerts, summary.pending_recommendations) == (3, 1)
    assert alerts.total == 3 and [a.severity for a in alerts.items] == ["high", "medium"]
    assert alerts.items[0].campaign_name == "Shop"
    assert dashboard.open_alerts(session, other_tenant.viewer).total == 0


def test_campaign_rows_carry_period_figures_score_and_pacing(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors, seeded: int
) -> None:
    campaign(session, tenant, connectors, "Quiet", status="draft", platforms=[])
    page = dashboard.campaign_rows(
        session,
        tenant.viewer,
        {"sort": "name", "descending": False, "page_size": 1},
        start=PERIOD_START,
        end=PERIOD_END,
        as_of=TODAY,
    )
    assert (page.total, page.pages) == (2, 2)
    quiet = page.items[0]
    assert quiet.name == "Quiet" and quiet.period.spend == 0.0 and quiet.pacing is None
    shop = dashboard.campaign_row(
        session, tenant.viewer, seeded, start=PERIOD_START, end=PERIOD_END, as_of=TODAY
    )
    assert shop.period.spend == 1050.0 and shop.lifetime.spend == 1400.0
    assert shop.platforms == ("facebook", "google_ads")
    # 30 of 35 flight days gone: $6,000 expected of $7,000, $1,400 spent
    assert shop.pacing.expected_spend == Decimal("6000.00") and shop.pacing.status == PaceStatus.UNDERSPENDING
    with pytest.raises(NotFound):
        dashboard.campaign_row(session, other_tenant.viewer, seeded)


def test_budget_pacing_lists_the_campaigns_furthest_off_plan(
    session: Session, tenant: Tenant, connectors: Connectors, seeded: int
) -> None:
    campaign(session, tenant, connectors, "Always on", end_date=None)
    pacing = dashboard.budget_pacing(session, tenant.viewer, as_of=TODAY)
    assert sum(pacing.counts.values()) == 1  # without an end date there is nothing to pace against
    assert [row.campaign_name for row in pacing.off_pace] == ["Shop"]
    assert pacing.spent == Decimal("1400.00") and pacing.ratio == pytest.approx(1400 / 6000)


def test_trends_by_week_and_platform_are_ratios_of_sums(
    session: Session, tenant: Tenant, seeded: int
) -> None:
    frame = analytics.trends(
        session,
        tenant.viewer,
        start=PERIOD_START - timedelta(days=7),
        end=PERIOD_END,
        grain="week",
        by_platform=True,
    )
    assert set(frame.columns) >= {"period", "platform", "platform_label", "spend", "cpa"}
    assert frame["spend"].sum() == 1400.0
    assert all(d.weekday() == 0 for d in frame["period"])
    google = frame[frame["platform"] == "google_ads"]
    assert (google["cpa"] == google["spend"] / google["conversions"]).all()
    only_facebook = analytics.trends(
        session, tenant.viewer, start=PERIOD_START, end=PERIOD_END, platforms=["facebook"]
    )
    assert only_facebook["spend"].sum() == 350.0


def test_roi_platforms_drilldown_and_weekdays(session: Session, tenant: Tenant, seeded: int) -> None:
    window = {"start": PERIOD_START, "end": PERIOD_END}
    roi = analytics.roi_by_campaign(session, tenant.viewer, **window)
    assert roi["campaign_name"].tolist() == ["Shop"]
    assert roi.loc[0, "profit"] == 2800.0 - 1050.0 and roi.loc[0, "roi"] == pytest.approx(2800 / 1050 - 1)

    comparison = analytics.platform_comparison(session, tenant.viewer, **window).set_index("platform")
    assert comparison["share_of_revenue"].tolist() == [1.0, 0.0]
    assert comparison.loc["google_ads", "roas_index"] == pytest.approx(4.0 / (2800 / 1050))

    detail = analytics.campaign_drilldown(session, tenant.viewer, seeded, **window)
    assert detail.totals.spend == 1050.0 and detail.campaign.name == "Shop"
    assert detail.placements["platform_label"].tolist() == ["Google Ads", "Facebook"]
    assert set(detail.daily["platform"]) == {"google_ads", "facebook"}

    weekdays = analytics.weekday_pattern(session, tenant.viewer, **window)
    assert weekdays["days"].tolist() == [1] * 7
    assert weekdays["spend_per_day"].tolist() == [150.0] * 7 and weekdays["spend_index"].tolist() == [1.0] * 7


def test_the_export_has_every_table_with_readable_headers(
    session: Session, tenant: Tenant, seeded: int
) -> None:
    sheets = export.report(session, tenant.viewer, start=PERIOD_START, end=PERIOD_END)
    assert list(sheets) == ["Daily", "Campaigns", "Platforms", "Placements", "Daily by placement"]
    assert sheets["Campaigns"].columns[:3].tolist() == ["Campaign ID", "Campaign", "Impressions"]
    assert sheets["Platforms"]["Platform"].tolist() == ["Facebook", "Google Ads"]
    assert sheets["Daily"]["Spend"].sum() == 1050.0
    assert len(sheets["Daily by placement"]) == 14


def test_history_in_words_with_facets_and_undo_state(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors, seeded: int
) -> None:
    campaigns.set_status(session, tenant.marketer, seeded, "paused", connectors=connectors)
    campaigns.update(session, tenant.marketer, seeded, {"daily_budget": "300"}, connectors=connectors)
    budget_change = history.history(session, tenant.viewer).items[0]
    undo(session, tenant.admin, budget_change.id, connectors=connectors)

    page = history.history(session, tenant.viewer)
    undone, paused = page.items[1], page.items[2]
    assert page.total == 3 and page.items[0].action_label == "Undo"
    assert undone.changes[0] == "Daily budget: $200.00 → $300.00"
    assert any(line.startswith("Google Ads daily budget: $100.00 → $150.00") for line in undone.changes)
    assert undone.undone_at is not None and not undone.can_undo and paused.can_undo
    assert paused.changes == ["Status: active → paused"] and paused.performed_by == tenant.marketer.name

    facets = history.history_facets(session, tenant.viewer)
    assert facets.campaigns == [(seeded, "Shop")]
    assert set(facets.performers) == {tenant.marketer.name, tenant.admin.name}
    assert history.history(session, tenant.viewer, ActionFilters(action="pause_campaign")).total == 1
    assert history.history(session, other_tenant.viewer).total == 0


def test_campaign_choices_are_by_name_and_leave_archives_out_unless_asked(
    session: Session, tenant: Tenant, connectors: Connectors, seeded: int
) -> None:
    old = campaign(session, tenant, connectors, "Archived one")
    campaigns.delete(session, tenant.marketer, old, connectors=connectors)
    assert [c.name for c in campaign_views.choices(session, tenant.viewer)] == ["Shop"]
    assert [c.name for c in campaign_views.choices(session, tenant.viewer, include_archived=True)] == [
        "Archived one",
        "Shop",
    ]


def test_an_unchanged_budget_saved_with_a_form_logs_no_action(
    session: Session, tenant: Tenant, connectors: Connectors, seeded: int
) -> None:
    campaigns.update(
        session, tenant.marketer, seeded, {"name": "Shop!", "daily_budget": "200.00"}, connectors=connectors
    )
    assert history.history(session, tenant.viewer).total == 0
