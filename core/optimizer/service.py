"""The optimizer's use cases: one pass over a company, predictor training, forecasts and pacing.

A pass (run_for_company) reads the company's recent daily history once, as dense arrays, and
then, for all placements at once: features and performance scores, anomalies (→ alerts), trends,
response curves and the best split of each campaign's daily budget, and the decision rules
(→ recommendations). In autopilot mode it applies the recommendations that clear the confidence
bar, for campaigns whose autopilot switch is on. The caller owns the transaction.
"""

import csv
import io
import json
import logging
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Float, bindparam, cast, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import ValidationError
from core.listing import owned_one
from core.metrics import queries
from core.metrics.definitions import BASE_COLUMNS, efficiency_metric
from core.money import to_money
from core.notifications import service as notifications
from core.optimizer import impacts, rules
from core.optimizer import predictor as predictors
from core.optimizer.anomalies import AnomalyDetector, combine, robust_residuals, seasonal_score
from core.optimizer.curves import ResponseCurves, fit_curves
from core.optimizer.features import WindowSums, efficiency, objective_outcome
from core.optimizer.panel import Panel, build_panel
from core.optimizer.settings import OptimizerSettings, settings_for
from core.optimizer.trends import forecast_series, weekly_trend
from core.platforms.registry import Connectors
from core.recommendations import service as recommendations
from db.enums import AlertStatus, CampaignStatus, NotificationKind, RecommendationStatus, Severity
from db.models import Alert, Campaign, OptimizationLog, PlatformCampaign, PredictorModel, Recommendation
from db.types import utcnow

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
_ANOMALY_METRICS = BASE_COLUMNS  # impressions, clicks, conversions, spend, revenue
_LATE_METRICS = ("conversions", "revenue")
_FOREST_SAMPLE = 20_000
_ANOMALY_WINDOW_DAYS = 28
_BUDGET_TOLERANCE = 0.1  # platforms pace a day's spend to within about 10% of its budget


