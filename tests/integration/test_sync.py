from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.campaigns import service as campaigns
from core.config import get_settings
from core.errors import PlatformError
from core.platforms.registry import Connectors
from core.platforms.sync import pull_metrics, sync_company
from db.enums import DataSource, Platform
from db.models import MetricsHistory
from tests.conftest import TODAY, Tenant, live_campaign


def test_pull_metrics_fetches_connector_placements_only(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    live = campaigns.create(
        session,
        tenant.marketer,
        {
            "name": "Live",
            "total_budget": "9000",
            "daily_budget": "100",
            "start_date": "2026-10-01",
            "platforms": ["tiktok"],
            "status": "active",
        },
        connectors=connectors,
    )
    imported = campaigns.create(
        session,
        tenant.marketer,
        {
            "name": "Imported",
            "total_budget": "9000",
            "daily_budget": "100",
            "start_date": "2026-10-01",
            "platforms": ["facebook"],
        },
        connectors=connectors,
        data_source=DataSource.IMPORT,
    )
    connector = connectors.for_platform("tiktok")
    connector.provision(
        live.platform_campaigns[0].external_id, schedule=[(TODAY - timedelta(days=10), 100.0, True)]
    )

    result = pull_metrics(
        session,
        tenant.marketer,
        [*live.platform_campaigns, *imported.platform_campaigns],
        start=TODAY - timedelta(days=30),
        end=TODAY,
        connectors=connectors,
    )

    assert result.rows == 10 and result.placements == 1
    assert live.platform_campaigns[0].last_synced is not None
    assert imported.platform_campaigns[0].last_synced is None
    assert session.scalar(select(func.max(MetricsHistory.date))) == TODAY - timedelta(days=1)
    assert live.spent_budget > 0


def _at(day: date) -> datetime:
    return datetime.combine(day, time(6), UTC)


def test_sync_company_pulls_since_the_last_sync_with_a_look_back_for_late_conversions(
    session: Session, tenant: Tenant, connectors: Connectors
) -> None:
    campaign = live_campaign(session, tenant.marketer, connectors, "Always on", ["google_ads"], days=20)
    placement = campaign.platform_campaigns[0]

    first = sync_company(session, tenant.marketer, connectors=connectors, now=_at(TODAY))

    assert first.rows == 20 and not first.failures
    assert placement.last_synced == _at(TODAY)
    yesterday = TODAY - timedelta(days=1)
    early = session.scalar(
        select(MetricsHistory.conversions).where(
            MetricsHistory.platform_campaign_id == placement.id, MetricsHistory.date == yesterday
        )
    )

    later = TODAY + timedelta(days=3)
    second = sync_company(
        session, tenant.marketer, connectors=Connectors(session, today=later), now=_at(later)
    )

    lookback = get_settings().sync_lookback_days
    assert second.rows == lookback + 3  # the look-back window and the three new days, nothing older
    complete = (
        Connectors(session, today=later)
        .for_platform("google_ads")
        .fetch_daily_metrics([placement.external_id], yesterday, yesterday)
    )
    restated = session.scalar(
        select(MetricsHistory.conversions).where(
            MetricsHistory.platform_campaign_id == placement.id, MetricsHistory.date == yesterday
        )
    )
    assert float(restated) == complete["conversions"].iloc[0] >= float(early)
    assert session.scalar(select(func.max(MetricsHistory.date))) == later - timedelta(days=1)


def test_a_failing_platform_is_recorded_and_the_others_still_sync(
    session: Session, tenant: Tenant, other_tenant: Tenant, connectors: Connectors
) -> None:
    campaign = live_campaign(
        session, tenant.marketer, connectors, "Two platforms", ["facebook", "tiktok"], days=20
    )
    theirs = live_campaign(session, other_tenant.marketer, connectors, "Not ours", ["facebook"], days=20)
    draft = campaigns.create(
        session,
        tenant.marketer,
        {
            "name": "Draft",
            "total_budget": "900",
            "daily_budget": "10",
            "start_date": TODAY,
            "platforms": ["tiktok"],
        },
        connectors=connectors,
    )

    def flaky_platforms(session: Session, platform: Platform):
        if platform == Platform.TIKTOK:
            return RefusingPlatform(platform)
        return connectors.for_platform(platform)

    result = sync_company(
        session,
        tenant.marketer,
        connectors=Connectors(session, factory=flaky_platforms, today=TODAY),
        now=_at(TODAY),
    )

    assert result.failures == {"tiktok": "TikTok is down for maintenance"}
    assert result.rows == 20 and result.placements == 1
    facebook, tiktok = campaign.platform_campaigns
    assert facebook.last_synced == _at(TODAY) and tiktok.last_synced is None
    assert theirs.platform_campaigns[0].last_synced is None
    assert draft.platform_campaigns[0].last_synced is None
    assert result.counts()["failed_platforms"] == ["tiktok"]


class RefusingPlatform:
    """An ad platform that is down: the edge of the system, faked."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def fetch_daily_metrics(self, external_ids, start, end):
        raise PlatformError(f"{self.platform.label} is down for maintenance")
