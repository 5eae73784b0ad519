"""The history a pass reads and the response curves it fits: the company's active placements in scope,
their recent daily metrics as a Panel, and each placement's curve on its own objective. The
planner reads through the same functions, so every user of the curves sees the same fit."""

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Float, cast, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import ValidationError
from core.metrics import queries
from core.metrics.definitions import efficiency_metric
from core.optimizer.curves import ResponseCurves, fit_curves
from core.optimizer.panel import Panel, build_panel
from core.optimizer.settings import OptimizerSettings, settings_for
from db.enums import CampaignStatus
from db.models import Campaign, PlatformCampaign


def placements_in_scope(session: Session, actor: Actor, campaign_ids: Sequence[int] | None) -> pd.DataFrame:
    """Placements of the active campaigns in scope, with what the rules need of their campaign.

    Money comes as floats here: these numbers feed the arithmetic of scores and curves; every
    amount the pass proposes is rounded back to cents before it is stored.
    """
    columns = {
        "id": PlatformCampaign.id,
        "campaign_id": PlatformCampaign.campaign_id,
        "platform": PlatformCampaign.platform,
        "is_active": PlatformCampaign.is_active,
        "allocated_budget": cast(PlatformCampaign.allocated_budget, Float),
        "objective": Campaign.objective,
        "target_cpa": cast(Campaign.target_cpa, Float),
        "target_roas": Campaign.target_roas,
        "autopilot": Campaign.autopilot,
        "daily_budget": cast(Campaign.daily_budget, Float),
        "total_budget": cast(Campaign.total_budget, Float),
        "spent_budget": cast(Campaign.spent_budget, Float),
        "end_date": Campaign.end_date,
    }
    query = (
        select(*columns.values())
        .join(Campaign, Campaign.id == PlatformCampaign.campaign_id)
        .where(Campaign.company_id == actor.company_id, Campaign.status == CampaignStatus.ACTIVE.value)
        .order_by(PlatformCampaign.id)
    )
    if campaign_ids is not None:
        query = query.where(Campaign.id.in_(list(campaign_ids)))
    frame = pd.DataFrame(session.execute(query).all(), columns=list(columns))
    for column in (
        "allocated_budget",
        "target_cpa",
        "target_roas",
        "daily_budget",
        "total_budget",
        "spent_budget",
    ):
        frame[column] = frame[column].astype(float)
    frame["is_active"] = frame["is_active"].astype(bool)
    frame["autopilot"] = frame["autopilot"].astype(bool)
    return frame


def read_panel(
    session: Session, actor: Actor, scope: pd.DataFrame, today: date, settings: OptimizerSettings
) -> Panel:
    last_day = today - timedelta(days=1)
    first_day = last_day - timedelta(days=settings.history_days - 1)
    campaign_ids = None if scope.empty else sorted(set(scope["campaign_id"].tolist()))
    frame = queries.daily_bulk(
        session,
        actor,
        start=first_day,
        end=last_day,
        # a long list of ids costs more than reading the company's other campaigns and dropping them
        campaign_ids=campaign_ids if campaign_ids is not None and len(campaign_ids) <= 1000 else None,
    )
    frame = frame[frame["platform_campaign_id"].isin(scope["id"])]
    if frame.empty:
        return Panel(np.array([], dtype=np.int64), first_day, np.zeros((0, settings.history_days), bool), {})
    return build_panel(frame, end=last_day, days=settings.history_days)


def fit_objective_curves(panel: Panel, uses_revenue: np.ndarray, lag_days: int) -> ResponseCurves:
    """Each placement's curve on its own objective: revenue where it sells, conversions elsewhere."""
    parts, order = [], []
    for objective, mask in (("conversions", ~uses_revenue), ("revenue", uses_revenue)):
        rows = np.flatnonzero(mask)
        if len(rows):
            parts.append(fit_curves(panel.take(rows), objective=objective, ignore_last_days=lag_days))
            order.append(rows)
    curves = ResponseCurves.concat(parts, objective="mixed")
    return curves.take(np.argsort(np.concatenate(order)))


def company_history(
    session: Session,
    actor: Actor,
    *,
    campaign_ids: Sequence[int] | None = None,
    today: date | None = None,
    days: int | None = None,
) -> tuple[Panel, pd.DataFrame]:
    """The daily history of the company's active placements up to yesterday, as a pass reads it.

    Returns the panel (`days` days, default the settings' history_days) and a frame in the same
    row order with each placement's id, campaign_id, platform, is_active, allocated_budget and
    objective. ValidationError when no active placement has daily metrics yet.
    """
    today = today or date.today()
    settings = settings_for(session, actor)
    if days is not None:
        settings = settings.model_copy(update={"history_days": days})
    scope = placements_in_scope(session, actor, campaign_ids)
    panel = read_panel(session, actor, scope, today, settings)
    if not len(panel.ids):
        raise ValidationError({"history": "no active placement has daily metrics yet"})
    scope = scope.set_index("id").loc[panel.ids].reset_index()
    return panel, scope[["id", "campaign_id", "platform", "is_active", "allocated_budget", "objective"]]


def fit_company_curves(
    session: Session, actor: Actor, *, campaign_ids: Sequence[int] | None = None, today: date | None = None
) -> tuple[ResponseCurves, pd.DataFrame]:
    """The response curves of the company's active placements, as a pass fits them.

    Returns the curves and a frame (same row order) with each placement's id, campaign_id,
    platform, allocated_budget and objective.
    """
    panel, scope = company_history(session, actor, campaign_ids=campaign_ids, today=today)
    uses_revenue = (scope["objective"].map(efficiency_metric) == "roas").to_numpy()
    lag_days = settings_for(session, actor).conversion_lag_days
    return fit_objective_curves(panel, uses_revenue, lag_days), scope[
        ["id", "campaign_id", "platform", "allocated_budget", "objective"]
    ]
