"""Read-side views of the optimizer's proposals for any door: pending rows in words and what they can be
filtered by."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from core.actor import Actor
from core.listing import paginate
from core.schemas import Page
from db.enums import Platform, RecommendationStatus
from db.models import Campaign, PlatformCampaign, Recommendation

ACTION_LABELS = {
    "pause_placement": "Pause a platform",
    "raise_budget": "Raise the budget",
    "reallocate": "Move budget between platforms",
}
_PENDING = RecommendationStatus.PENDING.value


@dataclass(frozen=True, slots=True)
class RecommendationRow:
    id: int
    campaign_id: int
    campaign_name: str
    campaign_status: str  # not active: the campaign has moved on and approving will set it aside
    platform: str | None  # the placement it targets; None when it concerns the whole campaign
    action: str
    action_label: str
    reason: str
    confidence: float
    impact: str  # "+$1,765 revenue a week", in words
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class RecommendationFacets:
    """What the pending recommendations can be filtered by: only values that occur among them."""

    actions: list[str]
    platforms: list[str]
    campaigns: list[tuple[int, str]]


def pending(
    session: Session,
    actor: Actor,
    *,
    action: str | None = None,
    platform: str | None = None,
    campaign_id: int | None = None,
    page: int = 1,
    page_size: int = 25,
) -> Page[RecommendationRow]:
    """One page of the company's pending recommendations, most confident first (a page past the end
    is the last one). `platform` matches those aimed at a placement on it and campaign-wide ones (a
    reallocation) of campaigns that run on it."""
    placement = aliased(PlatformCampaign)
    query = (
        select(Recommendation, Campaign.name, Campaign.status, placement.platform)
        .join(Campaign, Campaign.id == Recommendation.campaign_id)
        .outerjoin(placement, placement.id == Recommendation.platform_campaign_id)
        .where(Recommendation.company_id == actor.company_id, Recommendation.status == _PENDING)
    )
    if action:
        query = query.where(Recommendation.action == action)
    if campaign_id is not None:
        query = query.where(Recommendation.campaign_id == campaign_id)
    if platform:
        runs_on = exists().where(
            PlatformCampaign.campaign_id == Recommendation.campaign_id, PlatformCampaign.platform == platform
        )
        query = query.where(
            (placement.platform == platform) | (Recommendation.platform_campaign_id.is_(None) & runs_on)
        )
    order = (Recommendation.confidence.desc(), Recommendation.created_at.desc(), Recommendation.id.desc())
    found = paginate(session, query, order, page, page_size, rows=True, past_end_is_last=True)
    rows = [
        RecommendationRow(
            id=recommendation.id,
            campaign_id=recommendation.campaign_id,
            campaign_name=campaign_name,
            campaign_status=campaign_status,
            platform=placement_platform,
            action=recommendation.action,
            action_label=action_label(recommendation.action),
            reason=recommendation.reason,
            confidence=recommendation.confidence,
            impact=impact_text(recommendation.expected_impact),
            created_at=recommendation.created_at,
            expires_at=recommendation.expires_at,
        )
        for recommendation, campaign_name, campaign_status, placement_platform in found.items
    ]
    return replace(found, items=rows)


def pending_facets(session: Session, actor: Actor) -> RecommendationFacets:
    mine = (Recommendation.company_id == actor.company_id, Recommendation.status == _PENDING)
    actions = session.scalars(select(Recommendation.action).where(*mine).distinct()).all()
    campaigns = session.execute(
        select(Campaign.id, Campaign.name)
        .where(Campaign.id.in_(select(Recommendation.campaign_id).where(*mine)))
        .order_by(Campaign.name, Campaign.id)
    ).all()
    platforms = session.scalars(
        select(PlatformCampaign.platform)
        .where(PlatformCampaign.campaign_id.in_(select(Recommendation.campaign_id).where(*mine)))
        .distinct()
    ).all()
    order = [p.value for p in Platform]
    return RecommendationFacets(
        actions=sorted(actions, key=action_label),
        platforms=sorted(platforms, key=order.index),
        campaigns=[(campaign_id, name) for campaign_id, name in campaigns],
    )


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


def impact_text(impact: dict[str, Any]) -> str:
    """The expected change a week in the campaign's outcome (and spend, when it changes)."""
    per_week = impact.get("per_week")
    if per_week is None:
        return "—"
    metric = impact.get("metric", "conversions")
    outcome = (
        f"{'+' if per_week >= 0 else '−'}${abs(per_week):,.0f} revenue"
        if metric == "revenue"
        else f"{per_week:+,.1f} conversions"
    )
    spend = impact.get("spend_per_day") or 0.0
    spend_text = f", {'+' if spend >= 0 else '−'}${abs(spend) * 7:,.0f} spend" if spend else ""
    return f"{outcome}{spend_text} a week"
