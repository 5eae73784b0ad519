"""Read-side views of campaigns: pages and single campaigns as plain rows, and metrics over time.

The plain rows carry what CampaignPublic shows, read as columns rather than ORM objects: a page
of a long list is read many times a minute by scripts, and building objects was most of its cost.
For the same reason they run on the session's connection (the ORM's execute path, with no
objects to load, cost as much as the queries themselves), and each read is one statement: a
campaign or a page comes with its placements joined on, in a single round trip.
"""

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, bindparam, select
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
# A placement's columns beside its campaign's, each under a name of its own.
_PLACEMENT_LABELS = {f"placement_{column.name}": column.name for column in PlatformCampaign.__table__.columns}
_PLACEMENT_COLUMNS = tuple(
    PlatformCampaign.__table__.c[name].label(label) for label, name in _PLACEMENT_LABELS.items()
)

# Built once: a statement of forty columns costs more to build than to run.
_WITH_PLACEMENTS = select(*_CAMPAIGN_COLUMNS, *_PLACEMENT_COLUMNS).outerjoin(
    PlatformCampaign, PlatformCampaign.campaign_id == Campaign.id
)
_ONE_CAMPAIGN = _WITH_PLACEMENTS.where(
    Campaign.id == bindparam("campaign_id"), Campaign.company_id == bindparam("company_id")
)


def public_page(
    session: Session, actor: Actor, filters: CampaignFilters | Mapping[str, Any] | None = None
) -> Page[dict[str, Any]]:
    """The page `service.get_all` gives, as rows with their placements."""
    filters = parse(CampaignFilters, filters or {})
    query, total = campaigns.page_of(session, actor, filters)
    # The page's ids as a subquery of one column: a subquery of every column costs more to build.
    joined = _WITH_PLACEMENTS.where(Campaign.id.in_(query.with_only_columns(Campaign.id))).order_by(
        *campaigns.page_order(filters)
    )
    return Page(_with_placements(session, joined), total, filters.page, filters.page_size)


def public(session: Session, actor: Actor, campaign_id: int) -> dict[str, Any]:
    """The campaign `service.get` gives, as a row with its placements; NotFound for another company's."""
    found = _with_placements(session, _ONE_CAMPAIGN, campaign_id=campaign_id, company_id=actor.company_id)
    if not found:
        raise NotFound(f"No campaign #{campaign_id}.")
    return found[0]


def _with_placements(session: Session, joined: Select, **parameters: Any) -> list[dict[str, Any]]:
    """Campaigns in the order of `joined`'s rows (one per placement, or one alone without any)."""
    campaigns_by_id: dict[int, dict[str, Any]] = {}
    for row in session.connection().execute(joined, parameters).mappings().all():
        campaign = campaigns_by_id.get(row["id"])
        if campaign is None:
            campaign = campaigns_by_id[row["id"]] = _campaign(row)
        if row["placement_id"] is not None:
            campaign["placements"].append({name: row[label] for label, name in _PLACEMENT_LABELS.items()})
    return list(campaigns_by_id.values())


def _campaign(row: Mapping[str, Any]) -> dict[str, Any]:
    campaign = {column.name: row[column.name] for column in _CAMPAIGN_COLUMNS}
    return {
        **campaign,
        "remaining_budget": campaign["total_budget"] - campaign["spent_budget"],
        "placements": [],
    }


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