@dataclass
class RunSummary:
    company_id: int
    today: date
    campaigns: int = 0
    placements: int = 0
    scored: int = 0
    alerts_opened: int = 0
    recommendations_created: int = 0
    recommendations_kept: int = 0
    recommendations_superseded: int = 0
    applied: int = 0
    apply_failed: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The figures a scheduler run records."""
        return {
            "placements": self.placements,
            "alerts_opened": self.alerts_opened,
            "recommendations_created": self.recommendations_created,
            "recommendations_superseded": self.recommendations_superseded,
            "applied": self.applied,
            "apply_failed": self.apply_failed,
        }


def run_for_company(
    session: Session,
    actor: Actor,
    *,
    campaign_ids: Sequence[int] | None = None,
    progress: Progress | None = None,
    today: date | None = None,
    apply: bool | None = None,
    connectors: Connectors | None = None,
) -> RunSummary:
    """One optimizer pass over the company's active campaigns (or those of `campaign_ids`).

    `apply`: None follows the settings (autopilot mode applies, for campaigns with autopilot on);
    True applies whatever clears the confidence bar; False only proposes. `progress(fraction,
    message)` is told how far the pass has got.
    """
    actor.require_write()
    started = time.perf_counter()
    report = progress or (lambda _fraction, _message: None)
    today = today or date.today()
    settings = settings_for(session, actor)
    summary = RunSummary(actor.company_id, today)

    report(0.0, "Reading campaigns and history")
    scope = _scope(session, actor, campaign_ids)
    summary.campaigns = int(scope["campaign_id"].nunique()) if len(scope) else 0
    panel = _history(session, actor, scope, today, settings)
    scope = scope.set_index("id").loc[panel.ids].reset_index() if len(panel.ids) else scope.iloc[:0]
    summary.placements = len(scope)
    if scope.empty:
        _stamp_campaigns(session, actor, campaign_ids, utcnow())
        summary.notes.append("no active campaign has daily metrics yet")
        summary.seconds = time.perf_counter() - started
        report(1.0, "Nothing to optimise yet")
        return summary

    report(0.15, "Scoring placements")
    signals = _signals(session, actor, panel, scope, settings)
    summary.scored = int(np.isfinite(signals.score).sum())

    report(0.35, "Looking for anomalies")
    new_alerts = _open_alerts(session, actor, panel, scope, settings)
    summary.alerts_opened = len(new_alerts)
    _notify_alerts(session, actor, new_alerts)

    report(0.55, "Fitting response curves")
    curves = fit_objective_curves(panel, signals.uses_revenue, settings.conversion_lag_days)

    report(0.7, "Weighing budget moves")
    placements = rules.Placements.from_frame(scope)
    proposals = rules.propose(
        placements,
        signals,
        curves,
        settings,
        today=today,
        cooling=_cooling_campaigns(session, actor, settings),
        refused=_recently_rejected(session, actor, settings),
    )
    # What the ledger measured of earlier actions of each type tempers the model's confidence.
    rates = impacts.hit_rates(session, actor)
    for proposal in proposals:
        proposal.confidence = impacts.temper_confidence(
            proposal.confidence, *rates.get(proposal.action, (0, 0))
        )

    report(0.85, "Writing recommendations")
    created, kept, superseded = _write_recommendations(session, actor, scope, proposals, settings)
    summary.recommendations_created = len(created)
    summary.recommendations_kept = kept
    summary.recommendations_superseded = superseded
    _write_scores(session, actor, placements, signals, campaign_ids)

    steered = set(scope.loc[scope["autopilot"], "campaign_id"].tolist())
    autopilot = settings.mode == "autopilot" and apply is None
    to_apply = [
        recommendation_id
        for recommendation_id, proposal in created
        if proposal.confidence >= settings.autopilot_confidence
        and (apply is True or (autopilot and proposal.campaign_id in steered))
    ]
    if to_apply:
        report(0.95, "Applying what clears the confidence bar")
        decisions = recommendations.approve(session, actor, to_apply, connectors=connectors)
        _notify_applied(session, actor, decisions)
        summary.applied = sum(d.outcome == "applied" for d in decisions)
        summary.apply_failed = sum(d.outcome == "failed" for d in decisions)
    summary.seconds = time.perf_counter() - started
    logger.info(
        "optimizer pass for company %s: %s placements, %s alerts, %s new recommendations, "
        "%s applied in %.1f s",
        actor.company_id,
        summary.placements,
        summary.alerts_opened,
        summary.recommendations_created,
        summary.applied,
        summary.seconds,
    )
    report(1.0, "Done")
    return summary


# --- reading -------------------------------------------------------------------------------------


def _scope(session: Session, actor: Actor, campaign_ids: Sequence[int] | None) -> pd.DataFrame:
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


def _history(
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


# --- scores --------------------------------------------------------------------------------------


def _signals(
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


# --- anomalies -----------------------------------------------------------------------------------


def _open_alerts(
    session: Session, actor: Actor, panel: Panel, scope: pd.DataFrame, settings: OptimizerSettings
) -> list[dict]:
    # Four weeks give every weekday four days to learn its rhythm from; older days add little.
    values = np.stack([panel[m][:, -_ANOMALY_WINDOW_DAYS:] for m in _ANOMALY_METRICS])
    fit = robust_residuals(values, panel.weekdays[-_ANOMALY_WINDOW_DAYS:], 9)
    z = fit.z.copy()
    lag = settings.conversion_lag_days
    if lag:
        for metric in _LATE_METRICS:
            z[_ANOMALY_METRICS.index(metric), :, -lag:] = np.nan
    lookback = settings.anomaly_lookback_days
    # Spending what the placement is budgeted for is no anomaly, however new the budget (the
    # optimizer's own moves included): spend counts only where it strays from the daily budget.
    spend = _ANOMALY_METRICS.index("spend")
    budget = scope["allocated_budget"].to_numpy()[:, None]
    on_budget = np.abs(values[spend, :, -lookback:] - budget) <= _BUDGET_TOLERANCE * budget
    z[spend, :, -lookback:] = np.where(on_budget, np.nan, z[spend, :, -lookback:])
    recent = z[:, :, -lookback:]  # (M, P, L)
    rows = recent.transpose(1, 2, 0).reshape(-1, len(_ANOMALY_METRICS))
    seasonal = seasonal_score(recent.reshape(len(_ANOMALY_METRICS), -1))
    history_rows = z.transpose(1, 2, 0).reshape(-1, len(_ANOMALY_METRICS))
    history_rows = history_rows[np.isfinite(history_rows).any(axis=1)]
    forest = None
    if len(history_rows) >= 16:
        rng = np.random.default_rng(0)  # the same sample for the same data, whatever the ids
        sample = history_rows[
            rng.choice(len(history_rows), min(_FOREST_SAMPLE, len(history_rows)), replace=False)
        ]
        forest = AnomalyDetector(n_estimators=50).fit(sample).predict(rows)
    anomaly = combine(seasonal, forest).reshape(len(scope), lookback)
    placement, day = np.nonzero(anomaly >= settings.anomaly_alert_threshold)
    if len(placement) == 0:
        return []
    dates = panel.dates[-lookback:]
    metric_index = np.nanargmax(np.nan_to_num(np.abs(recent[:, placement, day]), nan=-1.0), axis=0)
    existing = set(
        session.execute(
            select(Alert.platform_campaign_id, Alert.date, Alert.metric).where(
                Alert.company_id == actor.company_id, Alert.date >= dates[0]
            )
        ).all()
    )
    new_alerts = []
    for p, d, m in zip(placement.tolist(), day.tolist(), metric_index.tolist(), strict=True):
        metric = _ANOMALY_METRICS[m]
        placement_id = int(scope["id"].iat[p])
        if (placement_id, dates[d], metric) in existing:
            continue
        column = values.shape[-1] - lookback + d
        observed = float(values[m, p, column])
        expected = float(fit.expected[m, p, column])
        score = float(anomaly[p, d])
        new_alerts.append(
            {
                "company_id": actor.company_id,
                "campaign_id": int(scope["campaign_id"].iat[p]),
                "platform_campaign_id": placement_id,
                "date": dates[d],
                "severity": _severity(metric, observed, expected),
                "metric": metric,
                "observed": observed,
                "expected": expected,
                "anomaly_score": score,
                "message": _alert_message(
                    str(scope["platform"].iat[p]), metric, observed, expected, dates[d]
                ),
                "status": AlertStatus.OPEN.value,
                "created_at": utcnow(),
            }
        )
    if new_alerts:
        session.execute(Alert.__table__.insert(), new_alerts)
    return new_alerts


_ALERT_DETAILS = ("campaign_id", "platform_campaign_id", "date", "metric", "observed", "expected", "severity")


def _notify_alerts(session: Session, actor: Actor, new_alerts: list[dict]) -> None:
    """One message per pass for the new high-severity alerts, to the company's channels."""
    high = [alert for alert in new_alerts if alert["severity"] == Severity.HIGH.value]
    if not high:
        return
    notifications.notify(
        session,
        actor,
        kind=NotificationKind.ALERT,
        subject=f"{len(high)} high-severity alert{'s' if len(high) > 1 else ''} need a look",
        body="\n".join(alert["message"] for alert in high),
        details={"alerts": [{k: alert[k] for k in _ALERT_DETAILS} for alert in high]},
    )


