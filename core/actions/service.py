"""Apply a change to a campaign (database, then platform), log it, and undo it."""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actions.state import State, assign, normalized, snapshot
from core.actor import Actor
from core.errors import Conflict
from core.listing import owned_one, paginate
from core.platforms.registry import Connectors, push_placement
from core.schemas import Page
from db.models import Campaign, OptimizationLog
from db.types import utcnow

logger = logging.getLogger(__name__)

UNDO = "undo"


def apply_change(
    session: Session,
    actor: Actor,
    campaign: Campaign,
    after: State,
    *,
    action: str,
    connectors: Connectors,
    reason: str = "",
    recommendation_id: int | None = None,
    confidence: float | None = None,
    undo_of: OptimizationLog | None = None,
) -> OptimizationLog:
    """Set `after` on the campaign and its platforms as one step, and log it.

    The database changes first, then the platforms hear of it; if a platform refuses, the
    database part is rolled back (a savepoint) and the action is logged as failed. The returned
    log says which: check `.success`.
    """
    actor.require_write()
    after = normalized(after)
    before = snapshot(campaign, after)
    error = None
    try:
        with session.begin_nested():
            for placement in assign(campaign, after):
                push_placement(connectors, campaign, placement)
            session.flush()
    except Exception as exc:  # a platform failure must leave things as they were, and be logged
        logger.warning("action %s on campaign %s failed: %s", action, campaign.id, exc)
        error = str(exc) or type(exc).__name__
    log = OptimizationLog(
        company_id=campaign.company_id,
        campaign_id=campaign.id,
        platform_campaign_id=_single_placement(after),
        recommendation_id=recommendation_id,
        action=action,
        reason=reason,
        before_state=before,
        after_state=after,
        confidence_score=confidence,
        success=error is None,
        error_message=error,
        performed_by=actor.name,
        user_id=actor.user_id,
        undo_of_id=undo_of.id if undo_of else None,
    )
    session.add(log)
    session.flush()
    return log


def undo(session: Session, actor: Actor, log_id: int, *, connectors: Connectors) -> OptimizationLog:
    """Put back what an applied action changed; the undo is itself logged."""
    actor.require_write()
    # Locked with its campaign: two undos arriving together put the change back once.
    log = owned_one(session, actor, OptimizationLog, log_id, "action", lock=True)
    if not log.success:
        raise Conflict("This action failed, so nothing was changed and there is nothing to undo.")
    if log.undo_of_id is not None:
        raise Conflict("An undo cannot itself be undone; make the change again instead.")
    if log.undone_at is not None:
        raise Conflict(f"This action was already undone on {log.undone_at:%Y-%m-%d %H:%M} UTC.")
    campaign = session.get(Campaign, log.campaign_id, with_for_update=True, populate_existing=True)
    if snapshot(campaign, log.after_state) != normalized(log.after_state):
        raise Conflict("The campaign has changed since this action; undo the later change first.")
    result = apply_change(
        session,
        actor,
        campaign,
        log.before_state,
        action=UNDO,
        connectors=connectors,
        reason=f"Undo of action #{log.id} ({log.action})",
        recommendation_id=log.recommendation_id,
        undo_of=log,
    )
    if result.success:
        log.undone_at = utcnow()
    return result


def get(session: Session, actor: Actor, log_id: int) -> OptimizationLog:
    return owned_one(session, actor, OptimizationLog, log_id, "action")


@dataclass(frozen=True, slots=True)
class ActionFilters:
    campaign_id: int | None = None
    action: str | None = None
    success: bool | None = None
    performed_by: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    page_size: int = 50


def get_all(
    session: Session, actor: Actor, filters: ActionFilters = ActionFilters()
) -> Page[OptimizationLog]:
    """The company's action history, newest first."""
    query = select(OptimizationLog).where(OptimizationLog.company_id == actor.company_id)
    if filters.campaign_id is not None:
        query = query.where(OptimizationLog.campaign_id == filters.campaign_id)
    if filters.action:
        query = query.where(OptimizationLog.action == filters.action)
    if filters.success is not None:
        query = query.where(OptimizationLog.success == filters.success)
    if filters.performed_by:
        query = query.where(OptimizationLog.performed_by == filters.performed_by)
    if filters.since:
        query = query.where(OptimizationLog.performed_at >= filters.since)
    if filters.until:
        query = query.where(OptimizationLog.performed_at < filters.until)
    order = (OptimizationLog.performed_at.desc(), OptimizationLog.id.desc())
    return paginate(session, query, order, filters.page, filters.page_size)


def _single_placement(state: State) -> int | None:
    placements = state.get("placements") or {}
    return int(next(iter(placements))) if len(placements) == 1 and not state.get("campaign") else None
