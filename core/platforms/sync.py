"""Pulling daily metrics from the platforms' connectors into metrics_history."""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.config import get_settings
from core.metrics.service import upsert_daily
from core.platforms.registry import Connectors
from db.enums import CampaignStatus, DataSource
from db.models import Campaign, PlatformCampaign
from db.types import utcnow

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class SyncResult:
    rows: int = 0
    placements: int = 0
    # platform -> why its connector failed; the other platforms' days are kept.
    failures: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        return {"rows": self.rows, "placements": self.placements, "failed_platforms": sorted(self.failures)}

    @property
    def errors(self) -> list[str]:
        return [f"{platform}: {why}" for platform, why in sorted(self.failures.items())]


def pull_metrics(
    session: Session,
    actor: Actor,
    placements: Iterable[PlatformCampaign],
    *,
    start: date,
    end: date,
    connectors: Connectors,
    synced_at: datetime | None = None,
) -> SyncResult:
    """Fetch [start, end] for each placement from its platform and upsert the days.

    Placements fed by imports have no connector and are skipped. A platform whose connector
    fails is recorded in `failures` and leaves nothing behind; the other platforms go on.
    """
    by_platform: dict[str, list[PlatformCampaign]] = defaultdict(list)
    for placement in placements:
        if connectors.for_placement(placement) is not None:
            by_platform[placement.platform].append(placement)
    result = SyncResult()
    synced_at = synced_at or utcnow()
    for platform, group in sorted(by_platform.items()):
        try:
            with session.begin_nested():
                rows, synced = _pull_platform(session, actor, group, start, end, connectors, synced_at)
        except Exception as exc:  # one platform's outage must not stop the others
            logger.warning("syncing %s for company %s failed: %s", platform, actor.company_id, exc)
            result.failures[platform] = str(exc) or type(exc).__name__
            continue
        result.rows += rows
        result.placements += synced
    return result


def _pull_platform(
    session: Session,
    actor: Actor,
    group: list[PlatformCampaign],
    start: date,
    end: date,
    connectors: Connectors,
    synced_at: datetime,
) -> tuple[int, int]:
    ids = {p.external_id: p.id for p in group}
    fetched = connectors.for_platform(group[0].platform).fetch_daily_metrics(list(ids), start, end)
    rows = placements = 0
    if not fetched.empty:
        frame = fetched.assign(platform_campaign_id=fetched["external_id"].map(ids))
        upserted = upsert_daily(session, actor, frame.drop(columns="external_id"))
        rows, placements = upserted.rows, upserted.placements
    for placement in group:
        placement.last_synced = synced_at
    session.flush()
    return rows, placements


def sync_company(
    session: Session, actor: Actor, *, connectors: Connectors | None = None, now: datetime | None = None
) -> SyncResult:
    """Bring every running connector placement of the company up to yesterday.

    Each placement is pulled from its last sync less the look-back window (platforms keep
    adding late conversions to recent days), or from the campaign's start (at most the backfill
    window back) if it was never synced.
    """
    actor.require_write()
    settings = get_settings()
    now = now or datetime.now(UTC)
    today = now.date()
    end = today - timedelta(days=1)
    placements = session.scalars(
        select(PlatformCampaign)
        .join(Campaign, Campaign.id == PlatformCampaign.campaign_id)
        .where(
            PlatformCampaign.company_id == actor.company_id,
            PlatformCampaign.is_active.is_(True),
            PlatformCampaign.data_source != DataSource.IMPORT,
            Campaign.status.in_([CampaignStatus.ACTIVE, CampaignStatus.PAUSED]),
        )
        .order_by(PlatformCampaign.id)
    ).all()
    by_start: dict[date, list[PlatformCampaign]] = defaultdict(list)
    earliest = today - timedelta(days=settings.sync_backfill_days)
    for placement in placements:
        if placement.last_synced is None:
            start = max(placement.campaign.start_date, earliest)
        else:
            start = placement.last_synced.date() - timedelta(days=settings.sync_lookback_days)
        by_start[min(start, end)].append(placement)
    connectors = connectors or Connectors(session, today=today)
    result = SyncResult()
    for start, group in sorted(by_start.items()):
        pulled = pull_metrics(
            session, actor, group, start=start, end=end, connectors=connectors, synced_at=now
        )
        result.rows += pulled.rows
        result.placements += pulled.placements
        result.failures.update(pulled.failures)
    return result