def _notify_applied(session: Session, actor: Actor, decisions: list[recommendations.Decision]) -> None:
    """One message per pass for what the autopilot changed (failures included: someone should know)."""
    done = [d for d in decisions if d.outcome in ("applied", "failed")]
    if not done:
        return
    applied = sum(d.outcome == "applied" for d in done)
    notifications.notify(
        session,
        actor,
        kind=NotificationKind.AUTOPILOT_ACTION,
        subject=f"Autopilot applied {applied} change{'s' if applied != 1 else ''}"
        + (f", {len(done) - applied} failed" if applied < len(done) else ""),
        body="\n".join(f"#{d.id} {d.outcome}: {d.message}" for d in done),
        details={"recommendations": [{"id": d.id, "outcome": d.outcome, "message": d.message} for d in done]},
    )


def _severity(metric: str, observed: float, expected: float) -> str:
    """High: money going out or results vanishing at twice or half the usual; medium: any other metric
    that far off, or money at risk by less; low: the rest."""
    ratio = (observed + 1.0) / (expected + 1.0)
    large = ratio >= 2.0 or ratio <= 0.5
    money_at_risk = (metric == "spend" and ratio > 1) or (metric in _LATE_METRICS and ratio < 1)
    if money_at_risk:
        return Severity.HIGH.value if large else Severity.MEDIUM.value
    return Severity.MEDIUM.value if large else Severity.LOW.value


