"""The action history as people read it: who did what to which campaign, before → after in words."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actions import service as actions
from core.actions.schemas import ActionPublic, MeasuredImpact
from core.actions.service import UNDO, ActionFilters
from core.actions.state import State
from core.actor import Actor
from core.money import format_money
from core.schemas import Page
from db.enums import Platform
from db.models import ActionImpact, Campaign, OptimizationLog, PlatformCampaign

ACTION_LABELS = {
    "activate": "Activated",
    "pause_campaign": "Paused",
    "complete": "Completed",
    "archive": "Archived",
    "change_budget": "Budget changed",
    "set_platforms": "Platforms and split changed",
    "pause_placement": "Platform paused",
    "raise_budget": "Budget raised",
    "reallocate": "Budget moved between platforms",
    UNDO: "Undo",
}
FIELD_LABELS = {
    "status": "Status",
    "daily_budget": "Daily budget",
    "total_budget": "Total budget",
    "allocated_budget": "daily budget",
    "is_active": "running",
}


@dataclass(frozen=True, slots=True)
class ActionEntry:
    id: int
    performed_at: datetime
    performed_by: str
    campaign_id: int | None
    campaign_name: str
    action: str
    action_label: str
    reason: str
    changes: list[str]  # "Daily budget: $300.00 → $350.00", one line per field changed
    success: bool
    error_message: str | None
    confidence: float | None
    recommendation_id: int | None
    undo_of_id: int | None
    undone_at: datetime | None
    impact: str | None = None  # what the impact ledger measured, in words, once the window has passed

    @property
    def can_undo(self) -> bool:
        """Worth offering: an applied action not yet undone (the undo itself checks the rest)."""
        return self.success and self.undo_of_id is None and self.undone_at is None


@dataclass(frozen=True, slots=True)
class HistoryFacets:
    """What the history can be filtered by: only values that occur in it."""

    actions: list[str]
    performers: list[str]
    campaigns: list[tuple[int, str]]


def history(session: Session, actor: Actor, filters: ActionFilters | None = None) -> Page[ActionEntry]:
    """One page of the company's actions, newest first, each described in words."""
    page = actions.get_all(session, actor, filters or ActionFilters())
    campaign_ids = {log.campaign_id for log in page.items if log.campaign_id is not None}
    names = dict(
        session.execute(
            select(Campaign.id, Campaign.name).where(
                Campaign.company_id == actor.company_id, Campaign.id.in_(campaign_ids)
            )
        ).all()
    )
    placement_ids = {
        int(pc_id)
        for log in page.items
        for state in (log.before_state, log.after_state)
        for pc_id in (state or {}).get("placements", {})
    }
    platforms = {
        str(pc_id): Platform(platform).label
        for pc_id, platform in session.execute(
            select(PlatformCampaign.id, PlatformCampaign.platform).where(
                PlatformCampaign.company_id == actor.company_id, PlatformCampaign.id.in_(placement_ids)
            )
        ).all()
    }
    impacts = impacts_for(session, actor, [log.id for log in page.items])
    entries = [
        ActionEntry(
            id=log.id,
            performed_at=log.performed_at,
            performed_by=log.performed_by,
            campaign_id=log.campaign_id,
            campaign_name=names.get(log.campaign_id, "—"),
            action=log.action,
            action_label=action_label(log.action),
            reason=log.reason,
            changes=describe_changes(log.before_state, log.after_state, platforms),
            success=log.success,
            error_message=log.error_message,
            confidence=log.confidence_score,
            recommendation_id=log.recommendation_id,
            undo_of_id=log.undo_of_id,
            undone_at=log.undone_at,
            impact=describe_impact(impacts[log.id]) if log.id in impacts else None,
        )
        for log in page.items
    ]
    return Page(entries, page.total, page.page, page.page_size)


