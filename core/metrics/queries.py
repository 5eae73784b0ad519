"""Reading metrics: totals by campaign, platform, placement, day or week, always for one company.

Aggregation happens in SQL (sums only); the ratios are then taken from the sums with the one
set of definitions, so every total is a ratio of sums.
"""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.metrics.definitions import BASE_COLUMNS, add_ratios
from db.models import Campaign, MetricsHistory, PlatformCampaign

Grouping = Literal["total", "campaign", "platform", "placement", "day", "week"]


def rollup(
    session: Session,
    actor: Actor,
    *,
    by: Grouping | Sequence[Grouping] = "total",
    start: date | None = None,
    end: date | None = None,
    campaign_ids: Sequence[int] | None = None,
    platforms: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Summed metrics and their ratios in [start, end], grouped `by` one dimension or several.

    Columns: the grouping key(s), impressions, clicks, conversions, spend, revenue, ctr, cpc,
    cvr, cpa, roas (NaN where a ratio is undefined). Weeks start on Monday. Several groupings
    combine, e.g. `by=("day", "platform")` gives one row per day and platform.
    """
    groupings = [by] if isinstance(by, str) else list(by)
    keys_by_grouping = {
        "total": [],
        "campaign": [Campaign.id.label("campaign_id"), Campaign.name.label("campaign_name")],
        "platform": [PlatformCampaign.platform.label("platform")],
        "placement": [
            PlatformCampaign.id.label("platform_campaign_id"),
            PlatformCampaign.campaign_id.label("campaign_id"),
            Campaign.name.label("campaign_name"),
            PlatformCampaign.platform.label("platform"),
        ],
        "day": [MetricsHistory.date.label("date")],
        "week": [MetricsHistory.date.label("date")],
    }
    keys = list({key.name: key for g in groupings for key in keys_by_grouping[g]}.values())
    sums = [func.coalesce(func.sum(getattr(MetricsHistory, c)), 0).label(c) for c in BASE_COLUMNS]
    query = (
        select(*keys, *sums)
        .select_from(MetricsHistory)
        .join(PlatformCampaign, PlatformCampaign.id == MetricsHistory.platform_campaign_id)
        .join(Campaign, Campaign.id == PlatformCampaign.campaign_id)
        .where(PlatformCampaign.company_id == actor.company_id)
    )
    if start is not None:
        query = query.where(MetricsHistory.date >= start)
    if end is not None:
        query = query.where(MetricsHistory.date <= end)
    if campaign_ids is not None:
        query = query.where(PlatformCampaign.campaign_id.in_(list(campaign_ids)))
    if platforms is not None:
        query = query.where(PlatformCampaign.platform.in_(list(platforms)))
    if keys:
        query = query.group_by(*keys).order_by(*keys)
    frame = pd.DataFrame(
        session.execute(query).mappings().all(), columns=[k.name for k in keys] + list(BASE_COLUMNS)
    )
    for column in BASE_COLUMNS:
        frame[column] = frame[column].astype(float)
    if "week" in groupings:
        frame["week"] = frame["date"].map(lambda d: d - timedelta(days=d.weekday()))
        week_keys = ["week", *(k.name for k in keys if k.name != "date")]
        frame = frame.groupby(week_keys, as_index=False)[list(BASE_COLUMNS)].sum()
    return add_ratios(frame)


def daily_by_placement(
    session: Session, actor: Actor, *, start: date, end: date, campaign_ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """One row per placement and day: the history the analytics and the optimizer read."""
    query = (
        select(
            MetricsHistory.platform_campaign_id,
            PlatformCampaign.campaign_id,
            PlatformCampaign.platform,
            MetricsHistory.date,
            *(getattr(MetricsHistory, c) for c in BASE_COLUMNS),
        )
        .join(PlatformCampaign, PlatformCampaign.id == MetricsHistory.platform_campaign_id)
        .where(
            PlatformCampaign.company_id == actor.company_id,
            MetricsHistory.date >= start,
            MetricsHistory.date <= end,
        )
        .order_by(MetricsHistory.platform_campaign_id, MetricsHistory.date)
    )
    if campaign_ids is not None:
        query = query.where(PlatformCampaign.campaign_id.in_(list(campaign_ids)))
    columns = ["platform_campaign_id", "campaign_id", "platform", "date", *BASE_COLUMNS]
    frame = pd.DataFrame(session.execute(query).all(), columns=columns)
    for column in BASE_COLUMNS:
        frame[column] = frame[column].astype(float)
    return frame