def _alert_message(platform: str, metric: str, observed: float, expected: float, day: date) -> str:
    shown = (lambda v: f"${v:,.2f}") if metric in ("spend", "revenue") else (lambda v: f"{v:,.1f}")
    direction = "above" if observed > expected else "below"
    return (
        f"{rules.platform_label(platform)}: {metric} on {day:%b %d} was {shown(observed)}, far {direction} "
        f"the expected {shown(expected)}."
    )


# --- curves and proposals ------------------------------------------------------------------------


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
    scope = _scope(session, actor, campaign_ids)
    panel = _history(session, actor, scope, today, settings)
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


def replay_proposals(
    session: Session, actor: Actor, panel: Panel, *, budgets: np.ndarray, today: date
) -> list[rules.Proposal]:
    """What a pass on `today` would have proposed, on the history in `panel` (days before `today`)
    with the placements' daily budgets at `budgets` (same order): for backtests of the rule set.

    Cool-downs and rejections are left out (a replay has none of its own); the campaigns' flight
    budgets are today's. Nothing is written.
    """
    settings = settings_for(session, actor)
    scope = _scope(session, actor, None).set_index("id").loc[panel.ids].reset_index()
    scope["allocated_budget"] = np.asarray(budgets, dtype=float)
    signals = _signals(session, actor, panel, scope, settings)
    curves = fit_objective_curves(panel, signals.uses_revenue, settings.conversion_lag_days)
    return rules.propose(
        rules.Placements.from_frame(scope),
        signals,
        curves,
        settings,
        today=today,
        cooling=set(),
        refused=set(),
    )


def _cooling_campaigns(session: Session, actor: Actor, settings: OptimizerSettings) -> set[int]:
    """Campaigns changed within the cool-down: no new proposal until the change has had time to show."""
    if settings.cooldown_days == 0:
        return set()
    since = utcnow() - timedelta(days=settings.cooldown_days)
    return set(
        session.scalars(
            select(OptimizationLog.campaign_id)
            .where(
                OptimizationLog.company_id == actor.company_id,
                OptimizationLog.success.is_(True),
                OptimizationLog.performed_at >= since,
                OptimizationLog.campaign_id.is_not(None),
            )
            .distinct()
        )
    )


def _recently_rejected(session: Session, actor: Actor, settings: OptimizerSettings) -> set[tuple]:
    """(campaign, placement, action) turned down lately: not proposed again yet."""
    since = utcnow() - timedelta(days=settings.rejection_memory_days)
    return set(
        session.execute(
            select(
                Recommendation.campaign_id, Recommendation.platform_campaign_id, Recommendation.action
            ).where(
                Recommendation.company_id == actor.company_id,
                Recommendation.status == RecommendationStatus.REJECTED.value,
                Recommendation.decided_at >= since,
            )
        ).all()
    )


# --- writing -------------------------------------------------------------------------------------


