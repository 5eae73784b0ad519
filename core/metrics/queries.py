"""Reading metrics: totals by campaign, platform, placement, day or week, always for one company.

Aggregation happens in SQL (sums only); the ratios are then taken from the sums with the one
set of definitions, so every total is a ratio of sums.
"""

import io
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from core.actor import Actor
from core.metrics.definitions import BASE_COLUMNS, add_ratios
from db.models import Campaign, MetricsHistory, PlatformCampaign

Grouping = Literal["total", "campaign", "platform", "placement", "day", "week"]


def rollup(
    session: Session,
    actor: Actor,
    *,
    by: Grouping = "total",
    start: date | None = None,
    end: date | None = None,
    campaign_ids: Sequence[int] | None = None,
    platforms: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Summed metrics and their ratios in [start, end], grouped `by` one dimension.

    Columns: the grouping key(s), impressions, clicks, conversions, spend, revenue, ctr, cpc,
    cvr, cpa, roas (NaN where a ratio is undefined). Weeks start on Monday.
    """
    keys = {
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
    }[by]
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
    if by == "week":
        frame["week"] = frame["date"].map(lambda d: d - timedelta(days=d.weekday()))
        frame = frame.groupby("week", as_index=False)[list(BASE_COLUMNS)].sum()
    return add_ratios(frame)


def daily_by_placement(
    session: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    campaign_ids: Sequence[int] | None = None,
    dates_as_datetime64: bool = False,
) -> pd.DataFrame:
    """One row per placement and day: the history the analytics and the optimizer read.

    `date` holds datetime.date values, or numpy datetime64 with `dates_as_datetime64` (much
    faster for millions of rows). On PostgreSQL the rows stream out by COPY.
    """
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
    if session.get_bind().dialect.name == "postgresql":
        frame = _copy_out(session, query, columns)
    else:
        frame = pd.DataFrame(session.execute(query).all(), columns=columns)
        frame["date"] = pd.to_datetime(frame["date"])
    for column in BASE_COLUMNS:
        frame[column] = frame[column].astype(float)
    frame["platform_campaign_id"] = frame["platform_campaign_id"].astype(np.int64)
    frame["campaign_id"] = frame["campaign_id"].astype(np.int64)
    frame["platform"] = frame["platform"].astype(object)
    if not dates_as_datetime64:
        frame["date"] = frame["date"].dt.date
    return frame


def _copy_out(session: Session, query: Select, columns: list[str]) -> pd.DataFrame:
    """PostgreSQL: the query's rows through COPY … TO STDOUT, parsed by pyarrow."""
    sql = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    buffer = io.BytesIO()
    cursor = session.connection().connection.dbapi_connection.cursor()
    cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", buffer)
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[s]" if c == "date" else float) for c in columns})
    return pd.read_csv(buffer, names=columns, engine="pyarrow", parse_dates=["date"])
