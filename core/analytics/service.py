"""Analytics for any date range, for any door: each function takes (session, actor, ...) and only reads.

Sums happen in SQL (`core.metrics.queries.rollup`); what is computed here works on those sums,
so every figure is a ratio of sums.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.dashboard.service import CampaignRow, campaign_row
from core.metrics.definitions import BASE_COLUMNS, add_ratios
from core.metrics.queries import rollup
from core.metrics.reporting import DateRange, MetricTotals, with_platform_labels
from db.models import Campaign

Grain = Literal["day", "week"]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Drilldown:
    """One campaign in [start, end]: its row, its placements and its days per platform."""

    campaign: CampaignRow
    totals: MetricTotals
    placements: pd.DataFrame  # platform, platform_label, is_active, allocated_budget, base, ratios, shares
    daily: pd.DataFrame  # date, platform, platform_label, base metrics, ratios


def trends(
    session: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    grain: Grain = "day",
    by_platform: bool = False,
    campaign_ids: Sequence[int] | None = None,
    platforms: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Metrics per day or week (column `period`), optionally split by platform."""
    period = DateRange(start, end)
    by = (grain, "platform") if by_platform else (grain,)
    frame = rollup(
        session,
        actor,
        by=by,
        start=period.start,
        end=period.end,
        campaign_ids=campaign_ids,
        platforms=platforms,
    )
    frame = frame.rename(columns={"date": "period", "week": "period"})
    return with_platform_labels(frame) if by_platform else frame


def roi_by_campaign(session: Session, actor: Actor, *, start: date, end: date) -> pd.DataFrame:
    """Per campaign with spend in [start, end]: profit (revenue − spend) and ROI (ROAS − 1), best first."""
    period = DateRange(start, end)
    frame = rollup(session, actor, by="campaign", start=period.start, end=period.end)
    frame = frame[frame["spend"] > 0]
    details = pd.DataFrame(
        session.execute(
            select(Campaign.id, Campaign.status, Campaign.objective).where(
                Campaign.company_id == actor.company_id, Campaign.id.in_(frame["campaign_id"].tolist())
            )
        ).all(),
        columns=["campaign_id", "status", "objective"],
    )
    frame = frame.merge(details, on="campaign_id", how="left")
    frame["profit"] = frame["revenue"] - frame["spend"]
    frame["roi"] = frame["roas"] - 1
    columns = ["campaign_id", "campaign_name", "status", "objective", *BASE_COLUMNS, "profit", "roi"]
    columns += ["ctr", "cpc", "cvr", "cpa", "roas"]
    return frame[columns].sort_values(["profit", "campaign_id"], ascending=[False, True], ignore_index=True)


def platform_comparison(
    session: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    campaign_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Per platform: totals, ratios, each platform's share of spend, conversions and revenue, and its
    CPA and ROAS against the blended figure of all platforms (an index of 1.0 is average)."""
    period = DateRange(start, end)
    frame = rollup(
        session, actor, by="platform", start=period.start, end=period.end, campaign_ids=campaign_ids
    )
    blended = MetricTotals.of_frame(frame)
    for column in ("spend", "conversions", "revenue"):
        total = frame[column].sum()
        frame[f"share_of_{column}"] = frame[column] / total if total > 0 else np.nan
    frame["cpa_index"] = frame["cpa"] / blended.cpa if blended.cpa else np.nan
    frame["roas_index"] = frame["roas"] / blended.roas if blended.roas else np.nan
    return with_platform_labels(frame.sort_values("spend", ascending=False, ignore_index=True))


def campaign_drilldown(
    session: Session, actor: Actor, campaign_id: int, *, start: date, end: date
) -> Drilldown:
    """One campaign by placement and by day in [start, end]; NotFound for another company's."""
    period = DateRange(start, end)
    row = campaign_row(session, actor, campaign_id, start=period.start, end=period.end)
    by_placement = rollup(
        session, actor, by="placement", start=period.start, end=period.end, campaign_ids=[row.id]
    )
    placements = pd.DataFrame(
        [
            {
                "platform_campaign_id": p.id,
                "platform": p.platform,
                "is_active": p.is_active,
                "allocated_budget": float(p.allocated_budget),
            }
            for p in row.placements
        ],
        columns=["platform_campaign_id", "platform", "is_active", "allocated_budget"],
    )
    placements = placements.merge(
        by_placement[["platform_campaign_id", *BASE_COLUMNS]], on="platform_campaign_id", how="left"
    )
    placements[list(BASE_COLUMNS)] = placements[list(BASE_COLUMNS)].fillna(0.0)
    placements = add_ratios(placements)
    total_spend = placements["spend"].sum()
    placements["share_of_spend"] = placements["spend"] / total_spend if total_spend > 0 else np.nan
    daily = rollup(
        session, actor, by=("day", "platform"), start=period.start, end=period.end, campaign_ids=[row.id]
    )
    return Drilldown(
        campaign=row,
        totals=MetricTotals.of_frame(placements),
        placements=with_platform_labels(placements.sort_values("spend", ascending=False, ignore_index=True)),
        daily=with_platform_labels(daily),
    )


def weekday_pattern(
    session: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    campaign_ids: Sequence[int] | None = None,
    platforms: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per weekday: the days counted, the average day's spend, conversions and revenue, the ratios
    of the summed days, and how the average day compares with the average of all days (index)."""
    period = DateRange(start, end)
    days = rollup(
        session,
        actor,
        by="day",
        start=period.start,
        end=period.end,
        campaign_ids=campaign_ids,
        platforms=platforms,
    )
    days["weekday"] = days["date"].map(lambda d: d.weekday())
    sums = days.groupby("weekday")[list(BASE_COLUMNS)].sum()
    sums["days"] = days.groupby("weekday")["date"].nunique()
    frame = add_ratios(sums.reindex(range(7), fill_value=0).reset_index())
    frame.insert(1, "weekday_name", [WEEKDAYS[i] for i in frame["weekday"]])
    for column in ("spend", "conversions", "revenue"):
        per_day = frame[column] / frame["days"].where(frame["days"] > 0)
        frame[f"{column}_per_day"] = per_day
        overall = frame[column].sum() / frame["days"].sum() if frame["days"].sum() > 0 else np.nan
        frame[f"{column}_index"] = per_day / overall if overall else np.nan
    return frame
