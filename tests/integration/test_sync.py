from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.campaigns import service as campaigns
from core.platforms.registry import Connectors
from core.platforms.sync import pull_metrics
from db.enums import DataSource
from db.models import MetricsHistory
from tests.conftest import TODAY, Tenant


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
