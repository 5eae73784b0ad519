"""Reading metrics: totals by campaign, platform, placement, day or week, always for one company.

Aggregation happens in SQL (sums only); the ratios are then taken from the sums with the one
set of definitions, so every total is a ratio of sums.
"""

import io
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import Float, Select, cast, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from core.actor import Actor
from core.metrics.definitions import BASE_COLUMNS, add_ratios, efficiency_metric
from db.models import Campaign, DailyTotal, MetricsHistory, PlatformCampaign

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
    if campaign_ids is None and set(groupings) <= _KEPT_GROUPINGS:
        # Company-wide sums by day or platform are kept (daily_totals): no placement's rows to read.
        keys, query, day, platform = _kept_totals(actor, groupings)
    else:
        keys, query, day, platform = _placement_totals(actor, groupings)
    if start is not None:
        query = query.where(day >= start)
    if end is not None:
        query = query.where(day <= end)
    if campaign_ids is not None:
        query = query.where(PlatformCampaign.campaign_id.in_(list(campaign_ids)))
    if platforms is not None:
        query = query.where(platform.in_(list(platforms)))
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


_KEPT_GROUPINGS = {"total", "platform", "day", "week"}


def _kept_totals(actor: Actor, groupings: list[Grouping]) -> tuple[list, Select, Any, Any]:
    keys_by_grouping = {
        "total": [],
        "platform": [DailyTotal.platform.label("platform")],
        "day": [DailyTotal.date.label("date")],
        "week": [DailyTotal.date.label("date")],
    }
    keys = _distinct_keys(keys_by_grouping, groupings)
    query = select(*keys, *_sums(DailyTotal)).where(DailyTotal.company_id == actor.company_id)
    return keys, query, DailyTotal.date, DailyTotal.platform


def _placement_totals(actor: Actor, groupings: list[Grouping]) -> tuple[list, Select, Any, Any]:
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
    keys = _distinct_keys(keys_by_grouping, groupings)
    query = (
        select(*keys, *_sums(MetricsHistory))
        .select_from(MetricsHistory)
        .join(PlatformCampaign, PlatformCampaign.id == MetricsHistory.platform_campaign_id)
        .where(PlatformCampaign.company_id == actor.company_id)
    )
    if {"campaign", "placement"} & set(groupings):
        # Only for the campaign's name: joining every row to its campaign is a third of a total's cost.
        query = query.join(Campaign, Campaign.id == PlatformCampaign.campaign_id)
    return keys, query, MetricsHistory.date, PlatformCampaign.platform


def _sums(model: type[DailyTotal] | type[MetricsHistory]) -> list:
    return [func.coalesce(func.sum(getattr(model, c)), 0).label(c) for c in BASE_COLUMNS]


def _distinct_keys(keys_by_grouping: dict[str, list], groupings: list[Grouping]) -> list:
    return list({key.name: key for g in groupings for key in keys_by_grouping[g]}.values())


def daily_by_placement(
    session: Session, actor: Actor, *, start: date, end: date, campaign_ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """One row per placement and day: the history the analytics and the optimizer read."""
    query = _daily(
        actor,
        start,
        end,
        campaign_ids,
        MetricsHistory.platform_campaign_id,
        PlatformCampaign.campaign_id,
        PlatformCampaign.platform,
        MetricsHistory.date,
        *(getattr(MetricsHistory, c) for c in BASE_COLUMNS),
    ).order_by(MetricsHistory.platform_campaign_id, MetricsHistory.date)
    columns = ["platform_campaign_id", "campaign_id", "platform", "date", *BASE_COLUMNS]
    frame = pd.DataFrame(session.execute(query).all(), columns=columns)
    for column in BASE_COLUMNS:
        frame[column] = frame[column].astype(float)
    return frame


# PostgreSQL's binary COPY row of daily_bulk's query: a field count, then (length, value) per field.
_BULK_ROW = np.dtype(
    [("fields", ">i2")]
    + [
        item
        for name, kind in (
            ("platform_campaign_id", ">i4"),
            ("day", ">i4"),
            ("impressions", ">i8"),
            ("clicks", ">i8"),
            ("conversions", ">f8"),
            ("spend", ">f8"),
            ("revenue", ">f8"),
        )
        for item in ((f"{name}_length", ">i4"), (name, kind))
    ]
)
_BINARY_COPY_HEADER, _BINARY_COPY_TRAILER = 19, 2


def daily_bulk(
    session: Session, actor: Actor, *, start: date, end: date, campaign_ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """Every placement-day of the company in [start, end], for number crunching over millions of rows.

    Columns platform_campaign_id (int64), date (datetime64) and the base metrics as floats; no
    names or platforms (join those from the placements). On PostgreSQL the rows stream out by
    binary COPY and are read straight into arrays.
    """
    on_postgres = session.get_bind().dialect.name == "postgresql"
    query = _daily(
        actor,
        start,
        end,
        campaign_ids,
        MetricsHistory.platform_campaign_id,
        MetricsHistory.date - start if on_postgres else MetricsHistory.date,
        MetricsHistory.impressions,
        MetricsHistory.clicks,
        *(cast(getattr(MetricsHistory, c), Float) for c in ("conversions", "spend", "revenue")),
    )
    if not on_postgres:
        columns = ["platform_campaign_id", "date", *BASE_COLUMNS]
        frame = pd.DataFrame(session.execute(query).all(), columns=columns)
        frame["date"] = pd.to_datetime(frame["date"])
        return frame.astype({"platform_campaign_id": np.int64, **dict.fromkeys(BASE_COLUMNS, float)})
    sql = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    buffer = io.BytesIO()
    cursor = session.connection().connection.dbapi_connection.cursor()
    cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT binary)", buffer)
    data = buffer.getbuffer()
    count = (len(data) - _BINARY_COPY_HEADER - _BINARY_COPY_TRAILER) // _BULK_ROW.itemsize
    rows = np.frombuffer(data, dtype=_BULK_ROW, offset=_BINARY_COPY_HEADER, count=count)
    days = rows["day"].astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "platform_campaign_id": rows["platform_campaign_id"].astype(np.int64),
            "date": np.datetime64(start, "D") + days,
            **{c: rows[c].astype(np.float64) for c in BASE_COLUMNS},
        }
    )


def _daily(actor: Actor, start: date, end: date, campaign_ids: Sequence[int] | None, *columns) -> Select:
    """`columns` of the company's placement-days in [start, end] (of `campaign_ids` if given)."""
    query = (
        select(*columns)
        .select_from(MetricsHistory)
        .join(PlatformCampaign, PlatformCampaign.id == MetricsHistory.platform_campaign_id)
        .where(
            PlatformCampaign.company_id == actor.company_id,
            MetricsHistory.date >= start,
            MetricsHistory.date <= end,
        )
    )
    if campaign_ids is not None:
        query = query.where(PlatformCampaign.campaign_id.in_(list(campaign_ids)))
    return query


def placements_use_revenue(session: Session, actor: Actor, placement_ids: Sequence[int]) -> np.ndarray:
    """Per placement, whether its campaign's objective is judged by revenue (ROAS) rather than CPA."""
    objectives = dict(
        session.execute(
            select(PlatformCampaign.id, Campaign.objective)
            .join(Campaign, Campaign.id == PlatformCampaign.campaign_id)
            .where(PlatformCampaign.company_id == actor.company_id)
        ).all()
    )
    judged = [efficiency_metric(objectives.get(int(i), "conversions")) for i in placement_ids]
    return np.array([metric == "roas" for metric in judged], dtype=bool)
