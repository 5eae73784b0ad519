"""The performance predictor's life cycle: trained weekly on the company's own history (time split),
stored as a new version, and the newest one loaded for a pass."""

import pickle
from datetime import date, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import ValidationError
from core.metrics import queries
from core.optimizer import predictor as predictors
from core.optimizer.features import objective_outcome
from core.optimizer.panel import build_panel
from core.optimizer.settings import settings_for
from db.models import PredictorModel


def latest_predictor(session: Session, actor: Actor) -> predictors.PerformancePredictor | None:
    """The company's newest trained predictor, or None (scores then use the documented fallback)."""
    row = session.scalar(
        select(PredictorModel)
        .where(PredictorModel.company_id == actor.company_id)
        .order_by(PredictorModel.version.desc())
        .limit(1)
    )
    # Only train_predictor writes this column, so unpickling it is as safe as loading our own code.
    return None if row is None else pickle.loads(row.model)


def train_predictor(
    session: Session, actor: Actor, *, today: date | None = None, history_days: int = 182
) -> PredictorModel:
    """Train the company's predictor on its own history (time split), store it as a new version.

    The held-out evaluation (the last fifth of cut-offs, never seen in training) is stored with
    it beside the naive baseline's error. Refused with a message when there is too little history.
    """
    actor.require_write()
    today = today or date.today()
    settings = settings_for(session, actor)
    last_day = today - timedelta(days=1 + settings.conversion_lag_days)
    frame = queries.daily_bulk(
        session, actor, start=last_day - timedelta(days=history_days - 1), end=last_day
    )
    if frame.empty:
        raise ValidationError({"history": "no daily metrics to learn from yet"})
    panel = build_panel(frame, end=last_day, days=history_days)
    uses_revenue = queries.placements_use_revenue(session, actor, panel.ids)
    outcome = objective_outcome(panel, uses_revenue)
    pooled = np.where(
        uses_revenue,
        outcome[uses_revenue].sum() / max(panel.filled("spend")[uses_revenue].sum(), 1e-9),
        outcome[~uses_revenue].sum() / max(panel.filled("spend")[~uses_revenue].sum(), 1e-9),
    )
    features, target, weight, cutoff = predictors.training_set(
        panel, uses_revenue, pooled, last_end=panel.n_days - 1
    )
    needed = predictors.MIN_TRAINING_ROWS
    if len(features) < needed:
        raise ValidationError(
            {"history": f"{len(features)} placement-weeks of history; training needs {needed}"}
        )
    evaluation = predictors.evaluate(features, target, weight, cutoff)
    model = predictors.PerformancePredictor().fit(features, target, weight)
    version = (
        session.scalar(
            select(func.max(PredictorModel.version)).where(PredictorModel.company_id == actor.company_id)
        )
        or 0
    ) + 1
    row = PredictorModel(
        company_id=actor.company_id,
        version=version,
        data_until=last_day,
        training_rows=len(features),
        evaluation=evaluation,
        model=pickle.dumps(model),
    )
    session.add(row)
    session.flush()
    return row