def _write_recommendations(
    session: Session,
    actor: Actor,
    scope: pd.DataFrame,
    proposals: list[rules.Proposal],
    settings: OptimizerSettings,
) -> tuple[list[tuple[int, rules.Proposal]], int, int]:
    """Insert new proposals; keep an identical pending one; supersede the older pending rest.

    Returns the new recommendations' (id, proposal), how many were kept and how many superseded.
    """
    in_scope = set(scope["campaign_id"].tolist())
    pending = session.execute(
        select(
            Recommendation.id,
            Recommendation.campaign_id,
            Recommendation.platform_campaign_id,
            Recommendation.action,
            Recommendation.params,
        ).where(
            Recommendation.company_id == actor.company_id,
            Recommendation.status == RecommendationStatus.PENDING.value,
        )
    ).all()
    existing = {
        (r.campaign_id, r.platform_campaign_id, r.action, _state_key(r.params.get("after"))): r.id
        for r in pending
        if r.campaign_id in in_scope
    }
    kept: set[int] = set()
    fresh: list[rules.Proposal] = []
    for proposal in proposals:
        target = (proposal.campaign_id, proposal.platform_campaign_id, proposal.action)
        key = (*target, _state_key(proposal.after))
        if key in existing:
            kept.add(existing[key])
        else:
            fresh.append(proposal)
    now = utcnow()
    stale = [rid for rid in existing.values() if rid not in kept]
    for start in range(0, len(stale), 10_000):
        session.execute(
            update(Recommendation)
            .where(Recommendation.id.in_(stale[start : start + 10_000]))
            .values(status=RecommendationStatus.SUPERSEDED.value, decided_at=now, decided_by=actor.name)
            .execution_options(synchronize_session=False)
        )
    if not fresh:
        return [], len(kept), len(stale)
    expires = now + timedelta(days=settings.recommendation_ttl_days)
    rows = [
        {
            "company_id": actor.company_id,
            "campaign_id": p.campaign_id,
            "platform_campaign_id": p.platform_campaign_id,
            "action": p.action,
            "params": {"after": p.after, "before": p.before},
            "reason": p.reason,
            "confidence": p.confidence,
            "expected_impact": p.expected_impact,
            "status": RecommendationStatus.PENDING.value,
            "created_at": now,
            "expires_at": expires,
        }
        for p in fresh
    ]
    ids = _insert_recommendations(session, actor, rows, now)
    return list(zip(ids, fresh, strict=True)), len(kept), len(stale)


