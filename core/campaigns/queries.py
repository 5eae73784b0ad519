"""Read-side views of campaigns: pages and single campaigns as plain rows, and metrics over time.

The plain rows carry what CampaignPublic shows, read as columns rather than ORM objects: a page
of a long list is read many times a minute by scripts, and building objects was most of its cost.
For the same reason they run on the session's connection: the ORM's execute path, with no objects
to load, cost as much as the queries themselves.
"""

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.campaigns import service as campaigns
from core.campaigns.schemas import CampaignFilters, CampaignMetrics, MetricPoint, MetricsQuery, MetricTotals
from core.errors import NotFound
from core.metrics.definitions import RATIOS
from core.metrics.queries import rollup
from core.money import to_money
from core.schemas import Page
from core.validation import parse
from db.models import Campaign, PlatformCampaign

_CAMPAIGN_COLUMNS = tuple(Campaign.__table__.columns)
_PLACEMENT_COLUMNS = tuple(PlatformCampaign.__table__.columns)


def public_page(
    session: Session, actor: Actor, filters: CampaignFilters | Mapping[str, Any] | None = None
) -> Page[dict[str, Any]]:
    """The page `service.get_all` gives, as rows with their placements."""
    filters = parse(CampaignFilters, filters or {})
    query, total = campaigns.page_of(session, actor, filters)
    rows = session.connection().execute(query.with_only_columns(*_CAMPAIGN_COLUMNS)).mappings().all()
    return Page(_with_placements(session, rows), total, filters.page, filters.page_size)


def public(session: Session, actor: Actor, campaign_id: int) -> dict[str, Any]:
    """The campaign `service.get` gives, as a row with its placements; NotFound for another company's."""
    row = (
        session.connection()
        .execute(
            select(*_CAMPAIGN_COLUMNS).where(
                Campaign.id == campaign_id, Campaign.company_id == actor.company_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"No campaign #{campaign_id}.")
    return _with_placements(session, [row])[0]


def _with_placements(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    campaigns_by_id = {
        row["id"]: {**row, "remaining_budget": row["total_budget"] - row["spent_budget"], "placements": []}
        for row in rows
    }
    if campaigns_by_id:
        placements = (
            session.connection()
            .execute(
                select(*_PLACEMENT_COLUMNS).where(PlatformCampaign.campaign_id.in_(list(campaigns_by_id)))
            )
            .mappings()
        )
        for placement in placements:
            campaigns_by_id[placement["campaign_id"]]["placements"].append(dict(placement))
    return list(campaigns_by_id.values())


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
