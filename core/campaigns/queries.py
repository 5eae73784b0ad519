"""Read-side views of one campaign: its metrics over time."""

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from core.actor import Actor
from core.campaigns import service as campaigns
from core.campaigns.schemas import CampaignMetrics, MetricPoint, MetricsQuery, MetricTotals
from core.metrics.definitions import RATIOS
from core.metrics.queries import rollup
from core.money import to_money
from core.validation import parse


def metrics(
    session: Session, actor: Actor, campaign_id: int, query: MetricsQuery | Mapping[str, Any] | None = None
) -> CampaignMetrics:
    """The campaign's summed metrics per day or week in [start, end], with the totals of the range."""
    query = parse(MetricsQuery, query or {})
    campaign = campaigns.get(session, actor, campaign_id)
    scope = {"start": query.start, "end": query.end, "campaign_ids": [campaign.id]}
    periods = rollup(session, actor, by=query.granularity, **scope)
    (totals,) = rollup(session, actor, by="total", **scope).to_dict("records")
    period_column = "date" if query.granularity == "day" else "week"
    return CampaignMetrics(
        campaign_id=campaign.id,
        granularity=query.granularity,
        start=query.start,
        end=query.end,
        totals=MetricTotals(**_clean(totals)),
        points=[MetricPoint(period=row[period_column], **_clean(row)) for row in periods.to_dict("records")],
    )


def _clean(row: Mapping[str, Any]) -> dict[str, Any]:
    """Counts as integers, money to the cent, undefined ratios (NaN) as None."""
    return {
        "impressions": int(row["impressions"]),
        "clicks": int(row["clicks"]),
        "conversions": float(row["conversions"]),
        "spend": to_money(row["spend"]),
        "revenue": to_money(row["revenue"]),
        **{name: None if math.isnan(row[name]) else float(row[name]) for name in RATIOS},
    }
