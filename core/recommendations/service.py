"""Recommendations: list, approve (apply), reject and expire what the optimizer proposes.

A recommendation carries the exact state it would set (`params["after"]`) and the state it was
computed from (`params["before"]`). Approving applies the former through
core.actions.service.apply_change (database, then platform, logged with the recommendation's id);
if the campaign has changed since, the recommendation is stale and is superseded instead of
overwriting someone's newer edit.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.actions.service import apply_change
from core.actions.state import normalized, snapshot
from core.actor import Actor
from core.listing import owned_by_id, owned_one, paginate, with_status
from core.platforms.registry import Connectors
from core.schemas import Page
from db.enums import CampaignStatus, RecommendationStatus
from db.models import Campaign, Recommendation
from db.types import utcnow

PENDING = RecommendationStatus.PENDING.value


Outcome = Literal["applied", "failed", "rejected", "unchanged", "stale"]


@dataclass(frozen=True, slots=True)
class RecommendationFilters:
    status: Sequence[str] | str | None = (PENDING,)
    campaign_id: int | None = None
    action: str | None = None
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True, slots=True)
class Decision:
    """What became of one recommendation in a bulk approve or reject."""

    id: int
    status: RecommendationStatus
    outcome: Outcome
    message: str


def get_all(
    session: Session, actor: Actor, filters: RecommendationFilters | None = None
) -> Page[Recommendation]:
    """The company's recommendations (pending by default), most confident first."""
    filters = filters or RecommendationFilters()
    query = select(Recommendation).where(Recommendation.company_id == actor.company_id)
    query = with_status(query, Recommendation.status, filters.status, RecommendationStatus)
    if filters.campaign_id is not None:
        query = query.where(Recommendation.campaign_id == filters.campaign_id)
    if filters.action:
        query = query.where(Recommendation.action == filters.action)
    order = (Recommendation.confidence.desc(), Recommendation.created_at.desc(), Recommendation.id.desc())
    return paginate(session, query, order, filters.page, filters.page_size)


def get(session: Session, actor: Actor, recommendation_id: int) -> Recommendation:
    return owned_one(session, actor, Recommendation, recommendation_id, "recommendation")


def approve(
    session: Session, actor: Actor, ids: Iterable[int], *, connectors: Connectors | None = None
) -> list[Decision]:
    """Apply each recommendation. One that fails is marked failed; the others still go ahead.

    Approving one that is already applied changes nothing; a failed one may be approved again.
    The recommendations and their campaigns are locked while they are decided, so two approvals
    arriving together apply a change once: the later one finds it already decided.
    """
    actor.require_write()
    recommendations = owned_by_id(session, actor, Recommendation, ids, "recommendation", lock=True)
    connectors = connectors or Connectors(session)
    return [_approve_one(session, actor, r, connectors) for r in recommendations]


def _approve_one(
    session: Session, actor: Actor, recommendation: Recommendation, connectors: Connectors
) -> Decision:
    status = recommendation.status
    if status == RecommendationStatus.APPLIED:
        return _decision(recommendation, "unchanged", "already applied")
    if status not in (
        RecommendationStatus.PENDING,
        RecommendationStatus.APPROVED,
        RecommendationStatus.FAILED,
    ):
        return _decision(recommendation, "unchanged", f"it is {status}, so it cannot be applied")
    campaign = session.get(Campaign, recommendation.campaign_id, with_for_update=True, populate_existing=True)
    after = recommendation.params.get("after") or {}
    before = recommendation.params.get("before")
    if campaign.status != CampaignStatus.ACTIVE or (
        before is not None and snapshot(campaign, after) != normalized(before)
    ):
        _decide(recommendation, actor, RecommendationStatus.SUPERSEDED)
        return _decision(
            recommendation,
            "stale",
            "the campaign has changed since this was proposed; run the optimizer again",
        )
    recommendation.status = RecommendationStatus.APPROVED.value
    log = apply_change(
        session,
        actor,
        campaign,
        after,
        action=recommendation.action,
        connectors=connectors,
        reason=recommendation.reason,
        recommendation_id=recommendation.id,
        confidence=recommendation.confidence,
    )
    if log.success:
        _decide(recommendation, actor, RecommendationStatus.APPLIED)
        return _decision(recommendation, "applied", f"applied (action #{log.id})")
    _decide(recommendation, actor, RecommendationStatus.FAILED)
    return _decision(recommendation, "failed", log.error_message or "the platform refused")


def _decision(recommendation: Recommendation, outcome: Outcome, message: str) -> Decision:
    return Decision(recommendation.id, RecommendationStatus(recommendation.status), outcome, message)


def reject(session: Session, actor: Actor, ids: Iterable[int]) -> list[Decision]:
    """Turn down pending recommendations; the optimizer will not propose the same for a while."""
    actor.require_write()
    decisions = []
    for recommendation in owned_by_id(session, actor, Recommendation, ids, "recommendation", lock=True):
        if recommendation.status in (RecommendationStatus.PENDING, RecommendationStatus.FAILED):
            _decide(recommendation, actor, RecommendationStatus.REJECTED)
            decisions.append(_decision(recommendation, "rejected", "rejected"))
        else:
            decisions.append(_decision(recommendation, "unchanged", f"it is {recommendation.status}"))
    session.flush()
    return decisions


def expire_stale(session: Session, now: datetime | None = None) -> int:
    """Mark pending recommendations past their expiry as expired, for every company (scheduler job)."""
    now = now or utcnow()
    result = session.execute(
        update(Recommendation)
        .where(Recommendation.status == PENDING, Recommendation.expires_at <= now)
        .values(status=RecommendationStatus.EXPIRED.value, decided_at=now, decided_by="scheduler")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _decide(recommendation: Recommendation, actor: Actor, status: RecommendationStatus) -> None:
    recommendation.status = status.value
    recommendation.decided_by = actor.name
    recommendation.decided_at = utcnow()
