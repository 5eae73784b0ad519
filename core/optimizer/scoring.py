"""The signals a pass judges placements by (performance scores, evidence, declining trends) and
the scores it writes back to placements and campaigns."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, or_, text, update
from sqlalchemy.orm import Session

from core.actor import Actor
from core.metrics.definitions import efficiency_metric
from core.optimizer import predictor as predictors
from core.optimizer import rules
from core.optimizer.features import WindowSums, efficiency, objective_outcome
from core.optimizer.panel import Panel
from core.optimizer.settings import OptimizerSettings
from core.optimizer.training import latest_predictor
from core.optimizer.trends import weekly_trend
from db.enums import CampaignStatus
from db.models import Campaign, PlatformCampaign
from db.types import utcnow


def compute_signals(
    session: Session, actor: Actor, panel: Panel, scope: pd.DataFrame, settings: OptimizerSettings
) -> rules.Signals:
    uses_revenue = (scope["objective"].map(efficiency_metric) == "roas").to_numpy()
    outcome = objective_outcome(panel, uses_revenue)
    sums = WindowSums(panel, outcome)
    settled = panel.n_days - 1 - settings.conversion_lag_days
    spend_28 = sums.total("spend", settled, 28)
    outcome_28 = sums.total("outcome", settled, 28)
    conversions_28 = sums.total("conversions", settled, 28)
    campaign = scope["campaign_id"].to_numpy()
    objective = scope["objective"].to_numpy()

    # The benchmark: the campaign's target where set, else its peers' (same objective) efficiency.
    peer = (
        pd.DataFrame({"objective": objective, "outcome": outcome_28, "spend": spend_28})
        .groupby("objective")[["outcome", "spend"]]
        .transform("sum")
    )
    peer_rate = np.divide(peer["outcome"], peer["spend"], out=np.zeros(len(scope)), where=peer["spend"] > 0)
    fallback_rate = outcome_28.sum() / max(spend_28.sum(), 1e-9)
    prior_rate = np.where(peer_rate > 0, peer_rate, max(fallback_rate, 1e-6))
    target = np.where(
        uses_revenue,
        scope["target_roas"].to_numpy(),
        1.0 / scope["target_cpa"].where(scope["target_cpa"] > 0).to_numpy(),
    )
    has_target = np.isfinite(target) & (target > 0)
    # A placement is judged against its target, else against its own campaign (a weak platform
    # beside strong ones), else, alone in its campaign, against its peers.
    own = pd.DataFrame({"campaign": scope["campaign_id"], "outcome": outcome_28, "spend": spend_28})
    own_totals = own.groupby("campaign")[["outcome", "spend"]].transform("sum")
    siblings = own.assign(spent=spend_28 > 0).groupby("campaign")["spent"].transform("sum").to_numpy() >= 2
    own_rate = efficiency(own_totals["outcome"].to_numpy(), own_totals["spend"].to_numpy(), prior_rate)
    campaign_benchmark = np.where(has_target, target, prior_rate)
    benchmark = np.where(has_target, target, np.where(siblings, own_rate, prior_rate))

    features, reference = predictors.design(sums, uses_revenue, np.full(len(scope), settled), prior_rate)
    model = latest_predictor(session, actor)
    ratio = np.ones(len(scope)) if model is None else model.predict(features)
    predicted = ratio * reference
    score = np.where(spend_28 > 0, predictors.score(predicted, benchmark), np.nan)

    campaign_frame = pd.DataFrame(
        {
            "campaign": campaign,
            "weighted": predicted * spend_28,
            "spend": spend_28,
            "bench": campaign_benchmark,
        }
    ).groupby("campaign")
    totals = campaign_frame[["weighted", "spend"]].sum()
    bench = campaign_frame["bench"].first()
    spent = totals["spend"] > 0
    campaign_scores = dict(
        zip(
            totals.index[spent].tolist(),
            predictors.score(
                (totals["weighted"][spent] / totals["spend"][spent]).to_numpy(), bench[spent].to_numpy()
            ).tolist(),
            strict=True,
        )
    )

    conversions_campaign = pd.Series(conversions_28).groupby(campaign).transform("sum").to_numpy()
    spend_campaign = pd.Series(spend_28).groupby(campaign).transform("sum").to_numpy()
    campaign_rate = np.divide(
        conversions_campaign, spend_campaign, out=np.zeros(len(scope)), where=spend_campaign > 0
    )
    evidence = np.maximum(conversions_28, spend_28 * campaign_rate)

    weeks = settings.trend_weeks
    ends = [settled - 7 * (weeks - 1 - w) for w in range(weeks)]
    weekly_outcome = np.stack(
        [sums.total("outcome", max(e, 0), 7) if e >= 0 else np.zeros(len(scope)) for e in ends], 1
    )
    weekly_spend = np.stack(
        [sums.total("spend", max(e, 0), 7) if e >= 0 else np.zeros(len(scope)) for e in ends], 1
    )
    trend = weekly_trend(weekly_outcome, weekly_spend, prior_rate)
    declining = (trend.p_value < settings.trend_p_value) & (
        trend.slope < np.log(1.0 - settings.trend_min_weekly_decline)
    )
    return rules.Signals(
        uses_revenue=uses_revenue,
        benchmark=benchmark,
        reference=reference,
        predicted=predicted,
        score=score,
        spend_28=spend_28,
        days_28=sums.total("days", settled, 28),
        evidence=evidence,
        declining=declining,
        campaign_scores=campaign_scores,
    )


def write_scores(
    session: Session,
    actor: Actor,
    placements: rules.Placements,
    signals: rules.Signals,
    campaign_ids: Sequence[int] | None,
) -> None:
    """Scores on placements and campaigns; every campaign in scope is stamped as optimised now."""
    now = utcnow()
    scored = np.isfinite(signals.score)
    _set_columns(session, PlatformCampaign.__table__, placements.ids[scored], signals.score[scored])
    campaign_ids_scored = np.array(list(signals.campaign_scores), dtype=np.int64)
    campaign_scores = np.array(list(signals.campaign_scores.values()), dtype=float)
    _set_columns(session, Campaign.__table__, campaign_ids_scored, campaign_scores, last_optimization=now)
    stamp_campaigns(session, actor, campaign_ids, now)
    session.expire_all()  # the rows changed under the ORM's feet


def stamp_campaigns(
    session: Session, actor: Actor, campaign_ids: Sequence[int] | None, now: datetime
) -> None:
    """Every active campaign in scope was looked at `now` (those with scores already are)."""
    query = update(Campaign).where(
        Campaign.company_id == actor.company_id,
        Campaign.status == CampaignStatus.ACTIVE.value,
        or_(Campaign.last_optimization.is_(None), Campaign.last_optimization < now),
    )
    if campaign_ids is not None:
        query = query.where(Campaign.id.in_(list(campaign_ids)))
    session.execute(query.values(last_optimization=now).execution_options(synchronize_session=False))


def _set_columns(session: Session, table, ids: np.ndarray, scores: np.ndarray, **same: Any) -> None:
    """performance_score by id (and `same` values on those rows): one statement on PostgreSQL."""
    if not len(ids):
        return
    values = np.round(scores.astype(float), 4)
    if session.get_bind().dialect.name == "postgresql":
        assignments = "".join(f", {column} = :{column}" for column in same)
        session.execute(
            text(
                f"UPDATE {table.name} AS t SET performance_score = v.score{assignments} "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:scores AS float8[])) AS v(id, score) "
                "WHERE t.id = v.id"
            ).bindparams(*(bindparam(c, type_=table.c[c].type) for c in same)),
            {"ids": ids.tolist(), "scores": values.tolist(), **same},
        )
        return
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(performance_score=bindparam("b_score"), **same),
        [{"b_id": int(i), "b_score": float(v)} for i, v in zip(ids, values, strict=True)],
    )
