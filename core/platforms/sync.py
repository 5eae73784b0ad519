"""Pulling daily metrics from the platforms' connectors into metrics_history."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from core.actor import Actor
from core.metrics.service import upsert_daily
from core.platforms.registry import Connectors
from db.models import PlatformCampaign
from db.types import utcnow


@dataclass(slots=True)
class SyncResult:
    rows: int = 0
    placements: int = 0


def pull_metrics(
    session: Session,
    actor: Actor,
    placements: Iterable[PlatformCampaign],
    *,
    start: date,
    end: date,
    connectors: Connectors,
) -> SyncResult:
    """Fetch [start, end] for each placement from its platform and upsert the days.

    Placements fed by imports have no connector and are skipped.
    """
    by_platform: dict[str, list[PlatformCampaign]] = defaultdict(list)
    for placement in placements:
        if connectors.for_placement(placement) is not None:
            by_platform[placement.platform].append(placement)
    result = SyncResult()
    for platform, group in sorted(by_platform.items()):
        ids = {p.external_id: p.id for p in group}
        fetched = connectors.for_platform(platform).fetch_daily_metrics(list(ids), start, end)
        if fetched.empty:
            continue
        frame = fetched.assign(platform_campaign_id=fetched["external_id"].map(ids))
        upserted = upsert_daily(session, actor, frame.drop(columns="external_id"))
        synced_at = utcnow()
        for placement in group:
            placement.last_synced = synced_at
        result.rows += upserted.rows
        result.placements += upserted.placements
    return result