def public_history(session: Session, actor: Actor, filters: ActionFilters) -> Page[ActionPublic]:
    """The history as the API shows it: each action's full record, with its measured impact if any."""
    page = actions.get_all(session, actor, filters)
    impacts = impacts_for(session, actor, [log.id for log in page.items])
    items = [
        ActionPublic.model_validate(log).model_copy(
            update={"impact": MeasuredImpact.model_validate(impacts[log.id]) if log.id in impacts else None}
        )
        for log in page.items
    ]
    return Page(items, page.total, page.page, page.page_size)


def history_facets(session: Session, actor: Actor) -> HistoryFacets:
    mine = OptimizationLog.company_id == actor.company_id
    action_names = session.scalars(select(OptimizationLog.action).where(mine).distinct())
    performers = session.scalars(select(OptimizationLog.performed_by).where(mine).distinct())
    campaigns = session.execute(
        select(Campaign.id, Campaign.name)
        .where(Campaign.id.in_(select(OptimizationLog.campaign_id).where(mine)))
        .order_by(Campaign.name, Campaign.id)
    ).all()
    return HistoryFacets(
        actions=sorted(action_names, key=action_label),
        performers=sorted(performers),
        campaigns=[(campaign_id, name) for campaign_id, name in campaigns],
    )


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


def describe_changes(before: State, after: State, placement_labels: dict[str, str]) -> list[str]:
    """Each field the action set, as 'Field: old → new'; placements are named by their platform."""
    lines = []
    before, after = before or {}, after or {}
    for key, new in (after.get("campaign") or {}).items():
        old = (before.get("campaign") or {}).get(key)
        lines.append(f"{FIELD_LABELS.get(key, key)}: {_shown(key, old)} → {_shown(key, new)}")
    for pc_id, fields in (after.get("placements") or {}).items():
        old_fields = (before.get("placements") or {}).get(pc_id, {})
        platform = placement_labels.get(str(pc_id), f"Placement #{pc_id}")
        for key, new in fields.items():
            old = old_fields.get(key)
            if key == "is_active":
                if old != new:
                    lines.append(f"{platform}: {'switched on' if new else 'switched off'}")
                continue
            if old != new:
                lines.append(
                    f"{platform} {FIELD_LABELS.get(key, key)}: {_shown(key, old)} → {_shown(key, new)}"
                )
    return lines


def _shown(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key.endswith("budget"):
        return format_money(Decimal(str(value)))
    return str(value)


def impacts_for(session: Session, actor: Actor, log_ids: Sequence[int]) -> dict[int, ActionImpact]:
    """The measured impact of each of these actions that has one, by action id."""
    if not log_ids:
        return {}
    rows = session.scalars(
        select(ActionImpact).where(
            ActionImpact.company_id == actor.company_id, ActionImpact.optimization_log_id.in_(list(log_ids))
        )
    )
    return {row.optimization_log_id: row for row in rows}


def describe_impact(impact: ActionImpact) -> str:
    """One line for the Action History."""
    unit = "revenue" if impact.metric == "revenue" else "conversions"
    shown = (
        (lambda v: f"{'-' if v < 0 else '+'}${abs(v):,.0f}")
        if unit == "revenue"
        else (lambda v: f"{v:+,.1f}")
    )
    if impact.did_effect is not None:
        text = (
            f"{shown(impact.did_effect)} {unit} over {impact.window_days} days against {impact.controls} "
            f"unchanged placement{'s' if impact.controls != 1 else ''} "
            f"(80%: {shown(impact.did_low)} to {shown(impact.did_high)})"
        )
    else:
        text = (
            f"{shown(impact.forecast_effect)} {unit} over {impact.window_days} days against its own forecast "
            f"(80%: {shown(impact.forecast_low)} to {shown(impact.forecast_high)})"
        )
    if impact.expected_effect is not None:
        text += f"; expected {shown(impact.expected_effect)}"
    return f"Measured: {text} — {'as promised' if impact.hit else 'not as promised'}."