def _insert_recommendations(
    session: Session, actor: Actor, rows: list[dict[str, Any]], created_at: datetime
) -> list[int]:
    """Insert and return the new ids in order; by COPY on PostgreSQL (a pass may write 100,000)."""
    if session.get_bind().dialect.name != "postgresql":
        statement = insert(Recommendation).returning(Recommendation.id, sort_by_parameter_order=True)
        return list(session.scalars(statement, rows).all())
    columns = list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(
            [
                "" if row[c] is None else json.dumps(row[c]) if isinstance(row[c], dict) else row[c]
                for c in columns
            ]
        )
    buffer.seek(0)
    cursor = session.connection().connection.dbapi_connection.cursor()
    cursor.copy_expert(f"COPY recommendations ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)
    # One new recommendation per campaign and pass: the campaign finds its id.
    by_campaign = dict(
        session.execute(
            select(Recommendation.campaign_id, Recommendation.id).where(
                Recommendation.company_id == actor.company_id, Recommendation.created_at == created_at
            )
        ).all()
    )
    return [by_campaign[row["campaign_id"]] for row in rows]


def _state_key(state: dict[str, Any] | None) -> str:
    return json.dumps(state or {}, sort_keys=True)


def _write_scores(
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
    _stamp_campaigns(session, actor, campaign_ids, now)
    session.expire_all()  # the rows changed under the ORM's feet


def _stamp_campaigns(
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


# --- predictor training --------------------------------------------------------------------------


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


# --- forecasts and pacing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pacing:
    status: str  # "overspend", "underspend", "on_track" or "open_ended"
    amount: Decimal  # how much over or under the total budget at the end date
    date: date | None  # the day the total budget runs out (overspend) or the end date
    message: str


# Fewer days of spend than this and the weekday pattern and level are guesses: no forecast is shown.
MIN_FORECAST_HISTORY_DAYS = 14
_FORECAST_HISTORY_SHOWN = 28


@dataclass(frozen=True)
class CampaignForecast:
    campaign_id: int
    frame: pd.DataFrame  # date, spend, spend_low, spend_high, conversions, …, revenue, …
    pacing: Pacing
    history_days: int = 0  # days with spend in the 8 weeks the forecast learns from
    # The last four weeks as recorded (date, spend, conversions, revenue), to draw beside the forecast.
    history: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def enough_history(self) -> bool:
        return self.history_days >= MIN_FORECAST_HISTORY_DAYS


def forecast_campaign(
    session: Session, actor: Actor, campaign_id: int, days: int = 14, *, today: date | None = None
) -> CampaignForecast:
    """The next `days` of spend, conversions and revenue (with 80% intervals) and a pacing verdict."""
    if not 1 <= days <= 90:
        raise ValidationError({"days": "must be between 1 and 90"})
    today = today or date.today()
    campaign = owned_one(session, actor, Campaign, campaign_id, "campaign")
    settings = settings_for(session, actor)
    last_day = today - timedelta(days=1)
    history = queries.daily_by_placement(
        session, actor, start=last_day - timedelta(days=55), end=last_day, campaign_ids=[campaign_id]
    )
    calendar = pd.date_range(last_day - timedelta(days=55), last_day).date
    daily = history.groupby("date")[list(BASE_COLUMNS)].sum().reindex(calendar)
    recorded = daily[["spend", "conversions", "revenue"]].iloc[-_FORECAST_HISTORY_SHOWN:].fillna(0.0)
    recorded = recorded.rename_axis("date").reset_index()
    history_days = int((daily["spend"].fillna(0.0) > 0).sum())
    if settings.conversion_lag_days:
        daily.iloc[-settings.conversion_lag_days :, daily.columns.get_indexer(list(_LATE_METRICS))] = np.nan
    weekdays = np.array([d.weekday() for d in calendar])
    future = [today + timedelta(days=i) for i in range(days)]
    future_weekdays = np.array([d.weekday() for d in future])
    active = campaign.status == CampaignStatus.ACTIVE
    frame = pd.DataFrame({"date": future})
    for metric in ("spend", "conversions", "revenue"):
        result = forecast_series(daily[metric].to_numpy(), weekdays, future_weekdays)
        for suffix, values in (("", result.mean), ("_low", result.low), ("_high", result.high)):
            frame[metric + suffix] = np.round(
                values if active else np.zeros(days), 4 if metric == "conversions" else 2
            )
    return CampaignForecast(campaign_id, frame, _pacing(campaign, frame, today), history_days, recorded)


def _pacing(campaign: Campaign, frame: pd.DataFrame, today: date) -> Pacing:
    daily_rate = float(frame["spend"].mean()) if len(frame) else 0.0
    spent = float(campaign.spent_budget)
    total = float(campaign.total_budget)
    if campaign.end_date is None:
        return Pacing(
            "open_ended", Decimal("0.00"), None, f"No end date: spending about ${daily_rate:,.2f} a day."
        )
    days_left = max((campaign.end_date - today).days + 1, 0)
    path = list(frame["spend"]) + [daily_rate] * max(days_left - len(frame), 0)
    cumulative = spent + np.cumsum(path[:days_left]) if days_left else np.array([spent])
    projected = float(cumulative[-1])
    difference = to_money(abs(projected - total))
    if projected > total * 1.02:
        crossing = int(np.argmax(cumulative > total))
        day = today + timedelta(days=crossing)
        return Pacing(
            "overspend",
            difference,
            day,
            f"At this rate the campaign runs out of budget on {day:%b %d} and would overspend by "
            f"${difference:,.2f} by its end date ({campaign.end_date:%b %d}).",
        )
    if projected < total * 0.9:
        return Pacing(
            "underspend",
            difference,
            campaign.end_date,
            f"At this rate ${difference:,.2f} of the budget is left unspent on {campaign.end_date:%b %d}.",
        )
    return Pacing(
        "on_track",
        difference,
        campaign.end_date,
        f"On track to spend its budget by {campaign.end_date:%b %d}.",
    )
